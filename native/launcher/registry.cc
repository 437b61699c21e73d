#include "registry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "fail.h"

namespace {

const char kOriginSynthetic[] = "synthetic\n";
const char kOriginExisting[] = "existing\n";

std::string entry_name(const char* path) {
  // 64-bit FNV-1a over the path bytes (the same naming as Codex's registry).
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (const unsigned char* p = reinterpret_cast<const unsigned char*>(path); *p; ++p) {
    hash ^= *p;
    hash *= 0x100000001b3ULL;
  }
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hash));
  return buf;
}

bool read_small_file(int dir_fd, const char* name, std::string* out) {
  int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return false;
  out->clear();
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

void write_small_file(int dir_fd, const char* name, const char* data, size_t len, const char* target) {
  int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) die_errno("registry: writing an entry for", target, errno);
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      die_errno("registry: writing an entry for", target, errno);
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  if (close(fd) < 0 && errno != EINTR) die_errno("registry: closing an entry for", target, errno);
}

bool pid_alive(long pid) {
  if (pid <= 0) return false;
  return kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH;
}

// Deletes markers of dead launchers (and ours when remove_self); returns the live count.
int prune_markers(int entry_fd, bool remove_self) {
  int dup_fd = fcntl(entry_fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return -1;
  DIR* dir = fdopendir(dup_fd);
  if (dir == nullptr) {
    close(dup_fd);
    return -1;
  }
  const long self = static_cast<long>(getpid());
  std::vector<std::string> dead;
  int live = 0;
  while (struct dirent* entry = readdir(dir)) {
    if (strncmp(entry->d_name, "pid-", 4) != 0) continue;
    char* end = nullptr;
    long pid = strtol(entry->d_name + 4, &end, 10);
    if (*end != '\0') continue;
    if ((remove_self && pid == self) || !pid_alive(pid)) {
      dead.push_back(entry->d_name);
    } else {
      ++live;
    }
  }
  closedir(dir);
  for (const std::string& name : dead) unlinkat(entry_fd, name.c_str(), 0);
  return live;
}

class RegistryLock {
 public:
  explicit RegistryLock(int dir_fd) {
    fd_ = openat(dir_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd_ < 0) die_errno("registry: opening", "lock", errno);
    while (flock(fd_, LOCK_EX) < 0) {
      if (errno != EINTR) die_errno("registry: flock", "lock", errno);
    }
  }
  ~RegistryLock() { close(fd_); }  // closing releases the flock
  RegistryLock(const RegistryLock&) = delete;
  RegistryLock& operator=(const RegistryLock&) = delete;

 private:
  int fd_;
};

// Removes an empty placeholder at an absolute path. Walks the parents with O_PATH|O_NOFOLLOW so
// a sandboxed command that swapped a parent directory for a symlink cannot redirect the unlink
// to a file elsewhere on the host.
void remove_placeholder(const char* path) {
  std::string rest(path);
  int dir_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return;
  size_t pos = 1;
  for (;;) {
    size_t slash = rest.find('/', pos);
    std::string component = rest.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    if (component.empty() || component == "." || component == "..") {
      if (slash == std::string::npos) break;  // trailing slash or odd path: leave it alone
      if (component == "..") break;
      pos = slash + 1;
      continue;
    }
    if (slash == std::string::npos) {
      struct stat st;
      if (fstatat(dir_fd, component.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISREG(st.st_mode) && st.st_size == 0) {
          if (unlinkat(dir_fd, component.c_str(), 0) < 0) warn_errno("registry: removing placeholder", path, errno);
        } else if (S_ISDIR(st.st_mode)) {
          // Fails with ENOTEMPTY if anything was put inside: then it is not a bare placeholder.
          if (unlinkat(dir_fd, component.c_str(), AT_REMOVEDIR) < 0 && errno != ENOTEMPTY && errno != EEXIST) {
            warn_errno("registry: removing placeholder", path, errno);
          }
        }
      }
      break;
    }
    int next = openat(dir_fd, component.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(dir_fd);
    if (next < 0) return;
    dir_fd = next;
    pos = slash + 1;
  }
  close(dir_fd);
}

void drop_entry(int dir_fd, const char* name, int entry_fd) {
  prune_markers(entry_fd, true);
  unlinkat(entry_fd, "origin", 0);
  unlinkat(entry_fd, "path", 0);
  if (unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && errno != ENOTEMPTY) {
    warn_errno("registry: removing entry", name, errno);
  }
}

// Frees every entry whose registrants are all dead: a launcher that was SIGKILLed never released
// its targets, and its placeholder (say an empty `.git` file bwrap created in the workspace) would
// otherwise stay on the host for good — breaking git there — and a later run would even record it
// as "existing". Runs under the registry lock, before this launcher registers anything.
void sweep_abandoned(int dir_fd) {
  int dup_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup_fd < 0) return;
  DIR* dir = fdopendir(dup_fd);
  if (dir == nullptr) {
    close(dup_fd);
    return;
  }
  std::vector<std::string> names;
  while (struct dirent* entry = readdir(dir)) {
    if (strlen(entry->d_name) == 16 && strspn(entry->d_name, "0123456789abcdef") == 16) names.push_back(entry->d_name);
  }
  closedir(dir);
  for (const std::string& name : names) {
    int entry_fd = openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (entry_fd < 0) continue;
    std::string target;
    // Only an entry whose recorded path hashes to its own name is ours to act on.
    if (read_small_file(entry_fd, "path", &target) && entry_name(target.c_str()) == name &&
        prune_markers(entry_fd, false) == 0) {
      std::string origin;
      if (read_small_file(entry_fd, "origin", &origin) && origin == kOriginSynthetic) remove_placeholder(target.c_str());
      drop_entry(dir_fd, name.c_str(), entry_fd);
    }
    close(entry_fd);
  }
}

}  // namespace

void registry_open(const char* dir, Registry* out) {
  if (mkdir(dir, 0700) < 0 && errno != EEXIST) die_errno("registry: creating", dir, errno);
  // O_NOFOLLOW: a symlink planted at the registry path would let its owner forge markers.
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) die_errno("registry: opening", dir, errno);
  struct stat st;
  if (fstat(fd, &st) < 0) die_errno("registry: fstat", dir, errno);
  // Another user's (or a group-writable) directory could hold forged markers or origins that make
  // the launcher delete a file it did not create.
  if (st.st_uid != geteuid()) die_msg("registry: %s is owned by uid %u, not by the current user (uid %u); remove it or choose another directory", dir, static_cast<unsigned>(st.st_uid), static_cast<unsigned>(geteuid()));
  if ((st.st_mode & 022) != 0) die_msg("registry: %s is writable by group or others (mode %03o); run chmod 700 on it", dir, static_cast<unsigned>(st.st_mode & 0777));
  out->dir_fd = fd;
}

void registry_register(Registry* reg, const std::vector<const char*>& targets) {
  if (targets.empty()) return;
  RegistryLock lock(reg->dir_fd);
  sweep_abandoned(reg->dir_fd);
  const std::string marker = "pid-" + std::to_string(static_cast<long>(getpid()));
  for (const char* target : targets) {
    const std::string name = entry_name(target);
    if (mkdirat(reg->dir_fd, name.c_str(), 0700) < 0 && errno != EEXIST) die_errno("registry: creating an entry for", target, errno);
    int entry_fd = openat(reg->dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (entry_fd < 0) die_errno("registry: opening the entry for", target, errno);
    std::string recorded;
    if (read_small_file(entry_fd, "path", &recorded)) {
      if (recorded != target) die_msg("registry: entry %s already belongs to %s, not %s (hash collision); remove the entry", name.c_str(), recorded.c_str(), target);
    } else {
      write_small_file(entry_fd, "path", target, strlen(target), target);
    }
    if (prune_markers(entry_fd, false) == 0) {
      // First live registrant decides: absent now means bwrap will create a placeholder.
      struct stat st;
      bool absent = lstat(target, &st) < 0 && errno == ENOENT;
      const char* origin = absent ? kOriginSynthetic : kOriginExisting;
      write_small_file(entry_fd, "origin", origin, strlen(origin), target);
    }
    write_small_file(entry_fd, marker.c_str(), "", 0, target);
    close(entry_fd);
  }
}

void registry_release(Registry* reg, const std::vector<const char*>& targets) {
  if (targets.empty()) return;
  RegistryLock lock(reg->dir_fd);
  for (const char* target : targets) {
    const std::string name = entry_name(target);
    int entry_fd = openat(reg->dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (entry_fd < 0) continue;
    std::string recorded;
    if (!read_small_file(entry_fd, "path", &recorded) || recorded != target) {
      close(entry_fd);
      continue;
    }
    // A live marker means another sandbox still has a mount on this target: unlinking the mount
    // point now would detach its protective mount inside that sandbox's namespace.
    if (prune_markers(entry_fd, true) == 0) {
      std::string origin;
      if (read_small_file(entry_fd, "origin", &origin) && origin == kOriginSynthetic) {
        remove_placeholder(target);
      }
      drop_entry(reg->dir_fd, name.c_str(), entry_fd);
    }
    close(entry_fd);
  }
}

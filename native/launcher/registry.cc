#include "registry.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "fail.h"

namespace {

// One table file holds every registration: records of `L<pid>\0<origin>\0<path>\0`, origin `s`
// (bwrap created the placeholder) or `e` (the target existed). One file instead of a directory
// per target keeps the cost per launch to a few metadata operations (a directory per target cost
// ~4 ms per command on ext4). NUL separators: a path may hold any byte but NUL.
// "table-2": records of launchers that hold a liveness lock (below). Launchers of the previous
// format keep their own "table" in the same directory: each version reads only its own file, so two
// installed versions running side by side never refuse or misjudge each other's records.
const char kTable[] = "table-2";
const char kTableNew[] = "table-2.new";
constexpr char kOriginSynthetic = 's';
constexpr char kOriginExisting = 'e';

const char kLockFile[] = "lock";
// Records of launchers that hold their liveness lock start with this. A bare pid (the previous
// format) is still read, judged by kill(pid, 0).
constexpr char kLockedPidPrefix = 'L';

struct Record {
  long pid;
  char origin;
  std::string path;
  bool locked;  // liveness = the OFD lock on byte <pid> of the lock file is held
};

// A live launcher holds a write lock on the byte at offset <pid> of the lock file (an OFD lock:
// it belongs to the open file, so it goes away only when the launcher's last fd to it closes, i.e.
// when it exits or is killed). kill(pid, 0) cannot say this: after a SIGKILLed launcher's pid is
// reused by any other process its records would look live forever, and the placeholders it left
// (an empty `.git` in the workspace) would never be removed (fcntl(2), "Open file description
// locks").
bool lock_held(int live_fd, long pid) {
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = static_cast<off_t>(pid);
  fl.l_len = 1;
  // When the lock cannot be tested, keep the record: a placeholder left behind is the safe error.
  if (fcntl(live_fd, F_OFD_GETLK, &fl) < 0) return true;
  return fl.l_type != F_UNLCK;
}

bool record_alive(int live_fd, const Record& r) {
  if (r.pid <= 0) return false;
  if (r.locked) return lock_held(live_fd, r.pid);
  // An older launcher's record: only kill(pid, 0) is known (a reused pid keeps it, the safe way).
  return kill(static_cast<pid_t>(r.pid), 0) == 0 || errno != ESRCH;
}

// record_alive once per launcher (pid and record kind), not once per record: a launcher has a record
// per placeholder, and each F_OFD_GETLK walks every lock on the lock file (one per live launcher).
class Liveness {
 public:
  explicit Liveness(int live_fd) : live_fd_(live_fd) {}
  bool alive(const Record& r) {
    const long key = r.locked ? r.pid : -r.pid - 1;
    auto it = seen_.find(key);
    if (it != seen_.end()) return it->second;
    const bool a = record_alive(live_fd_, r);
    seen_.emplace(key, a);
    return a;
  }

 private:
  int live_fd_;
  std::unordered_map<long, bool> seen_;
};

// Closes fd after a failed read or write without losing that call's errno; returns false.
bool close_keeping_errno(int fd) {
  int err = errno;
  close(fd);
  errno = err;
  return false;
}

// Reads the table; a missing table is empty. Returns false (errno or EINVAL) on failure.
bool read_table(int dir_fd, std::vector<Record>* out) {
  out->clear();
  int fd = openat(dir_fd, kTable, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return errno == ENOENT;
  std::string data;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return close_keeping_errno(fd);
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  size_t pos = 0;
  auto field = [&](std::string* value) {
    size_t nul = data.find('\0', pos);
    if (nul == std::string::npos) return false;
    value->assign(data, pos, nul - pos);
    pos = nul + 1;
    return true;
  };
  while (pos < data.size()) {
    std::string pid_text, origin, path;
    if (!field(&pid_text) || !field(&origin) || !field(&path)) break;
    const bool locked = !pid_text.empty() && pid_text[0] == kLockedPidPrefix;
    const char* digits = pid_text.c_str() + (locked ? 1 : 0);
    char* end = nullptr;
    long pid = strtol(digits, &end, 10);
    if (*digits < '0' || *digits > '9' || *end != '\0' || origin.size() != 1 ||
        (origin[0] != kOriginSynthetic && origin[0] != kOriginExisting) || path.empty() || path[0] != '/') {
      break;
    }
    out->push_back(Record{pid, origin[0], std::move(path), locked});
  }
  if (pos != data.size()) {
    errno = EINVAL;
    return false;
  }
  return true;
}

// Replaces the table atomically (write a new file, rename over): a launcher killed mid-write
// leaves the old table whole, never a truncated one that would forget a live sandbox's mount.
bool write_table(int dir_fd, const std::vector<Record>& records) {
  if (records.empty()) return unlinkat(dir_fd, kTable, 0) == 0 || errno == ENOENT;
  std::string data;
  for (const Record& r : records) {
    if (r.locked) data += kLockedPidPrefix;
    data += std::to_string(r.pid);
    data += '\0';
    data += r.origin;
    data += '\0';
    data += r.path;
    data += '\0';
  }
  int fd = openat(dir_fd, kTableNew, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return false;
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return close_keeping_errno(fd);
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (close(fd) < 0 && errno != EINTR) return false;
  return renameat(dir_fd, kTableNew, dir_fd, kTable) == 0;
}

class RegistryLock {
 public:
  explicit RegistryLock(int dir_fd) {
    fd_ = openat(dir_fd, kLockFile, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
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
        // ENOENT: someone removed it meanwhile (its directory was deleted): nothing is left to do,
        // and a warning would land on the stderr of an unrelated command.
        if (S_ISREG(st.st_mode) && st.st_size == 0) {
          if (unlinkat(dir_fd, component.c_str(), 0) < 0 && errno != ENOENT) warn_errno("registry: removing placeholder", path, errno);
        } else if (S_ISDIR(st.st_mode)) {
          // Fails with ENOTEMPTY if anything was put inside: then it is not a bare placeholder.
          if (unlinkat(dir_fd, component.c_str(), AT_REMOVEDIR) < 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT) {
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


// Removes the placeholders of `gone` records (ours at release, dead launchers' at any time) that
// bwrap created and that no record in `remaining` still uses. A launcher that was SIGKILLed never
// released its targets: without this its placeholder (say an empty `.git` in the workspace, which
// breaks git there) would stay on the host for good, and a later run would record it as existing.
// A target still in `remaining` is mounted in a live sandbox: unlinking that mount point would
// detach the protective mount inside its namespace.
void remove_unused_placeholders(const std::vector<Record>& gone, const std::vector<Record>& remaining) {
  std::unordered_set<std::string> in_use;
  for (const Record& r : remaining) in_use.insert(r.path);
  std::unordered_set<std::string> done;
  for (const Record& r : gone) {
    if (r.origin != kOriginSynthetic || in_use.count(r.path) != 0) continue;
    if (!done.insert(r.path).second) continue;
    remove_placeholder(r.path.c_str());
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
  out->path = dir;
}

void registry_register(Registry* reg, const std::vector<const char*>& targets) {
  if (targets.empty()) return;
  RegistryLock lock(reg->dir_fd);
  std::vector<Record> records;
  if (!read_table(reg->dir_fd, &records)) {
    if (errno == EINVAL) die_msg("registry: the table in %s is not in the expected format; remove that file (no sandbox may be running) and retry", reg->path.c_str());
    die_errno("registry: reading the table in", reg->path.c_str(), errno);
  }
  const long self = static_cast<long>(getpid());
  // Our own liveness lock, taken under the registry lock before any record of ours is written, so
  // no sweep can see our records without it. (flock and OFD locks are independent on Linux.)
  reg->live_fd = openat(reg->dir_fd, kLockFile, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (reg->live_fd < 0) die_errno("registry: opening", "lock", errno);
  struct flock own = {};
  own.l_type = F_WRLCK;
  own.l_whence = SEEK_SET;
  own.l_start = static_cast<off_t>(self);
  own.l_len = 1;
  if (fcntl(reg->live_fd, F_OFD_SETLK, &own) < 0) die_errno("registry: fcntl(F_OFD_SETLK) on", "lock", errno);
  std::vector<Record> live, dead;
  // A record with our pid was written before we registered: by a dead launcher whose pid we reuse.
  Liveness liveness(reg->live_fd);
  for (Record& r : records) (r.pid != self && liveness.alive(r) ? live : dead).push_back(std::move(r));
  remove_unused_placeholders(dead, live);
  const size_t before = live.size();
  for (const char* target : targets) {
    const std::string path(target);
    const Record* earlier = nullptr;
    for (const Record& r : live) {
      if (r.path == path && (earlier == nullptr || r.pid == self)) earlier = &r;
    }
    if (earlier != nullptr && earlier->pid == self) continue;  // listed twice: once is enough
    char origin;
    if (earlier != nullptr) {
      origin = earlier->origin;  // the first live registrant decided
    } else {
      // Absent now means bwrap will create a placeholder for it.
      struct stat st;
      origin = (lstat(target, &st) < 0 && errno == ENOENT) ? kOriginSynthetic : kOriginExisting;
    }
    live.push_back(Record{self, origin, path, true});
  }
  if (live.size() == before && dead.empty()) return;
  if (!write_table(reg->dir_fd, live)) die_errno("registry: writing the table in", reg->path.c_str(), errno);
}

void registry_release(Registry* reg, const std::vector<const char*>& targets) {
  if (targets.empty()) return;
  RegistryLock lock(reg->dir_fd);
  std::vector<Record> records;
  if (!read_table(reg->dir_fd, &records)) {
    warn_errno("registry: reading the table in", reg->path.c_str(), errno);
    return;
  }
  const long self = static_cast<long>(getpid());
  std::vector<Record> remaining, gone;
  Liveness liveness(reg->live_fd);
  for (Record& r : records) (r.pid != self && liveness.alive(r) ? remaining : gone).push_back(std::move(r));
  remove_unused_placeholders(gone, remaining);
  if (!gone.empty() && !write_table(reg->dir_fd, remaining)) {
    warn_errno("registry: writing the table in", reg->path.c_str(), errno);
  }
}

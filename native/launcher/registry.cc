#include "registry.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "../common/sha256.h"
#include "fail.h"

namespace {

// ---- Format 3 ----------------------------------------------------------------------------------
// launchers-3/<pid>.<boottime-ns>   one file per live launcher: the NUL-terminated target paths it
//                                   registered; the launcher holds flock(LOCK_EX) on it for its
//                                   whole life, so "live" = the lock is held (flock(2)). A SIGKILLed
//                                   launcher's lock goes with its last fd; a reused pid holds none.
// paths-3/<sha256(path)>/           one directory per target in use or used recently; its sticky
//                                   bit is the origin while it is in use: set = bwrap created the
//                                   placeholder (synthetic), clear = the target existed, decided by
//                                   the first registrant while none is live (a mode bit, not a marker
//                                   file: no extra create per launch). The last launcher out clears
//                                   the bit (before removing the placeholder) and keeps the directory:
//                                   the next launch of the same workspace neither creates nor removes
//                                   it (issue #15: mkdir + rmdir of 8 targets cost ~0.6 ms of CPU
//                                   per launch on ext4). Directories idle for kIdleAfterSeconds are
//                                   removed a few per launch, round-robin (kIdleSweepPerLaunch).
//   <launcher file name>            a hard link to that launcher's record file (same inode, so the
//                                   same lock): the launchers using this target
// A launch touches only its own targets' directories and stops scanning one at its first live
// entry, so its cost does not grow with the number of live sandboxes (issue #21: the single table
// of format 2 was read, pid-checked and rewritten whole on every launch, ~44 ms with 1,000 live).
// Dead launchers' files are swept a few per launch, round-robin (kSweepPerLaunch), and any dead
// entry met in a target's directory is dropped at once.
// Everything happens under flock() on `lock`, the lock every format takes, so older launchers'
// tables (below) are read and written consistently.
const char kLaunchers[] = "launchers-3";
const char kPaths[] = "paths-3";
constexpr mode_t kModeExisting = 0700;
constexpr mode_t kModeSynthetic = S_ISVTX | 0700;  // mkdir(2) keeps S_ISVTX whatever the umask
constexpr int kSweepPerLaunch = 4;
constexpr int kIdleSweepPerLaunch = 2;
constexpr time_t kIdleAfterSeconds = 600;
// Byte offsets in `lock` (whose contents no format reads) of the two sweep cursors.
constexpr off_t kLauncherCursorAt = 0;
constexpr off_t kIdleCursorAt = 8;
const char kLockFile[] = "lock";

// ---- Older formats (still honoured) ------------------------------------------------------------
// `table-2` (format 2) and `table` (format 1): records `[L]<pid>\0<origin>\0<path>\0`. A format-2
// launcher holds an OFD lock on byte <pid> of `lock` while its L-records exist; a bare pid is judged
// by kill(pid, 0). An older launcher reads only its own table, so a newer launcher that shares a
// target with a live older one also writes its own record there (and holds that format's liveness
// lock): otherwise the older launcher, exiting first, would remove a placeholder still mounted in
// the newer one's sandbox — unlink(2) of a mount point used in another mount namespace detaches it
// there (Linux >= 3.18, "Mount namespaces and unlink" in mount_namespaces(7)). Without such records
// (the usual case) the cost of the older tables is one failed open each.
constexpr char kOriginSynthetic = 's';
constexpr char kOriginExisting = 'e';
constexpr char kLockedPidPrefix = 'L';

struct Record {
  long pid;
  char origin;
  std::string path;
  bool locked;  // liveness = the OFD lock on byte <pid> of the lock file is held
};

struct OldTable {
  const char* name;
  const char* tmp_name;
  bool write_locked;  // our own records get the L prefix (format 2) or a bare pid (format 1)
  OldTable(const char* n, const char* tmp, bool locked) : name(n), tmp_name(tmp), write_locked(locked) {}
  bool exists = false;
  bool changed = false;
  std::vector<Record> live;
};

bool lock_held(int lock_fd, long pid) {
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = static_cast<off_t>(pid);
  fl.l_len = 1;
  // When the lock cannot be tested, keep the record: a placeholder left behind is the safe error.
  if (fcntl(lock_fd, F_OFD_GETLK, &fl) < 0) return true;
  return fl.l_type != F_UNLCK;
}

bool record_alive(int lock_fd, const Record& r) {
  if (r.pid <= 0) return false;
  if (r.locked) return lock_held(lock_fd, r.pid);
  // A format-1 record: only kill(pid, 0) is known (a reused pid keeps it, the safe way).
  return kill(static_cast<pid_t>(r.pid), 0) == 0 || errno != ESRCH;
}

// Closes fd after a failed read or write without losing that call's errno; returns false.
bool close_keeping_errno(int fd) {
  int err = errno;
  close(fd);
  errno = err;
  return false;
}

// Reads a whole small file at dir_fd/name into *data. False with errno on failure.
bool read_file_at(int dir_fd, const char* name, std::string* data) {
  data->clear();
  int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return false;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return close_keeping_errno(fd);
    if (n == 0) break;
    data->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

bool write_all(int fd, const std::string& data) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    p += n;
    left -= static_cast<size_t>(n);
  }
  return true;
}

// Parses an older table. Returns false (errno EINVAL) when it is not in the expected format.
bool parse_table(const std::string& data, std::vector<Record>* out) {
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

// Replaces a table atomically (write a new file, rename over): a launcher killed mid-write leaves
// the old table whole, never a truncated one that would forget a live sandbox's mount.
bool write_table(int dir_fd, const OldTable& t) {
  if (t.live.empty()) return unlinkat(dir_fd, t.name, 0) == 0 || errno == ENOENT;
  std::string data;
  for (const Record& r : t.live) {
    if (r.locked) data += kLockedPidPrefix;
    data += std::to_string(r.pid);
    data += '\0';
    data += r.origin;
    data += '\0';
    data += r.path;
    data += '\0';
  }
  int fd = openat(dir_fd, t.tmp_name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return false;
  if (!write_all(fd, data)) return close_keeping_errno(fd);
  if (close(fd) < 0 && errno != EINTR) return false;
  return renameat(dir_fd, t.tmp_name, dir_fd, t.name) == 0;
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
  int fd() const { return fd_; }

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


// Kernel directory records read with getdents64(2): lseek(2) to a d_off resumes a listing.
struct Dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

enum class EntryState { Live, Dead, Gone };

// A record file (or a hard link to one) is live while its launcher holds flock(LOCK_EX) on it.
// When the state cannot be read, it counts as live: a placeholder left behind is the safe error.
EntryState entry_state(int dir_fd, const char* name) {
  int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return errno == ENOENT ? EntryState::Gone : EntryState::Live;
  const int rc = flock(fd, LOCK_SH | LOCK_NB);
  close(fd);  // releases our test lock, if we got it
  return rc == 0 ? EntryState::Dead : EntryState::Live;
}

bool is_dot(const char* name) {
  return name[0] == '.';
}

std::string path_key(const std::string& path) {
  codex_sha256_ctx ctx;
  codex_sha256_init(&ctx);
  codex_sha256_update(&ctx, path.data(), path.size());
  uint8_t digest[32];
  codex_sha256_final(&ctx, digest);
  char hex[65];
  codex_sha256_hex(digest, hex);
  return std::string(hex);
}

// One locked registry operation: the format-3 directories, the older tables, and what they say.
class Op {
 public:
  Op(Registry* reg, int lock_fd, bool create) : reg_(reg), lock_fd_(lock_fd), self_(static_cast<long>(getpid())) {
    launchers_fd_ = open_subdir(kLaunchers, create);
    paths_fd_ = open_subdir(kPaths, create);
  }
  ~Op() {
    if (launchers_fd_ >= 0) close(launchers_fd_);
    if (paths_fd_ >= 0) close(paths_fd_);
  }
  Op(const Op&) = delete;
  Op& operator=(const Op&) = delete;

  bool ready() const { return launchers_fd_ >= 0 && paths_fd_ >= 0; }
  int launchers_fd() const { return launchers_fd_; }
  int paths_fd() const { return paths_fd_; }
  std::string where(const char* sub, const std::string& name) const { return reg_->path + "/" + sub + "/" + name; }

  // Reads the older tables (usually absent: one failed open each), keeps their live records and
  // collects the rest (dead launchers' and, at release, our own) in gone_. False with errno on failure.
  bool load_old_tables() {
    for (OldTable& t : tables_) {
      std::string data;
      if (!read_file_at(reg_->dir_fd, t.name, &data)) {
        if (errno == ENOENT) continue;
        failed_table_ = t.name;
        return false;
      }
      t.exists = true;
      std::vector<Record> records;
      if (!parse_table(data, &records)) {
        failed_table_ = t.name;
        return false;
      }
      std::unordered_map<long, bool> seen;  // liveness once per launcher, not once per record
      for (Record& r : records) {
        const long key = r.locked ? r.pid : -r.pid - 1;
        auto it = seen.find(key);
        const bool alive = r.pid != self_ && (it != seen.end() ? it->second : seen.emplace(key, record_alive(lock_fd_, r)).first->second);
        if (alive) {
          old_live_.insert(r.path);
          t.live.push_back(std::move(r));
        } else {
          t.changed = true;
          gone_.push_back(std::move(r));
        }
      }
    }
    return true;
  }
  const char* failed_table() const { return failed_table_; }

  // The origin a live older record gives path ('\0' when none).
  char old_origin(const std::string& path) const {
    if (old_live_.count(path) == 0) return '\0';
    for (const OldTable& t : tables_) {
      for (const Record& r : t.live) {
        if (r.path == path) return r.origin;
      }
    }
    return '\0';
  }

  // Adds our record for path to each older table that has a live record for it (see above).
  void add_old_records(const std::string& path, char origin) {
    if (old_live_.count(path) == 0) return;
    for (OldTable& t : tables_) {
      bool theirs = false;
      for (const Record& r : t.live) theirs = theirs || (r.path == path && r.pid != self_);
      if (!theirs) continue;
      if (t.write_locked) take_old_liveness_lock();
      t.live.push_back(Record{self_, origin, path, t.write_locked});
      t.changed = true;
    }
  }

  void mark_old_synthetic(const std::string& path) {
    for (OldTable& t : tables_) {
      for (Record& r : t.live) {
        if (r.path != path || r.origin == kOriginSynthetic) continue;
        r.origin = kOriginSynthetic;
        t.changed = true;
      }
    }
  }

  // Format 2 only reads table-2: between our registration and the moment bwrap has created the
  // placeholder, an older launcher registering the same absent target would record it as its own
  // synthetic placeholder and, exiting first, remove it from under our sandbox. A record there for
  // that window (dropped by registry_started) makes it inherit instead.
  void add_window_record(const std::string& path) {
    OldTable& t = tables_[0];
    take_old_liveness_lock();
    t.live.push_back(Record{self_, kOriginSynthetic, path, true});
    t.changed = true;
  }

  // At start: our own older-format records return only where a live older launcher shares the path;
  // dead launchers' records stay gone (finish_old_tables removes their unused placeholders).
  void keep_needed_own_records() {
    std::vector<Record> others;
    for (Record& r : gone_) {
      if (r.pid != self_) {
        others.push_back(std::move(r));
        continue;
      }
      if (old_live_.count(r.path) == 0) continue;
      for (OldTable& t : tables_) {
        if (t.write_locked == r.locked) t.live.push_back(r);
      }
    }
    gone_ = std::move(others);
  }

  // Writes changed older tables; then removes the placeholders of their gone records that no live
  // record of any format uses.
  void finish_old_tables(bool fatal) {
    for (OldTable& t : tables_) {
      if (!t.changed) continue;
      if (!write_table(reg_->dir_fd, t)) {
        const std::string file = reg_->path + "/" + t.name;
        if (fatal) die_errno("registry: writing", file.c_str(), errno);
        warn_errno("registry: writing", file.c_str(), errno);
      }
    }
    std::unordered_set<std::string> done;
    for (const Record& r : gone_) {
      if (r.origin != kOriginSynthetic || old_live_.count(r.path) != 0 || !done.insert(r.path).second) continue;
      if (in_use(r.path)) continue;
      remove_placeholder(r.path.c_str());
    }
  }

  // True when a live format-3 launcher uses path (dead entries met on the way are dropped).
  bool in_use(const std::string& path) {
    const std::string key = path_key(path);
    int dir = openat(paths_fd_, key.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0) return errno != ENOENT;
    const bool live = any_live(dir, key);
    close(dir);
    return live;
  }

  // Scans a target's directory for a live launcher entry, stopping at the first; unlinks dead
  // entries met before it (their launchers' files are swept later).
  bool any_live(int dir, const std::string& key) {
    if (lseek(dir, 0, SEEK_SET) < 0) return true;
    alignas(8) char buf[2048];
    for (;;) {
      const long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
      if (n < 0) {
        warn_errno("registry: listing", where(kPaths, key).c_str(), errno);
        return true;
      }
      if (n == 0) return false;
      for (long off = 0; off < n;) {
        const Dirent64* d = reinterpret_cast<const Dirent64*>(buf + off);
        off += d->d_reclen;
        if (is_dot(d->d_name)) continue;
        const EntryState state = entry_state(dir, d->d_name);
        if (state == EntryState::Live) return true;
        if (state == EntryState::Dead && unlinkat(dir, d->d_name, 0) < 0 && errno != ENOENT) {
          warn_errno("registry: removing", (where(kPaths, key) + "/" + d->d_name).c_str(), errno);
          return true;
        }
      }
    }
  }

  // After a launcher's entry for path went: when no live launcher of any format uses it any more,
  // drops the target's directory and removes the placeholder if bwrap created it.
  void finish_path(const std::string& path, const std::string& key) {
    int dir = openat(paths_fd_, key.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0) {
      if (errno != ENOENT) warn_errno("registry: opening", where(kPaths, key).c_str(), errno);
      return;
    }
    finish_path_at(dir, path, key);
  }

  // finish_path on the target's directory already open at dir (O_RDONLY); closes dir.
  void finish_path_at(int dir, const std::string& path, const std::string& key) {
    if (any_live(dir, key)) {
      close(dir);
      return;
    }
    struct stat st;
    // When the origin cannot be read, it counts as existing: a placeholder left behind is the safe error.
    const bool synthetic = fstat(dir, &st) == 0 && (st.st_mode & S_ISVTX) != 0;
    // Only older launchers still use it: the last of them removes it. One that joined after bwrap
    // created the placeholder recorded it as existing (`e`); tell it the truth, or the placeholder
    // (say an empty `.git` in the workspace) would stay on the host for good.
    const bool older_use_it = old_live_.count(path) != 0;
    if (older_use_it && synthetic) mark_old_synthetic(path);
    // The directory stays for the next launch, idle: its origin bit is cleared first, so that a kill
    // right after leaves "existing" behind (the placeholder stays: the safe error) rather than a
    // stale "synthetic" that would make the next registrant remove whatever is at the path by then.
    if (synthetic && fchmod(dir, kModeExisting) < 0) {
      warn_errno("registry: chmod", where(kPaths, key).c_str(), errno);
      close(dir);
      return;  // keep the placeholder
    }
    close(dir);
    if (synthetic && !older_use_it) remove_placeholder(path.c_str());
  }

  // Forgets a dead launcher: its entries, then (for each of its targets no one else uses) the
  // placeholder, then its record file.
  void drop_launcher(const char* name) {
    std::string data;
    if (!read_file_at(launchers_fd_, name, &data)) {
      if (errno != ENOENT) warn_errno("registry: reading", where(kLaunchers, name).c_str(), errno);
      return;
    }
    for (size_t pos = 0; pos < data.size();) {
      const size_t nul = data.find('\0', pos);
      if (nul == std::string::npos) break;  // a record cut short by a kill: it was never linked
      const std::string path = data.substr(pos, nul - pos);
      pos = nul + 1;
      const std::string key = path_key(path);
      int dir = openat(paths_fd_, key.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (dir < 0) continue;
      if (unlinkat(dir, name, 0) < 0 && errno != ENOENT) warn_errno("registry: removing", (where(kPaths, key) + "/" + name).c_str(), errno);
      close(dir);
      finish_path(path, key);
    }
    if (unlinkat(launchers_fd_, name, 0) < 0 && errno != ENOENT) warn_errno("registry: removing", where(kLaunchers, name).c_str(), errno);
  }

  // Both sweeps, a bounded amount of work per launch.
  void sweep_some() {
    sweep_launchers();
    sweep_idle_paths();
  }

  // Removes up to kIdleSweepPerLaunch target directories idle (empty, origin bit clear, nothing
  // linked or unlinked in them) for kIdleAfterSeconds, resuming where the previous launch stopped,
  // so paths-3 keeps only the targets used recently. rmdir(2) fails on a directory with entries
  // (live or dead launchers'); a sticky one (a registrant killed mid-way) is left to register_target.
  void sweep_idle_paths() {
    int64_t cursor = 0;
    if (pread(lock_fd_, &cursor, sizeof cursor, kIdleCursorAt) != static_cast<ssize_t>(sizeof cursor)) cursor = 0;
    int64_t next = cursor;
    if (lseek(paths_fd_, cursor, SEEK_SET) < 0) {
      next = 0;
      if (lseek(paths_fd_, 0, SEEK_SET) < 0) return;
    }
    struct timespec now = {};
    clock_gettime(CLOCK_REALTIME, &now);
    int checked = 0;
    alignas(8) char buf[1024];
    const long n = syscall(SYS_getdents64, paths_fd_, buf, sizeof buf);
    if (n <= 0) {
      next = 0;  // the end (or an error): start again from the top next time
    } else {
      for (long off = 0; off < n && checked < kIdleSweepPerLaunch;) {
        const Dirent64* d = reinterpret_cast<const Dirent64*>(buf + off);
        off += d->d_reclen;
        next = d->d_off;
        if (is_dot(d->d_name)) continue;
        checked += 1;
        struct stat st;
        if (fstatat(paths_fd_, d->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) continue;
        if ((st.st_mode & S_ISVTX) != 0 || now.tv_sec - st.st_mtime < kIdleAfterSeconds) continue;
        if (unlinkat(paths_fd_, d->d_name, AT_REMOVEDIR) < 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT) {
          warn_errno("registry: removing", where(kPaths, d->d_name).c_str(), errno);
        }
      }
    }
    if (next != cursor && pwrite(lock_fd_, &next, sizeof next, kIdleCursorAt) < 0) {
      warn_errno("registry: writing the sweep position to", (reg_->path + "/" + kLockFile).c_str(), errno);
    }
  }

  // Checks up to kSweepPerLaunch other launchers' record files, resuming where the previous launch
  // stopped (the listing offset is kept in the first 8 bytes of `lock`, which no format reads), so
  // every dead launcher is found within (live launchers / kSweepPerLaunch) launches at a constant
  // cost per launch.
  void sweep_launchers() {
    int64_t cursor = 0;
    if (pread(lock_fd_, &cursor, sizeof cursor, kLauncherCursorAt) != static_cast<ssize_t>(sizeof cursor)) cursor = 0;
    int64_t next = cursor;
    bool wrapped = cursor == 0;
    if (lseek(launchers_fd_, cursor, SEEK_SET) < 0) {
      wrapped = true;
      next = 0;
      if (lseek(launchers_fd_, 0, SEEK_SET) < 0) return;
    }
    int checked = 0;
    alignas(8) char buf[1024];
    while (checked < kSweepPerLaunch) {
      const long n = syscall(SYS_getdents64, launchers_fd_, buf, sizeof buf);
      if (n < 0) {
        warn_errno("registry: listing", (reg_->path + "/" + kLaunchers).c_str(), errno);
        return;
      }
      if (n == 0) {
        next = 0;
        if (wrapped || lseek(launchers_fd_, 0, SEEK_SET) < 0) break;
        wrapped = true;
        continue;
      }
      for (long off = 0; off < n && checked < kSweepPerLaunch;) {
        const Dirent64* d = reinterpret_cast<const Dirent64*>(buf + off);
        off += d->d_reclen;
        next = d->d_off;
        if (d->d_name[0] == '.' || reg_->own_name == d->d_name) continue;
        checked += 1;
        if (entry_state(launchers_fd_, d->d_name) == EntryState::Dead) drop_launcher(d->d_name);
      }
    }
    if (next != cursor && pwrite(lock_fd_, &next, sizeof next, kLauncherCursorAt) < 0) {
      warn_errno("registry: writing the sweep position to", (reg_->path + "/" + kLockFile).c_str(), errno);
    }
  }

 private:
  int open_subdir(const char* name, bool create) {
    int fd = openat(reg_->dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
      if (mkdirat(reg_->dir_fd, name, 0700) < 0 && errno != EEXIST) die_errno("registry: creating", (reg_->path + "/" + name).c_str(), errno);
      fd = openat(reg_->dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0 && create) die_errno("registry: opening", (reg_->path + "/" + name).c_str(), errno);
    if (fd < 0 && errno != ENOENT) warn_errno("registry: opening", (reg_->path + "/" + name).c_str(), errno);
    return fd;
  }

  // Format 2's liveness: an OFD lock on byte <pid> of `lock`, held until the launcher exits.
  void take_old_liveness_lock() {
    if (reg_->live_fd >= 0) return;
    reg_->live_fd = openat(reg_->dir_fd, kLockFile, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (reg_->live_fd < 0) die_errno("registry: opening", (reg_->path + "/" + kLockFile).c_str(), errno);
    struct flock own = {};
    own.l_type = F_WRLCK;
    own.l_whence = SEEK_SET;
    own.l_start = static_cast<off_t>(self_);
    own.l_len = 1;
    if (fcntl(reg_->live_fd, F_OFD_SETLK, &own) < 0) die_errno("registry: fcntl(F_OFD_SETLK) on", (reg_->path + "/" + kLockFile).c_str(), errno);
  }

  Registry* reg_;
  int lock_fd_;
  long self_;
  int launchers_fd_ = -1;
  int paths_fd_ = -1;
  OldTable tables_[2] = {{"table-2", "table-2.new", true}, {"table", "table.new", false}};
  std::unordered_set<std::string> old_live_;
  std::vector<Record> gone_;
  const char* failed_table_ = "";
};

// The unique target paths, in order.
std::vector<std::string> unique_targets(const std::vector<const char*>& targets) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (const char* t : targets) {
    if (seen.insert(t).second) out.emplace_back(t);
  }
  return out;
}

// Creates this launcher's record file (exclusively, locked before anyone can look: every reader
// holds the registry lock we hold) with the target paths in it.
void create_own_record(Registry* reg, Op* op, const std::vector<std::string>& targets) {
  std::string data;
  for (const std::string& t : targets) {
    data += t;
    data += '\0';
  }
  for (int attempt = 0;; ++attempt) {
    struct timespec now = {};
    clock_gettime(CLOCK_BOOTTIME, &now);
    reg->own_name = std::to_string(static_cast<long>(getpid())) + "." +
                    std::to_string(static_cast<long long>(now.tv_sec) * 1000000000LL + now.tv_nsec + attempt);
    reg->own_fd = openat(op->launchers_fd(), reg->own_name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (reg->own_fd >= 0) break;
    if (errno != EEXIST || attempt >= 8) die_errno("registry: creating", op->where(kLaunchers, reg->own_name).c_str(), errno);
  }
  const std::string file = op->where(kLaunchers, reg->own_name);
  if (flock(reg->own_fd, LOCK_EX | LOCK_NB) < 0) die_errno("registry: flock", file.c_str(), errno);
  if (!write_all(reg->own_fd, data)) die_errno("registry: writing", file.c_str(), errno);
}

// Records one target for this launcher: its origin (the live registrants' if any, else decided
// now) and the link to our record file.
void register_target(Registry* reg, Op* op, const std::string& path) {
  const std::string key = path_key(path);
  const std::string dir_path = op->where(kPaths, key);
  // The origin if no live launcher has decided: a live older launcher's, or else absent now means
  // bwrap will create a placeholder for it.
  const char from_old = op->old_origin(path);
  auto decide = [&]() {
    struct stat target;
    if (from_old != '\0') return from_old;
    return (lstat(path.c_str(), &target) < 0 && errno == ENOENT) ? kOriginSynthetic : kOriginExisting;
  };
  char origin = decide();
  bool fresh = mkdirat(op->paths_fd(), key.c_str(), origin == kOriginSynthetic ? kModeSynthetic : kModeExisting) == 0;
  if (!fresh && errno != EEXIST) die_errno("registry: creating", dir_path.c_str(), errno);
  int dir = openat(op->paths_fd(), key.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0) die_errno("registry: opening", dir_path.c_str(), errno);
  struct stat st;
  if (fstat(dir, &st) < 0) die_errno("registry: fstat", dir_path.c_str(), errno);
  if (!fresh) {
    if (op->any_live(dir, key)) {
      origin = (st.st_mode & S_ISVTX) != 0 ? kOriginSynthetic : kOriginExisting;  // live registrants decided
    } else {
      // Every launcher that used it is dead (SIGKILLed): clean up after them, then decide afresh.
      if ((st.st_mode & S_ISVTX) != 0 && from_old == '\0') remove_placeholder(path.c_str());
      origin = decide();
      fresh = true;
    }
  }
  const mode_t want = origin == kOriginSynthetic ? kModeSynthetic : kModeExisting;
  if (fresh && (st.st_mode & 07777) != want && fchmod(dir, want) < 0) die_errno("registry: chmod", dir_path.c_str(), errno);
  if (fresh && from_old == '\0' && origin == kOriginSynthetic) {
    op->add_window_record(path);
    reg->window_records = true;
  }
  if (linkat(op->launchers_fd(), reg->own_name.c_str(), dir, reg->own_name.c_str(), 0) < 0) {
    die_errno("registry: linking our record into", dir_path.c_str(), errno);
  }
  close(dir);
  op->add_old_records(path, origin);
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
  Op op(reg, lock.fd(), true);
  if (!op.load_old_tables()) {
    const std::string file = reg->path + "/" + op.failed_table();
    if (errno == EINVAL) die_msg("registry: %s is not in the expected format; remove that file (no sandbox may be running) and retry", file.c_str());
    die_errno("registry: reading", file.c_str(), errno);
  }
  op.sweep_some();
  const std::vector<std::string> unique = unique_targets(targets);
  create_own_record(reg, &op, unique);
  for (const std::string& path : unique) register_target(reg, &op, path);
  op.finish_old_tables(true);
}

void registry_release(Registry* reg, const std::vector<const char*>& targets) {
  if (targets.empty() || reg->own_fd < 0) return;
  RegistryLock lock(reg->dir_fd);
  Op op(reg, lock.fd(), false);
  if (!op.ready()) return;
  const bool old_ok = op.load_old_tables();
  if (!old_ok) {
    // Without the older tables we cannot tell whether an older launcher still uses a target: keep
    // every placeholder, drop only our own records.
    warn_errno("registry: reading", (reg->path + "/" + op.failed_table()).c_str(), errno);
  }
  const std::vector<std::string> unique = unique_targets(targets);
  for (const std::string& path : unique) {
    const std::string key = path_key(path);
    // One open serves both steps (unlink our entry, then finish_path's scan): the same directory.
    int dir = openat(op.paths_fd(), key.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0) continue;
    if (unlinkat(dir, reg->own_name.c_str(), 0) < 0 && errno != ENOENT) {
      warn_errno("registry: removing", (op.where(kPaths, key) + "/" + reg->own_name).c_str(), errno);
    }
    if (old_ok) {
      op.finish_path_at(dir, path, key);
    } else {
      close(dir);
    }
  }
  if (unlinkat(op.launchers_fd(), reg->own_name.c_str(), 0) < 0 && errno != ENOENT) {
    warn_errno("registry: removing", op.where(kLaunchers, reg->own_name).c_str(), errno);
  }
  close(reg->own_fd);
  reg->own_fd = -1;
  if (old_ok) op.finish_old_tables(false);
}

void registry_started(Registry* reg) {
  if (!reg->window_records || reg->own_fd < 0) return;
  reg->window_records = false;
  RegistryLock lock(reg->dir_fd);
  Op op(reg, lock.fd(), false);
  if (!op.ready()) return;
  if (!op.load_old_tables()) {
    warn_errno("registry: reading", (reg->path + "/" + op.failed_table()).c_str(), errno);
    return;  // our records stay until release: the safe way
  }
  op.keep_needed_own_records();
  op.finish_old_tables(false);
}

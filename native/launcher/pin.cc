#include "pin.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <string>

#include "fail.h"

// Walks the absolute `path` one component at a time with O_PATH|O_NOFOLLOW (O_DIRECTORY for every
// directory on the way, and for the last one when final_dir): a symlink anywhere fails with
// ENOTDIR/ELOOP (or yields the link itself, O_PATH) instead of being followed — the swap race of
// CVE-2021-30465 (runc); openat(2), O_PATH and O_NOFOLLOW. Returns the fd, or -errno with the
// failing component in *bad.
int open_no_follow(const char* path, bool final_dir, std::string* bad) {
  int dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return -errno;
  std::string rest(path + 1);
  size_t start = 0;
  while (start < rest.size()) {
    size_t end = rest.find('/', start);
    if (end == std::string::npos) end = rest.size();
    std::string comp = rest.substr(start, end - start);
    const bool last = end >= rest.size() || rest.find_first_not_of('/', end) == std::string::npos;
    start = end + 1;
    if (comp.empty()) continue;
    if (comp == "." || comp == "..") {
      close(dirfd);
      *bad = comp;
      return -EINVAL;
    }
    int flags = O_PATH | O_NOFOLLOW | O_CLOEXEC | ((!last || final_dir) ? O_DIRECTORY : 0);
    int next = openat(dirfd, comp.c_str(), flags);
    int err = errno;
    close(dirfd);
    if (next < 0) {
      *bad = comp;
      return -err;
    }
    dirfd = next;
  }
  return dirfd;
}


int open_pinned_dir(const char* path, unsigned long long dev, unsigned long long ino) {
  if (path[0] != '/') die_msg("--pin: '%s' is not an absolute path", path);
  std::string bad;
  int fd = open_no_follow(path, true, &bad);
  if (fd < 0) {
    if (fd == -ENOTDIR || fd == -ELOOP) {
      die_at("--pin: opening the writable root", path, -fd,
             "writable root %s changed since it was planned: '%s' is no longer a directory (a symlink was put in its path?); nothing was run", path, bad.c_str());
    }
    die_errno("--pin: opening the writable root", path, -fd);
  }
  struct stat st;
  if (fstat(fd, &st) < 0) die_errno("--pin: fstat of", path, errno);
  if (static_cast<unsigned long long>(st.st_dev) != dev || static_cast<unsigned long long>(st.st_ino) != ino) {
    die_at("--pin: checking the writable root's identity", path, 0,
             "writable root %s changed since it was planned (device/inode %llu/%llu, planned %llu/%llu: it was replaced); nothing was run",
            path, static_cast<unsigned long long>(st.st_dev), static_cast<unsigned long long>(st.st_ino), dev, ino);
  }
  return fd;
}

void verify_planned_mount(const char* path, bool want_rw, unsigned long long dev, unsigned long long ino) {
  if (path[0] != '/') die_msg("--expect-rw/--expect-ro: '%s' is not an absolute path", path);
  std::string bad;
  int fd = open_no_follow(path, want_rw, &bad);
  if (fd < 0) {
    die_at("checking a planned mount", path, -fd,
           "the sandbox is not mounted as planned: %s cannot be reached without following a symlink ('%s': %s); a concurrent change of its path? nothing was run",
            path, bad.c_str(), strerror(-fd));
  }
  struct statvfs vfs;
  if (fstatvfs(fd, &vfs) < 0) die_errno("fstatvfs of", path, errno);
  const bool ro = (vfs.f_flag & ST_RDONLY) != 0;
  if (want_rw) {
    struct stat st;
    if (fstat(fd, &st) < 0) die_errno("fstat of", path, errno);
    if (ro || static_cast<unsigned long long>(st.st_dev) != dev || static_cast<unsigned long long>(st.st_ino) != ino) {
      die_at("checking a planned writable mount", path, 0,
             "the sandbox is not mounted as planned: writable root %s is %s; its bind was redirected (a concurrent change of its path?); nothing was run",
              path, ro ? "read-only" : "another directory");
    }
  } else if (!ro) {
    die_at("checking a planned read-only mount", path, 0,
           "the sandbox is not mounted as planned: %s should be read-only inside and is not (a concurrent change of its path?); nothing was run", path);
  }
  close(fd);
}

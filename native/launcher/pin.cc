#include "pin.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "fail.h"

int open_pinned_dir(const char* path, unsigned long long dev, unsigned long long ino) {
  if (path[0] != '/') die_msg("--pin: '%s' is not an absolute path", path);
  // A component-by-component walk with O_NOFOLLOW|O_DIRECTORY: a symlink anywhere in the path
  // fails with ENOTDIR/ELOOP instead of being followed (the swap race of CVE-2021-30465, runc;
  // openat(2), O_PATH and O_NOFOLLOW).
  int dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) die_errno("--pin: opening", "/", errno);
  std::string rest(path + 1);
  size_t start = 0;
  while (start < rest.size()) {
    size_t end = rest.find('/', start);
    if (end == std::string::npos) end = rest.size();
    std::string comp = rest.substr(start, end - start);
    start = end + 1;
    if (comp.empty()) continue;
    if (comp == "." || comp == "..") die_msg("--pin: '%s' is not a canonical path", path);
    int next = openat(dirfd, comp.c_str(), O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    int err = errno;
    close(dirfd);
    if (next < 0) {
      if (err == ENOTDIR || err == ELOOP) {
        die_msg("writable root %s changed since it was planned: '%s' is no longer a directory (a symlink was put in its path?); nothing was run", path, comp.c_str());
      }
      die_errno("--pin: opening the writable root", path, err);
    }
    dirfd = next;
  }
  struct stat st;
  if (fstat(dirfd, &st) < 0) die_errno("--pin: fstat of", path, errno);
  if (static_cast<unsigned long long>(st.st_dev) != dev || static_cast<unsigned long long>(st.st_ino) != ino) {
    die_msg("writable root %s changed since it was planned (device/inode %llu/%llu, planned %llu/%llu: it was replaced); nothing was run",
            path, static_cast<unsigned long long>(st.st_dev), static_cast<unsigned long long>(st.st_ino), dev, ino);
  }
  return dirfd;
}

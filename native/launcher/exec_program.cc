#include "exec_program.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/bwrap_digest.h"
#include "../common/sha256.h"
#include "fail.h"

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef SYS_execveat
#define SYS_execveat 322
#endif

extern char** environ;

void exec_command_or_exit(const char* program, char* const argv[]) {
  execvp(program, argv);
  int err = errno;
  // execve(2) gives EACCES for a directory; say what a shell says (bash: "Is a directory", 126).
  struct stat st;
  if (err == EACCES && strchr(program, '/') != nullptr && stat(program, &st) == 0 && S_ISDIR(st.st_mode)) err = EISDIR;
  if (err == E2BIG) {
    dprintf(STDERR_FILENO,
            "codex-sandbox: %s: %s (the kernel's execve(2) limits: one argument or variable at most "
            "MAX_ARG_STRLEN, 128 KiB with 4 KiB pages; arguments and environment together at most ARG_MAX, a quarter "
            "of the stack limit); pass large data through a file or stdin\n",
            program, strerror(err));
  } else {
    dprintf(STDERR_FILENO, "codex-sandbox: %s: %s\n", program, strerror(err));
  }
  _exit(err == ENOENT || err == ENOTDIR ? kExitNotFound : kExitNotExecutable);
}

int open_verified_bwrap(const char* path) {
  int fd;
  do {
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) die_errno("opening bundled bubblewrap", path, errno);
  const char* expected = codex_expected_bwrap_sha256();
  if (expected == nullptr) return fd;  // development build: no digest compiled in
  uint8_t digest[32];
  int rc = codex_sha256_fd(fd, digest);
  if (rc < 0) die_errno("reading bundled bubblewrap", path, -rc);
  char actual[65];
  codex_sha256_hex(digest, actual);
  if (strcmp(actual, expected) != 0) {
    die_msg("bundled bubblewrap digest mismatch for %s: expected sha256:%s, got sha256:%s", path, expected, actual);
  }
  return fd;
}

int take_sealed_bwrap_fd(const char* text) {
  char* end = nullptr;
  errno = 0;
  const long value = text != nullptr ? strtol(text, &end, 10) : -1;
  if (text == nullptr || errno != 0 || end == text || *end != '\0' || value <= STDERR_FILENO || value > 65535) {
    die_msg("--sealed-bwrap-fd: invalid fd '%s' (an fd above stderr)", text != nullptr ? text : "");
  }
  const int fd = static_cast<int>(value);
  // Only a copy sealed against every change is executed unhashed: seals belong to the file itself,
  // so no other fd or mapping of it (a writer the caller leaked, /proc/PID/fd reopened) can change
  // the checked bytes before bwrap runs from them (memfd_create(2), fcntl(2) "File Sealing"). Any
  // other file could be rewritten after it was checked: that one is refused, not hashed here.
  const int needed = F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
  const int seals = fcntl(fd, F_GET_SEALS);
  if (seals < 0) die_errno("--sealed-bwrap-fd: fcntl(F_GET_SEALS) (not a sealed memfd?) of fd", text, errno);
  if ((seals & needed) != needed) {
    die_msg("--sealed-bwrap-fd: fd %s is not sealed against writes, shrinking, growing and new seals (seals 0x%x); pass a "
            "sealed memfd copy of the bundled bwrap or leave the option out",
            text, static_cast<unsigned>(seals));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) die_errno("--sealed-bwrap-fd: fstat of fd", text, errno);
  if (!S_ISREG(st.st_mode)) die_msg("--sealed-bwrap-fd: fd %s is not a regular file", text);
  // Never passed on by an exec: bwrap runs from it (execveat applies CLOEXEC after opening it).
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) die_errno("--sealed-bwrap-fd: fcntl(F_SETFD) of fd", text, errno);
  return fd;
}

void exec_bwrap(const char* path, int verified_fd, char* const argv[]) {
  if (verified_fd < 0) {
    execv(path, argv);
    return;
  }
  // Executing the descriptor that was hashed (not the path) means a binary swapped in after the
  // check cannot run in its place.
  syscall(SYS_execveat, verified_fd, "", argv, environ, AT_EMPTY_PATH);
  if (errno != ENOSYS) return;
  char proc_path[64];
  snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", verified_fd);
  // The fd is CLOEXEC, which execve only applies after it has opened the binary: this still works.
  execv(proc_path, argv);
}

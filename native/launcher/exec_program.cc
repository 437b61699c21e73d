#include "exec_program.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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

#include "exec_program.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/bwrap_digest.h"
#include "../common/raw_syscall.h"
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

namespace {

// codex_sha256_fd's steps, each a raw system call (raw_syscall.h), so that errno and every other
// piece of the C library's state stay untouched: for the CLONE_VM helper below, which shares the
// launcher's memory and TLS. A populated read-only mapping of the whole regular file (pread in
// 8 KiB pieces for whatever it did not cover), from offset 0 to EOF. Returns 0 or a negative errno.
int sha256_fd_raw(int fd, uint8_t out[32]) {
  codex_sha256_ctx ctx;
  codex_sha256_init(&ctx);
  struct stat st;
  long rc = codex_raw_syscall6(SYS_fstat, fd, reinterpret_cast<long>(&st), 0, 0, 0, 0);
  if (rc < 0) return static_cast<int>(rc);
  off_t done = 0;
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    rc = codex_raw_syscall6(SYS_mmap, 0, static_cast<long>(st.st_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    // A file truncated while it is hashed raises SIGBUS in the hashing process (fails closed).
    if (rc >= 0 || rc < -4095) {
      codex_sha256_update(&ctx, reinterpret_cast<const void*>(rc), static_cast<size_t>(st.st_size));
      codex_raw_syscall6(SYS_munmap, rc, static_cast<long>(st.st_size), 0, 0, 0, 0);
      done = st.st_size;
    }
  }
  uint8_t buf[8192];
  for (;;) {
    const long n = codex_raw_syscall6(SYS_pread64, fd, reinterpret_cast<long>(buf), sizeof buf, static_cast<long>(done), 0, 0);
    if (n == -EINTR) continue;
    if (n < 0) return static_cast<int>(n);
    if (n == 0) break;
    codex_sha256_update(&ctx, buf, static_cast<size_t>(n));
    done += n;
  }
  codex_sha256_final(&ctx, out);
  return 0;
}

alignas(64) char g_hash_stack[64 * 1024];

// The helper shares the launcher's memory and fd table (clone(2) CLONE_VM | CLONE_FILES, not a
// thread: no stack to map, no TLS to set up, ~0.2 ms less CPU than pthread_create here), so it makes
// only raw system calls (sha256_fd_raw: errno, the launcher's thread-local, is its memory too)
// and writes only *check's result fields, which the launcher reads after reaping it.
int hash_helper_main(void* arg) {
  BwrapCheck* check = static_cast<BwrapCheck*>(arg);
  // A launcher that dies (a set-up failure's exit 125) takes the helper with it.
  codex_raw_syscall6(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0, 0);
  check->result = sha256_fd_raw(check->fd, check->digest);
  for (;;) codex_raw_syscall6(SYS_exit, 0, 0, 0, 0, 0, 0);
}

}  // namespace

void start_bwrap_check(const char* path, BwrapCheck* check) {
  check->path = path;
  do {
    check->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  } while (check->fd < 0 && errno == EINTR);
  if (check->fd < 0) die_errno("opening bundled bubblewrap", path, errno);
  if (codex_expected_bwrap_sha256() == nullptr) return;  // development build: no digest compiled in
  check->hashing = true;
  // Exit signal 0 (reaped with __WCLONE): no SIGCHLD for the supervisor's signalfd to see. The
  // supervised signals are blocked (main), and the helper inherits that mask.
  check->helper = clone(hash_helper_main, g_hash_stack + sizeof g_hash_stack, CLONE_VM | CLONE_FILES | CLONE_FS, check);
  if (check->helper < 0) check->result = sha256_fd_raw(check->fd, check->digest);
}

bool finish_bwrap_check(BwrapCheck* check, int* fd) {
  if (check->helper > 0) {
    int status = 0;
    pid_t done;
    while ((done = waitpid(check->helper, &status, __WCLONE)) < 0 && errno == EINTR) {
    }
    if (done != check->helper) die_errno("waiting for the hash of bundled bubblewrap", check->path, errno);
    check->helper = -1;
    // Killed (a SIGBUS: the file was truncated under the mapping): no digest, nothing runs.
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) check->result = -EIO;
  }
  *fd = check->fd;
  if (!check->hashing) return true;
  if (check->result < 0) return false;
  codex_sha256_hex(check->digest, check->actual);
  return strcmp(check->actual, codex_expected_bwrap_sha256()) == 0;
}

void die_bwrap_check(const BwrapCheck& check) {
  if (check.result < 0) die_errno("reading bundled bubblewrap", check.path, -check.result);
  die_msg("bundled bubblewrap digest mismatch for %s: expected sha256:%s, got sha256:%s", check.path,
          codex_expected_bwrap_sha256(), check.actual);
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

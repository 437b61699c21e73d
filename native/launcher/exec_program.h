// Exec helpers: the user command (shell-like exit codes) and bubblewrap (by path or verified fd).
#ifndef CODEX_SANDBOX_LAUNCHER_EXEC_PROGRAM_H
#define CODEX_SANDBOX_LAUNCHER_EXEC_PROGRAM_H

constexpr int kExitNotFound = 127;
constexpr int kExitNotExecutable = 126;

// execvp(program, argv) with PATH search; on failure prints "codex-sandbox: PROGRAM: <strerror>"
// and exits 127 (ENOENT/ENOTDIR) or 126 (anything else), as a shell does.
[[noreturn]] void exec_command_or_exit(const char* program, char* const argv[]);

#include <stdint.h>
#include <sys/types.h>

// The check of the bundled bwrap (--bwrap-verified): opened O_RDONLY|O_CLOEXEC, hashed through that
// fd and compared with the digest compiled into the launcher (skipped for a development build).
struct BwrapCheck {
  const char* path = nullptr;
  int fd = -1;
  bool hashing = false;  // a digest is compiled in: the fd is being (or was) hashed
  pid_t helper = -1;     // the process hashing it, until finish_bwrap_check has reaped it
  int result = 0;        // 0, or the hash's negative errno (-EIO when the helper was killed)
  uint8_t digest[32] = {};
  char actual[65] = {};
};

// Opens path (exits 125 naming it when that fails: nothing else has been done yet) and starts
// hashing that fd in a helper process sharing the launcher's memory, so the hash (~1 ms for the
// ~1 MB binary) overlaps the rest of the set-up on a second core; hashes in the caller when no
// helper can be started.
void start_bwrap_check(const char* path, BwrapCheck* check);

// Waits for the hash. True when the digest matched (or none is compiled in): *fd is the fd that was
// hashed, the one bwrap must run from. False: the caller undoes its set-up, then die_bwrap_check.
bool finish_bwrap_check(BwrapCheck* check, int* fd);

// Exits 125: "bundled bubblewrap digest mismatch for PATH: expected sha256:..., got sha256:..." or
// the read error.
[[noreturn]] void die_bwrap_check(const BwrapCheck& check);

// `--sealed-bwrap-fd N`: the caller's copy of the bundled bwrap in a memfd sealed against every
// change (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), whose bytes the caller has
// already checked against the same compiled-in digest (src/launch/sealed-bwrap.ts). Exits 125 for
// an fd that is not such a memfd. Returns it, CLOEXEC, to be used in place of finish_bwrap_check's fd.
// (The launcher is no privilege boundary against its caller, which could run any bwrap itself;
// the digest guards against a binary on disk that a sandboxed command replaced.)
int take_sealed_bwrap_fd(const char* text);

// Executes bwrap: through verified_fd (execveat AT_EMPTY_PATH, falling back to /proc/self/fd/N)
// when verified_fd >= 0, else by path. Only returns on failure (errno set).
void exec_bwrap(const char* path, int verified_fd, char* const argv[]);

#endif

// Exec helpers: the user command (shell-like exit codes) and bubblewrap (by path or verified fd).
#ifndef CODEX_SANDBOX_LAUNCHER_EXEC_PROGRAM_H
#define CODEX_SANDBOX_LAUNCHER_EXEC_PROGRAM_H

constexpr int kExitNotFound = 127;
constexpr int kExitNotExecutable = 126;

// execvp(program, argv) with PATH search; on failure prints "codex-sandbox: PROGRAM: <strerror>"
// and exits 127 (ENOENT/ENOTDIR) or 126 (anything else), as a shell does.
[[noreturn]] void exec_command_or_exit(const char* program, char* const argv[]);

// Opens the bundled bwrap O_RDONLY|O_CLOEXEC, hashes it through that fd and compares with the
// digest compiled into the launcher (skipped for a development build). Exits 125 on mismatch
// ("bundled bubblewrap digest mismatch ...") or open/read failure. Returns the open fd.
int open_verified_bwrap(const char* path);

// `--sealed-bwrap-fd N`: the caller's copy of the bundled bwrap in a memfd sealed against every
// change (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), whose bytes the caller has
// already checked against the same compiled-in digest (src/launch/sealed-bwrap.ts). Exits 125 for
// an fd that is not such a memfd. Returns it, CLOEXEC, to be used as open_verified_bwrap's result.
// (The launcher is no privilege boundary against its caller, which could run any bwrap itself;
// the digest guards against a binary on disk that a sandboxed command replaced.)
int take_sealed_bwrap_fd(const char* text);

// Executes bwrap: through verified_fd (execveat AT_EMPTY_PATH, falling back to /proc/self/fd/N)
// when verified_fd >= 0, else by path. Only returns on failure (errno set).
void exec_bwrap(const char* path, int verified_fd, char* const argv[]);

#endif

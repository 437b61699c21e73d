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

// Executes bwrap: through verified_fd (execveat AT_EMPTY_PATH, falling back to /proc/self/fd/N)
// when verified_fd >= 0, else by path. Only returns on failure (errno set).
void exec_bwrap(const char* path, int verified_fd, char* const argv[]);

#endif

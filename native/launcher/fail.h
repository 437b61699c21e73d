// Setup failures: one line on stderr starting with "codex-sandbox: " naming the step, the path and
// strerror(errno), then exit 125 (the launcher's own failure, distinct from the command's status).
#ifndef CODEX_SANDBOX_LAUNCHER_FAIL_H
#define CODEX_SANDBOX_LAUNCHER_FAIL_H

constexpr int kExitSetupFailure = 125;

// "codex-sandbox: <step> <path>: <strerror(err)>" (path omitted when nullptr), exit 125.
[[noreturn]] void die_errno(const char* step, const char* path, int err);

// "codex-sandbox: <message>", exit 125. printf-style.
[[noreturn]] void die_msg(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Same line without exiting (cleanup warnings).
void warn_errno(const char* step, const char* path, int err);

#endif

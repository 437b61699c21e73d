// Setup failures: exit 125 (the launcher's own failure, distinct from the command's status) after
// reporting what failed. With a status fd (the outer stage's `--status-fd N`, the inner stage's
// started pipe) the report is one record on that fd; without one, or if the record cannot be
// written, it is one line on stderr starting with "codex-sandbox: " naming the step, the path and
// strerror(errno).
//
// The record (kept under PIPE_BUF, so one write(2) delivers it whole):
//   'E' STEP '\0' PATH '\0' ERRNO-IN-DECIMAL '\0' MESSAGE '\0'
// PATH is empty and ERRNO 0 when they do not apply. The status fd is CLOEXEC, so the exec of the
// command closes it: a reader that sees EOF with nothing written knows the command started.
#ifndef CODEX_SANDBOX_LAUNCHER_FAIL_H
#define CODEX_SANDBOX_LAUNCHER_FAIL_H

#include <stddef.h>

constexpr int kExitSetupFailure = 125;
constexpr char kStatusRecordTag = 'E';

// Where failures are reported from now on (-1: stderr only). `stage` names the step of a die_msg
// failure ("launcher", "inner stage").
void set_status_fd(int fd, const char* stage);
int status_fd();

// "codex-sandbox: <step> <path>: <strerror(err)>" (path omitted when nullptr), exit 125.
[[noreturn]] void die_errno(const char* step, const char* path, int err);

// "codex-sandbox: <message>", exit 125. printf-style.
[[noreturn]] void die_msg(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// A set-up failure of a named step (e.g. "bubblewrap") on a path (or nullptr), not a system call's:
// the record carries STEP, PATH, 0 and the message; on stderr it reads
// "codex-sandbox: the sandbox could not be set up: <message>". Exit 125. printf-style.
[[noreturn]] void die_setup(const char* step, const char* path, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

// "codex-sandbox: <message>" like die_msg, but the record names the step, the path and errno (0 when
// the failure is not a system call's). Exit 125. printf-style.
[[noreturn]] void die_at(const char* step, const char* path, int err, const char* fmt, ...) __attribute__((format(printf, 4, 5)));

// Same line without exiting (cleanup warnings); always stderr.
void warn_errno(const char* step, const char* path, int err);

// Writes a record as received from the inner stage (already framed) to the status fd, or its message
// to stderr without one. Used by the outer stage to pass the inner stage's failure on.
void forward_status_record(const char* record, size_t len);

#endif

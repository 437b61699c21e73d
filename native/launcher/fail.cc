#include "fail.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

namespace {

int g_status_fd = -1;
const char* g_stage = "launcher";

// Appends s (or "") and its NUL, truncated so the record stays within cap.
void append_field(char* buf, size_t cap, size_t* len, const char* s) {
  const char* text = s != nullptr ? s : "";
  size_t n = strlen(text);
  if (*len >= cap) return;
  if (n > cap - *len - 1) n = cap - *len - 1;
  memcpy(buf + *len, text, n);
  *len += n;
  buf[(*len)++] = '\0';
}

bool write_all(int fd, const char* buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

// One record, under PIPE_BUF (4096) so it arrives in one piece. False if there is no status fd or
// the write failed (the caller then prints to stderr).
bool write_record(const char* step, const char* path, int err, const char* message) {
  if (g_status_fd < 0) return false;
  char buf[4000];
  size_t len = 0;
  buf[len++] = kStatusRecordTag;
  char errno_text[16];
  snprintf(errno_text, sizeof errno_text, "%d", err);
  // Message and errno are kept whole; step and path get what is left (each at most 1 KiB).
  append_field(buf, 1024, &len, step);
  append_field(buf, len + 1024, &len, path);
  append_field(buf, sizeof buf - 1, &len, errno_text);
  append_field(buf, sizeof buf, &len, message);
  return write_all(g_status_fd, buf, len);
}

void format_errno_line(char* buf, size_t cap, const char* step, const char* path, int err) {
  if (path != nullptr) {
    snprintf(buf, cap, "%s %s: %s", step, path, strerror(err));
  } else {
    snprintf(buf, cap, "%s: %s", step, strerror(err));
  }
}

}  // namespace

void set_status_fd(int fd, const char* stage) {
  g_status_fd = fd;
  if (stage != nullptr) g_stage = stage;
}

int status_fd() { return g_status_fd; }

void warn_errno(const char* step, const char* path, int err) {
  char line[3072];
  format_errno_line(line, sizeof line, step, path, err);
  dprintf(STDERR_FILENO, "codex-sandbox: %s\n", line);
}

void die_errno(const char* step, const char* path, int err) {
  char line[3072];
  format_errno_line(line, sizeof line, step, path, err);
  if (!write_record(step, path, err, line)) dprintf(STDERR_FILENO, "codex-sandbox: %s\n", line);
  _exit(kExitSetupFailure);
}

void die_msg(const char* fmt, ...) {
  char buf[3072];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (!write_record(g_stage, "", 0, buf)) dprintf(STDERR_FILENO, "codex-sandbox: %s\n", buf);
  _exit(kExitSetupFailure);
}

void die_setup(const char* step, const char* path, const char* fmt, ...) {
  char buf[3072];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (!write_record(step, path, 0, buf)) dprintf(STDERR_FILENO, "codex-sandbox: the sandbox could not be set up: %s\n", buf);
  _exit(kExitSetupFailure);
}

void die_at(const char* step, const char* path, int err, const char* fmt, ...) {
  char buf[3072];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (!write_record(step, path, err, buf)) dprintf(STDERR_FILENO, "codex-sandbox: %s\n", buf);
  _exit(kExitSetupFailure);
}

void forward_status_record(const char* record, size_t len) {
  if (g_status_fd >= 0 && write_all(g_status_fd, record, len)) return;
  // No status fd: print the message field (the fourth), as the inner stage would have.
  const char* end = record + len;
  const char* field = record + 1;
  for (int skipped = 0; skipped < 3 && field < end; ++skipped) {
    const void* nul = memchr(field, '\0', static_cast<size_t>(end - field));
    field = nul != nullptr ? static_cast<const char*>(nul) + 1 : end;
  }
  if (field < end) dprintf(STDERR_FILENO, "codex-sandbox: %.*s\n", static_cast<int>(strnlen(field, static_cast<size_t>(end - field))), field);
}

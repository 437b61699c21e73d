#include "fail.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void warn_errno(const char* step, const char* path, int err) {
  if (path != nullptr) {
    dprintf(STDERR_FILENO, "codex-sandbox: %s %s: %s\n", step, path, strerror(err));
  } else {
    dprintf(STDERR_FILENO, "codex-sandbox: %s: %s\n", step, strerror(err));
  }
}

void die_errno(const char* step, const char* path, int err) {
  warn_errno(step, path, err);
  _exit(kExitSetupFailure);
}

void die_msg(const char* fmt, ...) {
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  dprintf(STDERR_FILENO, "codex-sandbox: %s\n", buf);
  _exit(kExitSetupFailure);
}

#include "payload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fail.h"

namespace {
// A payload is an argv: cap it the way the kernel caps argv+envp (ARG_MAX-ish) to bound memory.
constexpr size_t kMaxPayload = 32u << 20;
}  // namespace

std::vector<char*> read_payload_args(int fd) {
  size_t cap = 16384, len = 0;
  char* buf = static_cast<char*>(malloc(cap));
  if (buf == nullptr) die_errno("reading the payload: malloc", nullptr, ENOMEM);
  for (;;) {
    if (len == cap) {
      if (cap >= kMaxPayload) die_msg("payload on fd %d exceeds %zu bytes", fd, kMaxPayload);
      cap *= 2;
      char* grown = static_cast<char*>(realloc(buf, cap));
      if (grown == nullptr) die_errno("reading the payload: realloc", nullptr, ENOMEM);
      buf = grown;
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      char what[64];
      snprintf(what, sizeof what, "fd %d", fd);
      die_errno("reading the payload from", what, errno);
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  if (close(fd) < 0 && errno != EINTR) die_errno("closing the payload fd", nullptr, errno);
  if (len > 0 && buf[len - 1] != '\0') {
    die_msg("payload on fd %d does not end with a NUL byte (each argument must be NUL-terminated)", fd);
  }
  std::vector<char*> args;
  size_t start = 0;
  for (size_t i = 0; i < len; ++i) {
    if (buf[i] == '\0') {
      args.push_back(buf + start);
      start = i + 1;
    }
  }
  return args;  // buf intentionally lives until exec/exit
}

const char kEnvArgsName[] = "CODEX_SANDBOX_LAUNCHER_ARGS";

std::vector<char*> read_env_args() {
  const char* value = getenv(kEnvArgsName);
  if (value == nullptr) die_msg("--env-args: %s is not set", kEnvArgsName);
  const size_t len = strlen(value);
  if (len > kMaxPayload) die_msg("--env-args: %s exceeds %zu bytes", kEnvArgsName, kMaxPayload);
  return decode_records(value, len, kEnvArgsName);
}

std::vector<char*> decode_records(const char* value, size_t len, const char* what) {
  // Each record becomes a NUL-terminated copy; the copy is never larger than the value itself.
  char* buf = static_cast<char*>(malloc(len + 1));
  if (buf == nullptr) die_errno("decoding records: malloc", what, ENOMEM);
  std::vector<char*> args;
  size_t in = 0, out = 0;
  while (in < len) {
    size_t n = 0;
    size_t digits = 0;
    while (in < len && value[in] >= '0' && value[in] <= '9' && digits < 9) {
      n = n * 10 + static_cast<size_t>(value[in] - '0');
      ++in;
      ++digits;
    }
    if (digits == 0 || in >= len || value[in] != ':') die_msg("%s is malformed at byte %zu (expected <length>:)", what, in);
    ++in;
    if (n > len - in) die_msg("%s is malformed: a record of %zu bytes runs past its end", what, n);
    memcpy(buf + out, value + in, n);
    buf[out + n] = '\0';
    args.push_back(buf + out);
    in += n;
    out += n + 1;
  }
  return args;  // buf intentionally lives until exec/exit
}

void drop_env_args() {
  if (unsetenv(kEnvArgsName) < 0) die_errno("unsetenv", kEnvArgsName, errno);
}

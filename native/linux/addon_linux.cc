#include "addon_linux.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "../common/bwrap_digest.h"
#include "../common/napi_errors.h"
#include "../common/sha256.h"
#include "landlock.h"
#include "seccomp_filter.h"

namespace {

// seccompFilter(mode: 'base' | 'restricted'): Buffer — the BPF program the launcher installs.
Napi::Value SeccompFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CodexSeccompMode mode;
  if (info.Length() < 1 || !info[0].IsString() ||
      codex_seccomp_parse_mode(info[0].As<Napi::String>().Utf8Value().c_str(), &mode) != 0) {
    Napi::TypeError::New(env, "seccompFilter: mode must be 'base' or 'restricted'")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const char* failed_call = "";
  int fd = codex_seccomp_export_memfd(mode, &failed_call);
  if (fd < 0) {
    ThrowErrnoError(env, failed_call, -fd, nullptr);
    return env.Undefined();
  }
  std::vector<char> bytes;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      ThrowErrnoError(env, "read", err, nullptr);
      return env.Undefined();
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), buf, buf + n);
  }
  close(fd);
  return Napi::Buffer<char>::Copy(env, bytes.data(), bytes.size());
}

// landlockAbi(): number — 0 when unavailable; never throws.
Napi::Value LandlockAbi(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), codex_landlock_abi());
}

// sha256File(path): string — hex digest, read through one O_RDONLY|O_CLOEXEC fd.
Napi::Value Sha256File(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "sha256File: path must be a string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  if (path.find('\0') != std::string::npos) {
    ThrowErrnoError(env, "open", EINVAL, path.c_str());
    return env.Undefined();
  }
  int fd;
  do {
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    ThrowErrnoError(env, "open", errno, path.c_str());
    return env.Undefined();
  }
  uint8_t digest[32];
  int rc = codex_sha256_fd(fd, digest);
  close(fd);
  if (rc < 0) {
    ThrowErrnoError(env, "read", -rc, path.c_str());
    return env.Undefined();
  }
  char hex[65];
  codex_sha256_hex(digest, hex);
  return Napi::String::New(env, hex);
}

// embeddedBwrapSha256(): string | null — null for a development build.
Napi::Value EmbeddedBwrapSha256(const Napi::CallbackInfo& info) {
  const char* digest = codex_expected_bwrap_sha256();
  if (digest == nullptr) return info.Env().Null();
  return Napi::String::New(info.Env(), digest);
}

}  // namespace

void InitLinux(Napi::Env env, Napi::Object exports) {
  exports.Set("seccompFilter", Napi::Function::New(env, SeccompFilter, "seccompFilter"));
  exports.Set("landlockAbi", Napi::Function::New(env, LandlockAbi, "landlockAbi"));
  exports.Set("sha256File", Napi::Function::New(env, Sha256File, "sha256File"));
  exports.Set("embeddedBwrapSha256",
              Napi::Function::New(env, EmbeddedBwrapSha256, "embeddedBwrapSha256"));
}

#include "addon_linux.h"

#include <errno.h>
#include <unistd.h>

#include <vector>

#include "../common/bwrap_digest.h"
#include "../common/napi_errors.h"
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
  exports.Set("embeddedBwrapSha256",
              Napi::Function::New(env, EmbeddedBwrapSha256, "embeddedBwrapSha256"));
}

// Registration only: each platform's exports live in their own files.
#include <napi.h>

#ifdef __linux__
#include "linux/addon_linux.h"
#endif

#ifdef _WIN32
#include "win/win_addon.h"
#endif

#ifndef CODEX_SANDBOX_ADDON_VERSION
#define CODEX_SANDBOX_ADDON_VERSION "0.1.0"
#endif

static Napi::Value AddonVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), CODEX_SANDBOX_ADDON_VERSION);
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("addonVersion", Napi::Function::New(env, AddonVersion, "addonVersion"));
#ifdef __linux__
  InitLinux(env, exports);
#endif
#ifdef _WIN32
  InitWin(env, exports);
#endif
  return exports;
}

NODE_API_MODULE(codex_sandbox, Init)

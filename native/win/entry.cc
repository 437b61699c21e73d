// Windows-only module entry for the standalone cross build (scripts/build-win.sh), so the Windows
// sources build without the Linux addon.cc. In the node-gyp build, native/addon.cc calls InitWin.
#include "win_addon.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("addonVersion", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Napi::String::New(info.Env(), "0.1.0");
  }));
  InitWin(env, exports);
  return exports;
}

NODE_API_MODULE(codex_sandbox, Init)

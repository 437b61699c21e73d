#include <napi.h>

static Napi::Value AddonVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), "0.1.0");
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("addonVersion", Napi::Function::New(env, AddonVersion));
  return exports;
}

NODE_API_MODULE(codex_sandbox, Init)

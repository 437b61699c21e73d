// N-API surface of the Windows backend: the self test and the ACL grants. The command itself is
// started by codex-sandbox-launcher.exe (launcher_main.cc). Functions take plain JS data computed by
// src/platforms/win32 (plan.ts → launch.ts) and throw Errors that name the Win32 call, the path
// and the Windows error code.
// win_internal.h first: it defines NOMINMAX / WIN32_LEAN_AND_MEAN before anything can pull in
// <windows.h> (napi.h or the standard library on MSVC).
#include "win_internal.h"

#include "win_addon.h"

namespace {

using cxsb::WinError;

Napi::Value ThrowWin(Napi::Env env, const WinError& e) {
  Napi::Error err = Napi::Error::New(env, cxsb::FormatWinError(e));
  err.Set("code", Napi::String::New(env, "WIN32_" + std::to_string(e.code)));
  err.Set("winError", Napi::Number::New(env, e.code));
  err.Set("syscall", Napi::String::New(env, e.what));
  if (!e.path.empty()) err.Set("path", Napi::String::New(env, e.path));
  err.ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value ThrowType(Napi::Env env, const std::string& msg) {
  Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
  return env.Undefined();
}

bool ReadString(Napi::Object o, const char* key, std::wstring* out) {
  Napi::Value v = o.Get(key);
  if (!v.IsString()) return false;
  *out = cxsb::Wide(v.As<Napi::String>().Utf8Value());
  return true;
}

bool ReadStringArray(Napi::Value v, std::vector<std::wstring>* out) {
  if (!v.IsArray()) return false;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsString()) return false;
    out->push_back(cxsb::Wide(e.As<Napi::String>().Utf8Value()));
  }
  return true;
}

// winSelfTest(): exercises token and job creation without starting anything. Used by the wine
// load test and `doctor`; wine does not enforce what these calls configure.
Napi::Value SelfTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  HANDLE t = nullptr;
  bool opened = OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &t) != 0;
  if (t) CloseHandle(t);
  out.Set("openToken", Napi::Boolean::New(env, opened));
  HANDLE rt = nullptr;
  WinError e = cxsb::CreateSandboxToken({L"S-1-5-21-1-2-3-4"}, &rt);
  out.Set("createRestrictedToken", Napi::Boolean::New(env, e.ok()));
  if (!e.ok()) out.Set("tokenError", Napi::String::New(env, cxsb::FormatWinError(e)));
  if (rt) CloseHandle(rt);
  std::wstring logon;
  e = cxsb::CurrentLogonSid(&logon);
  out.Set("logonSid", e.ok() && !logon.empty() ? Napi::Value(Napi::String::New(env, cxsb::Utf8(logon))) : env.Null());
  HANDLE job = nullptr;
  e = cxsb::CreateKillOnCloseJob(&job);
  out.Set("jobObject", Napi::Boolean::New(env, e.ok()));
  if (job) CloseHandle(job);
  return out;
}

// winApplyAcls({ grants: [{path, sid}], denies: [{path, sids}], nulSids: string[] | null })
//   → { changed: number, warnings: string[] }
Napi::Value ApplyAcls(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return ThrowType(env, "winApplyAcls: expected an options object");
  Napi::Object o = info[0].As<Napi::Object>();
  Napi::Value grantsV = o.Get("grants");
  Napi::Value deniesV = o.Get("denies");
  if (!grantsV.IsArray() || !deniesV.IsArray()) return ThrowType(env, "winApplyAcls: grants and denies must be arrays");
  uint32_t changed = 0;
  Napi::Array grants = grantsV.As<Napi::Array>();
  for (uint32_t i = 0; i < grants.Length(); i++) {
    if (!grants.Get(i).IsObject()) return ThrowType(env, "winApplyAcls: grants[] must be objects");
    Napi::Object g = grants.Get(i).As<Napi::Object>();
    std::wstring path, sid;
    if (!ReadString(g, "path", &path) || !ReadString(g, "sid", &sid)) return ThrowType(env, "winApplyAcls: grant needs path and sid strings");
    bool c = false;
    WinError e = cxsb::GrantWriteRoot(path, sid, &c);
    if (!e.ok()) return ThrowWin(env, e);
    changed += c ? 1 : 0;
  }
  Napi::Array denies = deniesV.As<Napi::Array>();
  for (uint32_t i = 0; i < denies.Length(); i++) {
    if (!denies.Get(i).IsObject()) return ThrowType(env, "winApplyAcls: denies[] must be objects");
    Napi::Object d = denies.Get(i).As<Napi::Object>();
    std::wstring path;
    std::vector<std::wstring> sids;
    if (!ReadString(d, "path", &path) || !ReadStringArray(d.Get("sids"), &sids)) return ThrowType(env, "winApplyAcls: deny needs path and sids");
    bool c = false;
    WinError e = cxsb::DenyWrite(path, sids, &c);
    if (!e.ok()) return ThrowWin(env, e);
    changed += c ? 1 : 0;
  }
  Napi::Array warnings = Napi::Array::New(env);
  std::vector<std::wstring> nulSids;
  if (ReadStringArray(o.Get("nulSids"), &nulSids) && !nulSids.empty()) {
    WinError e = cxsb::AllowNulDevice(nulSids);
    // Best effort: NUL usually already admits Everyone, a restricting SID of the token.
    if (!e.ok()) warnings.Set(warnings.Length(), Napi::String::New(env, cxsb::FormatWinError(e)));
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("changed", Napi::Number::New(env, changed));
  out.Set("warnings", warnings);
  return out;
}

// winRemoveAces({ path, sids, nulDevice }) → { removed: number }: `codex-sandbox cleanup`.
Napi::Value RemoveAces(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return ThrowType(env, "winRemoveAces: expected an options object");
  Napi::Object o = info[0].As<Napi::Object>();
  std::wstring path;
  std::vector<std::wstring> sids;
  bool nul = o.Get("nulDevice").IsBoolean() && o.Get("nulDevice").As<Napi::Boolean>().Value();
  if ((!nul && !ReadString(o, "path", &path)) || !ReadStringArray(o.Get("sids"), &sids) || sids.empty()) {
    return ThrowType(env, "winRemoveAces: needs path (or nulDevice: true) and a non-empty sids array");
  }
  unsigned removed = 0;
  WinError e = cxsb::RemoveSandboxAces(path, sids, nul, &removed);
  if (!e.ok()) return ThrowWin(env, e);
  Napi::Object out = Napi::Object::New(env);
  out.Set("removed", Napi::Number::New(env, removed));
  return out;
}

Napi::Value IsElevatedJs(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), cxsb::IsElevated());
}

}  // namespace

void InitWin(Napi::Env env, Napi::Object exports) {
  exports.Set("winSelfTest", Napi::Function::New(env, SelfTest));
  exports.Set("winApplyAcls", Napi::Function::New(env, ApplyAcls));
  exports.Set("winRemoveAces", Napi::Function::New(env, RemoveAces));
  exports.Set("winIsElevated", Napi::Function::New(env, IsElevatedJs));
}

// N-API surface of the Windows backend. All functions take plain JS data computed by
// src/platforms/win32 (plan.ts → launch.ts) and throw Errors that name the Win32 call, the path
// and the Windows error code.
// win_internal.h first: it defines NOMINMAX / WIN32_LEAN_AND_MEAN before anything can pull in
// <windows.h> (napi.h or the standard library on MSVC).
#include "win_internal.h"

#include <map>
#include <mutex>

#include "win_addon.h"

namespace {

using cxsb::WinError;

struct Child {
  HANDLE process = nullptr;
  HANDLE job = nullptr;
  DWORD pid = 0;
};

std::mutex g_mu;
std::map<uint32_t, Child> g_children;
uint32_t g_nextId = 1;

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

bool ReadStdio(Napi::Value v, cxsb::StdioSpec* spec) {
  if (v.IsString()) {
    std::string s = v.As<Napi::String>().Utf8Value();
    if (s == "inherit") spec->kind = cxsb::StdioKind::Inherit;
    else if (s == "ignore") spec->kind = cxsb::StdioKind::Ignore;
    else return false;
    return true;
  }
  if (v.IsObject()) {
    spec->kind = cxsb::StdioKind::Pipe;
    return ReadString(v.As<Napi::Object>(), "pipe", &spec->pipeName);
  }
  return false;
}

// winSpawn({ application, commandLine, cwd, env: string[], desktop, capabilitySids: string[],
//            stdio: [spec, spec, spec] }) → { id, pid }
//   spec = 'inherit' | 'ignore' | { pipe: '\\.\pipe\name' served by this process }
Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return ThrowType(env, "winSpawn: expected an options object");
  Napi::Object o = info[0].As<Napi::Object>();
  cxsb::SpawnSpec spec;
  std::vector<std::wstring> caps;
  if (!ReadString(o, "application", &spec.application) || !ReadString(o, "commandLine", &spec.commandLine) ||
      !ReadString(o, "cwd", &spec.cwd) || !ReadString(o, "desktop", &spec.desktop) ||
      !ReadStringArray(o.Get("env"), &spec.env) || !ReadStringArray(o.Get("capabilitySids"), &caps)) {
    return ThrowType(env, "winSpawn: application, commandLine, cwd, desktop must be strings; env, capabilitySids string arrays");
  }
  if (caps.empty()) return ThrowType(env, "winSpawn: capabilitySids must not be empty (the token needs at least one)");
  Napi::Value stdioV = o.Get("stdio");
  if (!stdioV.IsArray() || stdioV.As<Napi::Array>().Length() != 3) return ThrowType(env, "winSpawn: stdio must be an array of 3 specs");
  for (uint32_t i = 0; i < 3; i++) {
    if (!ReadStdio(stdioV.As<Napi::Array>().Get(i), &spec.stdio[i])) {
      return ThrowType(env, "winSpawn: stdio[" + std::to_string(i) + "] must be 'inherit', 'ignore' or { pipe: name }");
    }
  }
  HANDLE token = nullptr;
  WinError e = cxsb::CreateSandboxToken(caps, &token);
  if (!e.ok()) return ThrowWin(env, e);
  HANDLE job = nullptr;
  e = cxsb::CreateKillOnCloseJob(&job);
  if (!e.ok()) {
    CloseHandle(token);
    return ThrowWin(env, e);
  }
  PROCESS_INFORMATION pi{};
  e = cxsb::SpawnInJob(spec, token, job, &pi);
  CloseHandle(token);
  if (!e.ok()) {
    CloseHandle(job);
    return ThrowWin(env, e);
  }
  uint32_t id;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    id = g_nextId++;
    g_children[id] = Child{pi.hProcess, job, pi.dwProcessId};
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("id", Napi::Number::New(env, id));
  out.Set("pid", Napi::Number::New(env, pi.dwProcessId));
  return out;
}

struct WaitCtx {
  Napi::Promise::Deferred deferred;
  Napi::ThreadSafeFunction tsfn;
  HANDLE process = nullptr;
  HANDLE wait = nullptr;
  explicit WaitCtx(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

void CALLBACK OnProcessExit(PVOID param, BOOLEAN) {
  auto* ctx = static_cast<WaitCtx*>(param);
  ctx->tsfn.BlockingCall(ctx, [](Napi::Env env, Napi::Function, WaitCtx* c) {
    UnregisterWaitEx(c->wait, nullptr);
    DWORD code = 0;
    if (GetExitCodeProcess(c->process, &code)) {
      c->deferred.Resolve(Napi::Number::New(env, code));
    } else {
      Napi::Error err = Napi::Error::New(env, cxsb::FormatWinError(cxsb::Fail("GetExitCodeProcess")));
      c->deferred.Reject(err.Value());
    }
    CloseHandle(c->process);
    c->tsfn.Release();
    delete c;
  });
}

// winWait(id) → Promise<exit code>. Waits on a system wait thread (RegisterWaitForSingleObject),
// not on the libuv threadpool, so many running sandboxes do not starve Node's fs calls.
Napi::Value Wait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return ThrowType(env, "winWait: expected a process id from winSpawn");
  uint32_t id = info[0].As<Napi::Number>().Uint32Value();
  HANDLE dup = nullptr;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    auto it = g_children.find(id);
    if (it == g_children.end()) return ThrowType(env, "winWait: unknown or released process id " + std::to_string(id));
    if (!DuplicateHandle(GetCurrentProcess(), it->second.process, GetCurrentProcess(), &dup, SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, 0)) {
      return ThrowWin(env, cxsb::Fail("DuplicateHandle(process)"));
    }
  }
  auto* ctx = new WaitCtx(env);
  ctx->process = dup;
  ctx->tsfn = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "codex-sandbox-win-wait", 0, 1);
  Napi::Promise promise = ctx->deferred.Promise();
  if (!RegisterWaitForSingleObject(&ctx->wait, dup, OnProcessExit, ctx, INFINITE, WT_EXECUTEONLYONCE)) {
    WinError e = cxsb::Fail("RegisterWaitForSingleObject");
    ctx->tsfn.Release();
    CloseHandle(dup);
    delete ctx;
    return ThrowWin(env, e);
  }
  return promise;
}

// winTerminate(id, exitCode): kills the whole job (the command and every descendant), silently.
Napi::Value Terminate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) return ThrowType(env, "winTerminate: expected (id, exitCode)");
  uint32_t id = info[0].As<Napi::Number>().Uint32Value();
  UINT code = info[1].As<Napi::Number>().Uint32Value();
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_children.find(id);
  if (it == g_children.end()) return env.Undefined();
  WinError e = cxsb::TerminateJob(it->second.job, code);
  if (!e.ok()) return ThrowWin(env, e);
  return env.Undefined();
}

// winActiveProcesses(id) → how many processes of the job are still alive (0 once the whole tree
// is gone), or 0 for a released id. Lets the caller wait until TerminateJobObject has finished.
Napi::Value ActiveProcesses(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return ThrowType(env, "winActiveProcesses: expected a process id from winSpawn");
  uint32_t id = info[0].As<Napi::Number>().Uint32Value();
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_children.find(id);
  if (it == g_children.end()) return Napi::Number::New(env, 0);
  DWORD n = 0;
  WinError e = cxsb::JobActiveProcesses(it->second.job, &n);
  if (!e.ok()) return ThrowWin(env, e);
  return Napi::Number::New(env, n);
}

// winRelease(id): closes the job handle — kill-on-close ends anything still running in it — and
// the process handle. Call once the exit code is known.
Napi::Value Release(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return ThrowType(env, "winRelease: expected a process id");
  uint32_t id = info[0].As<Napi::Number>().Uint32Value();
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_children.find(id);
  if (it == g_children.end()) return env.Undefined();
  CloseHandle(it->second.job);
  CloseHandle(it->second.process);
  g_children.erase(it);
  return env.Undefined();
}

}  // namespace

void InitWin(Napi::Env env, Napi::Object exports) {
  exports.Set("winSelfTest", Napi::Function::New(env, SelfTest));
  exports.Set("winApplyAcls", Napi::Function::New(env, ApplyAcls));
  exports.Set("winSpawn", Napi::Function::New(env, Spawn));
  exports.Set("winWait", Napi::Function::New(env, Wait));
  exports.Set("winTerminate", Napi::Function::New(env, Terminate));
  exports.Set("winActiveProcesses", Napi::Function::New(env, ActiveProcesses));
  exports.Set("winRelease", Napi::Function::New(env, Release));
}

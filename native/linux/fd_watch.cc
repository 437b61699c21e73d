// isTerminal / watchReadable: what `codex-sandbox run` needs of its stdio without node:tty and node:net.
//
// The CLI starts a fresh Node for every sandboxed command (issue #21). node:tty's isatty pulls in
// node:net and the whole streams stack, and a net.Socket on the command's stderr pipe does too: about
// a fifth of the Node work of `run`. Here isatty(3) is one call, and a pipe is watched by a uv_poll on
// Node's loop (as spawn.cc watches a pidfd); the caller reads it with plain read(2)s (fs.readSync) on
// its non-blocking end when told it is readable.
#include "fd_watch.h"

#include <errno.h>
#include <unistd.h>
#include <uv.h>

#include <string>

#include "../common/napi_errors.h"

namespace {

struct Watch {
  uv_poll_t poll;
  bool stopped = false;
  int refs = 2;  // the poll handle (until closed) and the JS handle (until finalized)
  napi_env env = nullptr;
  Napi::FunctionReference on_readable;
  Napi::AsyncContext* context = nullptr;
};

void Unref(Watch* watch) {
  if (--watch->refs > 0) return;
  delete watch->context;
  delete watch;
}

void OnPollClosed(uv_handle_t* handle) { Unref(static_cast<Watch*>(handle->data)); }

// The environment ends with the watch still open: its handle is closed, as Node closes its own
// handles then (a handle left open would make a Worker's uv_loop_close fail).
void OnEnvCleanup(void* arg) {
  Watch* watch = static_cast<Watch*>(arg);
  if (watch->stopped) return;
  watch->stopped = true;
  uv_poll_stop(&watch->poll);
  watch->on_readable.Reset();
  uv_close(reinterpret_cast<uv_handle_t*>(&watch->poll), OnPollClosed);
}

void OnReadable(uv_poll_t* poll, int status, int /*events*/) {
  Watch* watch = static_cast<Watch*>(poll->data);
  if (watch->stopped) return;
  Napi::Env env(watch->env);
  Napi::HandleScope scope(env);
  // status < 0: the poll itself failed (e.g. EBADF); the callback gets the errno and stops reading.
  napi_value arg = Napi::Number::New(env, status < 0 ? -status : 0);
  // MakeCallback runs the microtasks and nextTicks the callback queues, as libuv's stream reads do.
  watch->on_readable.MakeCallback(env.Global(), {arg}, *watch->context);
  if (env.IsExceptionPending()) {
    Napi::Error error = env.GetAndClearPendingException();
    napi_fatal_exception(env, error.Value());
  }
}

void FinalizeHandle(napi_env /*env*/, Watch* watch) { Unref(watch); }

Watch* WatchOf(const Napi::CallbackInfo& info, const char* name) {
  if (info.Length() < 1 || !info[0].IsExternal()) {
    Napi::TypeError::New(info.Env(), std::string(name) + ": handle must be a watchReadable handle").ThrowAsJavaScriptException();
    return nullptr;
  }
  return info[0].As<Napi::External<Watch>>().Data();
}

// isTerminal(fd): isatty(3) — whether fd is a terminal (false for a closed fd, a pipe or a file).
Napi::Value IsTerminal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "isTerminal: fd must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Boolean::New(env, isatty(info[0].As<Napi::Number>().Int32Value()) == 1);
}

// watchReadable(fd, onReadable(errno)): handle — calls onReadable(0) whenever fd is readable or its
// other end has closed (level-triggered, until unwatchReadable), onReadable(errno) if polling fails.
Napi::Value WatchReadable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "watchReadable(fd, onReadable): wrong argument types").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int fd = info[0].As<Napi::Number>().Int32Value();
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  Watch* watch = new Watch();
  watch->env = env;
  watch->poll.data = watch;
  int rc = loop == nullptr ? UV_EINVAL : uv_poll_init(loop, &watch->poll, fd);
  if (rc != 0) {
    delete watch;
    ThrowErrnoError(env, "uv_poll_init", -rc, nullptr);
    return env.Undefined();
  }
  rc = uv_poll_start(&watch->poll, UV_READABLE | UV_DISCONNECT, OnReadable);
  if (rc != 0) {
    watch->refs = 1;  // no JS handle will be made
    uv_close(reinterpret_cast<uv_handle_t*>(&watch->poll), OnPollClosed);
    ThrowErrnoError(env, "uv_poll_start", -rc, nullptr);
    return env.Undefined();
  }
  watch->on_readable = Napi::Persistent(info[1].As<Napi::Function>());
  watch->context = new Napi::AsyncContext(env, "codexSandboxFdWatch");
  napi_add_env_cleanup_hook(env, OnEnvCleanup, watch);
  return Napi::External<Watch>::New(env, watch, FinalizeHandle);
}

// unwatchReadable(handle): stops calling back (before the caller closes the fd).
Napi::Value UnwatchReadable(const Napi::CallbackInfo& info) {
  Watch* watch = WatchOf(info, "unwatchReadable");
  if (watch == nullptr) return info.Env().Undefined();
  if (!watch->stopped) {
    napi_remove_env_cleanup_hook(watch->env, OnEnvCleanup, watch);
    watch->stopped = true;
    uv_poll_stop(&watch->poll);
    watch->on_readable.Reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&watch->poll), OnPollClosed);
  }
  return info.Env().Undefined();
}

// refWatch(handle, ref): whether the watch keeps Node's loop alive (like Socket#ref/unref).
Napi::Value RefWatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Watch* watch = WatchOf(info, "refWatch");
  if (watch == nullptr) return env.Undefined();
  if (info.Length() < 2 || !info[1].IsBoolean()) {
    Napi::TypeError::New(env, "refWatch(handle, ref): ref must be a boolean").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (!watch->stopped) {
    uv_handle_t* handle = reinterpret_cast<uv_handle_t*>(&watch->poll);
    if (info[1].As<Napi::Boolean>().Value()) uv_ref(handle);
    else uv_unref(handle);
  }
  return env.Undefined();
}

}  // namespace

void InitLinuxFdWatch(Napi::Env env, Napi::Object exports) {
  exports.Set("isTerminal", Napi::Function::New(env, IsTerminal, "isTerminal"));
  exports.Set("watchReadable", Napi::Function::New(env, WatchReadable, "watchReadable"));
  exports.Set("unwatchReadable", Napi::Function::New(env, UnwatchReadable, "unwatchReadable"));
  exports.Set("refWatch", Napi::Function::New(env, RefWatch, "refWatch"));
}

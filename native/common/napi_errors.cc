#include "napi_errors.h"

#include <string.h>
#include <uv.h>

#include <string>

void ThrowErrnoError(Napi::Env env, const char* syscall, int err, const char* path) {
  // libuv (inside node) maps errno to its name ("ENOENT"), the same code Node's fs errors use.
  const char* name = uv_err_name(uv_translate_sys_error(err));
  std::string code = (name != nullptr) ? name : "EUNKNOWN";
  std::string message = code + ": " + strerror(err) + ", " + syscall;
  if (path != nullptr) message += std::string(" '") + path + "'";
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("syscall", Napi::String::New(env, syscall));
  if (path != nullptr) error.Set("path", Napi::String::New(env, path));
  error.ThrowAsJavaScriptException();
}

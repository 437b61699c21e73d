// Typed errors thrown to JavaScript: an Error carrying code (errno name), errno, syscall and,
// when relevant, path — the same shape as Node's own fs errors.
#ifndef CODEX_SANDBOX_NAPI_ERRORS_H
#define CODEX_SANDBOX_NAPI_ERRORS_H

#include <napi.h>

// Throws (as a pending JS exception) an Error for a failed system call. err is a positive errno.
// path may be nullptr. Callers return env.Undefined() afterwards.
void ThrowErrnoError(Napi::Env env, const char* syscall, int err, const char* path);

#endif

// Linux exports of the addon for the CLI's own stdio (fd_watch.cc): isTerminal, watchReadable,
// unwatchReadable, refWatch.
#ifndef CODEX_SANDBOX_LINUX_FD_WATCH_H
#define CODEX_SANDBOX_LINUX_FD_WATCH_H

#include <napi.h>

void InitLinuxFdWatch(Napi::Env env, Napi::Object exports);

#endif

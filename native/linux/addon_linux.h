// Linux exports of the addon: seccompFilter, landlockAbi, embeddedBwrapSha256, openPty, setPtySize.
#ifndef CODEX_SANDBOX_ADDON_LINUX_H
#define CODEX_SANDBOX_ADDON_LINUX_H

#include <napi.h>

void InitLinux(Napi::Env env, Napi::Object exports);

#endif

// Linux exports of the addon that start processes (spawn.cc): spawnPidfd, killPidfd, refPidfd,
// stdioSocketPair.
#ifndef CODEX_SANDBOX_LINUX_SPAWN_H
#define CODEX_SANDBOX_LINUX_SPAWN_H

#include <napi.h>

void InitLinuxSpawn(Napi::Env env, Napi::Object exports);

#endif

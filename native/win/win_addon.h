// Windows native layer of codex-sandbox: the unelevated restricted-token backend.
// One job per file: token.cc (restricted token), acl.cc (write grants / deny-write ACEs),
// job.cc (kill-on-close job object), spawn.cc (stdio handles + CreateProcessAsUserW),
// win_addon.cc (the N-API surface: self test and ACLs), launcher_main.cc (codex-sandbox-launcher.exe,
// which starts the command: token, job, spawn, wait). entry.cc is a Windows-only module entry for
// the cross build.
#pragma once
#include <napi.h>

void InitWin(Napi::Env env, Napi::Object exports);

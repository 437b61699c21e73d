// Filesystem probes for the host's FsInspector (src/host/fs-inspector.ts): probeStat, probeEmptyDir, probeReadFile.
#ifndef CODEX_SANDBOX_PROBE_H
#define CODEX_SANDBOX_PROBE_H

#include <napi.h>

void InitLinuxProbe(Napi::Env env, Napi::Object exports);

#endif

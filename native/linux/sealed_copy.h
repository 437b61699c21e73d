// sealedBundledBwrap: the bundled bwrap as a sealed memfd copy checked against the compiled-in digest
// (the opt-in CODEX_SANDBOX_SEALED_BWRAP=1 path, src/launch/sealed-bwrap.ts).
#ifndef CODEX_SANDBOX_SEALED_COPY_H
#define CODEX_SANDBOX_SEALED_COPY_H

#include <napi.h>

void InitLinuxSealedCopy(Napi::Env env, Napi::Object exports);

#endif

// The bundled bubblewrap's expected SHA-256, fixed at compile time (as Codex's CODEX_BWRAP_SHA256,
// codex-rs/linux-sandbox/src/bundled_bwrap.rs). The build
// writes <(PRODUCT_DIR)/bwrap_sha256.h (native/scripts/bwrap-digest-header.mjs); there is no
// run-time override, so nothing in the environment can change which binary the launcher trusts.
#ifndef CODEX_SANDBOX_BWRAP_DIGEST_H
#define CODEX_SANDBOX_BWRAP_DIGEST_H

#if defined(__has_include)
#if __has_include("bwrap_sha256.h")
#include "bwrap_sha256.h"
#endif
#endif

#ifndef CODEX_SANDBOX_BWRAP_SHA256
#define CODEX_SANDBOX_BWRAP_SHA256 ""
#endif

#include <string.h>

// Returns the 64-hex-digit expected digest, or nullptr for a development build (digest absent,
// malformed or all zeros), in which case verification is skipped.
static inline const char* codex_expected_bwrap_sha256(void) {
  static const char digest[] = CODEX_SANDBOX_BWRAP_SHA256;
  if (strlen(digest) != 64) return nullptr;
  bool all_zero = true;
  for (int i = 0; i < 64; ++i) {
    char c = digest[i];
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!hex) return nullptr;
    if (c != '0') all_zero = false;
  }
  return all_zero ? nullptr : digest;
}

#endif

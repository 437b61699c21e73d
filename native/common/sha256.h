/* SHA-256 (FIPS 180-4), used to verify the bundled bubblewrap before it runs.
 * Plain C so the static launcher and the addon share it. */
#ifndef CODEX_SANDBOX_SHA256_H
#define CODEX_SANDBOX_SHA256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  uint32_t state[8];
  uint64_t length; /* bytes hashed so far */
  uint8_t block[64];
  size_t used;     /* bytes in block */
} codex_sha256_ctx;

void codex_sha256_init(codex_sha256_ctx* ctx);
void codex_sha256_update(codex_sha256_ctx* ctx, const void* data, size_t len);
void codex_sha256_final(codex_sha256_ctx* ctx, uint8_t out[32]);

/* Hashes everything readable from fd (from its current offset to EOF). Returns 0, or a negative
 * errno from read(). Retries EINTR. */
int codex_sha256_fd(int fd, uint8_t out[32]);

/* Writes 64 lowercase hex digits and a NUL. */
void codex_sha256_hex(const uint8_t digest[32], char out[65]);

#ifdef __cplusplus
}
#endif

#endif

// `--payload-fd N`: the real arguments arrive on fd N as NUL-terminated byte strings until EOF, so
// non-UTF-8 paths survive intact (argv through execa would need them as JS strings).
#ifndef CODEX_SANDBOX_LAUNCHER_PAYLOAD_H
#define CODEX_SANDBOX_LAUNCHER_PAYLOAD_H

#include <stddef.h>

#include <vector>

// Reads fd to EOF, closes it, and returns pointers into a buffer that lives until exit.
// Exits 125 on read errors or a trailing string without its NUL.
std::vector<char*> read_payload_args(int fd);

// `--env-args`: the real arguments arrive in the environment variable kEnvArgsName as
// `<length>:<bytes>` records (length in bytes, decimal), so they stay out of argv (and out of the
// caller's error messages) without a pipe. Returns pointers into a copy that lives until exit.
// Exits 125 when the variable is missing or malformed.
extern const char kEnvArgsName[];
std::vector<char*> read_env_args();

// Decodes `<length>:<bytes>` records from value[0..len) into NUL-terminated copies that live until
// exit. Exits 125 naming `what` when malformed.
std::vector<char*> decode_records(const char* value, size_t len, const char* what);

// Removes kEnvArgsName from the environment: neither bwrap nor the command may inherit it.
void drop_env_args();

#endif

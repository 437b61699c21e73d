// `--payload-fd N`: the real arguments arrive on fd N as NUL-terminated byte strings until EOF, so
// non-UTF-8 paths survive intact (argv through execa would need them as JS strings).
#ifndef CODEX_SANDBOX_LAUNCHER_PAYLOAD_H
#define CODEX_SANDBOX_LAUNCHER_PAYLOAD_H

#include <vector>

// Reads fd to EOF, closes it, and returns pointers into a buffer that lives until exit.
// Exits 125 on read errors or a trailing string without its NUL.
std::vector<char*> read_payload_args(int fd);

#endif

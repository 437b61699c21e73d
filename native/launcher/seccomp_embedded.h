// The seccomp programs compiled at build time (seccomp_bpf.h, from native/linux/seccomp_gen.cc).
#ifndef CODEX_SANDBOX_LAUNCHER_SECCOMP_EMBEDDED_H
#define CODEX_SANDBOX_LAUNCHER_SECCOMP_EMBEDDED_H

#include "../linux/seccomp_filter.h"

// The mode's program in a fresh sealed memfd (MFD_CLOEXEC, offset 0) for bwrap --seccomp. Returns the
// fd, or a negative errno with the failing call named in *failed_call.
int seccomp_program_memfd(CodexSeccompMode mode, const char** failed_call);

// Installs the mode's program on the calling thread (no_new_privs must already be set). Returns 0, or
// a negative errno with the failing call named in *failed_call.
int seccomp_program_install(CodexSeccompMode mode, const char** failed_call);

#endif

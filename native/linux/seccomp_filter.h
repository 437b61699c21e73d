// Builds the seccomp program every sandboxed command runs under (after Codex
// codex-rs/linux-sandbox/src/landlock.rs; seccomp(2)).
// Shared by the addon (seccompFilter) and the launcher (--seccomp / --seccomp-self), so both
// produce the same BPF. Plain C++ without exceptions.
#ifndef CODEX_SANDBOX_SECCOMP_FILTER_H
#define CODEX_SANDBOX_SECCOMP_FILTER_H

#include <seccomp.h>

// A mode is a base set plus flags.
enum CodexSeccompMode {
  // always-denied set: ptrace, process_vm_*, io_uring_*, the keyring calls, new user namespaces
  CODEX_SECCOMP_BASE = 0,
  CODEX_SECCOMP_RESTRICTED = 1,    // flag: + network set
  CODEX_SECCOMP_ALLOW_USERNS = 2,  // flag: clone/unshare with CLONE_NEWUSER and clone3 stay allowed
  CODEX_SECCOMP_PROXY = 4,         // flag: + proxy-routed network set (inet sockets only; no new unix socket)
};

// Parses "base" / "restricted" / "proxy", optionally followed by "+userns" (CODEX_SECCOMP_ALLOW_USERNS).
// Returns 0 on success, -1 if the name is unknown.
int codex_seccomp_parse_mode(const char* name, CodexSeccompMode* out);

// Builds the filter. On success returns 0 and stores a context the caller releases with
// seccomp_release(); on failure returns a negative errno and names the failing libseccomp call in
// *failed_call.
int codex_seccomp_build(CodexSeccompMode mode, scmp_filter_ctx* out, const char** failed_call);

// Builds the filter and writes the BPF program into a fresh memfd (MFD_CLOEXEC, offset rewound to
// 0, sealed against writes/resizes when the kernel allows). Returns the fd, or a negative errno with
// the failing call named in *failed_call.
int codex_seccomp_export_memfd(CodexSeccompMode mode, const char** failed_call);

// Seals a memfd holding a BPF program (offset already rewound) against writes and resizes, where the
// kernel has memfd seals.
void codex_seal_program_memfd(int fd);

#endif

// Landlock ABI probe. Debian 12's <linux/landlock.h> stops at ABI 2, so nothing here depends on
// the build host's headers beyond the syscall number.
#ifndef CODEX_SANDBOX_LANDLOCK_H
#define CODEX_SANDBOX_LANDLOCK_H

// The running kernel's Landlock ABI version, or 0 when Landlock is unavailable (not built in,
// disabled at boot, or blocked by seccomp). Never fails.
int codex_landlock_abi(void);

#endif

// File-descriptor hygiene before anything runs in the sandbox.
#ifndef CODEX_SANDBOX_LAUNCHER_FDS_H
#define CODEX_SANDBOX_LAUNCHER_FDS_H

#include <sys/types.h>

#include <vector>

#include "options.h"

// Opens /dev/null on any of fds 0..2 that is closed, so later opens can never land on stdio.
void ensure_stdio_open();

// Closes every fd >= 3 (close_range, else a /proc/self/fd walk, else a bounded loop).
void close_inherited_fds();

// Creates each placed fd (/dev/null, sealed seccomp memfd, info-pipe write end) at its target
// number without CLOEXEC. Returns the info pipe's read end (CLOEXEC, above every target) or -1.
int place_fds(const std::vector<PlacedFdSpec>& placed);

// Sets PR_SET_PDEATHSIG to sig and exits if the parent already died (getppid() changed).
void die_with_parent(int sig, pid_t expected_parent);

#endif

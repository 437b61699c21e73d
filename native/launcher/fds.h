// File-descriptor hygiene before anything runs in the sandbox.
#ifndef CODEX_SANDBOX_LAUNCHER_FDS_H
#define CODEX_SANDBOX_LAUNCHER_FDS_H

#include <sys/types.h>

#include <vector>

#include "options.h"

// Opens /dev/null on any of fds 0..2 that is closed, so later opens can never land on stdio.
void ensure_stdio_open();

// Closes every fd >= 3 but keep and keep2 (-1: none) (close_range, else a /proc/self/fd walk, else a bounded loop).
void close_inherited_fds(int keep, int keep2 = -1);

// Closes every fd >= first, the same way.
void close_fds_from(int first);

// The launcher's ends of the pipes it places for bubblewrap and the inner stage (CLOEXEC, above
// every target), -1 when not requested.
struct PlacedReadEnds {
  int info = -1;     // --info-pipe: bwrap's JSON (child-pid)
  int started = -1;  // --started-pipe: one byte from the inner stage just before it execs the command
};

// Creates each placed fd (/dev/null, sealed seccomp memfd, info-pipe or started-pipe write end) at
// its target number without CLOEXEC, and returns the read ends of the pipes.
PlacedReadEnds place_fds(const std::vector<PlacedFdSpec>& placed);

// Sets PR_SET_PDEATHSIG to sig and exits if the parent already died (getppid() changed).
void die_with_parent(int sig, pid_t expected_parent);

#endif

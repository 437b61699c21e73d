// Per-command isolation in a session (sandbox.session on Linux, docs/sessions.md): each command runs
// under a small init of its own, pid 1 of new pid, IPC and mount namespaces, with a fresh /proc that
// carries the sandbox's /proc masks and without any capability.
#pragma once

#include <string>
#include <vector>

#include "frames.h"
#include "spawn_command.h"

struct ProcMasks {
  std::vector<std::string> read_only;  // bound read-only onto themselves (runc ReadonlyPaths)
  std::vector<std::string> masked;     // covered by /dev/null, read-only (runc MaskedPaths)
};

// As spawn_command, but out->pid is the init (its own process group: a signal to -pid reaches the
// init, which forwards it to the command's group) and out->report_fd its report pipe. The init exits
// when the command does, and the kernel then kills whatever else is left in its pid namespace.
int spawn_isolated(const StartRequest& request, const ProcMasks& masks, SpawnedCommand* out, std::string* message);

// The command's wait status once its init has been reaped with `init_status`: the status the init
// reported, or the init's own (killed before the command ended, e.g. SIGKILL). Closes *report_fd.
int isolated_status(int* report_fd, int init_status);

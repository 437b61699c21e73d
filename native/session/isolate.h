// Per-command isolation in a session (sandbox.session on Linux, docs/sessions.md): each command runs
// under a small init of its own, pid 1 of new pid, IPC and mount namespaces, with a fresh /proc that
// carries the sandbox's /proc masks and without any capability.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "frames.h"
#include "spawn_command.h"

struct ProcMasks {
  std::vector<std::string> read_only;  // bound read-only onto themselves (runc ReadonlyPaths)
  std::vector<std::string> masked;     // covered by /dev/null, read-only (runc MaskedPaths)
};

// The init's argv[1] (init_main.c reads its argv from argv[2]; ps shows what it is).
constexpr const char* kInitFlag = "--session-init";

// The init's argv for a command, with the files to try for argv[0] (check_cwd_and_find).
std::vector<std::string> init_argv(const StartRequest& request, const ProcMasks& masks, const std::vector<std::string>& candidates);

// As spawn_command, but out->pid is the init (its own process group once it has started: a signal to
// -pid reaches the init, which forwards it to the command's group) and out->report_fd its report pipe
// (non-blocking). Returns at once after the clone: whether the command started comes later on
// report_fd (read_report, parse_start_report). The init exits when the command does, and the kernel
// then kills whatever else is left in its pid namespace.
int spawn_isolated(const StartRequest& request, const ProcMasks& masks, SpawnedCommand* out, std::string* message);

// isolation 'none' (spawn_command's result, started the same way without namespaces): out->pid is
// the command, out->report_fd its report pipe, EOF without a word once the command has exec'd.
int spawn_plain(const StartRequest& request, SpawnedCommand* out, std::string* message);

// After any child was reaped: if it was an init, its stack and argv in this address space (which it
// shared) are free again. Never before: until then the init may still read or write them.
void release_init(pid_t pid);

// Appends what *report_fd holds now to *buffer. True at EOF (the init exited: *report_fd is closed
// and set to -1), false when more may come.
bool read_report(int* report_fd, std::vector<uint8_t>* buffer);

enum class StartReport { kIncomplete, kStarted, kFailed };

// The init's start report at the front of *buffer: started (consumed; what follows is the command's
// exit status), failed (*err, *message worded for `program`, the command's argv[0]; the init exits),
// or not complete yet.
StartReport parse_start_report(std::vector<uint8_t>* buffer, const std::string& program, int* err, std::string* message);

// The command's wait status once its init has been reaped with `init_status`: the status the init
// reported (what is left of its report after the start), or the init's own (killed before the
// command ended, e.g. SIGKILL).
int isolated_status(const std::vector<uint8_t>& rest, int init_status);

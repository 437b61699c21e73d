// The outer stage's argument grammar (shared by --payload-fd, --env-args and plain argv):
//   [options] -- PROGRAM [ARGS...]
// See docs in native/launcher/main.cc.
#ifndef CODEX_SANDBOX_LAUNCHER_OPTIONS_H
#define CODEX_SANDBOX_LAUNCHER_OPTIONS_H

#include <stddef.h>

#include <vector>

#include "../linux/seccomp_filter.h"
#include "fresh_git.h"
#include "limits.h"

enum class PlacedKind { DevNull, Seccomp, InfoPipe, StartedPipe, Pin };

struct PlacedFdSpec {
  PlacedKind kind;
  int target;                 // fd number the child sees
  CodexSeccompMode mode;      // PlacedKind::Seccomp only
  const char* path = nullptr;       // PlacedKind::Pin: directory to open without following symlinks
  unsigned long long dev = 0;       // PlacedKind::Pin: st_dev and st_ino the plan recorded
  unsigned long long ino = 0;
};

enum class ProgramKind {
  Direct,         // exec PROGRAM (PATH search) in this process
  Bwrap,          // fork, exec bubblewrap by path, supervise
  BwrapVerified,  // fork, exec the digest-verified bundled bubblewrap through its fd, supervise
};

struct OuterOptions {
  ProgramKind program_kind = ProgramKind::Direct;
  std::vector<PlacedFdSpec> placed;
  bool seccomp_self = false;
  CodexSeccompMode seccomp_self_mode = CODEX_SECCOMP_BASE;
  const char* registry_dir = nullptr;
  std::vector<const char*> synthetic_targets;
  const char* chdir_path = nullptr;
  bool command_env_set = false;     // --command-env: the command gets exactly command_env
  std::vector<char*> command_env;   // --env NAME=VALUE records, in order
  std::vector<const char*> cgroup_procs;  // --cgroup-procs FILE: joined before bwrap/the command is exec'd
  std::vector<RlimitSpec> rlimits;        // --rlimit-*: direct mode only (with bwrap the inner stage sets them)
  size_t command_via_env = 0;       // --command-via-env N: the last N arguments leave bwrap's argv (command_env.h)
  int info_fd = -1;                 // target of --info-pipe, -1 if none
  int started_fd = -1;              // target of --started-pipe, -1 if none
  int proxy_port = 0;               // --proxy-bridge PORT:DEV:INO:PATH: the forwarder for 127.0.0.1:PORT
  const char* proxy_socket = nullptr;  // in the sandbox's network namespace relays to this socket
  unsigned long long proxy_dev = 0;    // (dev/ino checked before bwrap starts)
  unsigned long long proxy_ino = 0;
  std::vector<FreshGitSpec> fresh_git;  // --fresh-git STAGE_FD:ROOT_FD ROOT (fresh_git.h)
  std::vector<char*> command;       // PROGRAM ARGS..., NULL-terminated
};

// Parses args[0..count). Exits 125 with a message naming the bad option on error.
void parse_outer_options(int count, char** args, OuterOptions* out);

// Inner stage: `--inner [--started-fd N] [--argv0 NAME] [--allow-userns] [--session-supervisor] [--rlimit-* N]...
// [--expect-rw DEV:INO PATH]... [--expect-ro PATH]... [--proxy-port PORT] -- PROGRAM [ARGS...]` (args start after "--inner").
struct ExpectedMount {
  const char* path;
  bool rw;                          // --expect-rw (writable, this dev/ino) or --expect-ro
  unsigned long long dev;
  unsigned long long ino;
};

struct InnerOptions {
  const char* argv0 = nullptr;
  std::vector<ExpectedMount> expected;  // checked before the command starts
  std::vector<RlimitSpec> rlimits;  // --rlimit-*: set inside the sandbox's user namespace
  int started_fd = -1;              // write end of the launcher's started pipe, -1 if none
  bool allow_userns = false;        // --allow-userns: skip the "no new user namespace" check
  bool session_supervisor = false;  // --session-supervisor: CAP_SYS_ADMIN and CAP_SETPCAP alone may be held (sandbox.session's supervisor)
  bool ctty = false;                // --ctty: stdin is a pty the command takes as its controlling terminal
  bool ctty_job = false;            // --ctty-job: as --ctty, the command a stoppable job of that session (run --tty)
  int proxy_port = 0;               // --proxy-port PORT: wait for the launcher's forwarder on 127.0.0.1:PORT
  std::vector<char*> command;       // PROGRAM ARGS..., NULL-terminated
};

// `--command-from-env -- ` (nothing after `--`): the command comes from the launcher's
// kCommandArgvPrefix variables (import_command_argv), for a command longer than bwrap accepts.
void parse_inner_options(int count, char** args, InnerOptions* out);

#endif

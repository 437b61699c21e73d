// Per-command isolation in a session (sandbox.session on Linux, docs/sessions.md): each running command
// has a small init of its own, pid 1 of its pid, IPC and mount namespaces, with a /proc that carries
// the sandbox's /proc masks; the command holds no capability. An init runs one command at a time and is
// reused for the next once it has proven the last one gone (init_main.c).
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

// The command part of an init's argv (cwd E env... K candidates... argv...), with the files to try for
// argv[0] (check_cwd_and_find).
std::vector<std::string> init_argv(const StartRequest& request, const std::vector<std::string>& candidates);

// An isolated command: given to an idle init of this session (the most recently idle one) or to a new
// one (pid 1 of new pid and mount namespaces, with its /proc and masks), as a GO on that init's socket
// with the command's stdio. Returns at once: out->pid is the init (the same pid for the commands it
// runs one after another), out->init_fd its socket, where DONE arrives (receive_done), and
// out->generation the command's own number on that init. An init that cannot prove its command gone
// exits instead of reporting DONE: its outcome is then read once it is reaped (init_outcome).
int spawn_isolated(const StartRequest& request, const ProcMasks& masks, SpawnedCommand* out, std::string* message);

// A SIGNAL for the isolated command `generation` of init `pid`: a forwarded signal goes as a message the
// init drops unless that command is still its current one (so it never reaches a later command of the
// same init); any other (SIGKILL, SIGSTOP) to the init itself, as before. Nothing once DONE came.
void signal_isolated(pid_t pid, uint32_t generation, int sig);

// Forwarded signals wait in the supervisor when the init's socket is full: true while some do (poll
// its init_fd for POLLOUT, then flush_init_signals).
bool init_wants_write(pid_t pid);
void flush_init_signals(pid_t pid);

// init_fd is readable: true when it holds the init's DONE for `generation` (*out: the outcome, worded
// for `program`); the init is then idle, kept for the next command. False: not yet, or the init ended
// (its reaping reports it).
struct InitOutcome;
bool receive_done(pid_t pid, uint32_t generation, const std::string& program, InitOutcome* out);

// Idle inits kept longer than a few seconds exit (their socket is closed); returns the milliseconds
// until the next one is due, or -1 (none idle): the supervisor's poll timeout.
int retire_idle_inits();

// SIGKILL to every init, busy or idle (the session ends).
void kill_inits();

// isolation 'none' (spawn_command's result, started the same way without namespaces): out->pid is
// the command, out->report_fd its report pipe, EOF without a word once the command has exec'd.
int spawn_plain(const StartRequest& request, SpawnedCommand* out, std::string* message);

// Once, before any command: the /dev/null a command with stdin: 'ignore' gets as its stdin (one open
// file, read-only, shared by those commands, as a pipe closed at once was not). Without it (no null
// device there), such a command gets a pipe closed at once.
void open_null_stdin();

// An isolated init's outcome, as it left it before its exit (init_run.h SessionInitArgs).
struct InitOutcome {
  bool failed = false;  // the command did not start: err and message (worded for the command's argv[0])
  int err = 0;
  std::string message;
  bool exited = false;  // the command ended with `status` (a wait status); neither: the init was killed
  int status = 0;
};

// Once `pid` has been reaped, and before release_init: false if it was no isolated init.
bool init_outcome(pid_t pid, const std::string& program, InitOutcome* out);

// After any child was reaped: if it was an init, its stack and argv in this address space (which it
// shared) are free again. Never before: until then the init may still read or write them.
void release_init(pid_t pid);

// isolation 'none': appends what the command's report pipe *report_fd holds now to *buffer. True at
// EOF (*report_fd is closed and set to -1), false when more may come.
bool read_report(int* report_fd, std::vector<uint8_t>* buffer);

enum class StartReport { kIncomplete, kStarted, kFailed };

// isolation 'none': the exec report at the front of *buffer: failed (*err, *message worded for
// `program`, the command's argv[0]), or not complete yet (EOF with nothing: it exec'd).
StartReport parse_start_report(std::vector<uint8_t>* buffer, const std::string& program, int* err, std::string* message);


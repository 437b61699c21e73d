// codex-sandbox-launcher: the part of a sandboxed launch that must run in the child process.
//
// Outer stage (spawned by Node):
//   codex-sandbox-launcher --status-fd S MODE...  first of all: a set-up failure is reported as one
//                                              record on fd S (see fail.h), which is closed (CLOEXEC)
//                                              once the command starts; MODE is one of the following
//   codex-sandbox-launcher --sealed-bwrap-fd F MODE...  (after --status-fd) F is a sealed memfd copy of
//                                              the bundled bwrap, already checked by the caller:
//                                              --bwrap-verified execs it instead of hashing the file
//   codex-sandbox-launcher --payload-fd N      arguments arrive on fd N, NUL-terminated, until EOF
//   codex-sandbox-launcher --env-args          arguments arrive in $CODEX_SANDBOX_LAUNCHER_ARGS as
//                                              <length>:<bytes> records (removed before any exec)
//   codex-sandbox-launcher [options] -- PROGRAM [ARGS...]
//     --bwrap                       PROGRAM is bubblewrap: exec it by path
//     --bwrap-verified              PROGRAM is the bundled bwrap: hash its fd, compare with the
//                                   compiled-in digest, exec that fd
//     --seccomp base|restricted:FD  sealed memfd with the BPF program at FD (bwrap --seccomp FD)
//     --seccomp-self base|restricted  no bwrap: no_new_privs + install the filter, exec PROGRAM
//     --devnull FD                  /dev/null O_RDONLY at FD (bwrap --ro-bind-data FD ...)
//     --pin FD:DEV:INO PATH         directory PATH opened O_PATH with no symlink followed, checked
//                                   against DEV/INO, at FD (bwrap --bind-fd FD PATH); else exit 125
//     --info-pipe FD                one-way socket's write end at FD (bwrap --info-fd FD), read for
//                                   child-pid (peeked until the watchdog has it: supervise.cc)
//     --started-pipe FD             pipe write end at FD for the inner stage (--inner --started-fd FD);
//                                   bwrap exiting before its byte arrives = setup failure, exit 125
//     --proxy-bridge PORT:DEV:INO:PATH  (needs --info-pipe) the proxy socket PATH, checked (no symlink,
//                                   dev/ino) before bwrap starts; once bwrap reports its init, a
//                                   forwarder joins the sandbox's user+net namespaces and relays
//                                   127.0.0.1:PORT there to it (proxy_bridge.h)
//     --registry DIR                synthetic-target registry directory
//     --fresh-git STAGE:ROOTFD ROOT ROOT/.git was missing (ROOTFD is ROOT's --pin): a private staging
//                                   directory is placed at fd STAGE (bwrap --bind-fd STAGE ROOT/.git) and
//                                   accepted into ROOT/.git from an allow-list after bwrap exits (fresh_git.h)
//     --synthetic PATH              mount target bwrap may create as a placeholder (repeatable)
//     --chdir PATH                  chdir before exec
//     --command-env                 the command's environment is exactly the --env records; the
//                                   launcher and bwrap never run with it (see command_env.h)
//     --env NAME=VALUE              one variable of the command's environment (repeatable)
//     --cgroup-procs FILE           join this cgroup.procs before exec'ing bwrap/the command (repeatable)
//     --rlimit-nproc|cpu|data N     direct mode: setrlimit before exec (with bwrap: inner stage options)
//     --command-via-env N           the last N arguments (the inner stage's command) leave bwrap's argv
//                                   and travel in CODEX_SANDBOX_COMMAND_ARGV_<n> (inner: --command-from-env)
// Inner stage (inside bwrap):
//   codex-sandbox-launcher --inner [--started-fd FD] [--argv0 NAME] [--allow-userns] [--rlimit-* N]...
//                          [--expect-rw DEV:INO PATH]... [--expect-ro PATH]... [--proxy-port PORT] -- PROGRAM [ARGS...]
//     (--proxy-port: waits until the launcher's forwarder listens on 127.0.0.1:PORT)
//     (--command-from-env -- : PROGRAM and ARGS come from the outer stage's --command-via-env)
//     checks each expected mount (no symlink followed; writable with that identity, or read-only),
//     makes itself the leader of its own process group (the launcher signals that group),
//     checks its confinement, sets the rlimits, writes one byte to FD, closes every fd >= 3, then
//     execs PROGRAM
// Exit codes: 125 launcher or sandbox setup failure, 126/127 command not executable/not found, otherwise the
// command's (bwrap's) status.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <vector>

#include "command_env.h"
#include "exec_program.h"
#include "fail.h"
#include "fds.h"
#include "fresh_git.h"
#include "inner.h"
#include "keyring.h"
#include "limits.h"
#include "options.h"
#include "seccomp_embedded.h"
#include "payload.h"
#include "proxy_bridge.h"
#include "registry.h"
#include "supervise.h"

namespace {

int parse_payload_fd(const char* text) {
  char* end = nullptr;
  errno = 0;
  long value = text != nullptr ? strtol(text, &end, 10) : -1;
  if (text == nullptr || errno != 0 || end == text || *end != '\0' || value < 0 || value > 65535) {
    die_msg("--payload-fd: invalid fd '%s'", text != nullptr ? text : "");
  }
  return static_cast<int>(value);
}

// `--status-fd S`: the caller's pipe for a set-up failure record. CLOEXEC at once, so neither bwrap
// nor the command ever holds it: the command could otherwise forge a set-up failure (or hide one).
void take_status_fd(const char* text) {
  const int fd = parse_payload_fd(text);
  if (fd <= STDERR_FILENO) die_msg("--status-fd: fd %d is one of stdin/stdout/stderr", fd);
  const int flags = fcntl(fd, F_GETFD);
  if (flags < 0) die_errno("--status-fd: fcntl(F_GETFD) of fd", text, errno);
  if (fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) die_errno("--status-fd: fcntl(F_SETFD) of fd", text, errno);
  set_status_fd(fd, "launcher");
}

// Moves fd (CLOEXEC) above every fd the launcher places for bwrap (place_fds dup2s onto those).
int move_fd_above(int fd, const std::vector<PlacedFdSpec>& placed, const char* what) {
  if (fd < 0) return fd;
  int high = 3;
  for (const PlacedFdSpec& spec : placed) {
    if (spec.target + 1 > high) high = spec.target + 1;
  }
  if (fd >= high) return fd;
  const int moved = fcntl(fd, F_DUPFD_CLOEXEC, high);
  if (moved < 0) die_errno("fcntl(F_DUPFD_CLOEXEC) for", what, errno);
  close(fd);
  return moved;
}

void move_status_fd_above(const std::vector<PlacedFdSpec>& placed) {
  const int fd = status_fd();
  const int moved = move_fd_above(fd, placed, "the status fd");
  if (moved != fd) set_status_fd(moved, nullptr);
}

[[noreturn]] void run_direct(const OuterOptions& options) {
  // No namespace here: the cgroups hold the command's whole tree; RLIMIT_NPROC would count every
  // process of the caller's uid, so the planner never passes it in this mode.
  restore_supervised_signals();  // the command's mask is the caller's; a pending signal acts now
  join_cgroups(options.cgroup_procs);
  apply_rlimits(options.rlimits);
  if (options.seccomp_self) {
    // no_new_privs first: the kernel requires it for an unprivileged filter, and it stops a
    // setuid binary from running with privileges the filter's author never considered.
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die_errno("prctl(PR_SET_NO_NEW_PRIVS)", nullptr, errno);
    const char* failed_call = "";
    const int rc = seccomp_program_install(options.seccomp_self_mode, &failed_call);
    if (rc < 0) die_errno("installing the seccomp filter:", failed_call, -rc);
  }
  if (options.command_env_set) use_environment(const_cast<std::vector<char*>*>(&options.command_env));
  exec_command_or_exit(options.command[0], options.command.data());
}

}  // namespace

int main(int argc, char** argv) {
  const pid_t parent = getppid();
  ensure_stdio_open();

  if (argc >= 2 && strcmp(argv[1], "--inner") == 0) run_inner(argc - 2, argv + 2);
  // A Ctrl-C / interrupt() / SIGTERM of the set-up waits for the supervisor (supervise.h), which
  // passes it to the command once it leads its group; killing the launcher here left its registry
  // placeholders behind and reported a signal instead of the command's 130.
  block_supervised_signals();

  if (argc >= 3 && strcmp(argv[1], "--status-fd") == 0) {
    take_status_fd(argv[2]);
    argc -= 2;
    argv += 2;
  }
  int sealed_bwrap = -1;
  if (argc >= 3 && strcmp(argv[1], "--sealed-bwrap-fd") == 0) {
    sealed_bwrap = take_sealed_bwrap_fd(argv[2]);
    argc -= 2;
    argv += 2;
  }
  std::vector<char*> payload;
  int count = argc - 1;
  char** args = argv + 1;
  if (argc >= 2 && strcmp(argv[1], "--env-args") == 0) {
    if (argc != 2) die_msg("--env-args takes no other arguments (they come through %s)", kEnvArgsName);
    payload = read_env_args();
    count = static_cast<int>(payload.size());
    args = payload.data();
  } else if (argc >= 2 && strcmp(argv[1], "--payload-fd") == 0) {
    if (argc != 3) die_msg("--payload-fd N takes no other arguments (the rest comes through fd N)");
    payload = read_payload_args(parse_payload_fd(argv[2]));
    ensure_stdio_open();  // the payload may have come through (and closed) stdin
    count = static_cast<int>(payload.size());
    args = payload.data();
  }
  // Whatever mode was used, the plan's variable must not reach bwrap or the command (a caller's
  // environment could also carry one).
  drop_env_args();
  OuterOptions options;
  parse_outer_options(count, args, &options);

  const bool bwrap = options.program_kind != ProgramKind::Direct;
  if (sealed_bwrap >= 0 && options.program_kind != ProgramKind::BwrapVerified) {
    die_msg("--sealed-bwrap-fd needs --bwrap-verified (it is a copy of the bundled bwrap)");
  }
  // Direct mode execs the command itself, which must die with Node (SIGKILL cannot be trapped).
  // The supervising launcher takes SIGTERM so it can still kill bwrap and clean the registry.
  die_with_parent(bwrap ? SIGTERM : SIGKILL, parent);
  move_status_fd_above(options.placed);
  sealed_bwrap = move_fd_above(sealed_bwrap, options.placed, "the sealed bwrap fd");
  close_inherited_fds(status_fd(), sealed_bwrap);
  const PlacedReadEnds read_ends = place_fds(options.placed);
  if (options.chdir_path != nullptr && chdir(options.chdir_path) < 0) die_errno("chdir", options.chdir_path, errno);
  join_fresh_session_keyring();

  if (!bwrap) run_direct(options);
  // bwrap runs outside the sandbox and is usually linked dynamically: LD_PRELOAD, LD_LIBRARY_PATH or
  // LD_DEBUG_OUTPUT meant for the command would act on it (ld.so(8)). It sees only the packed records.
  // A command longer than bwrap's argument cap (bubblewrap.c MAX_ARGS) reaches the inner stage in
  // the environment instead; bwrap's argv keeps the inner stage's options and `--command-from-env --`.
  std::vector<char*> moved;
  if (options.command_via_env > 0) {
    auto end = options.command.end() - 1;  // the NULL terminator stays
    moved.assign(end - static_cast<std::ptrdiff_t>(options.command_via_env), end);
    options.command.erase(end - static_cast<std::ptrdiff_t>(options.command_via_env), end);
  }
  if (options.command_env_set) export_command_env(options.command_env, moved);

  int verified_fd = -1;
  // A sealed copy the caller checked once replaces hashing the 1 MB file on every launch.
  if (options.program_kind == ProgramKind::BwrapVerified) verified_fd = sealed_bwrap >= 0 ? sealed_bwrap : open_verified_bwrap(options.command[0]);
  Registry registry;
  Registry* registry_ptr = nullptr;
  if (options.registry_dir != nullptr) {
    registry_open(options.registry_dir, &registry);
    registry_register(&registry, options.synthetic_targets);
    registry_ptr = &registry;
  }
  // After registry_register: ROOT/.git is then a registered placeholder, removed when left empty.
  fresh_git_prepare(options.fresh_git, registry);
  // Checked before bwrap starts: a swapped socket fails here (125) and nothing runs.
  const int proxy_fd = options.proxy_socket != nullptr ? open_proxy_socket(options.proxy_socket, options.proxy_dev, options.proxy_ino) : -1;
  supervise_bwrap(SuperviseParams{&options, verified_fd, read_ends.info, read_ends.started, registry_ptr, proxy_fd});
}

// The init of one isolated session command (isolate.h), pid 1 of the pid, IPC and mount namespaces the
// supervisor cloned for it. It runs in the supervisor's memory (clone with CLONE_VM, no exec): an exec
// of even a few pages costs each command a fresh address space, its page faults and its tear-down
// (page-table work, which a PVM guest traps), which was most of isolation's price after the command's
// own exec. The supervisor goes on meanwhile, so this code touches only its own stack and the memory
// the supervisor set aside for it until it is reaped (isolate.cc InitMemory): system calls only (no
// C library, whose errno is the supervisor's thread-local), no allocation, no global written.
// Its memory is the supervisor's, not dumpable (prctl(2) PR_SET_DUMPABLE is per address space): the
// command cannot ptrace it or read it through /proc.
//
// argv (written by the supervisor, isolate.cc init_argv):
//   session-init --session-init N ro... M masked... cwd E env... K candidates... argv...
// fds: the command's stdin, stdout, stderr, moved to 100..102 first (nothing else is kept open).
// Outcome (init_run.h SessionInitArgs): the failed step and its errno (an empty step: the command's
// exec failed, the supervisor words it), or the command's wait status, written into the supervisor's
// memory just before the init exits; the supervisor reads it once it has reaped the init.
// isolation 'none' (session_plain_run) reports on a pipe instead: u32 errno, u32 0 if the exec failed.
#include "init_sys.h"
#include "init_run.h"

enum { kStdin = 100, kStdout = 101, kStderr = 102, kReport = 103, kMaxList = 64 };

static long write_all(int fd, const void* data, unsigned long size) {
  const char* p = (const char*)data;
  while (size > 0) {
    long n = sys_write(fd, p, size);
    if (n == -EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    size -= (unsigned long)n;
  }
  return 0;
}

static unsigned long str_len(const char* s) {
  unsigned long n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

__attribute__((noreturn)) static void report_to(int fd, long err, const char* what) {
  unsigned int head[2] = {(unsigned int)err, (unsigned int)str_len(what)};
  write_all(fd, head, sizeof head);
  write_all(fd, what, head[1]);
  sys_exit_group(0);
}

// The isolated init's failure, left for the supervisor (init_run.h), then its exit (the pid namespace ends).
__attribute__((noreturn)) static void report_failure(struct SessionInitArgs* out, long err, const char* what) {
  out->failed_errno = (int)err;
  out->failed_what = what;
  sys_exit_group(0);
}

// A failed step: the supervisor appends strerror(err) to the text.
static void check(struct SessionInitArgs* out, long result, const char* what) {
  if (result < 0) report_failure(out, -result, what);
}

// As isolate.cc did before: a bind made read-only, keeping the atime flags the kernel locked on the
// source (mount(2) MS_REMOUNT with MS_BIND; bubblewrap's bind_mount does the same).
// Returns without a mount only when `target` does not exist (the kernel has no such /proc entry): an
// ENOENT from the bind is told apart from a missing source by access(2) on the target, on that rare path
// only (one system call fewer per mask than an access(2) before every bind). A missing source with the
// target present still refuses the command: never a mask silently left off.
static void bind_read_only(struct SessionInitArgs* out, const char* source, const char* target, int nodev) {
  long bound = sys_mount(source, target, 0, MS_BIND | MS_REC, 0);
  if (bound == -ENOENT && sys_access(target, F_OK) != 0) return;
  check(out, bound, "session command set-up: bind mount of a /proc mask");
  struct statfs st;
  check(out, sys_statfs(target, &st), "session command set-up: statfs of a /proc mask");
  // statfs(2) f_flags are ST_* (statvfs(3)): ST_NODEV 4, ST_NOATIME 1024, ST_NODIRATIME 2048, ST_RELATIME 4096.
  unsigned long keep = 0;
  if (st.f_flags & 1024) keep |= MS_NOATIME;
  if (st.f_flags & 2048) keep |= MS_NODIRATIME;
  if (st.f_flags & 4096) keep |= MS_RELATIME;
  if (nodev || (st.f_flags & 4)) keep |= MS_NODEV;
  check(out, sys_mount(0, target, 0, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC | keep, 0), "session command set-up: read-only remount of a /proc mask");
}

// A path of the init's own fresh /proc (mounted just before, nosuid, nodev, noexec and relatime by
// default) bound read-only onto itself. No access(2) and no statfs(2) first: ENOENT from the bind means
// the kernel has no such entry (as access(2) said before), and that mount's flags are the ones set here,
// none locked (it was made in this namespace; mount_namespaces(7) "locked"), so the remount keeps them.
// Were a flag locked after all, the remount fails and the command is refused, never started with a
// writable mask. Returns 0, or -ENOENT when the entry does not exist.
static long proc_read_only(struct SessionInitArgs* out, const char* path) {
  long r = sys_mount(path, path, 0, MS_BIND | MS_REC, 0);
  if (r == -ENOENT) return r;
  check(out, r, "session command set-up: bind mount of a /proc mask");
  check(out, sys_mount(0, path, 0, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME, 0), "session command set-up: read-only remount of a /proc mask");
  return 0;
}

// Signals the init passes on to the command's process group (a SIGNAL frame reaches the init).
// The supervisor clones each init with these (and SIGCHLD) blocked (init_run.h).
const int session_init_forwarded[kSessionInitForwarded] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGALRM, SIGTSTP};

static unsigned long parse_count(char** argv, int argc, int* i) {
  if (*i >= argc) sys_exit_group(125);
  unsigned long n = 0;
  const char* s = argv[(*i)++];
  if (*s == '\0') sys_exit_group(125);
  for (; *s != '\0'; ++s) {
    if (*s < '0' || *s > '9' || n > 100000) sys_exit_group(125);
    n = n * 10 + (unsigned long)(*s - '0');
  }
  if (n > (unsigned long)(argc - *i)) sys_exit_group(125);
  return n;
}

struct Spawn {
  const char* cwd;
  char** candidates;
  unsigned long n_candidates;
  char** argv;
  char** envp;
  int new_session;   // setsid (a session and group of its own) rather than setpgid (a group in the init's session)
  int stdio[3];      // the fds dup'd onto 0..2
  int cloexec_rest;  // fds above 2 were not closed before: all made close-on-exec before the exec
  volatile int err;  // written by the child (shared memory) when its exec fails
};

// The command's child, on its own stack in this init's memory until it execs: system calls only.
static int spawn_child(void* p) {
  struct Spawn* spawn = (struct Spawn*)p;
  unsigned long none = 0;
  struct ksigaction dfl = {0, 0, 0, 0};  // SIG_DFL: dispositions are per process here (no CLONE_SIGHAND)
  // Ignored by the supervisor (its pipes): an ignored signal stays ignored across exec (signal(7)),
  // and a command ignoring SIGPIPE would not end when its reader goes (`yes | head`). Every other
  // disposition is the supervisor's default (it reset any its starter ignored) or a handler, which exec
  // resets; the init installs none (session_init_run).
  sys_rt_sigaction(SIGPIPE, &dfl, 0);
  // setsid(2) returns the new session's id, setpgid(2) 0: both >= 0 on success. (`== 0` here skipped the
  // stdin dup3 after a setsid, so an isolation 'none' command had no stdin of its own.)
  long err = spawn->new_session ? sys_setsid() : sys_setpgid(0, 0);
  if (err >= 0) err = sys_dup3(spawn->stdio[0], 0, 0);
  if (err >= 0) err = sys_dup3(spawn->stdio[1], 1, 0);
  if (err >= 0) err = sys_dup3(spawn->stdio[2], 2, 0);
  // Every other fd (the supervisor's frame channel, signalfd, other commands' pipes) closed by the exec:
  // one close_range(2) CLOSE_RANGE_CLOEXEC (Linux 5.11) instead of moving and closing them one range at
  // a time; an exec that fails leaves them to this child's exit.
  if (err >= 0 && spawn->cloexec_rest) err = sys_close_range_flags(3, ~0U, CLOSE_RANGE_CLOEXEC);
  if (err >= 0) err = sys_chdir(spawn->cwd);
  if (err >= 0) err = sys_rt_sigprocmask(SIG_SETMASK, &none, 0);
  if (err >= 0) {
    int denied = 0;
    for (unsigned long k = 0; k < spawn->n_candidates; ++k) {
      err = sys_execve(spawn->candidates[k], spawn->argv, spawn->envp);
      if (err == -EACCES) denied = 1;
      // execvp(3): keep searching past a directory that lacks it or is unusable.
      if (err != -ENOENT && err != -ENOTDIR && err != -EACCES) break;
    }
    if (denied && (err == -ENOENT || err == -ENOTDIR)) err = -EACCES;
  }
  spawn->err = (int)-err;
  return 127;
}

// Moved out of the way, then everything else closed: the init (or a command without isolation) must
// not hold the supervisor's frame channel, its signalfd or another command's pipes. In two steps: with
// many commands running, a source fd may itself be one of 100..103, and a direct dup3 would overwrite
// it before it was moved. All close-on-exec: the command gets 100..102 dup'd onto 0..2 only. `n`: 4
// with a report pipe (103), 3 without (the isolated init).
static void move_fds(const int fds[4], int n) {
  int above[4];
  int clash = 0;
  const int last = kStdin + n - 1;
  for (int k = 0; k < n; ++k) clash |= fds[k] >= kStdin && fds[k] <= last;
  if (!clash) {
    // No source among 100..last (the usual case): one dup3 each cannot overwrite a source not yet moved.
    for (int k = 0; k < n; ++k) {
      if (sys_dup3(fds[k], kStdin + k, O_CLOEXEC) < 0) sys_exit_group(125);
    }
    if (sys_close_range(0, kStdin - 1) < 0 || sys_close_range(last + 1, ~0U) < 0) sys_exit_group(125);
    return;
  }
  for (int k = 0; k < n; ++k) {
    long fd = sys_fcntl(fds[k], F_DUPFD_CLOEXEC, last + 1);
    if (fd < 0) sys_exit_group(125);
    above[k] = (int)fd;
  }
  for (int k = 0; k < n; ++k) {
    if (sys_dup3(above[k], kStdin + k, O_CLOEXEC) < 0) sys_exit_group(125);
  }
  if (sys_close_range(0, kStdin - 1) < 0 || sys_close_range(last + 1, ~0U) < 0) sys_exit_group(125);
}

// The command's part of the argv from *i on (cwd E env... K candidates... argv...) into *spawn; the
// env slice is NULL-terminated in place (the slot after the last variable, already read, is overwritten).
static void parse_command(char** argv, int argc, int* i, struct Spawn* spawn) {
  if (*i >= argc) sys_exit_group(125);
  spawn->cwd = argv[(*i)++];
  unsigned long n_env = parse_count(argv, argc, i);
  spawn->envp = argv + *i;
  *i += (int)n_env;
  spawn->n_candidates = parse_count(argv, argc, i);
  spawn->candidates = argv + *i;
  *i += (int)spawn->n_candidates;
  if (*i >= argc || spawn->n_candidates == 0) sys_exit_group(125);
  spawn->argv = argv + *i;
  spawn->envp[n_env] = 0;
  spawn->new_session = 0;
  spawn->stdio[0] = kStdin;
  spawn->stdio[1] = kStdout;
  spawn->stdio[2] = kStderr;
  spawn->cloexec_rest = 0;
  spawn->err = 0;
}

int session_plain_run(void* p) {
  const struct SessionInitArgs* args = (const struct SessionInitArgs*)p;
  // No /proc masks without namespaces: the argv's two counts are 0.
  int i = 2;
  if (parse_count(args->argv, args->argc, &i) != 0 || parse_count(args->argv, args->argc, &i) != 0) sys_exit_group(125);
  struct Spawn spawn;
  parse_command(args->argv, args->argc, &i, &spawn);
  // This child is the command itself: its stdio is dup'd straight from the supervisor's pipe ends and the
  // rest made close-on-exec at once (5 system calls fewer than moving them to 100..103 and closing the
  // others). Only when every source is above 2, so no dup3 onto 0..2 can overwrite a source not yet dup'd.
  int report = kReport;
  if (args->fds[0] > 2 && args->fds[1] > 2 && args->fds[2] > 2 && args->fds[3] > 2) {
    for (int k = 0; k < 3; ++k) spawn.stdio[k] = args->fds[k];
    spawn.cloexec_rest = 1;
    report = args->fds[3];
  } else {
    move_fds(args->fds, 4);
  }
  // A session of its own, as an isolated command's init and sandbox.spawn's (bwrap --new-session) have:
  // no terminal to share, and on a loaded host its own autogroup (sched(7) "The autogroup feature")
  // rather than one group shared by every command of the session and the supervisor.
  spawn.new_session = 1;
  // The command itself: returns only if no candidate could be exec'd (the report pipe, close-on-exec,
  // reads EOF without a word once one was).
  spawn_child(&spawn);
  report_to(report, spawn.err, "");
}

int session_init_run(void* p) {
  struct SessionInitArgs* args = (struct SessionInitArgs*)p;
  int argc = args->argc;
  char** argv = args->argv;
  move_fds(args->fds, 3);
  // Set again (it is the supervisor's address space's flag, already clear; prctl(2) PR_SET_DUMPABLE),
  // so the command (same uid) cannot ptrace this init or read its memory, fds or environment.
  check(args, sys_prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "session command set-up: prctl(PR_SET_DUMPABLE)");
  // Named apart from the supervisor (ps, /proc/PID/comm).
  sys_prctl(PR_SET_NAME, (unsigned long)"session-init", 0, 0, 0);
  // The supervisor dies, so does this namespace (its init first, then the kernel kills the rest).
  check(args, sys_prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "session command set-up: prctl(PR_SET_PDEATHSIG)");
  int i = 2;
  char* read_only[kMaxList];
  char* masked[kMaxList];
  unsigned long n_ro = parse_count(argv, argc, &i);
  if (n_ro > kMaxList) sys_exit_group(125);
  for (unsigned long k = 0; k < n_ro; ++k) read_only[k] = argv[i++];
  unsigned long n_masked = parse_count(argv, argc, &i);
  if (n_masked > kMaxList) sys_exit_group(125);
  for (unsigned long k = 0; k < n_masked; ++k) masked[k] = argv[i++];
  struct Spawn spawn;
  parse_command(argv, argc, &i, &spawn);

  // A session and group of its own: the supervisor's kill(-pid) reaches this init; a session also
  // gives each command its own autogroup on a loaded host (sched(7) "The autogroup feature").
  check(args, sys_setsid(), "session command set-up: setsid");
  // Private first: mounts made here must never propagate back into the supervisor's namespace.
  check(args, sys_mount(0, "/", 0, MS_REC | MS_PRIVATE, 0), "session command set-up: making the command's mounts private");
  // The command's own /proc: through the sandbox's it would see, and could signal, the supervisor and
  // every other command. The sandbox's masks again (runc libcontainer/specconv/example.go
  // ReadonlyPaths, MaskedPaths): with the caller root, /proc/sys writable would let the command set
  // kernel.core_pattern.
  check(args, sys_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, 0), "session command set-up: mount proc on /proc");
  for (unsigned long k = 0; k < n_ro; ++k) proc_read_only(args, read_only[k]);
  for (unsigned long k = 0; k < n_masked; ++k) {
    bind_read_only(args, "/dev/null", masked[k], 0);
  }
  // Every capability gone, no ambient, then checked: a capability kept here would let the command
  // unmount the sandbox's read-only binds and masks (capabilities(7); user_namespaces(7)). The bounding
  // set is already empty: the supervisor emptied it once (supervisor_main.cc empty_bounding_set) and a
  // dropped capability never comes back; the two bubblewrap kept are checked again below.
  // no_new_privs is inherited and set again.
  check(args, sys_prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "session command set-up: prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
  struct cap_header header = {kCapVersion3, 0};
  struct cap_data data[2] = {{0, 0, 0}, {0, 0, 0}};
  check(args, sys_capset(&header, data), "session command set-up: capset (dropping every capability)");
  check(args, sys_prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "session command set-up: prctl(PR_SET_NO_NEW_PRIVS)");
  check(args, sys_capget(&header, data), "session command set-up: capget");
  for (int k = 0; k < 2; ++k) {
    if (data[k].effective != 0 || data[k].permitted != 0 || data[k].inheritable != 0) report_failure(args, EPERM, "session command set-up: capabilities remained after dropping them; refusing to run the command");
  }
  if (sys_prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0 || sys_prctl(PR_CAPBSET_READ, CAP_SETPCAP, 0, 0, 0) != 0) {
    report_failure(args, EPERM, "session command set-up: a capability remained in the bounding set; refusing to run the command");
  }
  // Blocked from this init's first instruction and for good, taken with rt_sigtimedwait below (the
  // command's child sets an empty mask before its exec): the supervisor clones it with them blocked
  // (isolate.cc kInitSignals; a clone inherits the signal mask). The supervisor sends a SIGNAL frame's
  // signal to this init at once, even while it sets up: a pid namespace's init drops a signal it neither
  // handles nor blocks (SIGNAL_UNKILLABLE, kernel/signal.c sig_task_ignored), but a blocked signal is
  // never discarded as ignored (sig_ignored), so it stays pending and is forwarded once the command runs.
  unsigned long waited = sig_bit(SIGCHLD);
  for (int k = 0; k < kSessionInitForwarded; ++k) waited |= sig_bit(session_init_forwarded[k]);

  // The command: a vfork-style child (CLONE_VM | CLONE_VFORK: no page tables of its own to build and
  // throw away at its exec, as posix_spawn(3) does) in its own process group, stdio 0..2, the cwd,
  // default dispositions and an empty mask, then execve over the PATH candidates as execvp(3) would.
  // This init resumes once the child has exec'd or failed (its errno is left in `spawn.err`).
  // On this init's own stack (a static one would be shared by every init in the supervisor's memory).
  char child_stack[16384] __attribute__((aligned(16)));
  long pid = init_vfork_run(spawn_child, &spawn, child_stack + sizeof child_stack);
  check(args, pid, "session command set-up: clone (the command's process)");
  if (spawn.err != 0) {
    int status = 0;
    sys_wait4((int)pid, &status, 0);
    report_failure(args, spawn.err, "");
  }
  // No handlers: the waited signals stay blocked for the init's whole life, and a blocked signal is never
  // discarded as ignored, not even by a pid namespace's init whose action is the default (kernel/signal.c
  // sig_ignored: "Blocked signals are never ignored"; do_sigtimedwait keeps them in real_blocked while
  // it waits), so rt_sigtimedwait below takes each one, from inside or outside the namespace, as it did
  // with handlers installed: 11 rt_sigaction calls fewer per command.
  // The command's stdio, held no longer (one call for the three).
  sys_close_range(kStdin, kStderr);
  for (;;) {
    struct ksiginfo info;
    long sig = sys_rt_sigtimedwait(&waited, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      sys_kill((int)-pid, (int)sig);  // the command's group
      continue;
    }
    for (;;) {
      int status = 0;
      long reaped = sys_wait4(-1, &status, WNOHANG);
      if (reaped <= 0) break;
      if (reaped == pid) {
        // Exiting ends the pid namespace: the kernel kills every process left in it (background
        // jobs, `setsid` ones included) and this exit completes once they are gone (pid_namespaces(7)).
        args->status = status;
        args->exited = 1;
        sys_exit_group(0);
      }
    }
  }
}

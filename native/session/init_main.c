// The init of isolated session commands (isolate.h), pid 1 of the pid, IPC and mount namespaces the
// supervisor cloned for it, running its commands one after another (session_init_run). It runs in the
// supervisor's memory (clone with CLONE_VM, no exec): an exec
// of even a few pages costs each command a fresh address space, its page faults and its tear-down
// (page-table work, which a PVM guest traps), which was most of isolation's price after the command's
// own exec. The supervisor goes on meanwhile, so this code touches only its own stack and the memory
// the supervisor set aside for it until it is reaped (isolate.cc InitMemory): system calls only (no
// C library, whose errno is the supervisor's thread-local), no allocation, no global written.
// Its memory is the supervisor's, not dumpable (prctl(2) PR_SET_DUMPABLE is per address space): the
// command cannot ptrace it or read it through /proc.
//
// Its own argv (isolate.cc new_init): session-init --session-init N ro... M masked...; each command's
// (isolate.cc init_argv, rewritten by the supervisor while the init is idle): cwd E env... K
// candidates... argv... fds: its socket to the supervisor at 103 (init_run.h SessionInitMessage), a
// command's stdin, stdout, stderr at 0..2 as a GO brings them. Outcome of each command (init_run.h
// SessionInitArgs): the failed step and its errno (an empty step: the command's exec failed, the
// supervisor words it), or the command's wait status, written into the supervisor's memory before DONE
// (or before the init exits, when it cannot take another command: read once it is reaped).
// isolation 'none' (session_plain_run; argv: session-init --session-init 0 0 cwd ...) reports on a
// pipe instead: u32 errno, u32 0 if the exec failed.
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
  int stdio[3];      // the fds dup'd onto 0..2 (all -1: already there)
  int cloexec_rest;  // fds above 2 were not closed before: all made close-on-exec before the exec
  int isolated;      // an isolated init's command: every capability dropped first
  int fresh_ipc;     // and a fresh IPC namespace of its own (when the init cannot watch its own: ipc_watch)
  volatile int err;  // written by the child (shared memory) when its set-up or exec fails
  const char* volatile what;  // with err: the set-up step that failed, "" the exec
};

// An isolated command's own set-up, in its child before the exec (the init keeps its capabilities: it
// makes this for every command it runs). Only when the init cannot watch its IPC namespace (ipc_watch),
// a fresh IPC namespace for the command, so no System V object or POSIX message queue outlives it into
// the next command (ipc_namespaces(7)). Then every capability gone, no ambient, and checked: a capability kept would let
// the command unmount the sandbox's read-only binds and masks (capabilities(7); user_namespaces(7)). The
// bounding set is empty (the supervisor emptied it, supervisor_main.cc empty_bounding_set; the init
// checked it) and no_new_privs is set (inherited). Returns 0, or -errno with *what set.
static long drop_to_command(int fresh_ipc, const char** what) {
  long r = fresh_ipc ? sys_unshare(CLONE_NEWIPC) : 0;
  *what = "session command set-up: unshare(CLONE_NEWIPC)";
  if (r < 0) return r;
  *what = "session command set-up: prctl(PR_CAP_AMBIENT_CLEAR_ALL)";
  r = sys_prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (r < 0) return r;
  struct cap_header header = {kCapVersion3, 0};
  struct cap_data data[2] = {{0, 0, 0}, {0, 0, 0}};
  *what = "session command set-up: capset (dropping every capability)";
  r = sys_capset(&header, data);
  if (r < 0) return r;
  *what = "session command set-up: capget";
  r = sys_capget(&header, data);
  if (r < 0) return r;
  for (int k = 0; k < 2; ++k) {
    if (data[k].effective != 0 || data[k].permitted != 0 || data[k].inheritable != 0) {
      *what = "session command set-up: capabilities remained after dropping them; refusing to run the command";
      return -EPERM;
    }
  }
  *what = "";
  return 0;
}

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
  // A group of its own (the init forwards signals to it): in the init's session for an isolated command
  // (a session it does not lead, as sandbox.spawn's command in bwrap's --new-session); isolation 'none':
  // a session of its own. setsid(2) returns the new session's id, setpgid(2) 0: both >= 0 on success.
  const char* what = "";
  long err = spawn->isolated ? sys_setpgid(0, 0) : sys_setsid();
  if (err >= 0 && spawn->isolated) err = drop_to_command(spawn->fresh_ipc, &what);
  for (int k = 0; k < 3 && err >= 0; ++k) {
    if (spawn->stdio[k] >= 0) err = sys_dup3(spawn->stdio[k], k, 0);
  }
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
  spawn->what = what;
  spawn->err = (int)-err;
  return 127;
}

// isolation 'none', when a source is among 0..2: moved out of the way, then everything else closed: a
// command must not hold the supervisor's frame channel, its signalfd or another command's pipes. In two
// steps: with many commands running, a source fd may itself be one of 100..103, and a direct dup3 would
// overwrite it before it was moved. All close-on-exec: the command gets 100..102 dup'd onto 0..2 only.
// `n`: 4 (with the report pipe at 103).
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
  spawn->isolated = 0;
  spawn->fresh_ipc = 0;
  spawn->what = "";
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
  // A session of its own (spawn_child), as an isolated command and sandbox.spawn's (bwrap --new-session)
  // have: no terminal to share, and on a loaded host its own autogroup (sched(7) "The autogroup feature")
  // rather than one group shared by every command of the session and the supervisor.
  // The command itself: returns only if no candidate could be exec'd (the report pipe, close-on-exec,
  // reads EOF without a word once one was).
  spawn_child(&spawn);
  report_to(report, spawn.err, "");
}

// What a command of this init may change in it from outside (same uid, no capability needed):
// resource limits (prlimit(2) on another process), scheduling policy and nice (setpriority(2),
// sched_setattr(2) lowering them), CPU affinity (sched_setaffinity(2)), I/O priority (ioprio_set(2))
// and, when the sandbox's uid is the namespace's root, its OOM score adjustment (proc(5)
// /proc/PID/oom_score_adj); and the nice of the autogroup of this init's session, which its commands
// share (sched(7) "The autogroup feature": /proc/PID/autogroup, writable by the process's owner). Each is inherited by the next command this init starts: snapshot once,
// compared after each command; any change and the init takes no other command (it exits).
enum { kLimitsText = 2048, kAttrSize = 56, kAffinity = 128, kOomText = 16, kAutogroupText = 64 };
struct Attributes {
  char limits[kLimitsText];  // /proc/self/limits: every resource limit in one read (proc(5))
  long limits_size;
  unsigned char sched[kAttrSize];
  unsigned char affinity[kAffinity];
  long affinity_size;
  long ioprio;
  char oom[kOomText];
  long oom_size;
  char autogroup[kAutogroupText];  // /proc/self/autogroup: its nice, which the commands (in this init's session) share
  long autogroup_size;
};

static int read_attributes(struct Attributes* a, int limits_fd, int oom_fd, int autogroup_fd) {
  for (unsigned long k = 0; k < sizeof *a; ++k) ((unsigned char*)a)[k] = 0;
  a->limits_size = sys_pread(limits_fd, a->limits, kLimitsText, 0);
  if (a->limits_size <= 0 || a->limits_size >= kLimitsText) return -1;
  if (sys_sched_getattr(a->sched, kAttrSize) < 0) return -1;
  a->affinity_size = sys_sched_getaffinity(kAffinity, a->affinity);
  a->ioprio = sys_ioprio_get();
  a->oom_size = oom_fd >= 0 ? sys_pread(oom_fd, a->oom, kOomText, 0) : 0;
  a->autogroup_size = autogroup_fd >= 0 ? sys_pread(autogroup_fd, a->autogroup, kAutogroupText, 0) : 0;
  return a->affinity_size < 0 || a->ioprio < 0 || a->oom_size < 0 || a->autogroup_size < 0 ? -1 : 0;
}

static int same_attributes(const struct Attributes* a, const struct Attributes* b) {
  const unsigned char* x = (const unsigned char*)a;
  const unsigned char* y = (const unsigned char*)b;
  for (unsigned long k = 0; k < sizeof *a; ++k) {
    if (x[k] != y[k]) return 0;
  }
  return 1;
}

enum { kSocket = 103, kSignals = 104, kOom = 105, kLimitsFd = 106, kSysvShm = 107, kMqueue = 110, kAutogroup = 111, kCleanupRounds = 16 };

// The init's IPC namespace, watched: System V objects live in it until removed (they outlive their
// creator), and so do POSIX message queues (files of the namespace's mqueue filesystem). /proc/sysvipc/
// shm, msg and sem list the objects of the IPC namespace of whoever opened them (ipc/util.c
// sysvipc_proc_open), held open at 107..109; the namespace's mqueue filesystem (keyed by the IPC
// namespace, ipc/mqueue.c mqueue_get_tree) as a detached mount (fsopen(2), fsmount(2): in no mount
// tree, nothing a command can see), its root open at 110. After each command: if it left any object,
// a fresh IPC namespace (unshare(2) CLONE_NEWIPC, by this init, which holds CAP_SYS_ADMIN) for the next
// command, and these opened again in it. Returns 0, or -1 (the caller falls back or exits).
static int ipc_watch(void) {
  static const char* const kSysv[3] = {"/proc/sysvipc/shm", "/proc/sysvipc/msg", "/proc/sysvipc/sem"};
  // Every fd opened here is moved above 100 or closed, on every path: 0..2 must stay free for the
  // commands' stdio (session_init_run takes a GO's fds only at 0..2).
  for (int k = 0; k < 3; ++k) {
    long fd = sys_openat(kSysv[k], O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    long moved = sys_dup3((int)fd, kSysvShm + k, O_CLOEXEC);
    sys_close((int)fd);
    if (moved < 0) return -1;
  }
  long fs = sys_fsopen("mqueue", FSOPEN_CLOEXEC);
  if (fs < 0) return -1;
  long mnt = sys_fsconfig((int)fs, FSCONFIG_CMD_CREATE) < 0 ? -1 : sys_fsmount((int)fs, FSMOUNT_CLOEXEC);
  sys_close((int)fs);
  if (mnt < 0) return -1;
  long dir = sys_openat_at((int)mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  sys_close((int)mnt);
  if (dir < 0) return -1;
  long moved = sys_dup3((int)dir, kMqueue, O_CLOEXEC);
  sys_close((int)dir);
  return moved < 0 ? -1 : 0;
}

// 1 if the watched IPC namespace holds any object, 0 if none, -1 if that cannot be told.
static int ipc_used(void) {
  char text[512];
  for (int k = 0; k < 3; ++k) {
    // A header line, then one line per object.
    long n = sys_pread(kSysvShm + k, text, sizeof text, 0);
    if (n <= 0) return -1;
    long line = 0;
    while (line < n && text[line] != '\n') ++line;
    if (line >= n) return -1;
    if (n > line + 1) return 1;
  }
  unsigned char entries[1024];
  if (sys_lseek(kMqueue, 0, 0) != 0) return -1;
  long n = sys_getdents64(kMqueue, entries, sizeof entries);
  if (n < 0) return -1;
  // struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, name; only "." and ".." when empty.
  for (long at = 0; at + 19 < n;) {
    unsigned short reclen = (unsigned short)(entries[at + 16] | (entries[at + 17] << 8));
    const char* name = (const char*)entries + at + 19;
    if (reclen == 0) return -1;
    if (!(name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))) return 1;
    at += reclen;
  }
  return 0;
}

// Ends everything of the command that just ran, then proves it. Every process of this pid namespace
// descends from this init or was re-parented to it (none can join from outside: setns(2) needs
// CAP_SYS_ADMIN, which no command holds; an orphan goes to a subreaper inside, or here, and a dying
// subreaper's children come here too: kernel/exit.c forget_original_parent, find_new_reaper), so once
// wait4(2) finds no child at all (ECHILD, __WALL: whatever their exit signal), nothing of the command is
// left. Until then: SIGKILL to every process of the namespace (kill(2) pid -1 from its init: every
// process but itself, kernel/signal.c kill_something_info; a fork racing it is cancelled, kernel/fork.c
// copy_process "Let kill terminate clone/fork in the middle"), reaped until ECHILD, and again while
// any was left (setsid jobs, double forks, a subreaper's children). Returns 0 once proven, -1 if not
// (the init then takes no other command: it exits, and the kernel kills whatever is left).
static int end_everything(void) {
  for (int round = 0; round < kCleanupRounds; ++round) {
    int status = 0;
    long r = sys_wait4(-1, &status, WNOHANG | __WALL);
    if (r == -EINTR || r > 0) continue;
    if (r == -ECHILD) return 0;
    if (r != 0) return -1;
    // Children left (running, stopped or traced): killed, then reaped until none is left.
    long k = sys_kill(-1, SIGKILL);
    if (k < 0 && k != -ESRCH) return -1;
    for (;;) {
      r = sys_wait4(-1, &status, __WALL);
      if (r == -EINTR || r > 0) continue;
      if (r == -ECHILD) break;
      return -1;
    }
  }
  return -1;
}

// The outcome of the current command is in *args (failed_what/failed_errno or exited/status): nothing of
// the command is left and no signal meant for it stays pending, or the init exits (the old way: the
// supervisor reads the outcome when it reaps it). Then DONE: this init is idle.
static void finish_command(struct SessionInitArgs* args, unsigned int generation, const struct Attributes* before, int oom_fd, int autogroup_fd, int watching_ipc) {
  if (end_everything() != 0) sys_exit_group(0);
  // Signals from inside the namespace meant for that command (it is gone: no later one comes from there).
  struct ksiginfo drained[4];
  while (sys_read(kSignals, drained, sizeof drained) > 0) {
  }
  struct Attributes after;
  if (read_attributes(&after, kLimitsFd, oom_fd, autogroup_fd) != 0 || !same_attributes(before, &after)) sys_exit_group(0);
  // Objects left in the IPC namespace: the next command gets a fresh one (or this init exits).
  if (watching_ipc) {
    int used = ipc_used();
    if (used != 0 && (used < 0 || sys_unshare(CLONE_NEWIPC) < 0 || ipc_watch() != 0)) sys_exit_group(0);
  }
  struct SessionInitMessage done = {kSessionInitDone, generation, 0};
  struct kiovec iov = {&done, sizeof done};
  struct kmsghdr m = {0, 0, &iov, 1, 0, 0, 0};
  long n;
  do {
    n = sys_sendmsg(kSocket, &m, kMsgNosignal);
  } while (n == -EINTR);
  if (n != (long)sizeof done) sys_exit_group(0);
}

// The next message from the supervisor: 1 (a message in *out, *fds_received of its SCM_RIGHTS fds into
// fds[]), 0 (its end closed: the session or this init ends), or -1 (an error).
static int receive(struct SessionInitMessage* out, int fds[3], int* fds_received, int flags) {
  union {
    struct kcmsghdr header;
    unsigned char bytes[sizeof(struct kcmsghdr) + 16];
  } control;
  struct kiovec iov = {out, sizeof *out};
  struct kmsghdr m = {0, 0, &iov, 1, &control, sizeof control, 0};
  long n;
  do {
    n = sys_recvmsg(kSocket, &m, flags);
  } while (n == -EINTR);
  *fds_received = 0;
  if (n == 0) return 0;
  if (n < 0) return n == -EAGAIN ? 2 : -1;
  if (m.controllen >= sizeof(struct kcmsghdr) && control.header.level == kSolSocket && control.header.type == kScmRights) {
    *fds_received = (int)((control.header.len - sizeof(struct kcmsghdr)) / sizeof(int));
    const int* got = (const int*)(control.bytes + sizeof(struct kcmsghdr));
    for (int k = 0; k < *fds_received && k < 3; ++k) fds[k] = got[k];
  }
  if ((m.flags & kMsgCtrunc) != 0 || n != (long)sizeof *out || *fds_received > 3) return -1;
  return 1;
}

int session_init_run(void* p) {
  struct SessionInitArgs* args = (struct SessionInitArgs*)p;
  // Its socket to the supervisor at 103, close-on-exec; nothing else of the supervisor's fds kept.
  // (Already there when the supervisor's own end had that number: dup3 onto itself is EINVAL.)
  if (args->fds[0] == kSocket ? sys_fcntl(kSocket, F_SETFD, FD_CLOEXEC) < 0 : sys_dup3(args->fds[0], kSocket, O_CLOEXEC) < 0) sys_exit_group(125);
  if (sys_close_range(0, kSocket - 1) < 0 || sys_close_range(kSocket + 1, ~0U) < 0) sys_exit_group(125);
  // Set again (it is the supervisor's address space's flag, already clear; prctl(2) PR_SET_DUMPABLE),
  // so a command (same uid) cannot ptrace this init or read its memory, fds or environment.
  check(args, sys_prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "session command set-up: prctl(PR_SET_DUMPABLE)");
  // Named apart from the supervisor (ps, /proc/PID/comm).
  sys_prctl(PR_SET_NAME, (unsigned long)"session-init", 0, 0, 0);
  // The supervisor dies, so does this namespace (its init first, then the kernel kills the rest).
  check(args, sys_prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), "session command set-up: prctl(PR_SET_PDEATHSIG)");
  int argc = args->setup_argc;
  char** argv = args->setup_argv;
  int i = 2;
  char* read_only[kMaxList];
  char* masked[kMaxList];
  unsigned long n_ro = parse_count(argv, argc, &i);
  if (n_ro > kMaxList) sys_exit_group(125);
  for (unsigned long k = 0; k < n_ro; ++k) read_only[k] = argv[i++];
  unsigned long n_masked = parse_count(argv, argc, &i);
  if (n_masked > kMaxList) sys_exit_group(125);
  for (unsigned long k = 0; k < n_masked; ++k) masked[k] = argv[i++];

  // A session and group of its own: the supervisor's kill(-pid) reaches this init.
  check(args, sys_setsid(), "session command set-up: setsid");
  // Private first: mounts made here must never propagate back into the supervisor's namespace.
  check(args, sys_mount(0, "/", 0, MS_REC | MS_PRIVATE, 0), "session command set-up: making the command's mounts private");
  // The commands' own /proc: through the sandbox's they would see, and could signal, the supervisor and
  // every other command. The sandbox's masks again (runc libcontainer/specconv/example.go
  // ReadonlyPaths, MaskedPaths): with the caller root, /proc/sys writable would let a command set
  // kernel.core_pattern. Made once for every command this init runs: no command can change a mount here
  // (it holds no capability, and seccomp refuses the user namespace that would give it one), so the
  // next command finds them as they were made.
  check(args, sys_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, 0), "session command set-up: mount proc on /proc");
  for (unsigned long k = 0; k < n_ro; ++k) proc_read_only(args, read_only[k]);
  for (unsigned long k = 0; k < n_masked; ++k) {
    bind_read_only(args, "/dev/null", masked[k], 0);
  }
  // no_new_privs (inherited, set again) and the bounding set checked: the supervisor emptied it once
  // (supervisor_main.cc empty_bounding_set) and a dropped capability never comes back; the two
  // bubblewrap kept must be gone. This init keeps CAP_SYS_ADMIN (and CAP_SETPCAP) in its effective set,
  // to give each command a fresh IPC namespace; each command's child drops every capability before its
  // exec (drop_to_command), and no command can reach this init's memory (not dumpable) or fds.
  check(args, sys_prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "session command set-up: prctl(PR_SET_NO_NEW_PRIVS)");
  if (sys_prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0 || sys_prctl(PR_CAPBSET_READ, CAP_SETPCAP, 0, 0, 0) != 0) {
    report_failure(args, EPERM, "session command set-up: a capability remained in the bounding set; refusing to run the command");
  }
  // Blocked from this init's first instruction and for good (the supervisor clones it with them blocked,
  // isolate.cc; a clone inherits the signal mask) and read from a signalfd: a pid namespace's init drops a
  // signal it neither handles nor blocks (SIGNAL_UNKILLABLE, kernel/signal.c sig_task_ignored), but a
  // blocked signal is never discarded as ignored (sig_ignored). SIGCHLD, and the forwarded signals a
  // command sends to pid 1 (passed on to its group, as the supervisor's SIGNAL messages are).
  unsigned long waited = sig_bit(SIGCHLD);
  for (int k = 0; k < kSessionInitForwarded; ++k) waited |= sig_bit(session_init_forwarded[k]);
  long sfd = sys_signalfd(&waited, O_CLOEXEC | O_NONBLOCK);
  check(args, sfd, "session command set-up: signalfd");
  check(args, sys_dup3((int)sfd, kSignals, O_CLOEXEC), "session command set-up: dup3 (signalfd)");
  sys_close((int)sfd);
  long oom = sys_openat("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
  if (oom >= 0) {
    check(args, sys_dup3((int)oom, kOom, O_CLOEXEC), "session command set-up: dup3 (oom_score_adj)");
    sys_close((int)oom);
    oom = kOom;
  }
  // Absent without CONFIG_SCHED_AUTOGROUP: nothing to compare then.
  long autogroup = sys_openat("/proc/self/autogroup", O_RDONLY | O_CLOEXEC);
  if (autogroup >= 0) {
    check(args, sys_dup3((int)autogroup, kAutogroup, O_CLOEXEC), "session command set-up: dup3 (autogroup)");
    sys_close((int)autogroup);
    autogroup = kAutogroup;
  }
  long limits = sys_openat("/proc/self/limits", O_RDONLY | O_CLOEXEC);
  check(args, limits, "session command set-up: open /proc/self/limits");
  check(args, sys_dup3((int)limits, kLimitsFd, O_CLOEXEC), "session command set-up: dup3 (/proc/self/limits)");
  sys_close((int)limits);
  // Watched where the kernel allows it; else each command's child makes a fresh IPC namespace.
  const int watching_ipc = ipc_watch() == 0;
  struct Attributes before;
  check(args, read_attributes(&before, kLimitsFd, (int)oom, (int)autogroup), "session command set-up: reading the init's limits and scheduling attributes");

  // The commands, one at a time, each on a GO from the supervisor with its stdin, stdout and stderr.
  // On this init's own stack (a static one would be shared by every init in the supervisor's memory).
  char child_stack[16384] __attribute__((aligned(16)));
  for (;;) {
    struct SessionInitMessage m;
    int fds[3] = {-1, -1, -1};
    int n_fds = 0;
    int got = receive(&m, fds, &n_fds, 0);
    if (got <= 0) sys_exit_group(0);
    if (m.type != kSessionInitGo) {
      // A SIGNAL for a command that already ended (sent before the supervisor had its DONE): dropped.
      for (int k = 0; k < n_fds && k < 3; ++k) sys_close(fds[k]);
      if (m.type == kSessionInitSignal) continue;
      sys_exit_group(125);
    }
    // Received into the lowest free fds, 0..2, in order (this init holds nothing below 103), not
    // close-on-exec: the command's stdio as they are. Anything else and this init ends.
    if (n_fds != 3 || fds[0] != 0 || fds[1] != 1 || fds[2] != 2) report_failure(args, EBADF, "session command set-up: the command's stdio did not arrive at fds 0..2 of its namespace init");
    const unsigned int generation = m.generation;
    args->failed_what = 0;
    args->failed_errno = 0;
    args->exited = 0;
    args->status = 0;
    i = 0;
    struct Spawn spawn;
    parse_command(args->argv, args->argc, &i, &spawn);
    spawn.stdio[0] = spawn.stdio[1] = spawn.stdio[2] = -1;
    spawn.cloexec_rest = 1;
    spawn.isolated = 1;
    spawn.fresh_ipc = !watching_ipc;

    // The command: a vfork-style child (CLONE_VM | CLONE_VFORK: no page tables of its own to build and
    // throw away at its exec, as posix_spawn(3) does) in a session of its own, in a fresh IPC namespace,
    // without capabilities, its cwd, default dispositions and an empty mask, then execve over the PATH
    // candidates as execvp(3) would. This init resumes once the child has exec'd or failed.
    long pid = init_vfork_run(spawn_child, &spawn, child_stack + sizeof child_stack);
    // The command's stdio, held no longer (one call for the three).
    sys_close_range(0, 2);
    if (pid < 0) {
      args->failed_errno = (int)-pid;
      args->failed_what = "session command set-up: clone (the command's process)";
      finish_command(args, generation, &before, (int)oom, (int)autogroup, watching_ipc);
      continue;
    }
    if (spawn.err != 0) {
      args->failed_errno = spawn.err;
      args->failed_what = spawn.what;
      finish_command(args, generation, &before, (int)oom, (int)autogroup, watching_ipc);
      continue;
    }
    for (;;) {
      struct kpollfd waits[2] = {{kSocket, kPollIn, 0}, {kSignals, kPollIn, 0}};
      long ready = sys_ppoll(waits, 2);
      if (ready < 0 && ready != -EINTR) sys_exit_group(0);
      if (waits[0].revents != 0) {
        // SIGNAL messages (or the supervisor's end closed: the session ends, and so does this namespace).
        int k;
        while ((k = receive(&m, fds, &n_fds, kMsgDontwait)) == 1) {
          for (int f = 0; f < n_fds && f < 3; ++f) sys_close(fds[f]);
          if (m.type != kSessionInitSignal) sys_exit_group(125);
          // The supervisor sends only SIGNALs for the command it last gave; an older generation is dropped.
          if (m.generation == generation) sys_kill((int)-pid, m.value);
        }
        if (k != 2) sys_exit_group(0);
      }
      if (waits[1].revents == 0) continue;
      struct ksiginfo info[4];
      int ended = 0;
      long got_bytes;
      while ((got_bytes = sys_read(kSignals, info, sizeof info)) > 0) {
        for (long k = 0; k < got_bytes / (long)sizeof info[0]; ++k) {
          // A forwarded signal a process of this namespace sent to pid 1: to the command's group.
          if (info[k].signo != SIGCHLD) sys_kill((int)-pid, info[k].signo);
        }
      }
      for (;;) {
        int status = 0;
        long reaped = sys_wait4(-1, &status, WNOHANG | __WALL);
        if (reaped <= 0) break;
        if (reaped == pid) {
          args->status = status;
          args->exited = 1;
          ended = 1;
          break;
        }
      }
      if (ended) break;
    }
    finish_command(args, generation, &before, (int)oom, (int)autogroup, watching_ipc);
  }
}

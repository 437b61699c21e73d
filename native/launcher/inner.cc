#include "inner.h"

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "command_env.h"
#include "exec_program.h"
#include "fail.h"
#include "fds.h"
#include "limits.h"
#include "options.h"
#include "pin.h"
#include "proxy_bridge.h"

namespace {

// The two capabilities the session supervisor (--session-supervisor) may keep: CAP_SYS_ADMIN starts
// each command in new pid/IPC/mount namespaces and mounts that command's /proc, CAP_SETPCAP empties the
// bounding set; both are dropped before the command runs (native/session/isolate.cc). Nothing else is
// ever allowed: e.g. CAP_SYS_PTRACE or CAP_DAC_OVERRIDE would reach other sandboxes' files and processes.
bool allowed_capability(int cap, bool session_supervisor) { return session_supervisor && (cap == CAP_SYS_ADMIN || cap == CAP_SETPCAP); }

void require_no_capabilities(bool session_supervisor) {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, data) < 0) die_errno("capget", nullptr, errno);
  if (session_supervisor) {
    for (int cap : {CAP_SYS_ADMIN, CAP_SETPCAP}) {
      data[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
      data[CAP_TO_INDEX(cap)].permitted &= ~CAP_TO_MASK(cap);
    }
  }
  // A command holding capabilities inside the user namespace could undo the sandbox's mounts
  // (umount, remount rw) or create new namespaces with a fresh root.
  for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; ++i) {
    if (data[i].effective != 0 || data[i].permitted != 0) {
      die_msg("retained capabilities: the inner stage has effective or permitted capabilities "
              "(bubblewrap must run with --cap-drop ALL); refusing to run the command");
    }
  }
}

// What bwrap promised, checked from the process that is about to become the command: a bwrap
// that silently skipped a step (an old or patched build, a changed default) fails here, 125.
void require_confinement(bool allow_userns, bool session_supervisor) {
  // Without no_new_privs a setuid binary run by the command would regain privileges
  // (prctl(2), PR_SET_NO_NEW_PRIVS).
  int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  if (nnp < 0) die_errno("prctl(PR_GET_NO_NEW_PRIVS)", nullptr, errno);
  if (nnp != 1) die_msg("no_new_privs is not set in the sandbox (bubblewrap should set it); refusing to run the command");
  // Mode 2 = a seccomp filter is installed: without it ptrace, io_uring, the keyring and the network
  // rules are not enforced.
  int mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
  if (mode < 0) die_errno("prctl(PR_GET_SECCOMP)", nullptr, errno);
  if (mode != 2) die_msg("no seccomp filter is installed in the sandbox (seccomp mode %d, expected 2); refusing to run the command", mode);
  // A capability left in the bounding set could be regained through a file capability on exec
  // (capabilities(7), "Capability bounding set").
  for (int cap = 0; cap <= 63; ++cap) {
    int held = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (held < 0) {
      if (errno == EINVAL) break;  // past the kernel's last capability
      die_errno("prctl(PR_CAPBSET_READ)", nullptr, errno);
    }
    if (held == 1 && !allowed_capability(cap, session_supervisor)) die_msg("capability %d is still in the bounding set (bubblewrap must run with --cap-drop ALL); refusing to run the command", cap);
  }
  if (allow_userns) return;
  // A new user namespace hands the command a full capability set in it (user_namespaces(7)):
  // --disable-userns and the seccomp rule must both refuse it.
  if (unshare(CLONE_NEWUSER) == 0) {
    die_msg("the command could create a nested user namespace although it was not allowed "
            "(bubblewrap --disable-userns / seccomp did not hold); refusing to run the command");
  }
}

// Tells the outer launcher the sandbox is set up: from here on, bwrap's exit status is the
// command's. A launcher that is already gone (read end closed) means nobody supervises this
// sandbox any more, so the command must not start: the write fails (EPIPE, or SIGPIPE kills us).
void report_started(int fd) {
  const char byte = 1;
  ssize_t n;
  do {
    n = write(fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) die_errno("reporting the start to the launcher through --started-fd:", "write", n < 0 ? errno : EIO);
}

// The command leads its own process group, as a shell's job does (setpgid(2), "job control"): bwrap
// leaves it in its namespace init's group, where the launcher's kill(-pid) of a Ctrl-C, interrupt()
// or timeout cannot reach the command's children (`bash -c "sleep 15; echo after"` went on). Only a
// group: the session stays bwrap's --new-session one, with no controlling terminal, so TIOCSTI cannot
// push keystrokes into the caller's terminal (CVE-2017-5226, bubblewrap's --new-session).
void lead_own_process_group() {
  if (setpgid(0, 0) < 0) die_errno("setpgid: making the command its own process group", nullptr, errno);
}

// --ctty: the command gets a terminal of its own (the exec-server's `tty: true`): a new session whose
// controlling terminal is the pty on stdin, so job control, ^C from the line discipline and SIGWINCH
// on a resize reach it. The pty is one the caller opened for this command alone (never the caller's
// terminal), so TIOCSTI through it types only into the command's own input (CVE-2017-5226 was about
// reaching the caller's terminal); setsid(2) also makes the command its own process group.
void take_controlling_terminal() {
  if (setsid() < 0) die_errno("setsid: giving the command a session for its terminal", nullptr, errno);
  if (!isatty(STDIN_FILENO)) die_msg("--ctty: stdin is not a terminal");
  if (ioctl(STDIN_FILENO, TIOCSCTTY, 0) < 0) die_errno("ioctl(TIOCSCTTY): making the pty the controlling terminal", nullptr, errno);
}

// --ctty-job (the CLI's `run --tty`): the session leader stays in the sandbox as a small supervisor
// and the command runs as a job in a process group of its own, in the foreground of the pty. A
// session leader's group is orphaned (its parent, bwrap's init, is in another session), and the kernel
// discards SIGTSTP/SIGTTIN/SIGTTOU for an orphaned group (POSIX "orphaned process group";
// kernel/signal.c get_signal, is_current_pgrp_orphaned): Ctrl-Z of `sleep` or vim would do nothing.
// The supervisor's child is not orphaned, so it stops; the supervisor then takes the terminal back
// (tcsetpgrp), which the CLI sees on the master (TIOCGPGRP == TIOCGSID) and stops itself so the
// caller's shell can `fg` it. SIGCONT (the CLI's, through the launcher) gives the job the terminal
// back and continues it. The supervisor holds no fd but the pty (close_fds_from ran before), has the
// command's uid and the same sandbox: nothing the command could gain by controlling it.
volatile sig_atomic_t g_job = 0;

void forward_to_job(int sig) {
  const pid_t job = g_job;
  if (job <= 0) return;
  const int saved = errno;
  if (sig == SIGCONT) tcsetpgrp(STDIN_FILENO, job);
  kill(-job, sig);
  errno = saved;
}

[[noreturn]] void exit_like(int status) {
  if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
  const int sig = WTERMSIG(status);
  // The same death as the job's, so bwrap and the launcher report 128+N; no core of this process.
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  signal(sig, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
  kill(getpid(), sig);
  _exit(128 + sig);
}

[[noreturn]] void run_as_job(char* program, char** argv) {
  const pid_t pid = fork();
  if (pid < 0) die_errno("fork: starting the command as a job of its terminal", nullptr, errno);
  if (pid == 0) {
    // A background group may not set the foreground group without SIGTTOU: block it meanwhile.
    sigset_t ttou, old;
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    sigprocmask(SIG_BLOCK, &ttou, &old);
    setpgid(0, 0);
    tcsetpgrp(STDIN_FILENO, getpid());
    sigprocmask(SIG_SETMASK, &old, nullptr);
    exec_command_or_exit(program, argv);
  }
  setpgid(pid, pid);  // also here: whichever of the two runs first
  g_job = pid;
  signal(SIGTTOU, SIG_IGN);
  signal(SIGTTIN, SIG_IGN);
  struct sigaction sa = {};
  sa.sa_handler = forward_to_job;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGTSTP, SIGCONT, SIGWINCH, SIGUSR1, SIGUSR2}) sigaction(sig, &sa, nullptr);
  tcsetpgrp(STDIN_FILENO, pid);
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WUNTRACED);
    if (r < 0) {
      if (errno == EINTR) continue;
      _exit(125);
    }
    if (WIFSTOPPED(status)) {
      // The terminal back to this session leader: the CLI's sign that the job stopped.
      tcsetpgrp(STDIN_FILENO, getpgrp());
      continue;
    }
    exit_like(status);
  }
}

}  // namespace

void run_inner(int count, char** args) {
  InnerOptions options;
  parse_inner_options(count, args, &options);
  // A failed check is reported to the launcher on the started pipe instead of the byte (fail.h).
  if (options.started_fd >= 0) set_status_fd(options.started_fd, "inner stage");
  import_command_env();
  require_no_capabilities(options.session_supervisor);
  require_confinement(options.allow_userns, options.session_supervisor);
  // Here, inside the sandbox's user namespace, RLIMIT_NPROC counts only this namespace's processes
  // of the sandbox's uid (per-user-namespace ucounts, Linux 5.14, kernel/ucount.c
  // is_rlimit_overlimit), so a fork bomb stops at the limit without touching the caller's other
  // processes. Set before the start is reported: a failure is a setup failure (125).
  apply_rlimits(options.rlimits);
  for (const ExpectedMount& m : options.expected) verify_planned_mount(m.path, m.rw, m.dev, m.ino);
  // Proxy-routed mode: bwrap installed the proxy-routed filter (inet sockets only) on its init and on
  // this stage; the launcher's forwarder, outside the sandbox, listens on 127.0.0.1:PORT in this
  // network namespace. The command starts only once it is reachable.
  if (options.proxy_port != 0) wait_for_proxy_listener(options.proxy_port);
  if (options.ctty) {
    take_controlling_terminal();
  } else {
    lead_own_process_group();
  }
  if (options.started_fd >= 0) report_started(options.started_fd);
  set_status_fd(-1, nullptr);  // closed below; what fails from here is the command's (126/127)
  // The started pipe's write end, and any fd bwrap or a caller let through, must not reach the
  // command: a leaked fd is a channel out of the sandbox.
  close_fds_from(3);
  char* program = options.command[0];
  if (options.argv0 != nullptr) options.command[0] = const_cast<char*>(options.argv0);
  if (options.ctty_job) run_as_job(program, options.command.data());
  exec_command_or_exit(program, options.command.data());
}

#include "isolate.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

// The init's fds once it has moved them out of the supervisor's way (everything else is closed);
// kExe, the supervisor's own binary, only until the init has been exec'd from it.
constexpr int kStdin = 100, kStdout = 101, kStderr = 102, kReport = 103, kExe = 104;

// The supervisor's binary (O_PATH), opened once: each init is exec'd from it (init_exe_fd).
int exe_fd = -1;

// Signals the init passes on to the command's process group (a SIGNAL frame reaches the init).
constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGALRM, SIGTSTP};

bool write_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// The start report: u32 errno (0 = started), u32 length, message.
[[noreturn]] void report_failure(int err, const std::string& message) {
  uint32_t head[2] = {static_cast<uint32_t>(err), static_cast<uint32_t>(message.size())};
  write_all(kReport, head, sizeof head);
  write_all(kReport, message.data(), message.size());
  _exit(0);
}

[[noreturn]] void fail_errno(const std::string& what) {
  int err = errno;
  report_failure(err, "session command set-up: " + what + ": " + strerror(err));
}

// A bind made read-only. The remount keeps the mount's atime flags: a remount that changed flags the
// kernel locked on the source (here /dev/null, from the host's mount tree) is refused (EPERM,
// mount(2) "MS_REMOUNT" with MS_BIND; bubblewrap's bind_mount does the same).
// `nodev` for directories only: a mask is the device /dev/null itself, and reads empty as in sandbox.spawn.
void bind_read_only(const std::string& source, const std::string& target, bool nodev) {
  if (mount(source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0) fail_errno("bind " + source + " on " + target);
  struct statvfs st;
  if (statvfs(target.c_str(), &st) < 0) fail_errno("statvfs " + target);
  unsigned long keep = 0;
  if (st.f_flag & ST_NOATIME) keep |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) keep |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) keep |= MS_RELATIME;
  if (nodev || (st.f_flag & ST_NODEV)) keep |= MS_NODEV;
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC | keep;
  if (mount(nullptr, target.c_str(), nullptr, flags, nullptr) < 0) fail_errno("remount " + target + " read-only");
}

// The command's own /proc. Its pid namespace needs a proc of its own (or it would see, and could
// signal, the supervisor and every other command through the sandbox's /proc). The sandbox's masks
// are applied again here: with the caller root, /proc/sys writable would let the command set
// kernel.core_pattern (runc libcontainer/specconv/example.go ReadonlyPaths, MaskedPaths).
void mount_own_proc(const ProcMasks& masks) {
  // Private first: mounts made here must never propagate back into the supervisor's namespace.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) fail_errno("making the command's mounts private");
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) < 0) fail_errno("mount proc on /proc");
  for (const std::string& p : masks.read_only) {
    if (access(p.c_str(), F_OK) == 0) bind_read_only(p, p, true);
  }
  for (const std::string& p : masks.masked) {
    if (access(p.c_str(), F_OK) == 0) bind_read_only("/dev/null", p, false);
  }
}

// Every capability gone, the bounding set emptied (first: that needs CAP_SETPCAP) and no ambient left, then checked: a capability
// kept in the command's user namespace would let it unmount the sandbox's read-only binds and masks
// or remount them writable (capabilities(7); user_namespaces(7)). no_new_privs is inherited from
// bubblewrap and set again (prctl(2) PR_SET_NO_NEW_PRIVS).
void drop_capabilities() {
  for (int cap = 0; cap <= 63; ++cap) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
      if (errno == EINVAL) break;  // past the kernel's last capability
      fail_errno("prctl(PR_CAPBSET_DROP)");
    }
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) fail_errno("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capset, &header, data) < 0) fail_errno("capset (dropping every capability)");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail_errno("prctl(PR_SET_NO_NEW_PRIVS)");
  if (syscall(SYS_capget, &header, data) < 0) fail_errno("capget");
  for (auto& d : data) {
    if (d.effective != 0 || d.permitted != 0 || d.inheritable != 0) report_failure(EPERM, "session command set-up: capabilities remained after dropping them; refusing to run the command");
  }
  for (int cap : {CAP_SYS_ADMIN, CAP_SETPCAP}) {
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 0) report_failure(EPERM, "session command set-up: a capability remained in the bounding set; refusing to run the command");
  }
}

void ignore_signal(int) {}

// What the clone child needs: prepared by the supervisor, which is suspended until the child execs.
struct InitLaunch {
  int fds[4];          // the command's stdin, stdout, stderr and the report pipe (child ends)
  char* const* argv;   // the init's argv (init_argv)
  const char* too_big; // the report if the exec fails with E2BIG (no allocation in the child)
  const char* failure; // the report for any other exec failure
};

// The clone child, in the new namespaces, sharing the supervisor's memory until it execs (CLONE_VM |
// CLONE_VFORK, as posix_spawn does): the supervisor's pages are never shared copy-on-write with a
// long-lived init, whose faults (and TLB shoot-downs) were most of a command's cost. Only system
// calls here, on the supervisor's data, which stays untouched.
int init_trampoline(void* p) {
  const InitLaunch* launch = static_cast<const InitLaunch*>(p);
  // Moved out of the way, then everything else closed: the init must not hold the supervisor's frame
  // channel, its signalfd or another command's pipes.
  // In two steps: with many commands running, a source fd may itself be one of 100..104, and a direct
  // dup3 would overwrite it before it was moved (the command's report then went into another pipe).
  const int sources[5] = {launch->fds[0], launch->fds[1], launch->fds[2], launch->fds[3], exe_fd};
  const int targets[5] = {kStdin, kStdout, kStderr, kReport, kExe};
  int above[5];
  for (int i = 0; i < 5; ++i) {
    if ((above[i] = fcntl(sources[i], F_DUPFD_CLOEXEC, kExe + 1)) < 0) _exit(125);
  }
  // Kept across the exec but the binary (an ELF, so a close-on-exec fd is fine for execveat).
  for (int i = 0; i < 5; ++i) {
    if (dup3(above[i], targets[i], i == 4 ? O_CLOEXEC : 0) < 0) _exit(125);
  }
  if (syscall(SYS_close_range, 0, kStdin - 1, 0) < 0 || syscall(SYS_close_range, kExe + 1, ~0U, 0) < 0) _exit(125);
  static char* const no_env[] = {nullptr};
  syscall(SYS_execveat, kExe, "", launch->argv, no_env, AT_EMPTY_PATH);
  const int err = errno;
  const char* text = err == E2BIG ? launch->too_big : launch->failure;
  uint32_t head[2] = {static_cast<uint32_t>(err), static_cast<uint32_t>(strlen(text))};
  if (write(kReport, head, sizeof head) == static_cast<ssize_t>(sizeof head)) {
    if (write(kReport, text, head[1]) < 0) _exit(125);
  }
  _exit(0);
}

[[noreturn]] void run_init(const StartRequest& request, const ProcMasks& masks) {
  // Exec'd with the dumpable flag reset: set again before anything else (prctl(2) PR_SET_DUMPABLE).
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) fail_errno("prctl(PR_SET_DUMPABLE)");
  for (int fd : {kStdin, kStdout, kStderr, kReport}) {
    // Never inherited by the command (posix_spawn dups 100..102 onto 0..2).
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) fail_errno("fcntl(FD_CLOEXEC)");
  }
  // Named apart from the supervisor it was exec'd from (ps, /proc/PID/comm).
  prctl(PR_SET_NAME, "session-init", 0, 0, 0);
  // The supervisor dies, so does this namespace (its init first, then the kernel kills the rest).
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail_errno("prctl(PR_SET_PDEATHSIG)");
  // A session and group of its own: the supervisor's kill(-pid) for a SIGNAL frame or at exit reaches
  // this init. A session, not only a group: with the kernel's autogroup scheduling (sched(7) "The
  // autogroup feature") each command then gets a fair share of a loaded host as a separate sandbox.spawn
  // would, instead of all the session's commands sharing the one autogroup of bwrap's --new-session.
  if (setsid() < 0) fail_errno("setsid");
  mount_own_proc(masks);
  drop_capabilities();
  // Blocked with handlers: delivered through sigwaitinfo below. (A pid namespace's init gets no
  // signal whose action is the default, from inside its namespace, pid_namespaces(7).)
  sigset_t waited;
  sigemptyset(&waited);
  sigaddset(&waited, SIGCHLD);
  struct sigaction sa = {};
  sa.sa_handler = ignore_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : kForwarded) {
    sigaddset(&waited, sig);
    sigaction(sig, &sa, nullptr);
  }
  sigaction(SIGCHLD, &sa, nullptr);
  sigprocmask(SIG_BLOCK, &waited, nullptr);
  const int stdio[3] = {kStdin, kStdout, kStderr};
  pid_t command = -1;
  std::string message;
  int err = spawn_program(request, stdio, &command, &message);
  if (err != 0) report_failure(err, message);
  uint32_t started[2] = {0, 0};
  if (!write_all(kReport, started, sizeof started)) _exit(125);
  close(kStdin);
  close(kStdout);
  close(kStderr);
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&waited, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      kill(-command, sig);  // the command's group (spawn_program makes it lead one)
      continue;
    }
    for (;;) {
      int status = 0;
      pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      if (pid == command) {
        // Exiting ends the pid namespace: the kernel kills every process left in it (background
        // jobs, `setsid` ones included) and this exit completes once they are gone (pid_namespaces(7)).
        uint32_t raw = static_cast<uint32_t>(status);
        write_all(kReport, &raw, sizeof raw);
        _exit(0);
      }
    }
  }
}

}  // namespace

int spawn_isolated(const StartRequest& request, const ProcMasks& masks, SpawnedCommand* out, std::string* message) {
  int stdio[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
  int err = make_stdio_pipes(stdio, message);
  if (err != 0) return err;
  int report[2];
  if (pipe2(report, O_CLOEXEC) < 0) {
    err = errno;
    *message = std::string("pipe2: ") + strerror(err);
    for (auto& p : stdio) {
      close(p[0]);
      close(p[1]);
    }
    return err;
  }
  std::vector<std::string> storage = init_argv(request, masks);
  std::vector<char*> argv;
  for (std::string& a : storage) argv.push_back(&a[0]);
  argv.push_back(nullptr);
  // E2BIG: what the command's own exec would say for the same limits (its argv and env are the init's).
  const std::string too_big = exec_error_message(request.argv[0], E2BIG);
  const std::string failure = "session command set-up: cannot exec the namespace init from the supervisor's binary";
  InitLaunch launch = {{stdio[0][0], stdio[1][1], stdio[2][1], report[1]}, argv.data(), too_big.c_str(), failure.c_str()};
  // clone(2) with new pid, IPC and mount namespaces (CAP_SYS_ADMIN, held by the supervisor alone),
  // suspended until the child has exec'd the init. glibc's clone(), not clone3 (which the sandbox's
  // seccomp filter refuses with ENOSYS). One child at a time uses the stack: the caller is suspended.
  alignas(16) static char stack[64 * 1024];
  long pid = exe_fd < 0 ? (errno = EBADF, -1) : clone(init_trampoline, stack + sizeof stack, CLONE_VM | CLONE_VFORK | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | SIGCHLD, &launch);
  close(report[1]);
  if (pid < 0) {
    err = errno;
    *message = std::string("clone (new pid, IPC and mount namespaces for the command): ") + strerror(err);
    close(report[0]);
    for (auto& p : stdio) {
      close(p[0]);
      close(p[1]);
    }
    return err;
  }
  // Not waited for here: the init's set-up (its /proc, masks, capability drop, the command's exec)
  // runs while the supervisor serves other commands; its start report arrives on report_fd.
  if (fcntl(report[0], F_SETFL, O_NONBLOCK) < 0) *message = std::string("fcntl(O_NONBLOCK): ") + strerror(errno);
  adopt_stdio_pipes(stdio, static_cast<pid_t>(pid), out, message);
  out->report_fd = report[0];
  return 0;
}

bool read_report(int* report_fd, std::vector<uint8_t>* buffer) {
  uint8_t chunk[4096];
  while (*report_fd >= 0) {
    ssize_t n = read(*report_fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return false;
    if (n <= 0) {
      close(*report_fd);
      *report_fd = -1;
      return true;
    }
    buffer->insert(buffer->end(), chunk, chunk + n);
  }
  return true;
}

StartReport parse_start_report(std::vector<uint8_t>* buffer, int* err, std::string* message) {
  if (buffer->size() < 8) return StartReport::kIncomplete;
  uint32_t head[2];
  memcpy(head, buffer->data(), sizeof head);
  if (head[0] == 0) {
    buffer->erase(buffer->begin(), buffer->begin() + 8);
    return StartReport::kStarted;
  }
  if (buffer->size() - 8 < head[1]) return StartReport::kIncomplete;
  *err = static_cast<int>(head[0]);
  message->assign(reinterpret_cast<const char*>(buffer->data()) + 8, head[1]);
  buffer->clear();
  return StartReport::kFailed;
}

int isolated_status(const std::vector<uint8_t>& rest, int init_status) {
  uint32_t raw = 0;
  if (rest.size() < sizeof raw) return init_status;
  memcpy(&raw, rest.data(), sizeof raw);
  return static_cast<int>(raw);
}

int open_init_exe(std::string* message) {
  // The inode this process runs (proc(5) /proc/pid/exe), read-only in the sandbox like the launcher
  // beside it: held open, so a file a command later put at the binary's path is never what an init runs.
  exe_fd = open("/proc/self/exe", O_PATH | O_CLOEXEC);
  if (exe_fd < 0) *message = std::string("open(/proc/self/exe): ") + strerror(errno);
  return exe_fd < 0 ? errno : 0;
}

std::vector<std::string> init_argv(const StartRequest& request, const ProcMasks& masks) {
  // session-init --session-init N ro... M masked... cwd E env... argv...
  std::vector<std::string> out = {"session-init", kInitFlag, std::to_string(masks.read_only.size())};
  out.insert(out.end(), masks.read_only.begin(), masks.read_only.end());
  out.push_back(std::to_string(masks.masked.size()));
  out.insert(out.end(), masks.masked.begin(), masks.masked.end());
  out.push_back(request.cwd);
  out.push_back(std::to_string(request.env.size()));
  out.insert(out.end(), request.env.begin(), request.env.end());
  out.insert(out.end(), request.argv.begin(), request.argv.end());
  return out;
}

void init_main(int argc, char** argv) {
  // argv as init_argv wrote it (the supervisor is the only one to exec this mode).
  int i = 2;
  auto count = [&]() -> size_t {
    if (i >= argc) _exit(125);
    char* end = nullptr;
    unsigned long n = strtoul(argv[i++], &end, 10);
    if (*end != '\0' || n > static_cast<unsigned long>(argc - i)) _exit(125);
    return n;
  };
  ProcMasks masks;
  StartRequest request;
  for (size_t n = count(); n > 0; --n) masks.read_only.push_back(argv[i++]);
  for (size_t n = count(); n > 0; --n) masks.masked.push_back(argv[i++]);
  if (i >= argc) _exit(125);
  request.cwd = argv[i++];
  for (size_t n = count(); n > 0; --n) request.env.push_back(argv[i++]);
  while (i < argc) request.argv.push_back(argv[i++]);
  if (request.argv.empty()) _exit(125);
  run_init(request, masks);
}

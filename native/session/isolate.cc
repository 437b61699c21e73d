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

// The init's fds once it has moved them out of the supervisor's way (everything else is closed).
constexpr int kStdin = 100, kStdout = 101, kStderr = 102, kReport = 103;

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

[[noreturn]] void run_init(const StartRequest& request, const ProcMasks& masks, const int fds[4]) {
  // Moved out of the way, then everything else closed: the init must not hold the supervisor's frame
  // channel, its signalfd or another command's pipes.
  // In two steps: with many commands running, a source fd may itself be one of 100..103, and a direct
  // dup3 would overwrite it before it was moved (the command's report then went into another pipe).
  const int targets[4] = {kStdin, kStdout, kStderr, kReport};
  int above[4];
  for (int i = 0; i < 4; ++i) {
    if ((above[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, kReport + 1)) < 0) _exit(125);
  }
  for (int i = 0; i < 4; ++i) {
    if (dup3(above[i], targets[i], O_CLOEXEC) < 0) _exit(125);
  }
  if (syscall(SYS_close_range, 0, kStdin - 1, 0) < 0 || syscall(SYS_close_range, kReport + 1, ~0U, 0) < 0) fail_errno("close_range");
  // Named apart from the supervisor it was forked from (ps, /proc/PID/comm).
  prctl(PR_SET_NAME, "session-init", 0, 0, 0);
  // The supervisor dies, so does this namespace (its init first, then the kernel kills the rest).
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail_errno("prctl(PR_SET_PDEATHSIG)");
  // A group of its own: the supervisor's kill(-pid) for a SIGNAL frame or at exit reaches this init.
  if (setpgid(0, 0) < 0) fail_errno("setpgid");
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
  const int child_fds[4] = {stdio[0][0], stdio[1][1], stdio[2][1], report[1]};
  // clone(2) as fork with new pid, IPC and mount namespaces (CAP_SYS_ADMIN, held by the supervisor
  // alone). The raw syscall: glibc's clone3 path is refused by the sandbox's seccomp filter (ENOSYS).
  long pid = syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  if (pid == 0) run_init(request, masks, child_fds);
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

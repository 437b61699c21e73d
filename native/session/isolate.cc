#include "isolate.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <memory>

#include "init_run.h"

namespace {

// Each init's stack and argv, in the supervisor's memory, which the init shares (init_run.h): set
// aside before the clone and never touched by the supervisor until the init has been reaped
// (release_init), so nothing the init reads or writes changes under it.
constexpr size_t kInitStack = 64 * 1024;
constexpr size_t kGuard = 4096;

struct InitMemory {
  std::vector<std::string> storage;
  std::vector<char*> argv;
  SessionInitArgs args;
  char* stack;  // kGuard (PROT_NONE: an overflow faults, it never runs into other memory) + kInitStack
};

std::map<pid_t, std::unique_ptr<InitMemory>> live_inits;
// Stacks of reaped inits, reused: at most as many as inits ever ran at once, and no munmap (whose TLB
// shoot-down reaches every CPU running an init in this address space) per command.
std::vector<char*> free_stacks;

// The null device, opened once when the session starts, before any command runs (a command may be
// able to replace /dev/null in the sandbox's /dev for later ones: bwrap --dev makes a tmpfs), and
// checked to be the null character device (devices.txt: 1:3). -1: stdin: 'ignore' gets a closed pipe.
int null_fd = -1;

// The signals an init forwards, and SIGCHLD: blocked in the supervisor around each init's clone.
const sigset_t& init_signals() {
  static sigset_t set = [] {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGCHLD);
    for (int sig : session_init_forwarded) sigaddset(&s, sig);
    return s;
  }();
  return set;
}

char* take_stack() {
  if (!free_stacks.empty()) {
    char* s = free_stacks.back();
    free_stacks.pop_back();
    return s;
  }
  void* p = mmap(nullptr, kGuard + kInitStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  if (mprotect(p, kGuard, PROT_NONE) != 0) {
    munmap(p, kGuard + kInitStack);
    return nullptr;
  }
  return static_cast<char*>(p);
}

}  // namespace

namespace {

// The init words only the step that failed (it has no strerror); an empty text: the command's exec.
std::string init_failure_message(const std::string& program, int err, const std::string& what) {
  if (what.empty()) return exec_failure_message(program, err);
  if (what.compare(0, 24, "session command set-up: ") == 0 && what.find(": ", 24) == std::string::npos) return what + ": " + strerror(err);
  return what;
}

}  // namespace

bool init_outcome(pid_t pid, const std::string& program, InitOutcome* out) {
  auto it = live_inits.find(pid);
  if (it == live_inits.end()) return false;
  const SessionInitArgs& a = it->second->args;
  if (a.failed_what != nullptr) {
    out->failed = true;
    out->err = a.failed_errno;
    out->message = init_failure_message(program, out->err, a.failed_what);
  } else if (a.exited != 0) {
    out->exited = true;
    out->status = a.status;
  }
  return true;
}

void open_null_stdin() {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
    close(fd);
    return;
  }
  null_fd = fd;
}

void release_init(pid_t pid) {
  auto it = live_inits.find(pid);
  if (it == live_inits.end()) return;
  free_stacks.push_back(it->second->stack);
  live_inits.erase(it);
}

namespace {

int spawn_cloned(const StartRequest& request, const ProcMasks& masks, bool isolated, SpawnedCommand* out, std::string* message) {
  int stdio[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
  // stdin: 'ignore': the session's /dev/null, no pipe (a pipe closed at once without it).
  const bool null_stdin = request.stdin_null && null_fd >= 0;
  int err = make_stdio_pipes(stdio, !null_stdin, message);
  if (err != 0) return err;
  // isolation 'none' only: the command's exec failure comes back on a close-on-exec pipe. An isolated
  // init leaves its outcome in this address space instead (init_run.h), read once it is reaped.
  int report[2] = {-1, -1};
  if (!isolated && pipe2(report, O_CLOEXEC) < 0) {
    err = errno;
    *message = std::string("pipe2: ") + strerror(err);
    for (auto& p : stdio) {
      close(p[0]);
      close(p[1]);
    }
    return err;
  }
  // Checked here, with the same words as without isolation: the init only tries the candidates.
  std::vector<std::string> found;
  err = check_cwd_and_find(request, &found, message);
  std::unique_ptr<InitMemory> memory;
  if (err == 0) {
    memory.reset(new InitMemory);
    memory->stack = take_stack();
    if (memory->stack == nullptr) {
      err = errno;
      *message = std::string("mmap (the stack of the command's namespace init): ") + strerror(err);
    }
  }
  if (err != 0) {
    if (!isolated) {
      close(report[0]);
      close(report[1]);
    }
    for (auto& p : stdio) {
      close(p[0]);
      close(p[1]);
    }
    return err;
  }
  memory->storage = init_argv(request, masks, found);
  for (std::string& a : memory->storage) memory->argv.push_back(&a[0]);
  memory->argv.push_back(nullptr);
  memory->args.argc = static_cast<int>(memory->storage.size());
  memory->args.argv = memory->argv.data();
  const int fds[4] = {null_stdin ? null_fd : stdio[0][0], stdio[1][1], stdio[2][1], report[1]};
  memcpy(memory->args.fds, fds, sizeof fds);
  memory->args.failed_what = nullptr;
  memory->args.failed_errno = 0;
  memory->args.exited = 0;
  memory->args.status = 0;
  // clone(2) with new pid, IPC and mount namespaces (CAP_SYS_ADMIN, held by the supervisor alone),
  // sharing this address space (CLONE_VM: no exec, no page tables of its own) but not the fd table or
  // the signal handlers. glibc's clone(), not clone3 (which the sandbox's seccomp filter refuses with
  // ENOSYS); its child calls session_init_run on the init's own stack and touches no libc state.
  // Without isolation the same, without the namespaces: the command's own child, whose exec the
  // supervisor does not wait for (posix_spawn's vfork did, one command at a time).
  const int flags = isolated ? CLONE_VM | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | SIGCHLD : CLONE_VM | SIGCHLD;
  // The init starts with the signals it forwards blocked (a clone inherits the mask; SIGCHLD is blocked
  // here for good): one the supervisor sends it during its set-up stays pending instead of being
  // dropped by a pid namespace's init (init_main.c; kernel/signal.c sig_task_ignored, sig_ignored).
  sigset_t saved;
  if (isolated && sigprocmask(SIG_BLOCK, &init_signals(), &saved) != 0) {
    err = errno;
    *message = std::string("sigprocmask (blocking the init's signals): ") + strerror(err);
    free_stacks.push_back(memory->stack);
    for (auto& p : stdio) {
      close(p[0]);
      close(p[1]);
    }
    return err;
  }
  long pid = clone(isolated ? session_init_run : session_plain_run, memory->stack + kGuard + kInitStack, flags, &memory->args);
  int clone_errno = errno;
  // Back as it was (a failure would leave SIGTERM and the rest blocked in the supervisor: reported).
  if (isolated && sigprocmask(SIG_SETMASK, &saved, nullptr) != 0) *message = std::string("sigprocmask (restoring the supervisor's mask): ") + strerror(errno);
  if (!isolated) close(report[1]);
  if (pid < 0) {
    err = clone_errno;
    *message = std::string(isolated ? "clone (new pid, IPC and mount namespaces for the command): " : "clone (the command's process): ") + strerror(err);
    free_stacks.push_back(memory->stack);
    if (!isolated) close(report[0]);
    for (auto& p : stdio) {
      close(p[0]);
      close(p[1]);
    }
    return err;
  }
  live_inits[static_cast<pid_t>(pid)] = std::move(memory);
  // Not waited for here: the init's set-up (its /proc, masks, capability drop, the command's exec)
  // runs while the supervisor serves other commands; its outcome is read when it is reaped
  // (init_outcome), or, without isolation, the exec's report arrives on report_fd.
  if (!isolated && fcntl(report[0], F_SETFL, O_NONBLOCK) < 0) *message = std::string("fcntl(O_NONBLOCK): ") + strerror(errno);
  adopt_stdio_pipes(stdio, static_cast<pid_t>(pid), out, message);
  if (request.stdin_null && out->stdin_fd >= 0) {
    // No /dev/null to give: EOF at once through the pipe, as before.
    close(out->stdin_fd);
    out->stdin_fd = -1;
  }
  out->report_fd = report[0];
  return 0;
}

}  // namespace

int spawn_isolated(const StartRequest& request, const ProcMasks& masks, SpawnedCommand* out, std::string* message) {
  return spawn_cloned(request, masks, true, out, message);
}

int spawn_plain(const StartRequest& request, SpawnedCommand* out, std::string* message) {
  return spawn_cloned(request, ProcMasks(), false, out, message);
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
    // A short read took all the pipe held: the next poll wake-up reads on, without an EAGAIN read now.
    if (static_cast<size_t>(n) < sizeof chunk) return false;
  }
  return true;
}

StartReport parse_start_report(std::vector<uint8_t>* buffer, const std::string& program, int* err, std::string* message) {
  if (buffer->size() < 8) return StartReport::kIncomplete;
  uint32_t head[2];
  memcpy(head, buffer->data(), sizeof head);
  if (head[0] == 0) {
    buffer->erase(buffer->begin(), buffer->begin() + 8);
    return StartReport::kStarted;
  }
  if (buffer->size() - 8 < head[1]) return StartReport::kIncomplete;
  *err = static_cast<int>(head[0]);
  *message = init_failure_message(program, *err, std::string(reinterpret_cast<const char*>(buffer->data()) + 8, head[1]));
  buffer->clear();
  return StartReport::kFailed;
}

std::vector<std::string> init_argv(const StartRequest& request, const ProcMasks& masks, const std::vector<std::string>& candidates) {
  // session-init --session-init N ro... M masked... cwd E env... K candidates... argv... (init_main.c)
  std::vector<std::string> out = {"session-init", kInitFlag, std::to_string(masks.read_only.size())};
  out.insert(out.end(), masks.read_only.begin(), masks.read_only.end());
  out.push_back(std::to_string(masks.masked.size()));
  out.insert(out.end(), masks.masked.begin(), masks.masked.end());
  out.push_back(request.cwd);
  out.push_back(std::to_string(request.env.size()));
  out.insert(out.end(), request.env.begin(), request.env.end());
  out.push_back(std::to_string(candidates.size()));
  out.insert(out.end(), candidates.begin(), candidates.end());
  out.insert(out.end(), request.argv.begin(), request.argv.end());
  return out;
}


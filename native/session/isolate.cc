#include "isolate.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
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
  std::vector<std::string> storage;  // the current command's argv (rewritten only while the init is idle)
  std::vector<char*> argv;
  std::vector<std::string> setup_storage;  // an isolated init's own: its /proc masks
  std::vector<char*> setup_argv;
  SessionInitArgs args;
  char* stack;  // kGuard (PROT_NONE: an overflow faults, it never runs into other memory) + kInitStack
};

// isolation 'none': each command's child, until reaped.
std::map<pid_t, std::unique_ptr<InitMemory>> live_inits;

// Isolated: the inits, busy or idle, until reaped. An init runs one command at a time, takes the next
// only once it has proven the last one gone (init_main.c finish_command), and is kept idle for the next
// command of the session (its pid and mount namespaces, /proc and masks made once).
using Clock = std::chrono::steady_clock;
struct Init {
  std::unique_ptr<InitMemory> memory;
  int fd = -1;              // the supervisor's end of its socket (non-blocking); -1 once retired
  uint32_t generation = 0;  // of its current or last command: a SIGNAL carries it, the init drops others
  bool busy = false;
  unsigned long pending = 0;  // forwarded signals for the current command not sent yet (its socket was full)
  Clock::time_point idle_since;
};
std::map<pid_t, Init> inits;
std::vector<pid_t> idle_inits;  // oldest first; the last one is taken first (warmest)
// Idle inits kept at most (a pool never holds more than the commands that ran at once), and for how long.
constexpr size_t kMaxIdle = 64;
constexpr auto kIdleFor = std::chrono::seconds(5);
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

namespace {

void read_outcome(const SessionInitArgs& a, const std::string& program, InitOutcome* out) {
  if (a.failed_what != nullptr) {
    out->failed = true;
    out->err = a.failed_errno;
    out->message = init_failure_message(program, out->err, a.failed_what);
  } else if (a.exited != 0) {
    out->exited = true;
    out->status = a.status;
  }
}

}  // namespace

bool init_outcome(pid_t pid, const std::string& program, InitOutcome* out) {
  auto it = inits.find(pid);
  if (it == inits.end()) return false;
  read_outcome(it->second.memory->args, program, out);
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
  auto init = inits.find(pid);
  if (init != inits.end()) {
    if (init->second.fd >= 0) close(init->second.fd);
    for (auto i = idle_inits.begin(); i != idle_inits.end(); ++i) {
      if (*i == pid) {
        idle_inits.erase(i);
        break;
      }
    }
    free_stacks.push_back(init->second.memory->stack);
    inits.erase(init);
    return;
  }
  auto it = live_inits.find(pid);
  if (it == live_inits.end()) return;
  free_stacks.push_back(it->second->stack);
  live_inits.erase(it);
}

namespace {

void close_pipes(int stdio[3][2]) {
  for (int k = 0; k < 3; ++k) {
    if (stdio[k][0] >= 0) close(stdio[k][0]);
    if (stdio[k][1] >= 0) close(stdio[k][1]);
  }
}

// Three pipes (two with the session's /dev/null as stdin), the cwd checked and argv[0] looked up.
int prepare(const StartRequest& request, int stdio[3][2], bool* null_stdin, std::vector<std::string>* found, std::string* message) {
  // stdin: 'ignore': the session's /dev/null, no pipe (a pipe closed at once without it).
  *null_stdin = request.stdin_null && null_fd >= 0;
  int err = make_stdio_pipes(stdio, !*null_stdin, message);
  if (err != 0) return err;
  // Checked here, with the same words in both modes: the child only tries the candidates.
  err = check_cwd_and_find(request, found, message);
  if (err != 0) close_pipes(stdio);
  return err;
}

std::unique_ptr<InitMemory> new_memory(std::string* message) {
  std::unique_ptr<InitMemory> memory(new InitMemory);
  memory->stack = take_stack();
  if (memory->stack == nullptr) {
    *message = std::string("mmap (the stack of the command's namespace init): ") + strerror(errno);
    return nullptr;
  }
  memory->args = SessionInitArgs();
  return memory;
}

void set_argv(InitMemory* memory, std::vector<std::string> storage) {
  memory->storage = std::move(storage);
  memory->argv.clear();
  for (std::string& a : memory->storage) memory->argv.push_back(&a[0]);
  memory->argv.push_back(nullptr);
  memory->args.argc = static_cast<int>(memory->storage.size());
  memory->args.argv = memory->argv.data();
}

// A new init: clone(2) with new pid and mount namespaces (CAP_SYS_ADMIN, held by the supervisor alone),
// sharing this address space (CLONE_VM: no exec, no page tables of its own) but not the fd table or the
// signal handlers. glibc's clone(), not clone3 (which the sandbox's seccomp filter refuses with ENOSYS);
// its child calls session_init_run on the init's own stack and touches no libc state. A new IPC
// namespace too, replaced by the init whenever a command left an object in it (init_main.c ipc_watch).
// The init's commands come
// on a SOCK_SEQPACKET socketpair (the sandbox's seccomp filter allows unix stream/seqpacket pairs).
int new_init(const ProcMasks& masks, pid_t* out, std::string* message) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    int err = errno;
    *message = std::string("socketpair (the command's namespace init): ") + strerror(err);
    return err;
  }
  std::unique_ptr<InitMemory> memory = new_memory(message);
  if (memory == nullptr) {
    int err = errno;
    close(sv[0]);
    close(sv[1]);
    return err != 0 ? err : ENOMEM;
  }
  // session-init --session-init N ro... M masked... (init_main.c)
  memory->setup_storage = {"session-init", kInitFlag, std::to_string(masks.read_only.size())};
  memory->setup_storage.insert(memory->setup_storage.end(), masks.read_only.begin(), masks.read_only.end());
  memory->setup_storage.push_back(std::to_string(masks.masked.size()));
  memory->setup_storage.insert(memory->setup_storage.end(), masks.masked.begin(), masks.masked.end());
  for (std::string& a : memory->setup_storage) memory->setup_argv.push_back(&a[0]);
  memory->setup_argv.push_back(nullptr);
  memory->args.setup_argc = static_cast<int>(memory->setup_storage.size());
  memory->args.setup_argv = memory->setup_argv.data();
  memory->args.fds[0] = sv[1];
  memory->args.fds[1] = memory->args.fds[2] = memory->args.fds[3] = -1;
  // The init starts with the signals it forwards blocked (a clone inherits the mask; SIGCHLD is blocked
  // here for good): it reads them from a signalfd, and a pid namespace's init drops a signal it neither
  // handles nor blocks (init_main.c; kernel/signal.c sig_task_ignored, sig_ignored).
  sigset_t saved;
  if (sigprocmask(SIG_BLOCK, &init_signals(), &saved) != 0) {
    int err = errno;
    *message = std::string("sigprocmask (blocking the init's signals): ") + strerror(err);
    free_stacks.push_back(memory->stack);
    close(sv[0]);
    close(sv[1]);
    return err;
  }
  long pid = clone(session_init_run, memory->stack + kGuard + kInitStack, CLONE_VM | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | SIGCHLD, &memory->args);
  int clone_errno = errno;
  // Back as it was (a failure would leave SIGTERM and the rest blocked in the supervisor: reported).
  if (sigprocmask(SIG_SETMASK, &saved, nullptr) != 0) *message = std::string("sigprocmask (restoring the supervisor's mask): ") + strerror(errno);
  close(sv[1]);
  if (pid < 0) {
    *message = std::string("clone (new pid, IPC and mount namespaces for the command): ") + strerror(clone_errno);
    free_stacks.push_back(memory->stack);
    close(sv[0]);
    return clone_errno;
  }
  if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0) *message = std::string("fcntl(O_NONBLOCK): ") + strerror(errno);
  Init& init = inits[static_cast<pid_t>(pid)];
  init.memory = std::move(memory);
  init.fd = sv[0];
  *out = static_cast<pid_t>(pid);
  return 0;
}

// Retired: its socket closed, so it exits once it reads EOF (or at once if it is still setting up and
// reads it later); reaped and released like any init.
void retire(pid_t pid) {
  auto it = inits.find(pid);
  if (it == inits.end() || it->second.fd < 0) return;
  close(it->second.fd);
  it->second.fd = -1;
}

// GO to an idle (or new) init: its argv in its memory (it reads it only after this message), its
// outcome cleared, the command's stdin, stdout and stderr as SCM_RIGHTS. False: the init is retired.
bool send_go(pid_t pid, Init* init, const std::vector<std::string>& argv, const int fds[3]) {
  set_argv(init->memory.get(), argv);
  SessionInitArgs& a = init->memory->args;
  a.failed_what = nullptr;
  a.failed_errno = 0;
  a.exited = 0;
  a.status = 0;
  init->generation += 1;
  SessionInitMessage go = {kSessionInitGo, init->generation, 0};
  iovec iov = {&go, sizeof go};
  union {
    cmsghdr header;
    char bytes[CMSG_SPACE(3 * sizeof(int))];
  } control;
  memset(&control, 0, sizeof control);
  msghdr m = {};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control.bytes;
  m.msg_controllen = sizeof control.bytes;
  cmsghdr* c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(3 * sizeof(int));
  memcpy(CMSG_DATA(c), fds, 3 * sizeof(int));
  ssize_t n;
  do {
    n = sendmsg(init->fd, &m, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof go)) {
    retire(pid);
    return false;
  }
  init->busy = true;
  init->pending = 0;
  return true;
}

bool send_signal(Init* init, int sig) {
  SessionInitMessage m = {kSessionInitSignal, init->generation, sig};
  ssize_t n;
  do {
    n = send(init->fd, &m, sizeof m, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof m);
}

bool forwarded(int sig) {
  for (int f : session_init_forwarded) {
    if (f == sig) return true;
  }
  return false;
}

}  // namespace

int spawn_isolated(const StartRequest& request, const ProcMasks& masks, SpawnedCommand* out, std::string* message) {
  int stdio[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
  bool null_stdin = false;
  std::vector<std::string> found;
  int err = prepare(request, stdio, &null_stdin, &found, message);
  if (err != 0) return err;
  const std::vector<std::string> argv = init_argv(request, found);
  const int fds[3] = {null_stdin ? null_fd : stdio[0][0], stdio[1][1], stdio[2][1]};
  pid_t pid = -1;
  // The warmest idle init, else a new one (a GO that cannot be sent retires that init: the next is tried).
  while (pid < 0 && !idle_inits.empty()) {
    pid_t candidate = idle_inits.back();
    idle_inits.pop_back();
    auto it = inits.find(candidate);
    if (it != inits.end() && it->second.fd >= 0 && !it->second.busy && send_go(candidate, &it->second, argv, fds)) pid = candidate;
  }
  if (pid < 0) {
    err = new_init(masks, &pid, message);
    if (err == 0 && !send_go(pid, &inits[pid], argv, fds)) {
      err = errno != 0 ? errno : EIO;
      *message = std::string("sendmsg (the command to its namespace init): ") + strerror(err);
    }
    if (err != 0) {
      close_pipes(stdio);
      return err;
    }
  }
  Init& init = inits[pid];
  adopt_stdio_pipes(stdio, pid, out, message);
  if (request.stdin_null && out->stdin_fd >= 0) {
    // No /dev/null to give: EOF at once through the pipe, as before.
    close(out->stdin_fd);
    out->stdin_fd = -1;
  }
  out->init_fd = init.fd;
  out->generation = init.generation;
  return 0;
}

void signal_isolated(pid_t pid, uint32_t generation, int sig) {
  auto it = inits.find(pid);
  if (it == inits.end()) return;
  Init& init = it->second;
  if (!init.busy || init.generation != generation) return;
  // Not one the init forwards (SIGKILL, SIGSTOP, ...): to the init itself, as before (SIGKILL ends its
  // whole pid namespace, and the init with it).
  if (!forwarded(sig) || init.fd < 0) {
    kill(pid, sig);
    return;
  }
  if (init.pending != 0 || !send_signal(&init, sig)) init.pending |= 1UL << sig;
}

bool init_wants_write(pid_t pid) {
  auto it = inits.find(pid);
  return it != inits.end() && it->second.pending != 0 && it->second.fd >= 0;
}

void flush_init_signals(pid_t pid) {
  auto it = inits.find(pid);
  if (it == inits.end()) return;
  Init& init = it->second;
  for (int sig = 1; sig < 64 && init.pending != 0 && init.fd >= 0; ++sig) {
    if ((init.pending & (1UL << sig)) == 0) continue;
    if (!send_signal(&init, sig)) return;
    init.pending &= ~(1UL << sig);
  }
}

bool receive_done(pid_t pid, uint32_t generation, const std::string& program, InitOutcome* out) {
  auto it = inits.find(pid);
  if (it == inits.end() || it->second.fd < 0) return false;
  Init& init = it->second;
  for (;;) {
    SessionInitMessage m;
    ssize_t n = recv(init.fd, &m, sizeof m, MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    // Nothing (yet), EOF or an error: the init's reaping tells the rest.
    if (n != static_cast<ssize_t>(sizeof m)) return false;
    if (m.type != kSessionInitDone || m.generation != generation || !init.busy) continue;
    read_outcome(init.memory->args, program, out);
    init.busy = false;
    init.pending = 0;
    init.idle_since = Clock::now();
    idle_inits.push_back(pid);
    if (idle_inits.size() > kMaxIdle) {
      retire(idle_inits.front());
      idle_inits.erase(idle_inits.begin());
    }
    return true;
  }
}

int retire_idle_inits() {
  const Clock::time_point now = Clock::now();
  while (!idle_inits.empty()) {
    auto it = inits.find(idle_inits.front());
    if (it != inits.end() && now - it->second.idle_since < kIdleFor) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(it->second.idle_since + kIdleFor - now).count();
      return static_cast<int>(left) + 1;
    }
    retire(idle_inits.front());
    idle_inits.erase(idle_inits.begin());
  }
  return -1;
}

void kill_inits() {
  for (auto& [pid, init] : inits) kill(pid, SIGKILL);
}

int spawn_plain(const StartRequest& request, SpawnedCommand* out, std::string* message) {
  int stdio[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
  bool null_stdin = false;
  std::vector<std::string> found;
  int err = prepare(request, stdio, &null_stdin, &found, message);
  if (err != 0) return err;
  // The command's exec failure comes back on a close-on-exec pipe.
  int report[2] = {-1, -1};
  if (pipe2(report, O_CLOEXEC) < 0) {
    err = errno;
    *message = std::string("pipe2: ") + strerror(err);
    close_pipes(stdio);
    return err;
  }
  std::unique_ptr<InitMemory> memory = new_memory(message);
  if (memory == nullptr) {
    err = errno != 0 ? errno : ENOMEM;
    close(report[0]);
    close(report[1]);
    close_pipes(stdio);
    return err;
  }
  // session-init --session-init 0 0 cwd E env... K candidates... argv... (init_main.c session_plain_run)
  std::vector<std::string> argv = {"session-init", kInitFlag, "0", "0"};
  std::vector<std::string> command = init_argv(request, found);
  argv.insert(argv.end(), command.begin(), command.end());
  set_argv(memory.get(), std::move(argv));
  const int fds[4] = {null_stdin ? null_fd : stdio[0][0], stdio[1][1], stdio[2][1], report[1]};
  memcpy(memory->args.fds, fds, sizeof fds);
  // The command's own child, without namespaces, whose exec the supervisor does not wait for
  // (posix_spawn's vfork did, one command at a time).
  long pid = clone(session_plain_run, memory->stack + kGuard + kInitStack, CLONE_VM | SIGCHLD, &memory->args);
  int clone_errno = errno;
  close(report[1]);
  if (pid < 0) {
    *message = std::string("clone (the command's process): ") + strerror(clone_errno);
    free_stacks.push_back(memory->stack);
    close(report[0]);
    close_pipes(stdio);
    return clone_errno;
  }
  live_inits[static_cast<pid_t>(pid)] = std::move(memory);
  if (fcntl(report[0], F_SETFL, O_NONBLOCK) < 0) *message = std::string("fcntl(O_NONBLOCK): ") + strerror(errno);
  adopt_stdio_pipes(stdio, static_cast<pid_t>(pid), out, message);
  if (request.stdin_null && out->stdin_fd >= 0) {
    close(out->stdin_fd);
    out->stdin_fd = -1;
  }
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

std::vector<std::string> init_argv(const StartRequest& request, const std::vector<std::string>& candidates) {
  // cwd E env... K candidates... argv... (init_main.c parse_command)
  std::vector<std::string> out = {request.cwd, std::to_string(request.env.size())};
  out.insert(out.end(), request.env.begin(), request.env.end());
  out.push_back(std::to_string(candidates.size()));
  out.insert(out.end(), candidates.begin(), candidates.end());
  out.insert(out.end(), request.argv.begin(), request.argv.end());
  return out;
}

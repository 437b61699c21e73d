#include "isolate.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

// The init's fds once it has moved them out of the supervisor's way (everything else is closed);
// kExe, the init's binary, only until the init has been exec'd from it.
constexpr int kStdin = 100, kStdout = 101, kStderr = 102, kReport = 103, kExe = 104;

// The init's binary (O_PATH), opened once at the supervisor's start: each init is exec'd from it.
int exe_fd = -1;

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
  // Checked here, with the same words as without isolation: the init only tries the candidates.
  std::vector<std::string> found;
  err = check_cwd_and_find(request, &found, message);
  if (err != 0) {
    close(report[0]);
    close(report[1]);
    for (auto& p : stdio) {
      close(p[0]);
      close(p[1]);
    }
    return err;
  }
  std::vector<std::string> storage = init_argv(request, masks, found);
  std::vector<char*> argv;
  for (std::string& a : storage) argv.push_back(&a[0]);
  argv.push_back(nullptr);
  // E2BIG: what the command's own exec would say for the same limits (its argv and env are the init's).
  const std::string too_big = exec_error_message(request.argv[0], E2BIG);
  const std::string failure = "session command set-up: cannot exec the namespace init " + std::string(kInitName);
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
  message->assign(reinterpret_cast<const char*>(buffer->data()) + 8, head[1]);
  // The init words only the step that failed (it has no strerror); an empty text: the command's exec.
  if (message->empty()) {
    *message = exec_failure_message(program, *err);
  } else if (message->compare(0, 24, "session command set-up: ") == 0 && message->find(": ", 24) == std::string::npos) {
    *message += std::string(": ") + strerror(*err);
  }
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
  // Beside the binary this process runs (proc(5) /proc/pid/exe), read-only in the sandbox like it and
  // the launcher (sandbox.ts supervisorPlanOptions): opened once, before any command runs, and held,
  // so a file a command later put at that path is never what an init runs.
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    int err = n < 0 ? errno : ENOENT;
    *message = std::string("readlink(/proc/self/exe): ") + strerror(err);
    return err;
  }
  std::string path(self, static_cast<size_t>(n));
  path = path.substr(0, path.rfind('/') + 1) + kInitName;
  exe_fd = open(path.c_str(), O_PATH | O_CLOEXEC);
  if (exe_fd < 0) {
    int err = errno;
    *message = "open(" + path + "): " + strerror(err) + " (the session init is built beside the supervisor: run `npm run build:native`)";
    return err;
  }
  return 0;
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


#include "supervise.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "exec_program.h"
#include "fail.h"
#include "fds.h"
#include "fresh_git.h"
#include "limits.h"
#include "proxy_bridge.h"
#include "watchdog.h"


namespace {

// Parses `"child-pid": N` out of bwrap's --info-fd JSON. Returns 0 until the number is complete.
pid_t parse_child_pid(const std::string& json, bool complete) {
  size_t key = json.find("\"child-pid\"");
  if (key == std::string::npos) return 0;
  size_t i = json.find(':', key);
  if (i == std::string::npos) return 0;
  ++i;
  while (i < json.size() && (json[i] == ' ' || json[i] == '\t' || json[i] == '\n')) ++i;
  size_t start = i;
  while (i < json.size() && json[i] >= '0' && json[i] <= '9') ++i;
  if (i == start || (i == json.size() && !complete)) return 0;
  return static_cast<pid_t>(strtol(json.c_str() + start, nullptr, 10));
}

// Host pids of the sandboxed command(s): the children of bwrap's namespace init (child-pid).
// With --as-pid-1 there is no separate init and child-pid is the command itself.
std::vector<pid_t> command_pids(pid_t init_pid) {
  std::vector<pid_t> pids;
  char path[96];
  snprintf(path, sizeof path, "/proc/%d/task/%d/children", init_pid, init_pid);
  FILE* file = fopen(path, "re");
  if (file != nullptr) {
    long pid;
    while (fscanf(file, "%ld", &pid) == 1) pids.push_back(static_cast<pid_t>(pid));
    fclose(file);
    return pids;
  }
  // Kernels without CONFIG_PROC_CHILDREN: scan /proc/*/stat for ppid == init_pid.
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return pids;
  while (struct dirent* entry = readdir(proc)) {
    char* end = nullptr;
    long pid = strtol(entry->d_name, &end, 10);
    if (*end != '\0' || end == entry->d_name) continue;
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE* stat = fopen(path, "re");
    if (stat == nullptr) continue;
    char line[1024];
    size_t len = fread(line, 1, sizeof line - 1, stat);
    fclose(stat);
    line[len] = '\0';
    // Fields after the last ')' (the command name may contain spaces and parentheses).
    const char* close_paren = strrchr(line, ')');
    long ppid = 0;
    char state = 0;
    if (close_paren != nullptr && sscanf(close_paren + 1, " %c %ld", &state, &ppid) == 2 && ppid == init_pid) {
      pids.push_back(static_cast<pid_t>(pid));
    }
  }
  closedir(proc);
  return pids;
}

void forward_to_command(pid_t init_pid, int sig) {
  std::vector<pid_t> pids = command_pids(init_pid);
  if (pids.empty()) pids.push_back(init_pid);
  // The inner stage made the command the leader of its own process group: signal the whole group,
  // as a terminal does for its foreground job, so `sh -c`, make or npm and their children all see
  // the interrupt. A child of the namespace init that leads no group (the command before its
  // setpgid, an orphan of another group) gets the signal alone, and only once.
  std::vector<pid_t> groups;
  for (pid_t pid : pids) {
    if (getpgid(pid) == pid && kill(-pid, sig) == 0) groups.push_back(pid);
  }
  for (pid_t pid : pids) {
    const pid_t group = getpgid(pid);
    bool signalled = false;
    for (pid_t g : groups) signalled = signalled || g == group;
    if (!signalled) kill(pid, sig);
  }
}

// Signals that go to the command's process group as they arrive: a terminal's interrupt and quit,
// job control (the CLI forwards a Ctrl-Z's SIGTSTP and a shell's `fg` SIGCONT: the sandbox is in a
// session of its own that the terminal does not signal) and a window resize.
bool forwarded_to_group(int sig) {
  return sig == SIGINT || sig == SIGQUIT || sig == SIGTSTP || sig == SIGCONT || sig == SIGWINCH;
}

// The parent pid and start time (clock ticks since boot) of pid, from /proc/<pid>/stat (proc(5)).
bool read_pid_stat(pid_t pid, long* ppid, uint64_t* start_time) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  char line[1024] = {0};
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t n = read(fd, line, sizeof line - 1);
  close(fd);
  // Fields after the last ')' (the command name may contain spaces and parentheses): state is
  // field 3, ppid 4, starttime 22.
  const char* p = n > 0 ? strrchr(line, ')') : nullptr;
  if (p == nullptr) return false;
  char state = 0;
  unsigned long long start = 0;
  if (sscanf(p + 1, " %c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &state, ppid, &start) != 3) {
    return false;
  }
  *start_time = start;
  return true;
}

[[noreturn]] void exec_child(const SuperviseParams& params, const sigset_t& original_mask, pid_t parent, pid_t group) {
  // Not the launcher's process group: a terminal's Ctrl-C reaches the launcher, which forwards it to
  // the command, instead of killing bwrap outright. The watchdog's group: see run_watchdog in watchdog.cc.
  if (setpgid(0, group) < 0) die_errno("setpgid in the bwrap child", nullptr, errno);
  // The launcher (our parent) dying must take bwrap and, via --die-with-parent, the sandbox along.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die_errno("prctl(PR_SET_PDEATHSIG) in the bwrap child", nullptr, errno);
  if (getppid() != parent) _exit(kExitSetupFailure);
  // bwrap and everything it starts are in the sandbox's cgroups from their first instruction; the
  // launcher and its watchdog stay outside, so a memory-limit OOM kill never takes the supervisor.
  join_cgroups(params.options->cgroup_procs);
  const int forwarded[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD, SIGTSTP, SIGCONT, SIGWINCH};
  for (int sig : forwarded) signal(sig, SIG_DFL);
  if (sigprocmask(SIG_SETMASK, &original_mask, nullptr) < 0) die_errno("sigprocmask in the bwrap child", nullptr, errno);
  const char* program = params.options->command[0];
  exec_bwrap(program, params.verified_fd, params.options->command.data());
  die_errno("executing bubblewrap", program, errno);
}

struct BwrapChildArgs {
  const SuperviseParams* params;
  const sigset_t* original_mask;
  pid_t parent;
  pid_t group;
};

int bwrap_child_main(void* arg) {
  const BwrapChildArgs* a = static_cast<const BwrapChildArgs*>(arg);
  exec_child(*a->params, *a->original_mask, a->parent, a->group);
}

// The bwrap child shares the launcher's memory until its exec (clone(2) CLONE_VM|CLONE_VFORK, as
// glibc's posix_spawn does) instead of fork()ing a copy of the launcher: no page tables to copy, no
// copy-on-write faults in the launcher afterwards, no second address space to tear down. The
// launcher is suspended until the exec (or the child's _exit), so nothing runs concurrently on the
// shared memory; exec_child only makes system calls (no allocation, no stdio, no return: it execs
// or _exits) and runs on its own stack. Signal dispositions, mask, process group, parent-death
// signal and cgroup are per process or per thread, so its set-up applies to itself only, exactly
// as after fork().
pid_t start_bwrap_child(const SuperviseParams& params, const sigset_t& original_mask, pid_t parent, pid_t group) {
  alignas(64) static char stack[64 * 1024];
  BwrapChildArgs args = {&params, &original_mask, parent, group};
  const pid_t pid = clone(bwrap_child_main, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
  if (pid < 0) die_errno("clone for", "bubblewrap", errno);
  return pid;
}

// What the inner stage said on the started pipe: one byte (1) just before it execs the command, or
// a failure record (fail.h) when a check inside the sandbox failed.
struct StartedPipe {
  int fd = -1;
  bool started = false;
  std::string record;

  // One read; closes the pipe at EOF or once the start is known. False if the read would block.
  bool read_once() {
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) return true;
    if (n < 0 && errno == EAGAIN) return false;
    if (n > 0 && record.empty() && buf[0] == 1) {
      started = true;
      // The command is starting: from here on its status is the launcher's, and a closed status
      // fd with nothing written is how the caller knows (fail.h).
      const int status = status_fd();
      if (status >= 0) {
        close(status);
        set_status_fd(-1, nullptr);
      }
    } else if (n > 0) {
      if (record.size() < 8192) record.append(buf, static_cast<size_t>(n));
      return true;
    }
    close(fd);
    fd = -1;
    return true;
  }

  // Called once bwrap has exited, so no writer is left that could still send anything
  // (non-blocking all the same).
  void drain() {
    while (fd >= 0) {
      struct pollfd pfd = {fd, POLLIN, 0};
      if (poll(&pfd, 1, 0) <= 0 || (pfd.revents & (POLLIN | POLLHUP | POLLERR)) == 0) return;
      if (!read_once()) return;
    }
  }
};

[[noreturn]] void finish_setup_failure(const SuperviseParams& params, int status, const std::string& inner_record) {
  fresh_git_finish();  // nothing ran: the staging directory is empty and removed
  if (params.registry != nullptr) registry_release(params.registry, params.options->synthetic_targets);
  if (!inner_record.empty() && inner_record[0] == kStatusRecordTag) {
    // The inner stage named the check that failed inside the sandbox: pass its record on.
    forward_status_record(inner_record.data(), inner_record.size());
    _exit(kExitSetupFailure);
  }
  const char* bwrap = params.options->command[0];
  if (WIFSIGNALED(status)) {
    die_setup("bubblewrap", bwrap, "bubblewrap was killed by signal %d before the command started; "
              "run `codex-sandbox doctor` for the cause and the fix", WTERMSIG(status));
  }
  die_setup("bubblewrap", bwrap, "bubblewrap exited with status %d before the command started (its "
            "message is above); run `codex-sandbox doctor` for the cause and the fix", WEXITSTATUS(status));
}

[[noreturn]] void finish(const SuperviseParams& params, int status, int reraise) {
  // bwrap has exited, so has every process of the sandbox (its pid namespace): accept a staged new repository.
  fresh_git_finish();
  if (params.registry != nullptr) registry_release(params.registry, params.options->synthetic_targets);
  if (reraise != 0) {
    // Re-raise so the Node side sees the real signal (e.g. a SIGTERM'd launcher reports SIGTERM).
    signal(reraise, SIG_DFL);
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, reraise);
    sigprocmask(SIG_UNBLOCK, &unblock, nullptr);
    raise(reraise);
    _exit(128 + reraise);
  }
  if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) _exit(128 + WTERMSIG(status));
  _exit(kExitSetupFailure);
}

// Proxy-routed mode: the forwarder joins the sandbox's user and network namespaces from outside
// (proxy_bridge.h). It cannot run inside: a process there holding a unix socket would need a filter
// without the proxy-routed rules, and bwrap's init, same uid and dumpable, could then be hijacked
// through /proc/1/mem by the command to open host unix sockets. A forwarder that fails ends the
// sandbox before the command starts (the inner stage waits for its listener): 125.
void start_forwarder_or_die(const SuperviseParams& params, pid_t init_pid, pid_t bwrap_pid) {
  std::string error;
  if (start_proxy_forwarder(init_pid, bwrap_pid, params.options->proxy_port, params.proxy_fd, &error) > 0) return;
  kill(init_pid, SIGKILL);
  kill(bwrap_pid, SIGKILL);
  while (waitpid(bwrap_pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  fresh_git_finish();
  if (params.registry != nullptr) registry_release(params.registry, params.options->synthetic_targets);
  die_setup("proxy bridge", params.options->proxy_socket, "the proxy forwarder could not start in the sandbox's network namespace (%s); nothing was run", error.c_str());
}

}  // namespace

namespace {
sigset_t g_original_mask;
bool g_blocked = false;

sigset_t supervised_signals() {
  sigset_t handled;
  sigemptyset(&handled);
  for (int sig : {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD, SIGTSTP, SIGCONT, SIGWINCH}) sigaddset(&handled, sig);
  return handled;
}
}  // namespace

void block_supervised_signals() {
  if (g_blocked) return;
  const sigset_t handled = supervised_signals();
  if (sigprocmask(SIG_BLOCK, &handled, &g_original_mask) < 0) die_errno("sigprocmask", nullptr, errno);
  g_blocked = true;
}

void restore_supervised_signals() {
  if (!g_blocked) return;
  if (sigprocmask(SIG_SETMASK, &g_original_mask, nullptr) < 0) die_errno("sigprocmask", nullptr, errno);
  g_blocked = false;
}

void supervise_bwrap(const SuperviseParams& params) {
  // Blocked since main (a signal of the set-up is pending, and signalfd reads it below).
  block_supervised_signals();
  const sigset_t handled = supervised_signals();
  const sigset_t original_mask = g_original_mask;
  int sig_fd = signalfd(-1, &handled, SFD_CLOEXEC);
  if (sig_fd < 0) die_errno("signalfd", nullptr, errno);

  const pid_t self = getpid();
  int life_write = -1;  // kept open (CLOEXEC) until this process ends; see run_watchdog in watchdog.cc
  const pid_t watchdog_pid = start_watchdog(&life_write, params.info_read_fd);
  const pid_t bwrap_pid = start_bwrap_child(params, original_mask, self, watchdog_pid);
  // Writes to the watchdog's pipe or the caller's status fd must fail with EPIPE, not kill the
  // supervisor, if their reader is gone. Blocked only here: bwrap (forked above) keeps the default.
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  if (sigprocmask(SIG_BLOCK, &pipe_signal, nullptr) < 0) die_errno("sigprocmask(SIGPIPE)", nullptr, errno);

  // The placed fds belong to bwrap now. Closing our copy of the info and started pipes' write ends
  // lets their read ends see EOF once bwrap and the sandbox are done with them.
  for (const PlacedFdSpec& spec : params.options->placed) close(spec.target);
  if (params.verified_fd >= 0) close(params.verified_fd);

  int info_fd = params.info_read_fd;
  StartedPipe started_pipe;
  started_pipe.fd = params.started_read_fd;
  pid_t init_pid = 0;
  // Forwarded signals that arrived before the command could take them. Sent to the namespace init,
  // they are dropped (the kernel delivers only SIGKILL/SIGSTOP to a pid namespace's init from
  // outside unless it handles them: pid_namespaces(7)); sent to bwrap's child before the inner stage
  // made the command's group, one killed the set-up (bwrap exit 130, reported as a set-up failure).
  // An interrupt() right after spawn was lost and `sleep` ran to its end. They wait for the start.
  std::vector<int> pending;
  const bool await_start = params.started_read_fd >= 0;

  bool info_incomplete = false;  // child-pid peeked but not complete yet: peek again shortly
  for (;;) {
    struct pollfd fds[3] = {{sig_fd, POLLIN, 0}, {info_incomplete ? -1 : info_fd, POLLIN, 0}, {started_pipe.fd, POLLIN, 0}};
    const int ready = poll(fds, 3, info_incomplete ? 1 : -1);  // poll ignores entries whose fd is -1
    if (ready < 0) {
      if (errno == EINTR) continue;
      die_errno("poll", nullptr, errno);
    }
    if (started_pipe.fd >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const bool was_started = started_pipe.started;
      started_pipe.read_once();
      if (!was_started && started_pipe.started && params.registry != nullptr) registry_started(params.registry);
    }
    if (info_fd >= 0 && init_pid == 0 && (info_incomplete || (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0)) {
      // Peeked, not read: bwrap's child-pid stays in the socket until the watchdog has it (see
      // run_watchdog in watchdog.cc), so a SIGKILL between this read and the write below cannot lose it.
      char buf[4096];
      const ssize_t n = recv(info_fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
      info_incomplete = false;
      if (n > 0) {
        const std::string peeked(buf, static_cast<size_t>(n));
        const pid_t parsed = parse_child_pid(peeked, false);
        if (parsed > 0) {
          init_pid = parsed;
          // Tell the watchdog which process the init is: checked to be bwrap's child here, where
          // bwrap (our child, not reaped yet) cannot have let its pid be reused.
          long ppid = 0;
          WatchedInit watched = {init_pid, 0};
          if (read_pid_stat(init_pid, &ppid, &watched.start_time) && ppid == bwrap_pid &&
              write(life_write, &watched, sizeof watched) < 0) {
            // Best effort: the group kill and bwrap's own --die-with-parent still hold.
          }
          if (params.proxy_fd >= 0) start_forwarder_or_die(params, init_pid, bwrap_pid);
        } else if (n < static_cast<ssize_t>(sizeof buf) && peeked.find("\"child-pid\"") != std::string::npos) {
          info_incomplete = true;  // the number's end is still to come (bwrap writes in pieces)
        }
        if (!info_incomplete && read(info_fd, buf, static_cast<size_t>(n)) < 0) {
          // Cannot fail for data just peeked; the drain below reads on either way.
        }
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(info_fd);
        info_fd = -1;
      }
    } else if (info_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      // Drain to EOF once child-pid is known: closing early would SIGPIPE bwrap on its next write.
      char buf[1024];
      const ssize_t n = read(info_fd, buf, sizeof buf);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        close(info_fd);
        info_fd = -1;
      }
    }
    // The command is there to take the signals held back (the inner stage leads its group before it
    // reports the start), or it never will be known (no child-pid: interrupt bwrap itself).
    if (!pending.empty() && (!await_start || started_pipe.started)) {
      if (init_pid > 0) {
        for (int sig : pending) forward_to_command(init_pid, sig);
        pending.clear();
      } else if (info_fd < 0) {
        for (int sig : pending) {
          if (sig == SIGINT || sig == SIGQUIT) kill(bwrap_pid, sig);
        }
        pending.clear();
      }
    }
    if ((fds[0].revents & POLLIN) == 0) continue;
    struct signalfd_siginfo si;
    ssize_t n = read(sig_fd, &si, sizeof si);
    if (n != static_cast<ssize_t>(sizeof si)) continue;
    const int sig = static_cast<int>(si.ssi_signo);
    if (sig == SIGCHLD) {
      int status = 0;
      pid_t done = waitpid(bwrap_pid, &status, WNOHANG);
      if (done == bwrap_pid) {
        started_pipe.drain();
        if (params.started_read_fd >= 0 && !started_pipe.started) finish_setup_failure(params, status, started_pipe.record);
        finish(params, status, 0);
      }
      continue;
    }
    if (forwarded_to_group(sig)) {
      if (await_start && !started_pipe.started) {
        pending.push_back(sig);
      } else if (init_pid > 0) {
        forward_to_command(init_pid, sig);
      } else if (params.info_read_fd >= 0 && info_fd >= 0) {
        pending.push_back(sig);
      } else if (sig == SIGINT || sig == SIGQUIT) {
        // No --info-pipe: the command's pid is unknown; interrupt bwrap itself, whose death takes
        // the sandbox down through --die-with-parent.
        kill(bwrap_pid, sig);
      }
      continue;
    }
    // SIGTERM / SIGHUP: tear the sandbox down (namespace init first, then bwrap), clean up, and
    // die of the same signal.
    if (init_pid > 0) kill(init_pid, SIGKILL);
    kill(bwrap_pid, SIGKILL);
    int status = 0;
    while (waitpid(bwrap_pid, &status, 0) < 0 && errno == EINTR) {
    }
    finish(params, status, sig);
  }
}

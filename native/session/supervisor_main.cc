// codex-sandbox-session: the session supervisor. Started as the sandboxed program by the ordinary
// launch path (launcher -> bwrap -> inner stage -> this), so it runs with exactly the sandbox's
// confinement; every command it starts inherits it. It speaks the frame protocol of frames.h on its
// stdin (requests from the host) and stdout (reports), and starts each command (isolate.h) in a
// session of its own. With `--isolate` (the Linux session plan, which gives
// this process alone CAP_SYS_ADMIN), each command runs under an init of its own (pid, IPC and
// mount namespaces, reused for a later command), without capabilities (isolate.h). It ends, killing every command's group, when its stdin
// reaches EOF (the host closed the session or died).
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "frames.h"
#include "isolate.h"
#include "spawn_command.h"

namespace {

struct Command {
  pid_t pid = -1;
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  int report_fd = -1;            // isolation 'none': the command's report pipe until its exec (isolate.h)
  int init_fd = -1;              // isolated: its init's socket (DONE), owned by isolate.cc
  uint32_t generation = 0;       // isolated: the command's number on that init
  std::vector<uint8_t> report;   // what the command's child reported so far
  bool starting = false;         // isolation 'none': no exec report yet (STARTED not sent)
  bool plain = false;            // isolation 'none': EOF without a word on report_fd is the start
  std::vector<int> held_signals; // SIGNAL frames that came while starting, sent once started
  std::vector<uint8_t> pending;  // stdin bytes not yet accepted by the pipe
  bool close_stdin = false;      // EOF asked for: close once pending is written
  bool paused = false;           // PAUSE from the host: its output is not read until RESUME
  std::string program;           // argv[0], to word an exec failure
};

std::map<uint32_t, Command> commands;
// Reports not sent yet: written once per turn of the poll loop (a STARTED, an EXIT and output of many
// commands in one write(2), not two writes per frame), or earlier once large.
std::vector<uint8_t> outbox;
constexpr size_t kOutboxFlush = 1 << 20;

void report(uint8_t type, uint32_t id, const void* payload, size_t length) {
  append_frame(&outbox, type, id, payload, length);
  if (outbox.size() >= kOutboxFlush) write_frames(STDOUT_FILENO, &outbox);
}
bool isolate = false;
ProcMasks proc_masks;

// Orphans this subreaper adopted: a command's `setsid` or double-forked job has left the command's group.
// In a sandbox the pid namespace ends them with the session; a session without bwrap (danger-full-access)
// has none, so they are killed here. Each one killed hands its own children to this process in turn, so
// this repeats until no child is left (bounded: a job that keeps forking cannot keep the session alive).
// Best effort: without /proc/PID/task/TID/children (proc(5), CONFIG_PROC_CHILDREN) nothing is found.
void kill_adopted() {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/children", static_cast<int>(getpid()));
  for (int round = 0; round < 200; ++round) {
    FILE* f = fopen(path, "re");
    if (f == nullptr) return;
    bool any = false;
    long pid = 0;
    while (fscanf(f, "%ld", &pid) == 1) {
      any = true;
      kill(static_cast<pid_t>(pid), SIGKILL);  // ESRCH: gone meanwhile
    }
    fclose(f);
    int status = 0;
    while (waitpid(-1, &status, WNOHANG) > 0) {
    }
    if (!any) return;
    usleep(1000);
  }
}

// Every command's group, and each init itself (it may not have a group of its own yet; killing an
// init ends its whole pid namespace), then every other child (adopted orphans).
void kill_all() {
  for (auto& [id, c] : commands) {
    kill(-c.pid, SIGKILL);
    if (isolate || c.report_fd >= 0 || !c.report.empty()) kill(c.pid, SIGKILL);
  }
  // Idle inits too (each would also die with this process: PR_SET_PDEATHSIG).
  kill_inits();
  kill_adopted();
}

[[noreturn]] void fatal(const std::string& text) {
  write_frames(STDOUT_FILENO, &outbox);
  write_frame(STDOUT_FILENO, kFatal, 0, text.data(), text.size());
  kill_all();
  _exit(125);
}

void check(bool ok, const char* what) {
  if (!ok) fatal(std::string(what) + ": " + strerror(errno));
}

void close_fd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// Reads what the pipe holds now and forwards it; closes the fd at EOF. `drain`: keep reading until
// the pipe is empty (after the command exited), else one read per poll wake-up.
void pump_output(uint32_t id, int* fd, uint8_t type, bool drain) {
  static uint8_t buffer[65536];
  while (*fd >= 0) {
    ssize_t n = read(*fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      close_fd(fd);
      return;
    }
    report(type, id, buffer, static_cast<size_t>(n));
    if (!drain) return;
  }
}

void flush_stdin(Command* c) {
  while (c->stdin_fd >= 0 && !c->pending.empty()) {
    ssize_t n = write(c->stdin_fd, c->pending.data(), c->pending.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n < 0) {
      // EPIPE: the command closed its stdin; what is left is dropped, as a pipe would.
      c->pending.clear();
      close_fd(&c->stdin_fd);
      return;
    }
    c->pending.erase(c->pending.begin(), c->pending.begin() + n);
  }
  if (c->pending.empty() && c->close_stdin) close_fd(&c->stdin_fd);
}

void send_failed(uint32_t id, int err, const std::string& message) {
  std::vector<uint8_t> out(4 + message.size());
  put_u32(out.data(), static_cast<uint32_t>(err));
  memcpy(out.data() + 4, message.data(), message.size());
  report(kFailed, id, out.data(), out.size());
}

void send_started(uint32_t id, Command* c) {
  c->starting = false;
  uint8_t pid[4];
  put_u32(pid, static_cast<uint32_t>(c->pid));
  report(kStarted, id, pid, sizeof pid);
  for (int sig : c->held_signals) kill(-c->pid, sig);
  c->held_signals.clear();
}

void close_command_fds(Command* c) {
  close_fd(&c->stdin_fd);
  close_fd(&c->stdout_fd);
  close_fd(&c->stderr_fd);
  close_fd(&c->report_fd);
}

// isolation 'none': the command's exec report: STARTED once its exec closed the pipe, or FAILED (the
// entry is dropped; the child exits on its own and is reaped as a stray child). Called when report_fd
// is readable.
void on_report(uint32_t id) {
  auto it = commands.find(id);
  if (it == commands.end() || !it->second.starting) return;
  Command& c = it->second;
  bool eof = read_report(&c.report_fd, &c.report);
  if (c.plain && eof && c.report.empty()) {
    // The command's exec closed its copy of the pipe (close-on-exec): it runs.
    send_started(id, &c);
    return;
  }
  int err = 0;
  std::string message;
  switch (parse_start_report(&c.report, c.program, &err, &message)) {
    case StartReport::kStarted:
      send_started(id, &c);
      return;
    case StartReport::kFailed:
      close_command_fds(&c);
      commands.erase(it);
      send_failed(id, err, message);
      return;
    case StartReport::kIncomplete:
      // At EOF without a whole report, the init died: its reaping reports it (on_exit).
      return;
  }
}

void start(uint32_t id, const std::vector<uint8_t>& payload) {
  StartRequest request;
  std::string message;
  int err = 0;
  if (commands.count(id) != 0) {
    err = EEXIST;
    message = "command id " + std::to_string(id) + " is already running in this session";
  } else if (!parse_start(payload, &request, &message)) {
    err = EINVAL;
  }
  SpawnedCommand spawned;
  if (err == 0) err = isolate ? spawn_isolated(request, proc_masks, &spawned, &message) : spawn_plain(request, &spawned, &message);
  if (err != 0) {
    send_failed(id, err, message);
    return;
  }
  Command& c = commands[id];
  c.pid = spawned.pid;
  c.stdin_fd = spawned.stdin_fd;
  c.stdout_fd = spawned.stdout_fd;
  c.stderr_fd = spawned.stderr_fd;
  c.report_fd = spawned.report_fd;
  c.init_fd = spawned.init_fd;
  c.generation = spawned.generation;
  c.plain = !isolate;
  c.program = request.argv[0];
  // isolation 'none': STARTED waits for the exec's report (on_report). Isolated: at once; a start
  // failure comes as FAILED when the init is reaped (on_exit).
  if (c.report_fd >= 0) {
    c.starting = true;
    return;
  }
  send_started(id, &c);
}

void handle(const Frame& f) {
  auto it = commands.find(f.id);
  switch (f.type) {
    case kStart:
      start(f.id, f.payload);
      return;
    case kStdin:
      // Input for a command that already ended is dropped (its exit report is on the way).
      if (it == commands.end() || it->second.stdin_fd < 0) return;
      if (f.payload.empty()) it->second.close_stdin = true;
      it->second.pending.insert(it->second.pending.end(), f.payload.begin(), f.payload.end());
      flush_stdin(&it->second);
      return;
    case kSignal: {
      if (it == commands.end() || f.payload.size() != 4) return;
      int sig = static_cast<int>(f.payload[0] | (f.payload[1] << 8) | (f.payload[2] << 16) | (f.payload[3] << 24));
      // Isolated: to the init, which forwards the signals it waits for to the command's group; it starts
      // with them blocked, so one sent during its set-up stays pending (isolate.cc). Without isolation
      // the command's group only: pgid == its pid (init_main.c spawn_child), never 0 or -1; a command
      // not yet exec'd has no group of its own yet: the signal waits until it has started.
      // Isolated: through the init's socket, for this command's generation only (isolate.h).
      if (it->second.starting) it->second.held_signals.push_back(sig);
      else if (isolate) signal_isolated(it->second.pid, it->second.generation, sig);
      else if (it->second.pid > 1) kill(-it->second.pid, sig);
      return;
    }
    case kPause:
    case kResume:
      // Flow control per command: while paused its pipes are not read, so a command writing more
      // than the host consumes blocks in write(2) once its pipe is full; other commands go on.
      if (it != commands.end()) it->second.paused = f.type == kPause;
      return;
    default:
      fatal("unknown frame type " + std::to_string(f.type) + " from the host (protocol mismatch)");
  }
}

void on_exit(pid_t pid, int status);
void finish(uint32_t id, Command* c, int status);

// An isolated command's init socket is readable: its DONE (the command and all it started are gone,
// init_main.c finish_command) ends the command; the init is idle again.
void on_init_message(uint32_t id, bool hung_up) {
  auto it = commands.find(id);
  if (it == commands.end()) return;
  InitOutcome outcome;
  if (!receive_done(it->second.pid, it->second.generation, it->second.program, &outcome)) {
    // The init closed its end without a DONE: it is exiting (its pid namespace may take a while to end).
    // Not polled again (a hung-up socket is always ready); its reaping reports the command (on_exit).
    if (hung_up) it->second.init_fd = -1;
    return;
  }
  Command c = it->second;
  commands.erase(it);
  if (outcome.failed) {
    close_command_fds(&c);
    send_failed(id, outcome.err, outcome.message);
    return;
  }
  finish(id, &c, outcome.status);
}

// Reaps every exited child. Children that are not commands are orphans this subreaper adopted:
// reaped so they never pile up as zombies.
void reap() {
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) return;
    on_exit(pid, status);
    release_init(pid);
  }
}

// A command's exit ends its process group: background jobs die with the command, as they would
// with a fresh sandbox's pid namespace, and are reaped here before the exit is reported (a later
// command never sees them, not even as zombies). Then its output is drained and the exit reported.
void on_exit(pid_t pid, int status) {
  auto it = commands.begin();
  while (it != commands.end() && it->second.pid != pid) ++it;
  if (it == commands.end()) return;
  uint32_t id = it->first;
  Command c = it->second;
  commands.erase(it);
  // An isolated command's init was pid 1 of its namespace: the kernel killed and reaped everything in it
  // before this exit was reported (pid_namespaces(7); kernel/pid_namespace.c zap_pid_ns_processes), so
  // its group holds nothing left to kill or reap here (two system calls fewer per command).
  if (c.plain) kill(-pid, SIGKILL);
  for (; c.plain;) {
    int member_status = 0;
    // Only children of this process in that group (the killed jobs, re-parented here): ECHILD ends it.
    pid_t member = waitpid(-pid, &member_status, 0);
    if (member < 0 && errno == EINTR) continue;
    if (member <= 0) break;
    on_exit(member, member_status);  // a command leader that had joined this group
    release_init(member);
  }
  if (!c.plain) {
    // Its DONE, if the init sent one before it ended; else the outcome it left in this address space
    // before its exit (init_run.h).
    InitOutcome outcome;
    if (receive_done(pid, c.generation, c.program, &outcome) || init_outcome(pid, c.program, &outcome)) {
      if (outcome.failed) {
        close_command_fds(&c);
        send_failed(id, outcome.err, outcome.message);
        return;
      }
      // Else the command's status, or the init's own when it was killed before the command ended.
      if (outcome.exited) status = outcome.status;
    }
  } else if (c.report_fd >= 0 || !c.report.empty()) {
    // The child has exited: the rest of its report is in the pipe (read to EOF, it never blocks now).
    while (!read_report(&c.report_fd, &c.report)) {
    }
    if (c.starting) {
      int err = EIO;
      std::string message;
      StartReport r = parse_start_report(&c.report, c.program, &err, &message);
      if (c.plain && r == StartReport::kIncomplete && c.report.empty()) r = StartReport::kStarted;  // exec'd, then ended
      if (r != StartReport::kStarted) {
        close_command_fds(&c);
        if (r == StartReport::kIncomplete) message = "the command's process ended before starting it (status " + std::to_string(status) + ")";
        send_failed(id, err, message);
        return;
      }
      send_started(id, &c);
    }
  }
  finish(id, &c, status);
}

// The command and everything it started are gone: its output drained, its exit reported.
void finish(uint32_t id, Command* cp, int status) {
  Command& c = *cp;
  // Drained whatever the flow control: what is left in the pipes is bounded by their capacity.
  pump_output(id, &c.stdout_fd, kStdout, true);
  pump_output(id, &c.stderr_fd, kStderr, true);
  close_command_fds(&c);
  uint8_t out[5];
  out[0] = WIFSIGNALED(status) ? 1 : 0;
  put_u32(out + 1, static_cast<uint32_t>(WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status)));
  report(kExit, id, out, sizeof out);
}

// The bounding set emptied once for the whole session (it needs CAP_SETPCAP, which bubblewrap kept for
// this process): each init is cloned from this process and inherits it, and a capability dropped from
// the bounding set can never be added back (capabilities(7) "Capability bounding set"), so no command
// can regain one through an exec. Its effective and permitted sets (CAP_SYS_ADMIN for the namespaces)
// are unchanged; each init clears those and checks the bounding set again (init_main.c).
void empty_bounding_set() {
  for (int cap = 0; cap <= 63; ++cap) {
    int held = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (held < 0 && errno == EINVAL) break;  // past the kernel's last capability
    check(held >= 0, "prctl(PR_CAPBSET_READ)");
    if (held == 0) continue;
    check(prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0, "prctl(PR_CAPBSET_DROP)");
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 0) fatal("capability " + std::to_string(cap) + " remained in the bounding set; refusing to start commands");
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--isolate") {
      isolate = true;
    } else if ((arg == "--proc-read-only" || arg == "--proc-masked") && i + 1 < argc) {
      (arg == "--proc-masked" ? proc_masks.masked : proc_masks.read_only).push_back(argv[++i]);
    } else {
      fatal("unknown argument " + arg + " (usage: codex-sandbox-session [--isolate [--proc-read-only PATH]... [--proc-masked PATH]...])");
    }
  }
  if (isolate) empty_bounding_set();
  open_null_stdin();
  // Not dumpable: a command (same uid) cannot ptrace it or read its memory through /proc
  // (prctl(2) PR_SET_DUMPABLE; ptrace(2) "ptrace access mode checking").
  check(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0, "prctl(PR_SET_DUMPABLE)");
  // Orphaned background processes are re-parented here and reaped (prctl(2) PR_SET_CHILD_SUBREAPER).
  check(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0, "prctl(PR_SET_CHILD_SUBREAPER)");
  // Signals ignored by whoever started this process back to their default, once: an ignored signal
  // stays ignored across exec (signal(7)), and a command's child resets only the ones the init
  // handles and SIGPIPE, which this process ignores for itself (init_main.c spawn_child).
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction old;
    if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) signal(sig, SIG_DFL);
  }
  check(signal(SIGPIPE, SIG_IGN) != SIG_ERR, "signal(SIGPIPE)");
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  check(sigprocmask(SIG_BLOCK, &chld, nullptr) == 0, "sigprocmask");
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  check(sfd >= 0, "signalfd");
  write_frame(STDOUT_FILENO, kReady, 0, nullptr, 0);

  FrameReader reader;
  std::vector<pollfd> fds;
  std::vector<std::pair<uint32_t, int>> owners;  // per pollfd after the first two: command id, which (0 in, 1 out, 2 err, 3 report, 4 init)
  static uint8_t buffer[65536];
  for (;;) {
    fds.clear();
    owners.clear();
    fds.push_back({STDIN_FILENO, POLLIN, 0});
    fds.push_back({sfd, POLLIN, 0});
    for (auto& [id, c] : commands) {
      if (c.starting && c.report_fd >= 0) {
        fds.push_back({c.report_fd, POLLIN, 0});
        owners.push_back({id, 3});
      }
      if (c.init_fd >= 0) {
        fds.push_back({c.init_fd, static_cast<short>(POLLIN | (init_wants_write(c.pid) ? POLLOUT : 0)), 0});
        owners.push_back({id, 4});
      }
      if (c.stdin_fd >= 0 && !c.pending.empty()) {
        fds.push_back({c.stdin_fd, POLLOUT, 0});
        owners.push_back({id, 0});
      }
      if (c.starting || c.paused) continue;
      if (c.stdout_fd >= 0) {
        fds.push_back({c.stdout_fd, POLLIN, 0});
        owners.push_back({id, 1});
      }
      if (c.stderr_fd >= 0) {
        fds.push_back({c.stderr_fd, POLLIN, 0});
        owners.push_back({id, 2});
      }
    }
    write_frames(STDOUT_FILENO, &outbox);
    // Idle inits past their time exit; the poll wakes up when the next one is due.
    int ready = poll(fds.data(), fds.size(), retire_idle_inits());
    if (ready < 0 && errno == EINTR) continue;
    check(ready >= 0, "poll");
    for (size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      auto it = commands.find(owners[i - 2].first);
      if (it == commands.end()) continue;
      Command& c = it->second;
      if (owners[i - 2].second == 4) {
        if (fds[i].revents & POLLOUT) flush_init_signals(c.pid);
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) on_init_message(it->first, (fds[i].revents & (POLLHUP | POLLERR)) != 0);
      } else if (owners[i - 2].second == 3) {
        on_report(it->first);
      } else if (owners[i - 2].second == 0) {
        if (fds[i].revents & (POLLERR | POLLHUP)) {
          c.pending.clear();
          close_fd(&c.stdin_fd);
        } else {
          flush_stdin(&c);
        }
      } else if (owners[i - 2].second == 1) {
        pump_output(it->first, &c.stdout_fd, kStdout, false);
      } else {
        pump_output(it->first, &c.stderr_fd, kStderr, false);
      }
    }
    if (fds[1].revents != 0) {
      signalfd_siginfo info;
      while (read(sfd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      }
      reap();
    }
    if (fds[0].revents != 0) {
      ssize_t n = read(STDIN_FILENO, buffer, sizeof buffer);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        // The host closed the session (or died): nothing may outlive it.
        write_frames(STDOUT_FILENO, &outbox);
        kill_all();
        return 0;
      }
      reader.append(buffer, static_cast<size_t>(n));
      Frame f;
      std::string error;
      while (reader.next(&f, &error)) handle(f);
      if (!error.empty()) fatal(error);
    }
  }
}

#include "proxy_bridge.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fail.h"
#include "fds.h"
#include "pin.h"

namespace {

// The forwarder's O_PATH fd of the verified socket, reached as /proc/self/fd/N: connect() follows
// that magic link to the inode checked at set-up, so a renamed directory or a planted link to
// another socket (docker.sock) cannot redirect the bridge.
constexpr int kListenFd = 3;
constexpr int kSocketFd = 4;
constexpr const char kSocketViaFd[] = "/proc/self/fd/4";
// The forwarder runs outside the sandbox's pids limit: each connection's relay process counts
// against this bound instead (the proxy itself serves at most 256 connections at once).
constexpr int kMaxRelays = 256;

// Relays bytes both ways between the client and the proxy until both directions are closed.
[[noreturn]] void relay(int client) {
  // Dies with the forwarder (which dies with the launcher): no relay outlives the sandbox.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) _exit(1);
  int up = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, kSocketViaFd, sizeof addr.sun_path - 1);
  if (up < 0 || connect(up, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0) _exit(1);
  int fds[2] = {client, up};
  bool open_in[2] = {true, true};  // reading from fds[i] still possible
  char buf[65536];
  while (open_in[0] || open_in[1]) {
    struct pollfd p[2] = {{fds[0], static_cast<short>(open_in[0] ? POLLIN : 0), 0}, {fds[1], static_cast<short>(open_in[1] ? POLLIN : 0), 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      _exit(1);
    }
    for (int i = 0; i < 2; ++i) {
      if (!open_in[i] || (p[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      ssize_t n = read(fds[i], buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        open_in[i] = false;
        shutdown(fds[1 - i], SHUT_WR);
        continue;
      }
      for (ssize_t done = 0; done < n;) {
        ssize_t w = write(fds[1 - i], buf + done, static_cast<size_t>(n - done));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) _exit(0);
        done += w;
      }
    }
  }
  _exit(0);
}

[[noreturn]] void serve() {
  signal(SIGPIPE, SIG_IGN);  // a client that goes away mid-write must not kill the forwarder
  int relays = 0;
  for (;;) {
    while (relays > 0 && waitpid(-1, nullptr, relays >= kMaxRelays ? 0 : WNOHANG) > 0) --relays;
    int c = accept4(kListenFd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) continue;
      _exit(1);
    }
    pid_t pid = fork();
    if (pid == 0) {
      close(kListenFd);
      relay(c);
    }
    if (pid > 0) ++relays;
    close(c);
  }
}

// Sends the forwarder's set-up outcome to the launcher: one 0 byte, or the failed step's message.
void report(int fd, const char* text, size_t len) {
  while (write(fd, text, len) < 0 && errno == EINTR) {
  }
}

[[noreturn]] void fail_setup(int fd, const char* step, int err) {
  char msg[512];
  int n = snprintf(msg, sizeof msg, "%s: %s", step, strerror(err));
  report(fd, msg, n > 0 ? static_cast<size_t>(n) < sizeof msg ? static_cast<size_t>(n) : sizeof msg - 1 : 0);
  _exit(kExitSetupFailure);
}

// The parent pid from /proc/PID/stat, read through the process's /proc directory fd.
long parent_of(int proc_dir) {
  int fd = openat(proc_dir, "stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char line[1024] = {0};
  ssize_t n = read(fd, line, sizeof line - 1);
  close(fd);
  const char* p = n > 0 ? strrchr(line, ')') : nullptr;  // the name may contain spaces and ')'
  long ppid = -1;
  char state = 0;
  if (p == nullptr || sscanf(p + 1, " %c %ld", &state, &ppid) != 2) return -1;
  return ppid;
}

[[noreturn]] void run_forwarder(int out, pid_t launcher, pid_t init_pid, pid_t bwrap_pid, int port, int socket_fd) {
  // The report pipe out of the way of the fds the forwarder places at 3 and 4.
  const int high_out = fcntl(out, F_DUPFD_CLOEXEC, 64);
  if (high_out < 0) fail_setup(out, "fcntl(F_DUPFD_CLOEXEC)", errno);
  close(out);
  out = high_out;
  // Dies with the launcher (which outlives the sandbox): no forwarder is left behind.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) fail_setup(out, "prctl(PR_SET_PDEATHSIG)", errno);
  if (getppid() != launcher) _exit(kExitSetupFailure);
  // Out of the launcher's (the terminal's) process group, so a Ctrl-C meant for the command does not
  // reach it; the launcher's blocked signals are not ours.
  setsid();
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // Its non-dumpable state denies the command (and anything not holding CAP_SYS_PTRACE in the host's
  // user namespace) /proc/PID/mem and /proc/PID/fd access, on top of its pid not existing in the
  // sandbox's pid namespace (proc(5), PR_SET_DUMPABLE in prctl(2), ptrace(2) "Ptrace access mode
  // checking"). Set before joining the sandbox's user namespace.
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) fail_setup(out, "prctl(PR_SET_DUMPABLE)", errno);
  // The namespaces are those of the process bwrap reported, opened through its /proc directory fd
  // (which refers to that one process: a pid reused after it died fails with ESRCH), and checked to
  // be bwrap's child, so the forwarder never joins the namespaces of an unrelated process.
  char path[64];
  snprintf(path, sizeof path, "/proc/%d", init_pid);
  int proc_dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (proc_dir < 0) fail_setup(out, "opening the sandbox's /proc/PID", errno);
  int net = openat(proc_dir, "ns/net", O_RDONLY | O_CLOEXEC);
  if (net < 0) fail_setup(out, "opening the sandbox's network namespace", errno);
  if (parent_of(proc_dir) != bwrap_pid) fail_setup(out, "checking the sandbox's init is bubblewrap's child", ESRCH);
  // The user namespace that owns the network namespace (ioctl_ns(2), NS_GET_USERNS): joining it gives
  // the caller (its owner) CAP_SYS_ADMIN over the network namespace, which setns(CLONE_NEWNET) needs.
  int user = ioctl(net, NS_GET_USERNS);
  if (user < 0) fail_setup(out, "ioctl(NS_GET_USERNS) on the sandbox's network namespace", errno);
  if (setns(user, CLONE_NEWUSER) < 0) fail_setup(out, "setns(CLONE_NEWUSER) into the sandbox's user namespace", errno);
  if (setns(net, CLONE_NEWNET) < 0) fail_setup(out, "setns(CLONE_NEWNET) into the sandbox's network namespace", errno);
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) fail_setup(out, "socket(AF_INET) in the sandbox's network namespace", errno);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // bwrap reports its init on the info fd right after clone(2), while the init is still bringing
  // the namespace's loopback up (bubblewrap's loopback_setup, RTM_NEWADDR 127.0.0.1/8): until then
  // bind fails with EADDRNOTAVAIL. Wait for it, bounded (5 s), rather than racing it; raising lo
  // here ourselves would make bwrap's own exclusive RTM_NEWADDR fail with EEXIST.
  for (int waited_ms = 0;; waited_ms += 2) {
    if (bind(listener, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) == 0) break;
    const int err = errno;
    if ((err != EADDRNOTAVAIL && err != EINTR) || waited_ms >= 5000) fail_setup(out, "binding 127.0.0.1 in the sandbox's network namespace", err);
    struct timespec pause = {0, 2 * 1000 * 1000};
    nanosleep(&pause, nullptr);
  }
  if (listen(listener, 128) < 0) fail_setup(out, "listen", errno);
  // Only the listener and the socket fd survive: the launcher's pipes (its watchdog's, the caller's
  // status fd) and the command's stdio must not be held open by the forwarder.
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) fail_setup(out, "opening /dev/null", errno);
  // Both moved above the targets first, so neither dup2 overwrites the other's source.
  const int high_listener = fcntl(listener, F_DUPFD_CLOEXEC, 64);
  const int high_socket = fcntl(socket_fd, F_DUPFD_CLOEXEC, 64);
  if (high_listener < 0 || high_socket < 0) fail_setup(out, "fcntl(F_DUPFD_CLOEXEC)", errno);
  if (dup2(high_listener, kListenFd) < 0 || dup2(high_socket, kSocketFd) < 0) fail_setup(out, "dup2", errno);
  report(out, "", 1);
  if (dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0) _exit(1);
  close_fds_from(kSocketFd + 1);
  serve();
}

}  // namespace

int open_proxy_socket(const char* socket_path, unsigned long long dev, unsigned long long ino) {
  // The socket's directory belongs to the caller's uid, as do the command's writable roots: only
  // the planned inode is used, reached without following a symlink.
  std::string bad;
  int sock = open_no_follow(socket_path, false, &bad);
  if (sock < 0) die_at("--proxy-bridge: opening the proxy socket", socket_path, -sock, "the proxy socket %s cannot be reached without following a symlink ('%s'); nothing was run", socket_path, bad.c_str());
  struct stat st;
  if (fstat(sock, &st) < 0) die_errno("--proxy-bridge: fstat of", socket_path, errno);
  if (!S_ISSOCK(st.st_mode) || static_cast<unsigned long long>(st.st_dev) != dev || static_cast<unsigned long long>(st.st_ino) != ino) {
    die_at("--proxy-bridge: checking the proxy socket", socket_path, 0,
           "%s is not the proxy's socket (device/inode %llu/%llu, planned %llu/%llu: replaced?); nothing was run",
           socket_path, static_cast<unsigned long long>(st.st_dev), static_cast<unsigned long long>(st.st_ino), dev, ino);
  }
  return sock;
}

pid_t start_proxy_forwarder(pid_t init_pid, pid_t bwrap_pid, int port, int socket_fd, std::string* error) {
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) < 0) {
    *error = std::string("pipe2: ") + strerror(errno);
    return -1;
  }
  const pid_t launcher = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    *error = std::string("fork: ") + strerror(errno);
    close(ends[0]);
    close(ends[1]);
    return -1;
  }
  if (pid == 0) {
    close(ends[0]);
    run_forwarder(ends[1], launcher, init_pid, bwrap_pid, port, socket_fd);
  }
  close(ends[1]);
  char buf[512];
  ssize_t n;
  do {
    n = read(ends[0], buf, sizeof buf - 1);
  } while (n < 0 && errno == EINTR);
  close(ends[0]);
  if (n == 1 && buf[0] == '\0') return pid;
  kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (n > 0) {
    *error = std::string(buf, static_cast<size_t>(n));
  } else {
    char msg[128];
    snprintf(msg, sizeof msg, "the forwarder %s %d before listening", WIFSIGNALED(status) ? "was killed by signal" : "exited with status",
             WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    *error = msg;
  }
  return -1;
}

void wait_for_proxy_listener(int port) {
  // /proc/self/net/tcp lists this network namespace's sockets (proc(5)): local address and port in
  // hex, state 0A = LISTEN. The command's namespace holds nothing else yet.
  for (int tries = 0; tries < 5000; ++tries) {
    FILE* f = fopen("/proc/self/net/tcp", "re");
    if (f == nullptr) die_errno("--proxy-port: reading", "/proc/self/net/tcp", errno);
    char line[512];
    bool listening = false;
    while (fgets(line, sizeof line, f) != nullptr) {
      unsigned local_port = 0, state = 0;
      if (sscanf(line, " %*d: %*x:%x %*x:%*x %x", &local_port, &state) == 2 && local_port == static_cast<unsigned>(port) && state == 0x0A) listening = true;
    }
    fclose(f);
    if (listening) return;
    struct timespec pause = {0, 2 * 1000 * 1000};
    nanosleep(&pause, nullptr);
  }
  die_msg("--proxy-port: nothing listens on 127.0.0.1:%d in the sandbox after 10 s (the launcher's proxy forwarder did not start); nothing was run", port);
}

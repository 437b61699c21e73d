#include "proxy_bridge.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/stat.h>

#include <string>

#include "fail.h"
#include "fds.h"
#include "pin.h"

namespace {

// The forwarder's O_PATH fd of the verified socket, reached as /proc/self/fd/N: connect() follows
// that magic link to the inode opened at set-up, so a command that later renames the socket's
// directory and plants a link to another socket (docker.sock) cannot redirect the bridge.
constexpr int kSocketFd = 4;
constexpr const char kSocketViaFd[] = "/proc/self/fd/4";

// Relays bytes both ways between the client and the proxy until both directions are closed.
[[noreturn]] void relay(int client, const char* socket_path) {
  int up = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, socket_path, sizeof addr.sun_path - 1);
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

[[noreturn]] void serve(int listener, const char* socket_path) {
  // Connections are relayed by children nobody waits for; a client that goes away mid-write must
  // not kill the forwarder.
  signal(SIGCHLD, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  for (;;) {
    int c = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) continue;
      _exit(1);
    }
    pid_t pid = fork();
    if (pid == 0) {
      close(listener);
      relay(c, socket_path);
    }
    close(c);
  }
}

}  // namespace

void start_proxy_bridge(int port, const char* socket_path, unsigned long long dev, unsigned long long ino) {
  // bwrap bound the socket by path: a concurrent sandbox of the same user could have swapped the
  // (user-owned) directory so that another socket got bound here. Only the planned inode is used.
  std::string bad;
  int sock = open_no_follow(socket_path, false, &bad);
  if (sock < 0) die_at("--proxy-bridge: opening the proxy socket", socket_path, -sock, "the proxy socket %s cannot be reached without following a symlink ('%s'); nothing was run", socket_path, bad.c_str());
  struct stat st;
  if (fstat(sock, &st) < 0) die_errno("--proxy-bridge: fstat of", socket_path, errno);
  if (!S_ISSOCK(st.st_mode) || static_cast<unsigned long long>(st.st_dev) != dev || static_cast<unsigned long long>(st.st_ino) != ino) {
    die_at("--proxy-bridge: checking the proxy socket", socket_path, 0,
           "the sandbox is not mounted as planned: %s is not the proxy's socket (device/inode %llu/%llu, planned %llu/%llu: replaced?); nothing was run",
           socket_path, static_cast<unsigned long long>(st.st_dev), static_cast<unsigned long long>(st.st_ino), dev, ino);
  }
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) die_errno("--proxy-bridge: socket", nullptr, errno);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0) die_errno("--proxy-bridge: binding 127.0.0.1", nullptr, errno);
  if (listen(listener, 128) < 0) die_errno("--proxy-bridge: listen", nullptr, errno);
  pid_t first = fork();
  if (first < 0) die_errno("--proxy-bridge: fork", nullptr, errno);
  if (first == 0) {
    // A grandchild, reparented to the sandbox's init (bwrap, pid 1 of the pid namespace): the
    // command does not see it as a child, and it dies with the namespace when the command ends.
    if (fork() != 0) _exit(0);
    // Only the listener survives: the launcher's pipes and the command's stdio must not be held
    // open by the forwarder (a reader waiting for EOF would wait for it).
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull >= 0) {
      dup2(devnull, 0);
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    if (dup2(listener, 3) < 0 || dup2(sock, kSocketFd) < 0) _exit(1);
    close_fds_from(kSocketFd + 1);
    setsid();
    // The forwarder runs without the proxy-routed filter (it must open unix sockets): the command, same
    // uid, must not write its memory through /proc/PID/mem or reopen its fds through /proc/PID/fd, which
    // need ptrace access; a non-dumpable process grants that only with CAP_SYS_PTRACE (proc(5),
    // PR_SET_DUMPABLE in prctl(2); ptrace(2) "Ptrace access mode checking"), and the command has none.
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) _exit(1);
    serve(3, kSocketViaFd);
  }
  int status = 0;
  while (waitpid(first, &status, 0) < 0 && errno == EINTR) {
  }
  close(listener);
  close(sock);
}

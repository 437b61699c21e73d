#include "fds.h"
#include "seccomp_embedded.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <utility>

#include "fail.h"
#include "pin.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

void ensure_stdio_open() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
    int opened = open("/dev/null", O_RDWR);
    if (opened < 0) die_errno("opening", "/dev/null", errno);
    if (opened != fd) {
      if (dup2(opened, fd) < 0) die_errno("dup2 of /dev/null onto stdio", nullptr, errno);
      close(opened);
    }
  }
}

void close_inherited_fds(int keep, int keep2) {
  // Every non-CLOEXEC fd of the Node parent (libuv's extra stdio slots, a caller's open files,
  // sockets) would otherwise reach the sandboxed command, which could read or write through it.
  if (keep2 >= 3 && (keep < 3 || keep2 < keep)) std::swap(keep, keep2);
  if (keep < 3) {
    close_fds_from(3);
    return;
  }
  // The kept fds (the status fd, the sealed bwrap: both CLOEXEC, so no exec passes them on) stay;
  // everything below and between them goes too.
  for (int fd = 3; fd < keep; ++fd) close(fd);
  if (keep2 < 3 || keep2 == keep) {
    close_fds_from(keep + 1);
    return;
  }
  for (int fd = keep + 1; fd < keep2; ++fd) close(fd);
  close_fds_from(keep2 + 1);
}

void close_fds_from(int first) {
  if (syscall(SYS_close_range, static_cast<unsigned>(first), ~0U, 0U) == 0) return;
  if (errno != ENOSYS && errno != EINVAL) die_errno("close_range", nullptr, errno);

  DIR* dir = opendir("/proc/self/fd");
  if (dir != nullptr) {
    int self = dirfd(dir);
    std::vector<int> to_close;
    errno = 0;
    while (struct dirent* entry = readdir(dir)) {
      char* end = nullptr;
      long fd = strtol(entry->d_name, &end, 10);
      if (*end != '\0' || end == entry->d_name) continue;
      if (fd >= first && fd != self) to_close.push_back(static_cast<int>(fd));
    }
    if (errno != 0) die_errno("reading", "/proc/self/fd", errno);
    closedir(dir);
    for (int fd : to_close) close(fd);
    return;
  }
  // No /proc: close every possible fd up to the soft limit.
  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) < 0) die_errno("getrlimit(RLIMIT_NOFILE)", nullptr, errno);
  rlim_t max = lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur > 1048576 ? 1048576 : lim.rlim_cur;
  for (rlim_t fd = static_cast<rlim_t>(first); fd < max; ++fd) close(static_cast<int>(fd));
}

namespace {

// Moves fd above every target (keeping CLOEXEC) so placing targets with dup2 never clobbers it.
int move_high(int fd, int high, const char* what) {
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, high);
  if (moved < 0) die_errno("fcntl(F_DUPFD_CLOEXEC) for", what, errno);
  close(fd);
  return moved;
}

}  // namespace

PlacedReadEnds place_fds(const std::vector<PlacedFdSpec>& placed) {
  int high = 3;
  for (const PlacedFdSpec& spec : placed) {
    if (spec.target + 1 > high) high = spec.target + 1;
  }
  std::vector<int> sources(placed.size(), -1);
  PlacedReadEnds ends_out;
  for (size_t i = 0; i < placed.size(); ++i) {
    const PlacedFdSpec& spec = placed[i];
    int fd = -1;
    switch (spec.kind) {
      case PlacedKind::DevNull:
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0) die_errno("opening", "/dev/null", errno);
        break;
      case PlacedKind::Seccomp: {
        const char* failed_call = "";
        fd = seccomp_program_memfd(spec.mode, &failed_call);
        if (fd < 0) die_errno("placing the seccomp program:", failed_call, -fd);
        break;
      }
      case PlacedKind::Pin:
        fd = open_pinned_dir(spec.path, spec.dev, spec.ino);
        break;
      case PlacedKind::InfoPipe: {
        // A one-way stream socket rather than a pipe: the launcher can peek at bwrap's child-pid
        // and leave it unread until its watchdog knows the namespace init, and the watchdog, which
        // holds the same read end, still finds it there if the launcher is SIGKILLed in between
        // (supervise.cc run_watchdog; socket(7) MSG_PEEK).
        int ends[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) < 0) die_errno("socketpair for", "--info-pipe", errno);
        shutdown(ends[0], SHUT_WR);
        shutdown(ends[1], SHUT_RD);
        ends_out.info = move_high(ends[0], high, "the info pipe");
        fd = ends[1];
        break;
      }
      case PlacedKind::StartedPipe: {
        int ends[2];
        if (pipe2(ends, O_CLOEXEC) < 0) die_errno("pipe2 for", "--started-pipe", errno);
        ends_out.started = move_high(ends[0], high, "the started pipe");
        fd = ends[1];
        break;
      }
    }
    sources[i] = move_high(fd, high, "a placed fd");
  }
  for (size_t i = 0; i < placed.size(); ++i) {
    // dup2 leaves the new fd without CLOEXEC: it must survive exec into bubblewrap.
    if (dup2(sources[i], placed[i].target) < 0) {
      char what[32];
      snprintf(what, sizeof what, "fd %d", placed[i].target);
      die_errno("dup2 onto", what, errno);
    }
    close(sources[i]);
  }
  return ends_out;
}

void die_with_parent(int sig, pid_t expected_parent) {
  // If the Node parent dies, the launcher (and through --die-with-parent, the whole sandbox) dies
  // too, instead of a sandboxed process living on unsupervised.
  if (prctl(PR_SET_PDEATHSIG, sig) < 0) die_errno("prctl(PR_SET_PDEATHSIG)", nullptr, errno);
  if (getppid() != expected_parent) die_msg("parent process exited before the sandbox started");
}

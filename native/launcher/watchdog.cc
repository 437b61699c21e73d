#include "watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../common/raw_syscall.h"
#include "fail.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

// The watchdog shares the launcher's memory (clone(2) CLONE_VM, without CLONE_THREAD: a process of
// its own, which a SIGKILL of the launcher does not reach, and which keeps the memory mapped after the
// launcher is gone). Starting it costs no copy of the launcher's page tables and no copy-on-write
// faults afterwards, as fork() did. Both run at the same time, so everything the watchdog does goes
// through the raw system calls below: no errno (the launcher's thread-local errno is the same memory),
// no allocation, no stdio, no lock; it reads and writes only its own stack, its own static buffers
// and the arguments the launcher set before the clone and never changes again. What it cannot
// survive that a forked copy would: a global OOM kill of the launcher also kills every process
// sharing its memory (mm/oom_kill.c oom_kill_process); bwrap then dies of its parent-death signal.
namespace {

// Returns the result or -errno; never touches errno.
long raw6(long n, long a, long b, long c, long d, long e, long f) { return codex_raw_syscall6(n, a, b, c, d, e, f); }
long raw(long n, long a = 0, long b = 0, long c = 0, long d = 0) { return raw6(n, a, b, c, d, 0, 0); }

[[noreturn]] void wd_exit(int code) {
  for (;;) raw(SYS_exit_group, code);  // this process only: the watchdog is a thread group of its own
}

int wd_open(const char* path, int flags) { return static_cast<int>(raw(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), flags)); }

int wd_dup_to(int from, int to) { return from == to ? to : static_cast<int>(raw(SYS_dup3, from, to, 0)); }

// A small /proc file, NUL-terminated: its length, or -1.
long read_small(const char* path, char* buf, size_t cap) {
  const int fd = wd_open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  long n;
  do {
    n = raw(SYS_read, fd, reinterpret_cast<long>(buf), static_cast<long>(cap - 1));
  } while (n == -EINTR);
  raw(SYS_close, fd);
  if (n < 0) return -1;
  buf[n] = '\0';
  return n;
}

// "/proc/<pid>/<leaf>" into out (64 bytes is enough for any pid and the leaves used here).
void proc_path(char* out, long pid, const char* leaf) {
  char digits[24];
  int k = 0;
  do {
    digits[k++] = static_cast<char>('0' + pid % 10);
    pid /= 10;
  } while (pid > 0 && k < 20);
  size_t len = 0;
  for (const char* p = "/proc/"; *p != '\0'; ++p) out[len++] = *p;
  while (k > 0) out[len++] = digits[--k];
  out[len++] = '/';
  while (*leaf != '\0') out[len++] = *leaf++;
  out[len] = '\0';
}

// Digits in [p, end) as an unsigned number; false if empty, not all digits, or too long.
bool parse_digits(const char* p, const char* end, uint64_t* value) {
  if (p == end || end - p > 19) return false;
  uint64_t v = 0;
  for (; p < end; ++p) {
    if (*p < '0' || *p > '9') return false;
    v = v * 10 + static_cast<uint64_t>(*p - '0');
  }
  *value = v;
  return true;
}

// The parent pid and start time (clock ticks since boot) of pid, from /proc/<pid>/stat (proc(5)):
// the fields after the last ')' (the command name may contain spaces and parentheses), where the
// state is field 3, ppid 4 and starttime 22.
bool pid_stat(long pid, long* ppid, uint64_t* start_time) {
  char path[64];
  proc_path(path, pid, "stat");
  char line[1024];
  if (read_small(path, line, sizeof line) <= 0) return false;
  const char* p = strrchr(line, ')');
  if (p == nullptr) return false;
  ++p;
  uint64_t parent = 0;
  for (int field = 3; *p != '\0'; ++field) {
    while (*p == ' ') ++p;
    if (*p == '\0' || *p == '\n') break;
    const char* token = p;
    while (*p != '\0' && *p != ' ' && *p != '\n') ++p;
    if (field == 4 && !parse_digits(token, p, &parent)) return false;
    if (field == 22) {
      if (!parse_digits(token, p, start_time)) return false;
      *ppid = static_cast<long>(parent);
      return true;
    }
  }
  return false;
}

// A pidfd for the namespace init, or -1. The pidfd pins the pid number, so a start time that
// still matches after opening it proves it is the very process the launcher saw as bwrap's child
// (pidfd_open(2)): the kill at the end can never reach a process that reused the pid.
int open_init_pidfd(const WatchedInit& w) {
  const int pidfd = static_cast<int>(raw(SYS_pidfd_open, static_cast<long>(w.pid), 0));
  if (pidfd < 0) return -1;
  long ppid = 0;
  uint64_t start_time = 0;
  if (!pid_stat(static_cast<long>(w.pid), &ppid, &start_time) || start_time != w.start_time) {
    raw(SYS_close, pidfd);
    return -1;
  }
  return pidfd;
}

// A pidfd for a namespace init the watchdog found itself in bwrap's info (the launcher died before
// it could vouch for it, see run_watchdog), or -1. Without bwrap's pid to compare the parent with,
// the process must at least be what bwrap's child is: a pid namespace's init (NSpid ends in 1,
// proc(5)) started after this watchdog. The pidfd pins it from there on (pidfd_open(2)).
int open_found_init_pidfd(long pid) {
  long ppid = 0;
  uint64_t own_start = 0, start = 0;
  if (pid <= 1 || !pid_stat(raw(SYS_getpid), &ppid, &own_start)) return -1;
  const int pidfd = static_cast<int>(raw(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return -1;
  char path[64];
  proc_path(path, pid, "status");
  char text[4096];
  const long n = read_small(path, text, sizeof text);
  const char* nspid = n > 0 ? strstr(text, "\nNSpid:") : nullptr;
  const char* eol = nspid != nullptr ? strchr(nspid + 1, '\n') : nullptr;
  bool ns_init = false;
  if (eol != nullptr) {
    // At least two values (a nested pid namespace), the last one 1.
    const char* line = nspid + 7;
    const char* last_blank = nullptr;
    for (const char* c = line; c < eol; ++c) {
      if (*c == ' ' || *c == '\t') last_blank = c;
    }
    const char* first = line;
    while (first < eol && (*first == ' ' || *first == '\t')) ++first;
    ns_init = last_blank != nullptr && first < last_blank && eol - last_blank == 2 && last_blank[1] == '1';
  }
  if (!ns_init || !pid_stat(pid, &ppid, &start) || start < own_start) {
    raw(SYS_close, pidfd);
    return -1;
  }
  return pidfd;
}

constexpr size_t kInfoCap = 65536;
char g_info[kInfoCap];  // the watchdog's alone

// Parses `"child-pid": N` out of bwrap's --info-fd JSON. Returns 0 until the number is complete.
long parse_child_pid(const char* json, size_t len, bool complete) {
  static const char kKey[] = "\"child-pid\"";
  const void* key = memmem(json, len, kKey, sizeof kKey - 1);
  if (key == nullptr) return 0;
  const char* end = json + len;
  const char* p = static_cast<const char*>(key) + sizeof kKey - 1;
  const void* colon = memchr(p, ':', static_cast<size_t>(end - p));
  if (colon == nullptr) return 0;
  p = static_cast<const char*>(colon) + 1;
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n')) ++p;
  const char* start = p;
  while (p < end && *p >= '0' && *p <= '9') ++p;
  uint64_t pid = 0;
  if (p == start || (p == end && !complete) || !parse_digits(start, p, &pid) || pid > 0x7fffffff) return 0;
  return static_cast<long>(pid);
}

// bwrap's child-pid, if the info it wrote is still unread in the info socket (fd 4 here): the
// launcher leaves it there until it has passed the init on (MSG_PEEK in supervise_bwrap).
long unread_child_pid(int info_fd) {
  size_t len = 0;
  bool eof = false;
  while (len < kInfoCap) {
    const size_t want = kInfoCap - len < 4096 ? kInfoCap - len : 4096;
    const long n = raw6(SYS_recvfrom, info_fd, reinterpret_cast<long>(g_info + len), static_cast<long>(want), MSG_DONTWAIT, 0, 0);
    if (n == -EINTR) continue;
    if (n <= 0) {
      eof = n == 0;
      break;
    }
    len += static_cast<size_t>(n);
  }
  return parse_child_pid(g_info, len, eof);
}

// Every fd from first up: close_range(2), else the entries of /proc/self/fd.
void close_from(int first) {
  if (raw(SYS_close_range, first, ~0U, 0) == 0) return;
  const int dir = wd_open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return;
  alignas(8) char buf[4096];
  for (;;) {
    const long n = raw(SYS_getdents64, dir, reinterpret_cast<long>(buf), sizeof buf);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name.
      unsigned short reclen;
      memcpy(&reclen, buf + off + 16, sizeof reclen);
      const char* name = buf + off + 19;
      uint64_t fd = 0;
      if (parse_digits(name, name + strlen(name), &fd) && fd >= static_cast<uint64_t>(first) && static_cast<int>(fd) != dir) {
        raw(SYS_close, static_cast<long>(fd));
      }
      off += reclen;
    }
  }
  raw(SYS_close, dir);
}

struct WatchdogArgs {
  int life_read;
  int life_write;
  int info_read;
};
WatchdogArgs g_args;  // set before the clone, never written again
alignas(64) char g_stack[64 * 1024];

// bwrap binds its namespace init to its own life (PR_SET_PDEATHSIG) only after setup, in do_init,
// and never re-checks getppid(): an outer bwrap that dies during setup (it dies with the launcher)
// leaves the init either blocked forever in read() of bwrap's internal eventfd, holding the
// command's stdout/stderr, or running the command unsupervised. Until its setsid (--new-session)
// the init is still in bwrap's process group, so the group kill reaches it; after the setsid only
// its pid does. bwrap writes the init's pid to the info socket before it lets the init run
// (bubblewrap.c main: --info-fd, then child_wait_fd), and the launcher consumes it only after
// passing the pid here: whenever the launcher dies, the pid is either in this watchdog's pipe or
// still in the socket.
int run_watchdog(void*) {
  const WatchdogArgs args = g_args;
  raw(SYS_close, args.life_write);  // the launcher's end: its exit must give EOF here
  raw(SYS_setpgid, 0, 0);           // the launcher does the same; whichever runs first makes the group exist
  // fds 3 and 4 (the info socket's read end, if any); dup'ed above both first so neither clobbers the other.
  const int life = static_cast<int>(raw(SYS_fcntl, args.life_read, F_DUPFD, 5));
  const int info = args.info_read >= 0 ? static_cast<int>(raw(SYS_fcntl, args.info_read, F_DUPFD, 5)) : -1;
  if (life < 0 || wd_dup_to(life, 3) < 0) wd_exit(kExitSetupFailure);
  if (info >= 0 && wd_dup_to(info, 4) < 0) wd_exit(kExitSetupFailure);
  // Nothing of the launcher's may stay open here: not the command's stdout/stderr (the caller waits
  // for every holder to close them), not the placed fds, not the started pipe.
  close_from(info >= 0 ? 5 : 4);
  const int null_fd = wd_open("/dev/null", O_RDWR);
  if (null_fd >= 0) {
    for (int fd = 0; fd <= 2; ++fd) wd_dup_to(null_fd, fd);
    if (null_fd > 2) raw(SYS_close, null_fd);
  }
  // The launcher holds the only write end; it writes the namespace init's pid once (WatchedInit),
  // and EOF means it exited or was killed.
  int init_pidfd = -1;
  for (;;) {
    WatchedInit w;
    const long n = raw(SYS_read, 3, reinterpret_cast<long>(&w), sizeof w);
    if (n == -EINTR) continue;
    if (n == static_cast<long>(sizeof w) && init_pidfd < 0) {
      init_pidfd = open_init_pidfd(w);
      continue;
    }
    if (n <= 0) break;
  }
  if (init_pidfd < 0 && info >= 0) init_pidfd = open_found_init_pidfd(unread_child_pid(4));
  // The init first: the group kill below includes this process, which dies of it. Killing the init
  // ends its pid namespace and everything in it (pid_namespaces(7)); a no-op when the sandbox ended.
  if (init_pidfd >= 0) raw(SYS_pidfd_send_signal, init_pidfd, SIGKILL, 0, 0);
  // This group is only this watchdog, bwrap, and bwrap's namespace init before its setsid; the
  // group leader (this process) is alive until the kill, so the group id cannot have been reused.
  // Never kill a group this process does not lead: that would be the Node caller's own group.
  const long self = raw(SYS_getpid);
  if (raw(SYS_getpgid, 0) == self) raw(SYS_kill, 0, SIGKILL);
  wd_exit(0);
}

}  // namespace

namespace {

// Before Linux 5.16 a core dump killed every process sharing the dumping process's memory, not only
// its thread group (commit "coredump: Limit coredumps to a single thread group"): a launcher that
// crashed would take a CLONE_VM watchdog with it. There the watchdog gets its own copy, as fork()
// gave it (the same code: it never needed the shared memory).
bool share_memory_with_watchdog() {
  struct utsname u;
  if (uname(&u) != 0) return false;
  char* end = nullptr;
  const long major = strtol(u.release, &end, 10);
  const long minor = end != nullptr && *end == '.' ? strtol(end + 1, nullptr, 10) : 0;
  return major > 5 || (major == 5 && minor >= 16);
}

}  // namespace

pid_t start_watchdog(int* life_write, int info_read) {
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) < 0) die_errno("pipe2 for", "the watchdog", errno);
  g_args = WatchdogArgs{ends[0], ends[1], info_read};
  // Signals stay blocked in the watchdog (the mask is inherited), as in the launcher.
  const int shared = share_memory_with_watchdog() ? CLONE_VM : 0;
  const pid_t pid = clone(run_watchdog, g_stack + sizeof g_stack, shared | SIGCHLD, nullptr);
  if (pid < 0) die_errno("clone for", "the watchdog", errno);
  close(ends[0]);
  setpgid(pid, pid);
  *life_write = ends[1];
  return pid;
}

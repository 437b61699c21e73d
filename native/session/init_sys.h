// System calls and kernel constants for the freestanding session init (init_main.c): no C library,
// only the kernel's uapi headers and inline system calls (x86-64 and arm64). Each wrapper returns the
// kernel's result: >= 0, or -errno.
#pragma once

#include <asm/statfs.h>
#include <asm/unistd.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/errno.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/prctl.h>
#include <linux/sched.h>
#include <linux/wait.h>

#include "../common/raw_syscall.h"

static inline long sys6(long n, long a, long b, long c, long d, long e, long f) { return codex_raw_syscall6(n, a, b, c, d, e, f); }

#if defined(__x86_64__)
// init_vfork_run(fn, arg, stack_top): clone(CLONE_VM | CLONE_VFORK | SIGCHLD) with the child on
// stack_top running fn(arg) then exit(2) with its result; the caller resumes once the child has
// exec'd or exited. Returns the child's pid or -errno (as glibc's clone(), without its libc state).
__asm__(".text\n.globl init_vfork_run\ninit_vfork_run:\n and $-16, %rdx\n sub $16, %rdx\n mov %rdi, 0(%rdx)\n mov %rsi, 8(%rdx)\n"
        " mov $0x4111, %edi\n mov %rdx, %rsi\n xor %edx, %edx\n xor %r10d, %r10d\n xor %r8d, %r8d\n mov $56, %eax\n syscall\n"
        " test %rax, %rax\n jnz 1f\n pop %rax\n pop %rdi\n call *%rax\n mov %eax, %edi\n mov $60, %eax\n syscall\n hlt\n1:\n ret\n");
#elif defined(__aarch64__)
__asm__(".text\n.globl init_vfork_run\ninit_vfork_run:\n and x2, x2, #-16\n stp x0, x1, [x2, #-16]!\n mov x0, #0x4111\n mov x1, x2\n"
        " mov x2, #0\n mov x3, #0\n mov x4, #0\n mov x8, #220\n svc 0\n cbnz x0, 1f\n ldp x9, x0, [sp], #16\n blr x9\n"
        " mov x8, #93\n svc 0\n brk #0\n1:\n ret\n");
#else
#error "the freestanding session init supports x86-64 and arm64 only"
#endif

long init_vfork_run(int (*fn)(void*), void* arg, void* stack_top);

#define F_OK 0
#define AT_FDCWD_VALUE (-100)

// Signal numbers are the same on x86-64 and arm64 (the generic ones).
enum {
  SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGKILL = 9, SIGUSR1 = 10, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14, SIGTERM = 15,
  SIGCHLD = 17, SIGCONT = 18, SIGTSTP = 20, SIGWINCH = 28,
};
enum { SIG_BLOCK = 0, SIG_SETMASK = 2 };

static inline unsigned long sig_bit(int sig) { return 1UL << (sig - 1); }

// The kernel's struct for rt_sigaction (not glibc's): handler, flags, restorer, mask.
struct ksigaction {
  void* handler;
  unsigned long flags;
  void* restorer;
  unsigned long mask;
};

struct ksiginfo {
  int signo;
  int pad[31];
};

struct cap_header {
  unsigned int version;
  int pid;
};
struct cap_data {
  unsigned int effective, permitted, inheritable;
};
enum { kCapVersion3 = 0x20080522 };

static inline long sys_write(int fd, const void* p, unsigned long n) { return sys6(__NR_write, fd, (long)p, (long)n, 0, 0, 0); }
static inline long sys_read(int fd, void* p, unsigned long n) { return sys6(__NR_read, fd, (long)p, (long)n, 0, 0, 0); }
static inline long sys_close(int fd) { return sys6(__NR_close, fd, 0, 0, 0, 0, 0); }
__attribute__((noreturn)) static inline void sys_exit_group(int code) {
  for (;;) sys6(__NR_exit_group, code, 0, 0, 0, 0, 0);
}
static inline long sys_prctl(int op, unsigned long a, unsigned long b, unsigned long c, unsigned long d) { return sys6(__NR_prctl, op, (long)a, (long)b, (long)c, (long)d, 0); }
static inline long sys_fcntl(int fd, int cmd, long arg) { return sys6(__NR_fcntl, fd, cmd, arg, 0, 0, 0); }
static inline long sys_setsid(void) { return sys6(__NR_setsid, 0, 0, 0, 0, 0, 0); }
static inline long sys_setpgid(int pid, int pgid) { return sys6(__NR_setpgid, pid, pgid, 0, 0, 0, 0); }
static inline long sys_mount(const char* src, const char* target, const char* type, unsigned long flags, const void* data) {
  return sys6(__NR_mount, (long)src, (long)target, (long)type, (long)flags, (long)data, 0);
}
static inline long sys_statfs(const char* path, struct statfs* st) { return sys6(__NR_statfs, (long)path, (long)st, 0, 0, 0, 0); }
static inline long sys_access(const char* path, int mode) { return sys6(__NR_faccessat, AT_FDCWD_VALUE, (long)path, mode, 0, 0, 0); }
static inline long sys_capset(struct cap_header* h, struct cap_data* d) { return sys6(__NR_capset, (long)h, (long)d, 0, 0, 0, 0); }
static inline long sys_capget(struct cap_header* h, struct cap_data* d) { return sys6(__NR_capget, (long)h, (long)d, 0, 0, 0, 0); }
static inline long sys_rt_sigaction(int sig, const struct ksigaction* sa, struct ksigaction* old) { return sys6(__NR_rt_sigaction, sig, (long)sa, (long)old, 8, 0, 0); }
static inline long sys_rt_sigprocmask(int how, const unsigned long* set, unsigned long* old) { return sys6(__NR_rt_sigprocmask, how, (long)set, (long)old, 8, 0, 0); }
static inline long sys_rt_sigtimedwait(const unsigned long* set, struct ksiginfo* info) { return sys6(__NR_rt_sigtimedwait, (long)set, (long)info, 0, 8, 0, 0); }
static inline long sys_pipe2(int fds[2], int flags) { return sys6(__NR_pipe2, (long)fds, flags, 0, 0, 0, 0); }
static inline long sys_dup3(int from, int to, int flags) { return sys6(__NR_dup3, from, to, flags, 0, 0, 0); }
static inline long sys_chdir(const char* path) { return sys6(__NR_chdir, (long)path, 0, 0, 0, 0, 0); }
static inline long sys_execve(const char* path, char* const* argv, char* const* envp) { return sys6(__NR_execve, (long)path, (long)argv, (long)envp, 0, 0, 0); }
static inline long sys_wait4(int pid, int* status, int options) { return sys6(__NR_wait4, pid, (long)status, options, 0, 0, 0); }
static inline long sys_close_range(unsigned int first, unsigned int last) { return sys6(__NR_close_range, first, last, 0, 0, 0, 0); }
static inline long sys_close_range_flags(unsigned int first, unsigned int last, unsigned int flags) { return sys6(__NR_close_range, first, last, flags, 0, 0, 0); }
static inline long sys_kill(int pid, int sig) { return sys6(__NR_kill, pid, sig, 0, 0, 0, 0); }
static inline long sys_unshare(unsigned long flags) { return sys6(__NR_unshare, (long)flags, 0, 0, 0, 0, 0); }
static inline long sys_sched_getattr(void* attr, unsigned int size) { return sys6(__NR_sched_getattr, 0, (long)attr, size, 0, 0, 0); }
static inline long sys_sched_getaffinity(unsigned long size, void* mask) { return sys6(__NR_sched_getaffinity, 0, (long)size, (long)mask, 0, 0, 0); }
static inline long sys_ioprio_get(void) { return sys6(__NR_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0, 0, 0, 0, 0); }
static inline long sys_openat(const char* path, int flags) { return sys6(__NR_openat, AT_FDCWD_VALUE, (long)path, flags, 0, 0, 0); }
static inline long sys_pread(int fd, void* p, unsigned long n, long offset) { return sys6(__NR_pread64, fd, (long)p, (long)n, offset, 0, 0); }
static inline long sys_fsopen(const char* fs, unsigned int flags) { return sys6(__NR_fsopen, (long)fs, flags, 0, 0, 0, 0); }
static inline long sys_fsconfig(int fd, unsigned int cmd) { return sys6(__NR_fsconfig, fd, cmd, 0, 0, 0, 0); }
static inline long sys_fsmount(int fd, unsigned int flags) { return sys6(__NR_fsmount, fd, flags, 0, 0, 0, 0); }
static inline long sys_openat_at(int dir, const char* path, int flags) { return sys6(__NR_openat, dir, (long)path, flags, 0, 0, 0); }
static inline long sys_lseek(int fd, long offset, int whence) { return sys6(__NR_lseek, fd, offset, whence, 0, 0, 0); }
static inline long sys_getdents64(int fd, void* p, unsigned long n) { return sys6(__NR_getdents64, fd, (long)p, (long)n, 0, 0, 0); }
static inline long sys_signalfd(const unsigned long* mask, int flags) { return sys6(__NR_signalfd4, -1, (long)mask, 8, flags, 0, 0); }

// Unix socket messages (the init's channel to the supervisor) and poll, as the kernel's structs (64-bit).
struct kiovec {
  void* base;
  unsigned long len;
};
struct kmsghdr {
  void* name;
  int namelen;
  struct kiovec* iov;
  unsigned long iovlen;
  void* control;
  unsigned long controllen;
  int flags;
};
struct kcmsghdr {
  unsigned long len;
  int level;
  int type;
};
struct kpollfd {
  int fd;
  short events;
  short revents;
};
enum { kSolSocket = 1, kScmRights = 1, kMsgCtrunc = 8, kMsgDontwait = 0x40, kMsgNosignal = 0x4000, kPollIn = 1 };
static inline long sys_sendmsg(int fd, const struct kmsghdr* m, int flags) { return sys6(__NR_sendmsg, fd, (long)m, flags, 0, 0, 0); }
static inline long sys_recvmsg(int fd, struct kmsghdr* m, int flags) { return sys6(__NR_recvmsg, fd, (long)m, flags, 0, 0, 0); }
static inline long sys_ppoll(struct kpollfd* fds, unsigned long n) { return sys6(__NR_ppoll, (long)fds, (long)n, 0, 0, 8, 0); }

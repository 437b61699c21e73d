/* One inline system call with up to six arguments, without the C library: the result is the kernel's
 * (>= 0, or -errno) and errno is never touched. For code that runs where libc state must not be used:
 * the session's freestanding init (native/session/init_sys.h) and the launcher's watchdog, which shares
 * the launcher's memory (native/launcher/watchdog.cc). Plain C, usable from C++. */
#ifndef CODEX_SANDBOX_RAW_SYSCALL_H
#define CODEX_SANDBOX_RAW_SYSCALL_H

static inline long codex_raw_syscall6(long n, long a, long b, long c, long d, long e, long f) {
#if defined(__x86_64__)
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
  return ret;
#elif defined(__aarch64__)
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory", "cc");
  return x0;
#else
#error "native/common/raw_syscall.h: no raw system call for this architecture"
#endif
}

#endif

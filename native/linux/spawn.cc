// spawnPidfd / killPidfd: start a program without fork(2)-ing Node, and learn its exit from a pidfd.
//
// libuv (Node 20's child_process.spawn) starts every child with a plain fork(): the kernel copies the
// page tables of the whole Node process, and every page Node writes afterwards takes a copy-on-write
// fault. Here the child is made with clone(CLONE_VM | CLONE_VFORK), as glibc's posix_spawn does
// (sysdeps/unix/sysv/linux/spawni.c): it borrows Node's memory until it execs, so the cost does not
// grow with Node's heap. posix_spawn itself is not used because it leaves glibc's internal signals
// (32 and 33) ignored in the child (spawni.c __spawni_child sets them to SIG_IGN, which survives
// execve), where libuv's children start with every disposition at its default.
// CLONE_PIDFD gives the exit as a pidfd, watched by a uv_poll on Node's loop and reaped with
// waitid(P_PIDFD) — never waitpid(-1), so libuv's own SIGCHLD handling, which waits only for the pids
// it started (libuv src/unix/process.c uv__wait_children), is left alone, and a signal sent through
// the pidfd (pidfd_send_signal(2)) can never reach a recycled pid.
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <string>
#include <vector>

#include "../common/napi_errors.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace {

struct Child {
  uv_poll_t poll;
  int pidfd = -1;
  pid_t pid = 0;
  bool exited = false;
  int refs = 2;  // the poll handle (until closed) and the JS handle (until finalized)
  napi_env env = nullptr;
  Napi::FunctionReference on_exit;
  Napi::AsyncContext* context = nullptr;
};

void Unref(Child* child) {
  if (--child->refs > 0) return;
  delete child->context;
  delete child;
}

void OnPollClosed(uv_handle_t* handle) { Unref(static_cast<Child*>(handle->data)); }

// The environment ends (a Worker terminated, the process exiting) with the child still running: its
// poll handle is closed, as Node closes its own process handles then — a handle left open would make
// the Worker's uv_loop_close fail. The child itself keeps running, as a ChildProcess's does.
void OnEnvCleanup(void* arg) {
  Child* child = static_cast<Child*>(arg);
  if (child->exited) return;
  child->exited = true;
  uv_poll_stop(&child->poll);
  close(child->pidfd);
  child->pidfd = -1;
  child->on_exit.Reset();
  delete child->context;
  child->context = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&child->poll), OnPollClosed);
}

void OnPidfdReadable(uv_poll_t* poll, int status, int /*events*/) {
  Child* child = static_cast<Child*>(poll->data);
  siginfo_t info;
  memset(&info, 0, sizeof info);
  int err = 0;
  if (status == 0) {
    int rc = static_cast<int>(waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(child->pidfd), &info, WEXITED | WNOHANG));
    // Linux 5.2–5.3 have CLONE_PIDFD but not P_PIDFD (5.4): the pid is still ours until reaped.
    if (rc != 0 && errno == EINVAL) rc = waitid(P_PID, static_cast<id_t>(child->pid), &info, WEXITED | WNOHANG);
    if (rc != 0) {
      err = errno;
      if (err == EINTR) return;  // level-triggered: the poll fires again
    } else if (info.si_pid == 0) {
      return;  // not exited yet (a spurious wake-up)
    }
  } else {
    err = -status;
  }
  child->exited = true;
  uv_poll_stop(poll);
  close(child->pidfd);
  child->pidfd = -1;
  napi_remove_env_cleanup_hook(child->env, OnEnvCleanup, child);

  Napi::Env env(child->env);
  Napi::HandleScope scope(env);
  std::vector<napi_value> args;
  if (err != 0) {
    // Cannot happen for our own child short of a kernel bug; reported, never swallowed.
    args = {env.Null(), env.Null(), Napi::String::New(env, std::string("waitid(P_PIDFD) failed: ") + strerror(err))};
  } else if (info.si_code == CLD_EXITED) {
    args = {Napi::Number::New(env, info.si_status), env.Null(), env.Null()};
  } else {
    args = {env.Null(), Napi::Number::New(env, info.si_status), env.Null()};
  }
  Napi::FunctionReference callback = std::move(child->on_exit);
  Napi::AsyncContext* context = child->context;
  child->context = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(poll), OnPollClosed);
  // MakeCallback runs the microtasks and nextTicks the callback queues, as libuv's exit callbacks do.
  callback.MakeCallback(env.Global(), args, *context);
  delete context;
  if (env.IsExceptionPending()) {
    Napi::Error error = env.GetAndClearPendingException();
    napi_fatal_exception(env, error.Value());
  }
}

void FinalizeHandle(napi_env /*env*/, Child* child) { Unref(child); }

bool ReadBytes(Napi::Env env, Napi::Value value, const char* what, std::string* out) {
  if (value.IsString()) {
    *out = value.As<Napi::String>().Utf8Value();
  } else if (value.IsBuffer()) {
    Napi::Buffer<char> buf = value.As<Napi::Buffer<char>>();
    out->assign(buf.Data(), buf.Length());
  } else {
    Napi::TypeError::New(env, std::string("spawnPidfd: ") + what + " must be a string or a Buffer").ThrowAsJavaScriptException();
    return false;
  }
  if (out->find('\0') != std::string::npos) {
    Napi::TypeError::New(env, std::string("spawnPidfd: ") + what + " contains a NUL byte").ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

bool ReadList(Napi::Env env, Napi::Value value, const char* what, std::vector<std::string>* out) {
  if (!value.IsArray()) {
    Napi::TypeError::New(env, std::string("spawnPidfd: ") + what + " must be an array").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Array array = value.As<Napi::Array>();
  out->resize(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) {
    if (!ReadBytes(env, array.Get(i), what, &(*out)[i])) return false;
  }
  return true;
}

std::vector<char*> Pointers(std::vector<std::string>& list) {
  std::vector<char*> out;
  out.reserve(list.size() + 1);
  for (std::string& item : list) out.push_back(&item[0]);
  out.push_back(nullptr);
  return out;
}

// What the cloned child needs; it writes err/failed into this (shared memory) if it cannot exec.
struct ChildArgs {
  const char* file;
  char* const* argv;
  char* const* envp;
  const char* cwd;
  const int* fds;
  int n;
  bool setsid;
  int err;
  const char* failed;
};

constexpr int kMaxSignal = 64;  // _NSIG - 1 on Linux

// Runs in the clone(CLONE_VM | CLONE_VFORK) child on its own stack, with every signal blocked: only
// system calls, no allocation, until execve. Mirrors libuv's uv__process_child_init.
int ChildMain(void* raw) {
  ChildArgs* a = static_cast<ChildArgs*>(raw);
  // Every disposition back to its default (SIG_IGN survives execve; Node ignores SIGPIPE): raw
  // rt_sigaction, since glibc's sigaction refuses its internal signals 32 and 33. The child has its
  // own copy of the handler table (no CLONE_SIGHAND), so Node's stays as it was.
  struct {
    void* handler;
    unsigned long flags;
    void* restorer;
    unsigned long mask;
  } dfl = {nullptr, 0, nullptr, 0};
  for (int sig = 1; sig <= kMaxSignal; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof(unsigned long));
  }
  for (int i = 0; i < a->n; i++) {
    int src = a->fds[i];
    if (src < 0) {
      src = open("/dev/null", O_RDWR | O_CLOEXEC);
      if (src < 0) {
        a->failed = "open(/dev/null)";
        goto fail;
      }
    }
    if (src == i) {
      if (fcntl(i, F_SETFD, 0) != 0) {
        a->failed = "fcntl(F_SETFD)";
        goto fail;
      }
    } else if (dup2(src, i) < 0) {
      a->failed = "dup2";
      goto fail;
    }
  }
  // Only the planned fds reach the launcher: a stray inheritable fd of the caller's (one without
  // O_CLOEXEC) must not be handed to the sandbox (close_range(2), Linux 5.9).
  if (syscall(SYS_close_range, static_cast<unsigned>(a->n), ~0U, 0) != 0) {
    a->failed = "close_range";
    goto fail;
  }
  if (a->setsid && setsid() < 0) {
    a->failed = "setsid";
    goto fail;
  }
  if (chdir(a->cwd) != 0) {
    a->failed = "chdir";
    goto fail;
  }
  {
    unsigned long none = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, sizeof none);
  }
  execve(a->file, a->argv, a->envp);
  a->failed = "execve";
fail:
  a->err = errno;
  _exit(127);
}

// A clone child's stack, mapped on first use by one thread and unmapped when that thread ends.
struct ChildStack {
  static constexpr size_t kSize = 256 * 1024;
  void* base = nullptr;
  void* get() {
    if (base == nullptr) {
      void* mapped = mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
      if (mapped != MAP_FAILED) base = mapped;
    }
    return base;
  }
  ~ChildStack() {
    if (base != nullptr) munmap(base, kSize);
  }
};

// Closes the parent's temporary duplicates on every return path.
struct TempFds {
  std::vector<int> fds;
  ~TempFds() {
    for (int fd : fds) close(fd);
  }
};

// spawnPidfd(file, argv, env, cwd, fds, setsid, onExit) → { pid, handle }.
// fds[i] becomes the child's fd i (-1: /dev/null); every other fd is closed in the child
// (close_range), whatever its close-on-exec flag. onExit(code, signal,
// error) is called once, on Node's loop.
Napi::Value SpawnPidfd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 7 || !info[3].IsString() || !info[4].IsArray() || !info[5].IsBoolean() || !info[6].IsFunction()) {
    Napi::TypeError::New(env, "spawnPidfd(file, argv, env, cwd, fds, setsid, onExit): wrong argument types").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string file;
  std::vector<std::string> argv, envp;
  if (!ReadBytes(env, info[0], "file", &file) || !ReadList(env, info[1], "argv", &argv) || !ReadList(env, info[2], "env", &envp)) {
    return env.Undefined();
  }
  std::string cwd = info[3].As<Napi::String>().Utf8Value();
  Napi::Array fd_array = info[4].As<Napi::Array>();
  const int n = static_cast<int>(fd_array.Length());
  std::vector<int> fds(n);
  for (int i = 0; i < n; i++) {
    Napi::Value v = fd_array.Get(static_cast<uint32_t>(i));
    if (!v.IsNumber()) {
      Napi::TypeError::New(env, "spawnPidfd: fds must be numbers").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    fds[i] = v.As<Napi::Number>().Int32Value();
  }

  // A source fd below n other than its own slot would be overwritten by an earlier dup2 in the
  // child; it is first duplicated above n (close-on-exec) in the parent.
  TempFds temps;
  for (int i = 0; i < n; i++) {
    if (fds[i] >= 0 && fds[i] < n && fds[i] != i) {
      int copy = fcntl(fds[i], F_DUPFD_CLOEXEC, n);
      if (copy < 0) {
        ThrowErrnoError(env, "fcntl(F_DUPFD_CLOEXEC)", errno, nullptr);
        return env.Undefined();
      }
      temps.fds.push_back(copy);
      fds[i] = copy;
    }
  }

  std::vector<char*> argv_ptrs = Pointers(argv);
  std::vector<char*> env_ptrs = Pointers(envp);
  constexpr size_t stack_size = ChildStack::kSize;
  ChildArgs args = {file.c_str(), argv_ptrs.data(), env_ptrs.data(), cwd.c_str(), fds.data(), n,
                    info[5].As<Napi::Boolean>().Value(), 0, nullptr};
  // The child's stack: mapped once per thread that spawns and reused. With CLONE_VFORK this thread
  // is suspended until the child has exec'd or exited, so no two children ever use it at once; an
  // munmap per command would cost a TLB shootdown across Node's threads (and fresh page faults) every time.
  // (Unmapped when the thread ends: a Worker's.)
  thread_local ChildStack child_stack;
  void* stack = child_stack.get();
  if (stack == nullptr) {
    ThrowErrnoError(env, "mmap", errno, nullptr);
    return env.Undefined();
  }
  // Every signal blocked (glibc's internal ones too, hence the raw call) while the child runs on
  // Node's memory: a Node signal handler must never run in it (as glibc's spawni.c does).
  unsigned long all = ~0UL, old = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof all);
  int pidfd = -1;
  pid_t pid = clone(ChildMain, static_cast<char*>(stack) + stack_size, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &args, &pidfd);
  int clone_err = errno;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, nullptr, sizeof old);
  if (pid < 0) {
    ThrowErrnoError(env, "clone", clone_err, nullptr);
    return env.Undefined();
  }
  if (args.failed != nullptr) {
    // The child did not exec: reap it here and report its failed call (execve: ENOENT, EACCES...).
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (pidfd >= 0) close(pidfd);
    const char* path = strcmp(args.failed, "execve") == 0 ? file.c_str() : strcmp(args.failed, "chdir") == 0 ? cwd.c_str() : nullptr;
    ThrowErrnoError(env, args.failed, args.err, path);
    return env.Undefined();
  }

  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  Child* child = new Child();
  child->pidfd = pidfd;
  child->pid = pid;
  child->env = env;
  child->on_exit = Napi::Persistent(info[6].As<Napi::Function>());
  child->context = new Napi::AsyncContext(env, "codexSandboxSpawn");
  child->poll.data = child;
  int uv_rc = loop == nullptr ? UV_EINVAL : uv_poll_init(loop, &child->poll, pidfd);
  if (uv_rc == 0) uv_rc = uv_poll_start(&child->poll, UV_READABLE, OnPidfdReadable);
  if (uv_rc != 0) {
    // The child runs; it is killed and reaped rather than left unwatched.
    syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
    siginfo_t si;
    waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &si, WEXITED);
    close(pidfd);
    delete child->context;
    delete child;
    ThrowErrnoError(env, "uv_poll_start", -uv_rc, nullptr);
    return env.Undefined();
  }
  napi_add_env_cleanup_hook(env, OnEnvCleanup, child);
  Napi::Object result = Napi::Object::New(env);
  result.Set("pid", Napi::Number::New(env, pid));
  result.Set("handle", Napi::External<Child>::New(env, child, FinalizeHandle));
  return result;
}

// killPidfd(handle, signal): boolean — false when the child has already been reaped.
Napi::Value KillPidfd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsExternal() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "killPidfd(handle, signal): wrong argument types").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Child* child = info[0].As<Napi::External<Child>>().Data();
  int sig = info[1].As<Napi::Number>().Int32Value();
  if (child->exited || child->pidfd < 0) return Napi::Boolean::New(env, false);
  if (syscall(SYS_pidfd_send_signal, child->pidfd, sig, nullptr, 0) != 0) {
    if (errno == ESRCH) return Napi::Boolean::New(env, false);
    ThrowErrnoError(env, "pidfd_send_signal", errno, nullptr);
    return env.Undefined();
  }
  return Napi::Boolean::New(env, true);
}

// refPidfd(handle, ref): like ChildProcess#ref/unref — whether the child keeps Node's loop alive.
Napi::Value RefPidfd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsExternal() || !info[1].IsBoolean()) {
    Napi::TypeError::New(env, "refPidfd(handle, ref): wrong argument types").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Child* child = info[0].As<Napi::External<Child>>().Data();
  if (!child->exited) {
    uv_handle_t* handle = reinterpret_cast<uv_handle_t*>(&child->poll);
    if (info[1].As<Napi::Boolean>().Value()) uv_ref(handle);
    else uv_unref(handle);
  }
  return env.Undefined();
}

// stdioSocketPair(nonblockingParent?): [parentEnd, childEnd] — a connected AF_UNIX stream pair, both O_CLOEXEC: what
// libuv gives a child for a 'pipe' stdio slot (uv_socketpair in uv__process_init_stdio), so the
// command sees the same kind of stdin/stdout either way.
Napi::Value StdioSocketPair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    ThrowErrnoError(env, "socketpair", errno, nullptr);
    return env.Undefined();
  }
  // stdioSocketPair(true): the parent's end is O_NONBLOCK, for a caller that reads it with plain
  // read(2)s once the child has exited (the launcher's status fd, src/launch/run.ts) and must never
  // block Node's thread if some process still held the other end.
  if (info.Length() > 0 && info[0].IsBoolean() && info[0].As<Napi::Boolean>().Value()) {
    int flags = fcntl(sv[0], F_GETFL);
    if (flags < 0 || fcntl(sv[0], F_SETFL, flags | O_NONBLOCK) != 0) {
      int err = errno;
      close(sv[0]);
      close(sv[1]);
      ThrowErrnoError(env, "fcntl(O_NONBLOCK)", err, nullptr);
      return env.Undefined();
    }
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, sv[0]));
  out.Set(1u, Napi::Number::New(env, sv[1]));
  return out;
}

}  // namespace

void InitLinuxSpawn(Napi::Env env, Napi::Object exports) {
  exports.Set("spawnPidfd", Napi::Function::New(env, SpawnPidfd, "spawnPidfd"));
  exports.Set("killPidfd", Napi::Function::New(env, KillPidfd, "killPidfd"));
  exports.Set("refPidfd", Napi::Function::New(env, RefPidfd, "refPidfd"));
  exports.Set("stdioSocketPair", Napi::Function::New(env, StdioSocketPair, "stdioSocketPair"));
}

#include "addon_linux.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <vector>

#include "../common/bwrap_digest.h"
#include "../common/napi_errors.h"
#include "fd_watch.h"
#include "landlock.h"
#include "seccomp_filter.h"
#include "probe.h"
#include "sealed_copy.h"
#include "spawn.h"

namespace {

// seccompFilter(mode: 'base' | 'restricted'): Buffer — the BPF program the launcher installs.
Napi::Value SeccompFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CodexSeccompMode mode;
  if (info.Length() < 1 || !info[0].IsString() ||
      codex_seccomp_parse_mode(info[0].As<Napi::String>().Utf8Value().c_str(), &mode) != 0) {
    Napi::TypeError::New(env, "seccompFilter: mode must be 'base' or 'restricted'")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const char* failed_call = "";
  int fd = codex_seccomp_export_memfd(mode, &failed_call);
  if (fd < 0) {
    ThrowErrnoError(env, failed_call, -fd, nullptr);
    return env.Undefined();
  }
  std::vector<char> bytes;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      ThrowErrnoError(env, "read", err, nullptr);
      return env.Undefined();
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), buf, buf + n);
  }
  close(fd);
  return Napi::Buffer<char>::Copy(env, bytes.data(), bytes.size());
}

// landlockAbi(): number — 0 when unavailable; never throws.
Napi::Value LandlockAbi(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), codex_landlock_abi());
}

// embeddedBwrapSha256(): string | null — null for a development build.
Napi::Value EmbeddedBwrapSha256(const Napi::CallbackInfo& info) {
  const char* digest = codex_expected_bwrap_sha256();
  if (digest == nullptr) return info.Env().Null();
  return Napi::String::New(info.Env(), digest);
}

bool ReadWinsize(const Napi::CallbackInfo& info, size_t first, const char* fn, struct winsize* ws) {
  Napi::Env env = info.Env();
  if (info.Length() < first + 2 || !info[first].IsNumber() || !info[first + 1].IsNumber()) {
    Napi::TypeError::New(env, std::string(fn) + ": rows and cols must be numbers").ThrowAsJavaScriptException();
    return false;
  }
  int64_t rows = info[first].As<Napi::Number>().Int64Value();
  int64_t cols = info[first + 1].As<Napi::Number>().Int64Value();
  if (rows < 1 || rows > 65535 || cols < 1 || cols > 65535) {
    Napi::RangeError::New(env, std::string(fn) + ": rows and cols must be between 1 and 65535").ThrowAsJavaScriptException();
    return false;
  }
  *ws = {};
  ws->ws_row = static_cast<unsigned short>(rows);
  ws->ws_col = static_cast<unsigned short>(cols);
  return true;
}

// openPty(rows, cols): {master, slave} — a new pseudo-terminal pair (pty(7)), both fds O_CLOEXEC so
// no other child inherits them; the caller hands the slave to one command as its stdio.
Napi::Value OpenPty(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct winsize ws;
  if (!ReadWinsize(info, 0, "openPty", &ws)) return env.Undefined();
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) {
    ThrowErrnoError(env, "posix_openpt", errno, "/dev/ptmx");
    return env.Undefined();
  }
  char name[128];
  int err = 0;
  const char* step = nullptr;
  if (grantpt(master) != 0) {
    err = errno;
    step = "grantpt";
  } else if (unlockpt(master) != 0) {
    err = errno;
    step = "unlockpt";
  } else if ((err = ptsname_r(master, name, sizeof name)) != 0) {
    step = "ptsname_r";
  }
  if (step != nullptr) {
    close(master);
    ThrowErrnoError(env, step, err, "/dev/ptmx");
    return env.Undefined();
  }
  int slave;
  do {
    slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  } while (slave < 0 && errno == EINTR);
  if (slave < 0) {
    err = errno;
    close(master);
    ThrowErrnoError(env, "open", err, name);
    return env.Undefined();
  }
  if (ioctl(master, TIOCSWINSZ, &ws) < 0) {
    err = errno;
    close(master);
    close(slave);
    ThrowErrnoError(env, "ioctl(TIOCSWINSZ)", err, name);
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("master", Napi::Number::New(env, master));
  out.Set("slave", Napi::Number::New(env, slave));
  out.Set("path", Napi::String::New(env, name));
  return out;
}

// setPtySize(masterFd, rows, cols): TIOCSWINSZ; the kernel sends SIGWINCH to the pty's foreground group.
Napi::Value SetPtySize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "setPtySize: fd must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  struct winsize ws;
  if (!ReadWinsize(info, 1, "setPtySize", &ws)) return env.Undefined();
  if (ioctl(fd, TIOCSWINSZ, &ws) < 0) {
    ThrowErrnoError(env, "ioctl(TIOCSWINSZ)", errno, nullptr);
    return env.Undefined();
  }
  return env.Undefined();
}

// ptyJobState(masterFd): "stopped" when the pty's foreground process group is its session leader's
// (TIOCGPGRP == TIOCGSID on the master, both in the caller's pid namespace): the launcher's
// --ctty-job supervisor took the terminal back because its job stopped (or has not handed it over
// yet); "running" while another group (the job) holds it; "none" when the pty has no session (before
// the sandbox took it, after it ended: ENOTTY).
Napi::Value PtyJobState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "ptyJobState: fd must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  pid_t pgrp = 0;
  pid_t sid = 0;
  if (ioctl(fd, TIOCGPGRP, &pgrp) < 0 || ioctl(fd, TIOCGSID, &sid) < 0 || pgrp <= 0) return Napi::String::New(env, "none");
  return Napi::String::New(env, pgrp == sid ? "stopped" : "running");
}

// inForeground(fd): true when fd is this process's controlling terminal and its process group is the
// terminal's foreground group (tcgetpgrp(3) == getpgrp(2)); a background job that set the terminal's
// modes would be stopped by SIGTTOU.
Napi::Value InForeground(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "inForeground: fd must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const pid_t fg = tcgetpgrp(info[0].As<Napi::Number>().Int32Value());
  return Napi::Boolean::New(env, fg > 0 && fg == getpgrp());
}

}  // namespace

void InitLinux(Napi::Env env, Napi::Object exports) {
  InitLinuxSpawn(env, exports);
  InitLinuxFdWatch(env, exports);
  InitLinuxProbe(env, exports);
  InitLinuxSealedCopy(env, exports);
  exports.Set("seccompFilter", Napi::Function::New(env, SeccompFilter, "seccompFilter"));
  exports.Set("landlockAbi", Napi::Function::New(env, LandlockAbi, "landlockAbi"));
  exports.Set("openPty", Napi::Function::New(env, OpenPty, "openPty"));
  exports.Set("setPtySize", Napi::Function::New(env, SetPtySize, "setPtySize"));
  exports.Set("ptyJobState", Napi::Function::New(env, PtyJobState, "ptyJobState"));
  exports.Set("inForeground", Napi::Function::New(env, InForeground, "inForeground"));
  exports.Set("embeddedBwrapSha256",
              Napi::Function::New(env, EmbeddedBwrapSha256, "embeddedBwrapSha256"));
}

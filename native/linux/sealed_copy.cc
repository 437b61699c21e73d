#include "sealed_copy.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "../common/bwrap_digest.h"
#include "../common/napi_errors.h"
#include "../common/sha256.h"

namespace {

// sealedBundledBwrap(path) → fd | null: a memfd (O_CLOEXEC) holding the bytes of the file at path,
// sealed against every change (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL,
// memfd_create(2), fcntl(2) "File Sealing") and only then hashed: returned when its SHA-256 is the
// bundled bwrap's digest compiled into this build (the launcher's, native/common/bwrap_digest.h),
// null otherwise (a changed file, or a development build without a digest). src/launch/sealed-bwrap.ts
// hands it to each launcher (`--sealed-bwrap-fd`), which execs it instead of hashing the file on disk
// on every launch: the bytes that were checked can no longer change, whoever writes the file later.
Napi::Value SealedBundledBwrap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "sealedBundledBwrap(path): path must be a string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const char* expected = codex_expected_bwrap_sha256();
  if (expected == nullptr) return env.Null();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int src = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (src < 0) {
    ThrowErrnoError(env, "open", errno, path.c_str());
    return env.Undefined();
  }
  // MFD_EXEC (Linux 6.3): executable whatever vm.memfd_noexec's default; older kernels reject the flag.
  // Named "bwrap": a program exec'd from it is called "memfd:bwrap" (comm, from the file's name since
  // Linux 6.14's execveat(AT_EMPTY_PATH) change) and /proc/PID/exe is "/memfd:bwrap (deleted)".
  constexpr unsigned kMfdExec = 0x0010U;
  int fd = static_cast<int>(syscall(SYS_memfd_create, "bwrap", MFD_CLOEXEC | MFD_ALLOW_SEALING | kMfdExec));
  if (fd < 0 && errno == EINVAL) fd = static_cast<int>(syscall(SYS_memfd_create, "bwrap", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (fd < 0) {
    int err = errno;
    close(src);
    ThrowErrnoError(env, "memfd_create", err, nullptr);
    return env.Undefined();
  }
  const char* failed = nullptr;
  // sendfile(2) copies in the kernel (no buffer here); read/write where it cannot.
  for (;;) {
    ssize_t n = sendfile(fd, src, nullptr, 1 << 20);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EINVAL || errno == ENOSYS) && lseek(fd, 0, SEEK_CUR) == 0) {
      char buf[65536];
      for (;;) {
        ssize_t r = read(src, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
          if (r < 0) failed = "read";
          break;
        }
        for (ssize_t done = 0; done < r && failed == nullptr;) {
          ssize_t w = write(fd, buf + done, static_cast<size_t>(r - done));
          if (w < 0 && errno != EINTR) failed = "write";
          if (w > 0) done += w;
        }
        if (failed != nullptr) break;
      }
      break;
    }
    if (n < 0) failed = "sendfile";
    if (n <= 0) break;
  }
  int err = errno;
  close(src);
  if (failed == nullptr && fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    failed = "fcntl(F_ADD_SEALS)";
    err = errno;
  }
  if (failed == nullptr && lseek(fd, 0, SEEK_SET) != 0) {
    failed = "lseek";
    err = errno;
  }
  if (failed != nullptr) {
    close(fd);
    ThrowErrnoError(env, failed, err, path.c_str());
    return env.Undefined();
  }
  // Hashed after sealing: these are the bytes every launcher will execute.
  uint8_t digest[32];
  char actual[65];
  int rc = codex_sha256_fd(fd, digest);
  codex_sha256_hex(digest, actual);
  if (rc < 0 || strcmp(actual, expected) != 0) {
    close(fd);
    return env.Null();
  }
  return Napi::Number::New(env, fd);
}

}  // namespace

void InitLinuxSealedCopy(Napi::Env env, Napi::Object exports) {
  exports.Set("sealedBundledBwrap", Napi::Function::New(env, SealedBundledBwrap, "sealedBundledBwrap"));
}

// Filesystem probes for planning (issue #21): the same answers as node:fs lstatSync / readdirSync,
// without Node's per-call Stats object, Date fields and directory listing. One N-API call per probe;
// each is one lstat(2), or open(2) + getdents64(2) + close(2). The caller (src/host/fs-inspector.ts)
// passes only plain paths (no NUL, no surrogate-escaped bytes) and uses node:fs for anything else.
#include "probe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

// Result for a path this probe does not take (too long for its buffer): the caller asks node:fs.
constexpr int32_t kUseNode = -100000;

// Reads info[0] (a string) into buf as UTF-8; false when it is not a string or does not fit.
bool PathArg(napi_env env, napi_callback_info info, napi_value* argv, size_t want, char* buf, size_t cap) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < want) return false;
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], buf, cap, &len) != napi_ok) return false;
  // A path that filled the buffer may have been cut short: never probe a truncated path.
  return len + 1 < cap && strlen(buf) == len;
}

napi_value Int(napi_env env, int32_t v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

// probeLstat(path: string, out: BigInt64Array(4)): 0 and out = [mode, uid, dev, ino] (int64, as
// node:fs bigint stats hold them), or -errno. lstat(2) never follows the last component.
napi_value ProbeLstat(napi_env env, napi_callback_info info) {
  char path[4097];
  napi_value argv[2];
  if (!PathArg(env, info, argv, 2, path, sizeof path)) return Int(env, kUseNode);
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_bigint64_array || length < 4) {
    return Int(env, kUseNode);
  }
  struct stat st;
  if (lstat(path, &st) != 0) return Int(env, -errno);
  int64_t* out = static_cast<int64_t*>(data);
  out[0] = static_cast<int64_t>(st.st_mode);
  out[1] = static_cast<int64_t>(st.st_uid);
  out[2] = static_cast<int64_t>(st.st_dev);
  out[3] = static_cast<int64_t>(st.st_ino);
  return Int(env, 0);
}

// probeEmptyDir(path: string): 1 when the directory (symlinks followed, as stat(2) and readdir(3)
// do) has no entry but . and .., 0 when it has one, -errno when it cannot be listed. O_DIRECTORY:
// a FIFO or device planted where a directory is expected fails with ENOTDIR instead of being opened
// (a FIFO's open(2) would block the plan: fifo(7)). Reading stops at the first entry, so a directory
// a command filled with millions of names costs one getdents64 call.
napi_value ProbeEmptyDir(napi_env env, napi_callback_info info) {
  char path[4097];
  napi_value argv[1];
  if (!PathArg(env, info, argv, 1, path, sizeof path)) return Int(env, kUseNode);
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return Int(env, -errno);
  alignas(8) char buf[4096];
  int32_t result = 1;
  for (;;) {
    long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (n < 0) {
      result = -errno;
      break;
    }
    if (n == 0) break;
    bool found = false;
    for (long off = 0; off < n;) {
      const auto* d = reinterpret_cast<const struct dirent64*>(buf + off);
      const char* name = d->d_name;
      if (!(name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))) {
        found = true;
        break;
      }
      off += d->d_reclen;
    }
    if (found) {
      result = 0;
      break;
    }
  }
  close(fd);
  return Int(env, result);
}

}  // namespace

void InitLinuxProbe(Napi::Env env, Napi::Object exports) {
  napi_value fn;
  napi_create_function(env, "probeLstat", NAPI_AUTO_LENGTH, ProbeLstat, nullptr, &fn);
  exports.Set("probeLstat", Napi::Value(env, fn));
  napi_create_function(env, "probeEmptyDir", NAPI_AUTO_LENGTH, ProbeEmptyDir, nullptr, &fn);
  exports.Set("probeEmptyDir", Napi::Value(env, fn));
}

// Filesystem probes for planning (issue #21): the same answers as node:fs lstatSync / statSync / readdirSync,
// without Node's per-call Stats object, Date fields and directory listing. One N-API call per probe;
// each is one lstat(2) or stat(2), open(2) + getdents64(2) + close(2), or open + fstat + read + close. The caller (src/host/fs-inspector.ts)
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
  // The whole UTF-8 length first: napi copies only whole characters, so a cut path can be shorter
  // than the buffer. Never probe a truncated path (or one cut at a NUL).
  size_t full = 0;
  if (napi_get_value_string_utf8(env, argv[0], nullptr, 0, &full) != napi_ok || full + 1 > cap) return false;
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], buf, cap, &len) != napi_ok) return false;
  return len == full && strlen(buf) == len;
}

napi_value Int(napi_env env, int32_t v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

// A typed array of `type` with at least `min` elements: its data and element count.
bool TypedArrayArg(napi_env env, napi_value v, napi_typedarray_type type, size_t min, void** data, size_t* length) {
  napi_typedarray_type got;
  return napi_get_typedarray_info(env, v, &got, length, data, nullptr, nullptr) == napi_ok && got == type && *length >= min;
}

// probeStat(path: string, out: BigInt64Array(5), follow: boolean): 0 and out = [mode, uid, dev, ino,
// size] (int64, as node:fs bigint stats hold them), or -errno. lstat(2), or stat(2) when `follow`.
napi_value ProbeStat(napi_env env, napi_callback_info info) {
  char path[4097];
  napi_value argv[3];
  if (!PathArg(env, info, argv, 3, path, sizeof path)) return Int(env, kUseNode);
  size_t length = 0;
  void* data = nullptr;
  bool follow = false;
  if (!TypedArrayArg(env, argv[1], napi_bigint64_array, 5, &data, &length) || napi_get_value_bool(env, argv[2], &follow) != napi_ok) {
    return Int(env, kUseNode);
  }
  struct stat st;
  if ((follow ? stat(path, &st) : lstat(path, &st)) != 0) return Int(env, -errno);
  int64_t* out = static_cast<int64_t*>(data);
  out[0] = static_cast<int64_t>(st.st_mode);
  out[1] = static_cast<int64_t>(st.st_uid);
  out[2] = static_cast<int64_t>(st.st_dev);
  out[3] = static_cast<int64_t>(st.st_ino);
  out[4] = static_cast<int64_t>(st.st_size);
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

// probeReadFile(path: string, buf: Uint8Array): the byte count of a regular file (symlinks followed)
// read whole into buf, or -errno; -EFBIG when it does not fit in buf.length - 1 bytes, -EINVAL when
// it is not a regular file. O_NONBLOCK: a FIFO planted where a `.git` pointer file is expected would
// block open(2) (fifo(7)); O_NOCTTY: a planted tty never becomes the controlling terminal.
napi_value ProbeReadFile(napi_env env, napi_callback_info info) {
  char path[4097];
  napi_value argv[2];
  if (!PathArg(env, info, argv, 2, path, sizeof path)) return Int(env, kUseNode);
  size_t cap = 0;
  void* data = nullptr;
  if (!TypedArrayArg(env, argv[1], napi_uint8_array, 1, &data, &cap)) return Int(env, kUseNode);
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return Int(env, -errno);
  struct stat st;
  int32_t result;
  if (fstat(fd, &st) != 0) {
    result = -errno;
  } else if (!S_ISREG(st.st_mode)) {
    result = -EINVAL;
  } else if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) > cap - 1) {
    result = -EFBIG;
  } else {
    // Read up to one byte past the limit: the file may have grown since fstat.
    char* buf = static_cast<char*>(data);
    size_t total = 0;
    result = 0;
    for (;;) {
      ssize_t n = read(fd, buf + total, cap - total);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        result = -errno;
        break;
      }
      if (n == 0) break;
      total += static_cast<size_t>(n);
      if (total > cap - 1) {
        result = -EFBIG;
        break;
      }
    }
    if (result == 0) result = static_cast<int32_t>(total);
  }
  close(fd);
  return Int(env, result);
}

}  // namespace

void InitLinuxProbe(Napi::Env env, Napi::Object exports) {
  napi_value fn;
  napi_create_function(env, "probeStat", NAPI_AUTO_LENGTH, ProbeStat, nullptr, &fn);
  exports.Set("probeStat", Napi::Value(env, fn));
  napi_create_function(env, "probeEmptyDir", NAPI_AUTO_LENGTH, ProbeEmptyDir, nullptr, &fn);
  exports.Set("probeEmptyDir", Napi::Value(env, fn));
  napi_create_function(env, "probeReadFile", NAPI_AUTO_LENGTH, ProbeReadFile, nullptr, &fn);
  exports.Set("probeReadFile", Napi::Value(env, fn));
}

#include "frames.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

namespace {

uint32_t read_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}

void put_u32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

class Cursor {
 public:
  explicit Cursor(const std::vector<uint8_t>& bytes) : bytes_(bytes) {}
  bool u32(uint32_t* out) {
    if (bytes_.size() - pos_ < 4) return false;
    *out = read_u32(bytes_.data() + pos_);
    pos_ += 4;
    return true;
  }
  // A string that must not contain NUL (argv, env and paths are C strings for execve).
  bool text(std::string* out) {
    uint32_t length = 0;
    if (!u32(&length) || bytes_.size() - pos_ < length) return false;
    const char* begin = reinterpret_cast<const char*>(bytes_.data() + pos_);
    if (memchr(begin, '\0', length) != nullptr) return false;
    out->assign(begin, length);
    pos_ += length;
    return true;
  }
  bool u8(uint8_t* out) {
    if (bytes_.size() - pos_ < 1) return false;
    *out = bytes_[pos_++];
    return true;
  }
  bool done() const { return pos_ == bytes_.size(); }

 private:
  const std::vector<uint8_t>& bytes_;
  size_t pos_ = 0;
};

bool strings(Cursor* c, std::vector<std::string>* out) {
  uint32_t count = 0;
  if (!c->u32(&count)) return false;
  // Each string takes at least its 4-byte length: a larger count cannot fit (no huge reserve).
  for (uint32_t i = 0; i < count; ++i) {
    std::string s;
    if (!c->text(&s)) return false;
    out->push_back(std::move(s));
  }
  return true;
}

void write_all(int fd, const uint8_t* data, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0 && errno == EINTR) continue;
    // The host closed its end (or the pipe broke): no one can receive reports any more.
    if (n <= 0) _exit(125);
    data += n;
    length -= static_cast<size_t>(n);
  }
}

}  // namespace

bool parse_start(const std::vector<uint8_t>& payload, StartRequest* out, std::string* error) {
  Cursor c(payload);
  if (!strings(&c, &out->argv) || out->argv.empty()) {
    *error = "START frame: malformed or empty argv (lengths, or a NUL byte inside an argument)";
    return false;
  }
  if (!strings(&c, &out->env)) {
    *error = "START frame: malformed environment (lengths, or a NUL byte inside a variable)";
    return false;
  }
  if (!c.text(&out->cwd)) {
    *error = "START frame: malformed cwd (length or NUL byte)";
    return false;
  }
  uint8_t flags = 0;
  if (!c.done() && (!c.u8(&flags) || !c.done() || (flags & ~kStartStdinNull) != 0)) {
    *error = "START frame: malformed flags after the cwd (one byte, known bits only)";
    return false;
  }
  out->stdin_null = (flags & kStartStdinNull) != 0;
  return true;
}

void write_frame(int fd, uint8_t type, uint32_t id, const void* payload, size_t length) {
  uint8_t header[kHeaderBytes];
  put_u32(header, static_cast<uint32_t>(length));
  header[4] = type;
  put_u32(header + 5, id);
  write_all(fd, header, sizeof header);
  if (length > 0) write_all(fd, static_cast<const uint8_t*>(payload), length);
}

void append_frame(std::vector<uint8_t>* out, uint8_t type, uint32_t id, const void* payload, size_t length) {
  uint8_t header[kHeaderBytes];
  put_u32(header, static_cast<uint32_t>(length));
  header[4] = type;
  put_u32(header + 5, id);
  out->insert(out->end(), header, header + sizeof header);
  if (length > 0) out->insert(out->end(), static_cast<const uint8_t*>(payload), static_cast<const uint8_t*>(payload) + length);
}

void write_frames(int fd, std::vector<uint8_t>* out) {
  if (!out->empty()) write_all(fd, out->data(), out->size());
  out->clear();
}

void FrameReader::append(const uint8_t* data, size_t length) {
  if (start_ > 0 && start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  }
  buffer_.insert(buffer_.end(), data, data + length);
}

bool FrameReader::next(Frame* out, std::string* error) {
  size_t available = buffer_.size() - start_;
  if (available < kHeaderBytes) return false;
  const uint8_t* p = buffer_.data() + start_;
  uint32_t length = read_u32(p);
  if (length > kMaxFrameBytes) {
    *error = "frame larger than 64 MiB from the host (protocol error)";
    return false;
  }
  if (available < kHeaderBytes + length) return false;
  out->type = p[4];
  out->id = read_u32(p + 5);
  out->payload.assign(p + kHeaderBytes, p + kHeaderBytes + length);
  start_ += kHeaderBytes + length;
  // Keep the buffer from growing without bound: drop consumed bytes once they dominate.
  if (start_ > 65536 && start_ * 2 > buffer_.size()) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_));
    start_ = 0;
  }
  return true;
}

// The session protocol's frames (src/session/protocol.ts is the other end): every frame is
//   u32 payload length (little-endian), u8 type, u32 command id, payload bytes.
// Host -> supervisor: START (argv, env, cwd), STDIN (bytes; empty = EOF), SIGNAL (u32 signal),
//   PAUSE / RESUME (no payload: stop / go on reading that command's stdout and stderr).
// Supervisor -> host: READY, STARTED (u32 pid), STDOUT/STDERR (bytes; empty = EOF),
//   EXIT (u8 0 exited / 1 signalled, u32 value), FAILED (u32 errno, text: the command could not be
//   started), FATAL (text: the supervisor's own failure; it exits after sending it).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

enum FrameType : uint8_t {
  kStart = 1,
  kStdin = 2,
  kSignal = 3,
  kPause = 4,
  kResume = 5,
  kReady = 10,
  kStarted = 11,
  kStdout = 12,
  kStderr = 13,
  kExit = 14,
  kFailed = 15,
  kFatal = 16,
};

constexpr size_t kHeaderBytes = 9;
// A frame larger than this is a protocol error (the host never sends one: argv+env are far smaller).
constexpr uint32_t kMaxFrameBytes = 64u * 1024u * 1024u;

struct Frame {
  uint8_t type;
  uint32_t id;
  std::vector<uint8_t> payload;
};

// What a START frame carries: NUL-free byte strings (checked), ready for posix_spawn.
struct StartRequest {
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string cwd;
  bool stdin_null = false;  // the command's stdin is /dev/null: no STDIN frames follow (stdin: 'ignore')
};

// START's optional flags byte after the cwd.
constexpr uint8_t kStartStdinNull = 1;

// Parses a START payload: u32 argc, argc x (u32 len, bytes), u32 envc, envc x (u32 len, bytes),
// u32 len, cwd bytes, then optionally u8 flags (kStartStdinNull). Returns false (with *error set) on a
// malformed payload.
bool parse_start(const std::vector<uint8_t>& payload, StartRequest* out, std::string* error);

// Writes one frame to fd (blocking; retries EINTR and short writes). Exits the supervisor when the
// host is gone (EPIPE): nobody is left to report to.
void write_frame(int fd, uint8_t type, uint32_t id, const void* payload, size_t length);

// Appends one frame to *out, to be sent with others in one write (write_frames).
void append_frame(std::vector<uint8_t>* out, uint8_t type, uint32_t id, const void* payload, size_t length);

// Writes *out (as write_frame does) and empties it.
void write_frames(int fd, std::vector<uint8_t>* out);

// Buffers bytes read from the host and yields whole frames.
class FrameReader {
 public:
  void append(const uint8_t* data, size_t length);
  // Next whole frame into *out; false when more bytes are needed. *error set on a malformed header.
  bool next(Frame* out, std::string* error);

 private:
  std::vector<uint8_t> buffer_;
  size_t start_ = 0;
};

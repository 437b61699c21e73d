// What starting a session command needs around its child (isolate.h starts it): its stdio pipes,
// the cwd check and PATH search (as execvp(3)), and the words for an exec failure.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "frames.h"

struct SpawnedCommand {
  pid_t pid = -1;
  int stdin_fd = -1;   // write end, non-blocking
  int stdout_fd = -1;  // read end, non-blocking
  int stderr_fd = -1;  // read end, non-blocking
  int report_fd = -1;  // isolation 'none': the command's exec report pipe (isolate.h), else -1
  int init_fd = -1;    // isolated: the supervisor's end of its init's socket (DONE arrives there), else -1
  uint32_t generation = 0;  // isolated: the command's generation on that init
};

// The cwd checked (a directory) and the files execvp(3) would try for argv[0] under the command's
// PATH: 0 and *found (never empty), or an errno and *message (the same words as a failed spawn).
int check_cwd_and_find(const StartRequest& request, std::vector<std::string>* found, std::string* message);

// What the exec of `program` failing with `err` says (EACCES on a directory: EISDIR, as a shell).
std::string exec_failure_message(const std::string& program, int err);

// What a shell-like exec failure of `program` says (E2BIG names the kernel's limits).
std::string exec_error_message(const std::string& program, int err);

// Three O_CLOEXEC pipes (stdin, stdout, stderr), or two when !stdin_pipe (fds[0] is then {-1, -1}):
// 0, or an errno and *message (nothing left open).
int make_stdio_pipes(int fds[3][2], bool stdin_pipe, std::string* message);

// After the command (or its init) started with the child ends: closes them here and moves the
// host-side ends into *out, non-blocking. A failure here is only reported in *message.
int adopt_stdio_pipes(int fds[3][2], pid_t pid, SpawnedCommand* out, std::string* message);

// Starts one session command with posix_spawn(3): its own process group, its own stdio pipes, the
// environment and cwd the host asked for, default signal dispositions and an empty signal mask.
#pragma once

#include <sys/types.h>

#include <string>

#include "frames.h"

struct SpawnedCommand {
  pid_t pid = -1;
  int stdin_fd = -1;   // write end, non-blocking
  int stdout_fd = -1;  // read end, non-blocking
  int stderr_fd = -1;  // read end, non-blocking
};

// 0 and *out filled on success; otherwise an errno (ENOENT: not found, as a shell's 127; anything
// else: not executable, 126) and *message names what failed.
int spawn_command(const StartRequest& request, SpawnedCommand* out, std::string* message);

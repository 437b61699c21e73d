// Outer stage with bubblewrap: start bwrap in a child process, and stay as its parent to forward
// signals, clean the registry and report bwrap's exit status.
#ifndef CODEX_SANDBOX_LAUNCHER_SUPERVISE_H
#define CODEX_SANDBOX_LAUNCHER_SUPERVISE_H

#include "options.h"
#include "registry.h"

struct SuperviseParams {
  const OuterOptions* options;
  int verified_fd;      // bundled bwrap fd (CLOEXEC) or -1 to exec by path
  int info_read_fd;     // read end of --info-pipe or -1
  int started_read_fd;  // read end of --started-pipe or -1
  Registry* registry;   // nullptr without --registry
  int proxy_fd;         // --proxy-bridge: O_PATH fd of the verified proxy socket (CLOEXEC), or -1
};

// Blocks the signals the supervisor forwards or handles (SIGINT, SIGTERM, SIGTSTP...) as early as
// possible in the outer stage, so that one arriving during set-up waits for supervise_bwrap instead of
// killing the launcher with its registry placeholders in place. Remembers the mask to restore.
void block_supervised_signals();
// The mask from before block_supervised_signals: what the command (direct mode) or bwrap runs with.
void restore_supervised_signals();

// Never returns: exits with bwrap's status (125 with a message when --started-pipe was given and
// bwrap exited before the inner stage reported the start), or re-raises SIGTERM/SIGHUP after cleanup.
[[noreturn]] void supervise_bwrap(const SuperviseParams& params);

#endif

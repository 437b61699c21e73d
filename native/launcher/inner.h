// Inner stage: runs inside bubblewrap as the exec wrapper of the user command.
#ifndef CODEX_SANDBOX_LAUNCHER_INNER_H
#define CODEX_SANDBOX_LAUNCHER_INNER_H

// `--inner [--argv0 NAME] -- PROGRAM [ARGS...]` (args start after "--inner"). Never returns.
[[noreturn]] void run_inner(int count, char** args);

#endif

// The command's environment, kept away from everything that runs outside the sandbox.
//
// With `--command-env` the outer launcher receives the command's environment as `--env NAME=VALUE`
// records and runs with an empty environment itself. In direct mode it execs the command with exactly
// those records; with bwrap it hands them to the inner stage inside kCommandEnvPrefix<N> variables
// (<length>:<bytes> records, split into chunks below the kernel's per-string limit), which are the
// only variables bwrap sees; the inner stage decodes them and execs the command with exactly them.
#ifndef CODEX_SANDBOX_LAUNCHER_COMMAND_ENV_H
#define CODEX_SANDBOX_LAUNCHER_COMMAND_ENV_H

#include <vector>

extern const char kCommandEnvPrefix[];
// The command's argv, when it is too long for bubblewrap's argument cap (bubblewrap.c MAX_ARGS,
// 9000, `--args FD` included): the same chunked records, under kCommandArgvPrefix<N>.
extern const char kCommandArgvPrefix[];

// Replaces the whole environment by `env` (NULL-terminated NAME=VALUE strings that live until exec).
void use_environment(std::vector<char*>* env);

// Replaces the whole environment by the chunked records of `env` (for bwrap and the inner stage),
// plus those of `argv` (the command's argv moved out of bwrap's; empty: none).
void export_command_env(const std::vector<char*>& env, const std::vector<char*>& argv);

// Inner stage (`--command-from-env`): the command's argv from the kCommandArgvPrefix<N> variables,
// NULL-terminated; removes them from the environment. Exits 125 when they are missing or malformed.
std::vector<char*> import_command_argv();

// Inner stage: if the chunked records are present, replaces the environment by the command's
// environment they hold and returns true; returns false (environment untouched) when absent.
bool import_command_env();

#endif

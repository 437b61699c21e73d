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

// Replaces the whole environment by `env` (NULL-terminated NAME=VALUE strings that live until exec).
void use_environment(std::vector<char*>* env);

// Replaces the whole environment by the chunked records of `env` (for bwrap and the inner stage).
void export_command_env(const std::vector<char*>& env);

// Inner stage: if the chunked records are present, replaces the environment by the command's
// environment they hold and returns true; returns false (environment untouched) when absent.
bool import_command_env();

#endif

// Resource limits: joining the sandbox's cgroups (outer stage, before bwrap or the command is
// exec'd) and setting rlimits (inner stage inside the sandbox's user namespace, or direct mode).
#ifndef CODEX_SANDBOX_LAUNCHER_LIMITS_H
#define CODEX_SANDBOX_LAUNCHER_LIMITS_H

#include <sys/resource.h>

#include <vector>

struct RlimitSpec {
  int resource;  // RLIMIT_NPROC, RLIMIT_CPU or RLIMIT_DATA
  rlim_t soft;
  rlim_t hard;
};

// `--rlimit-nproc N`, `--rlimit-cpu SECONDS`, `--rlimit-data BYTES`: when `option` is one of them,
// parses `value` into *out and returns true (exits 125 naming the option on a bad value).
bool parse_rlimit_option(const char* option, const char* value, RlimitSpec* out);

// Lowers each rlimit (setrlimit); exits 125 naming the resource on failure.
void apply_rlimits(const std::vector<RlimitSpec>& limits);

// Moves the calling process into each cgroup by writing "0" (the writer itself) to the given
// cgroup.procs files; every process it then forks stays in them. Exits 125 naming the file on failure.
void join_cgroups(const std::vector<const char*>& procs_files);

#endif

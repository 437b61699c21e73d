// Synthetic mount-target registry (after Codex codex-rs/linux-sandbox/src/linux_run_main.rs).
// bwrap creates missing mount targets (an empty
// file for --ro-bind-data, a directory for --tmpfs) on the host when their parent is a writable
// bind. The registry lets the last live launcher using a target remove such a placeholder, and
// never one that existed before or that another live sandbox still has mounted.
#ifndef CODEX_SANDBOX_LAUNCHER_REGISTRY_H
#define CODEX_SANDBOX_LAUNCHER_REGISTRY_H

#include <string>
#include <vector>

struct Registry {
  int dir_fd = -1;
  std::string path;
  // The registry's lock file, opened for the launcher's whole life: it holds an OFD lock on the
  // byte at offset <pid> while its records are in the table (liveness; see registry.cc).
  int live_fd = -1;
};

// Opens (creating 0700 if missing) DIR; refuses a symlink, a non-directory, one not owned by the
// effective uid, or one writable by group/others. Exits 125 on failure.
void registry_open(const char* dir, Registry* out);

// Under the lock: forgets dead launchers' records (removing their unused placeholders), then records
// each target with this pid and its origin (synthetic when absent now, unless a live registrant
// already decided). Exits 125 on failure.
void registry_register(Registry* reg, const std::vector<const char*>& targets);

// Under the lock: drops this pid's and dead pids' records and removes each synthetic placeholder no
// live record still uses (only an empty regular file or empty directory, never following
// symlinks). Best-effort: problems are reported as warnings.
void registry_release(Registry* reg, const std::vector<const char*>& targets);

#endif

// Synthetic mount-target registry (reference §4.9). bwrap creates missing mount targets (an empty
// file for --ro-bind-data, a directory for --tmpfs) on the host when their parent is a writable
// bind. The registry lets the last live launcher using a target remove such a placeholder, and
// never one that existed before or that another live sandbox still has mounted.
#ifndef CODEX_SANDBOX_LAUNCHER_REGISTRY_H
#define CODEX_SANDBOX_LAUNCHER_REGISTRY_H

#include <vector>

struct Registry {
  int dir_fd = -1;
};

// Opens (creating 0700 if missing) DIR; refuses a symlink, a non-directory, one not owned by the
// effective uid, or one writable by group/others. Exits 125 on failure.
void registry_open(const char* dir, Registry* out);

// Under the lock: for each target, records origin (synthetic/existing) when no live registrant
// remains, and adds this pid's marker. Exits 125 on failure.
void registry_register(Registry* reg, const std::vector<const char*>& targets);

// Under the lock: removes this pid's marker, prunes dead pids, and when no live marker remains
// removes a synthetic placeholder (empty regular file or empty directory, never following
// symlinks) and drops the entry. Best-effort: problems are reported as warnings.
void registry_release(Registry* reg, const std::vector<const char*>& targets);

#endif

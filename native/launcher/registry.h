// Synthetic mount-target registry (after Codex codex-rs/linux-sandbox/src/linux_run_main.rs).
// bwrap creates missing mount targets (an empty
// file for --ro-bind-data, a directory for --tmpfs) on the host when their parent is a writable
// bind. The registry lets the last live launcher using a target remove such a placeholder, and
// never one that existed before or that another live sandbox still has mounted.
//
// Format 3 (see registry.cc): one record file per live launcher, hard-linked into one directory per
// target, so a launch touches only its own targets' directories — its cost does not grow with the
// number of live sandboxes on the host (issue #21). Older launchers' tables are still honoured.
#ifndef CODEX_SANDBOX_LAUNCHER_REGISTRY_H
#define CODEX_SANDBOX_LAUNCHER_REGISTRY_H

#include <string>
#include <vector>

struct Registry {
  int dir_fd = -1;
  std::string path;
  // The registry's lock file, opened for the launcher's whole life once this launcher has a record
  // in an older format's table: it then holds an OFD lock on the byte at offset <pid> (that
  // format's liveness test; see registry.cc).
  int live_fd = -1;
  // This launcher's record file under launchers-3/, flock()ed LOCK_EX for its whole life (liveness).
  int own_fd = -1;
  std::string own_name;
  // A format-2 record covers the start of a placeholder we decided (see registry_started).
  bool window_records = false;
};

// Opens (creating 0700 if missing) DIR; refuses a symlink, a non-directory, one not owned by the
// effective uid, or one writable by group/others. Exits 125 on failure.
void registry_open(const char* dir, Registry* out);

// Under the lock: records each target for this launcher with its origin (synthetic when absent
// now, unless a live registrant already decided), prunes the dead records it meets (removing their
// unused placeholders). Exits 125 on failure.
void registry_register(Registry* reg, const std::vector<const char*>& targets);

// Once the sandbox has started (bwrap has created every placeholder): drops the format-2 records
// that covered the window before, unless an older launcher joined one of those targets meanwhile.
// Best-effort.
void registry_started(Registry* reg);

// Under the lock: drops this launcher's records and removes each synthetic placeholder no live
// record (of any format) still uses (only an empty regular file or empty directory, never following
// symlinks). Best-effort: problems are reported as warnings.
void registry_release(Registry* reg, const std::vector<const char*>& targets);

#endif

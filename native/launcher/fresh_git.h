// A staged new repository (`--fresh-git STAGE_FD:ROOT_FD ROOT`): a writable root whose `.git` was
// missing at plan time gets a private staging directory, created here OUTSIDE every sandbox (in the
// launcher's 0700 registry directory, which no sandbox can see), bound by bwrap at ROOT/.git
// (`--bind-fd STAGE_FD ROOT/.git`). While the run lasts the host sees only an empty `.git` (not a
// repository: no HEAD), so no git outside runs a hook or config the sandbox wrote. Once bwrap has
// exited (every sandboxed process is dead: pid namespace), the launcher rebuilds ROOT/.git from an
// allow-list of data files and a config it writes itself, reports on stderr what it did not keep,
// and removes the staging directory.
#ifndef CODEX_SANDBOX_LAUNCHER_FRESH_GIT_H
#define CODEX_SANDBOX_LAUNCHER_FRESH_GIT_H

#include <vector>

#include "registry.h"

struct FreshGitSpec {
  int stage_target;  // fd number bwrap binds at ROOT/.git (reserved as a placed /dev/null until prepared)
  int root_target;   // the --pin fd of ROOT (already checked against the plan's dev/ino)
  const char* root;  // ROOT, for messages
};

// After registry_register (ROOT/.git is a registered placeholder, so an unused one is removed) and
// place_fds: creates ROOT/.git (an empty directory, the mount point) and the staging directory, and
// places the staging directory at each stage_target. Exits 125 when ROOT/.git is no longer missing or
// empty (a repository appeared since the plan) or a call fails.
void fresh_git_prepare(const std::vector<FreshGitSpec>& specs, const Registry& registry);

// After bwrap has exited: accepts or discards each staging directory (see above). Best-effort: a
// failure is reported on stderr and leaves ROOT/.git without HEAD (not a repository).
void fresh_git_finish();

#endif

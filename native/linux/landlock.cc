#include "landlock.h"

#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#define CODEX_LANDLOCK_CREATE_RULESET_VERSION (1U << 0)

int codex_landlock_abi(void) {
  long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, CODEX_LANDLOCK_CREATE_RULESET_VERSION);
  // ENOSYS (no Landlock), EOPNOTSUPP (disabled at boot), EPERM (filtered): all mean "none".
  return abi > 0 ? static_cast<int>(abi) : 0;
}

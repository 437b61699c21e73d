#include "keyring.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fail.h"

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

void join_fresh_session_keyring() {
  // The session keyring is inherited across fork and exec and is not namespaced: a command that
  // kept the caller's would read its keys (Kerberos tickets, ecryptfs/fscrypt keys) should seccomp
  // ever let a keyring call through (keyrings(7), session-keyring(7)). Done here because bwrap
  // installs seccomp before the inner stage, which denies keyctl.
  long rc = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr, 0, 0, 0);
  if (rc >= 0) return;
  if (errno == ENOSYS || errno == EOPNOTSUPP) return;  // CONFIG_KEYS=n: there is no keyring to leak
  die_errno("joining a fresh session keyring:", "keyctl(KEYCTL_JOIN_SESSION_KEYRING)", errno);
}

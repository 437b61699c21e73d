// The command's session keyring.
#ifndef CODEX_SANDBOX_LAUNCHER_KEYRING_H
#define CODEX_SANDBOX_LAUNCHER_KEYRING_H

// Joins a new, empty, anonymous session keyring (keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)), which
// bwrap and the command inherit. A kernel built without keys is left alone; any other failure
// exits 125.
void join_fresh_session_keyring();

#endif

// Mounts bind what was planned: pinning writable roots before bubblewrap binds them (bwrap
// --bind-fd FD DEST), and checking inside the sandbox that each planned mount is where the plan put it.
#ifndef CODEX_SANDBOX_LAUNCHER_PIN_H
#define CODEX_SANDBOX_LAUNCHER_PIN_H

#include <string>

// Opens the absolute directory `path` as O_PATH without following any symlink in any component,
// checks that it is the directory the plan saw (st_dev/st_ino) and returns the fd (CLOEXEC).
// Exits 125 naming the path when a component is a symlink, missing, or the identity differs.
int open_pinned_dir(const char* path, unsigned long long dev, unsigned long long ino);

// Inner stage, before the command starts: `path` (reached without following a symlink) is on a
// writable mount and is the directory dev/ino (want_rw), or is on a read-only mount (!want_rw).
// bwrap resolves mount destinations by path inside the new root, so a concurrent sandbox could have
// redirected one; exits 125 naming the path when the check fails.
void verify_planned_mount(const char* path, bool want_rw, unsigned long long dev, unsigned long long ino);

// Opens the absolute `path` as O_PATH without following a symlink in any component; returns the fd
// or a negative errno, with the offending component in *bad.
int open_no_follow(const char* path, bool final_dir, std::string* bad);

#endif

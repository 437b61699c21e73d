// Pinning a writable root before bubblewrap binds it (bwrap --bind-fd FD DEST).
#ifndef CODEX_SANDBOX_LAUNCHER_PIN_H
#define CODEX_SANDBOX_LAUNCHER_PIN_H

// Opens the absolute directory `path` as O_PATH without following any symlink in any component,
// checks that it is the directory the plan saw (st_dev/st_ino) and returns the fd (CLOEXEC).
// Exits 125 naming the path when a component is a symlink, missing, or the identity differs.
int open_pinned_dir(const char* path, unsigned long long dev, unsigned long long ino);

#endif

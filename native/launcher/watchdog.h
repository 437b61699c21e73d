// The watchdog: a process outside the sandbox that outlives a SIGKILLed launcher just long enough
// to kill bwrap's namespace init and its own process group, which bwrap joins (watchdog.cc).
#ifndef CODEX_SANDBOX_LAUNCHER_WATCHDOG_H
#define CODEX_SANDBOX_LAUNCHER_WATCHDOG_H

#include <stdint.h>
#include <sys/types.h>

// What the launcher tells its watchdog once bwrap reports its namespace init (child-pid): the pid
// and its start time, which together name that one process even after its pid is reused.
struct WatchedInit {
  int64_t pid;
  uint64_t start_time;
};

// Starts the watchdog (signals stay blocked in it, as in the launcher). Returns its pid, which is
// also the process group bwrap joins; *life_write is the end the launcher keeps open until it exits
// and writes one WatchedInit to. info_read is the read end of bwrap's info socket, or -1.
pid_t start_watchdog(int* life_write, int info_read);

#endif

// The session init's entry (init_main.c), called on its own stack by the clone child of the supervisor
// (isolate.cc): never returns.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

struct SessionInitArgs {
  int argc;
  char** argv;  // the command's argv (isolate.cc init_argv), writable: the env slice is NULL-terminated in place.
                // An isolated init's: rewritten by the supervisor for each command, only while that init is idle
                // (between its DONE and the next GO on its socket, which order the two).
  int setup_argc;     // an isolated init's own argv, read once: session-init --session-init N ro... M masked...
  char** setup_argv;
  int fds[4];   // isolation 'none': the command's stdin, stdout, stderr and report pipe. Isolated: fds[0] is
                // the init's end of its socket to the supervisor (SessionInitMessage), the rest -1.
  // The outcome of the init's current command, written by the init before it sends DONE (or before its
  // exit_group, when it cannot take another command) and read by the supervisor only after it received
  // that DONE or reaped the init (recvmsg, wait4 order the two). Left as set up (NULL, 0) when the init
  // was killed before it got there.
  const char* failed_what;  // the set-up step that failed (a string of this binary), "" the command's exec; NULL: none
  int failed_errno;         // with failed_what
  int exited;               // 1: `status` is the command's wait status
  int status;
};

// The messages on an isolated init's socket (SOCK_SEQPACKET, one message each):
// supervisor -> init: GO (the next command: its argv is in SessionInitArgs, its stdin, stdout and stderr
// come as SCM_RIGHTS), SIGNAL (value: a forwarded signal for the command of that generation only);
// init -> supervisor: DONE (the command of that generation ended and nothing of it is left; its outcome
// is in SessionInitArgs; the init is idle and may take the next GO).
struct SessionInitMessage {
  unsigned int type;
  unsigned int generation;
  int value;
};
enum { kSessionInitGo = 1, kSessionInitSignal = 2, kSessionInitDone = 3 };

// Signals the init forwards to its command's group. It must start with them and SIGCHLD blocked: the
// supervisor blocks them around the clone (isolate.cc), so none sent during the init's set-up is lost.
enum { kSessionInitForwarded = 10 };
extern const int session_init_forwarded[kSessionInitForwarded];

int session_init_run(void* args);

// isolation 'none': the command itself, without namespaces, in this address space until its exec: its
// process group, stdio, cwd, default signals, then the exec (the same child as the init's). Exec failure:
// u32 errno, u32 0 on the report pipe; success: the pipe (close-on-exec) reads EOF with nothing.
int session_plain_run(void* args);

#ifdef __cplusplus
}
#endif

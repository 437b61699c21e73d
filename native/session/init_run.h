// The session init's entry (init_main.c), called on its own stack by the clone child of the supervisor
// (isolate.cc): never returns.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

struct SessionInitArgs {
  int argc;
  char** argv;  // the init's argv (isolate.cc init_argv), writable: the env slice is NULL-terminated in place
  int fds[4];   // the command's stdin, stdout, stderr and (isolation 'none' only) the report pipe, else -1
  // The isolated init's outcome, written by the init just before its exit_group and read by the
  // supervisor only once it has reaped the init (wait4 orders the two): no report pipe to make, poll
  // and read per command. Left as set up (NULL, 0) when the init was killed before it got there.
  const char* failed_what;  // the set-up step that failed (a string of this binary), "" the command's exec; NULL: none
  int failed_errno;         // with failed_what
  int exited;               // 1: `status` is the command's wait status
  int status;
};

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

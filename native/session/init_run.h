// The session init's entry (init_main.c), called on its own stack by the clone child of the supervisor
// (isolate.cc): never returns.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

struct SessionInitArgs {
  int argc;
  char** argv;  // the init's argv (isolate.cc init_argv), writable: the env slice is NULL-terminated in place
  int fds[4];   // the command's stdin, stdout, stderr and the report pipe (the init moves them to 100..103)
};

int session_init_run(void* args);

// isolation 'none': the command itself, without namespaces, in this address space until its exec: its
// process group, stdio, cwd, default signals, then the exec (the same child as the init's). Exec failure:
// u32 errno, u32 0 on the report pipe; success: the pipe (close-on-exec) reads EOF with nothing.
int session_plain_run(void* args);

#ifdef __cplusplus
}
#endif

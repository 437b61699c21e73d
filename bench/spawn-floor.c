// The session throughput floor (bench/spawn-floor.ts): `spawn-floor N C` runs /bin/true N times, C at a
// time, with posix_spawn and wait and nothing else, and prints {"per_s": ...}. Run inside the sandbox,
// it is what any starter of /bin/true can reach there: the command's own fork, exec and exit.
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char** environ;

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: spawn-floor COMMANDS CONCURRENCY\n");
    return 2;
  }
  long n = strtol(argv[1], NULL, 10), c = strtol(argv[2], NULL, 10);
  if (n <= 0 || c <= 0) {
    fprintf(stderr, "spawn-floor: COMMANDS and CONCURRENCY must be positive\n");
    return 2;
  }
  char* args[] = {"/bin/true", NULL};
  long started = 0, done = 0;
  struct timespec a, b;
  if (clock_gettime(CLOCK_MONOTONIC, &a) != 0) return perror("clock_gettime"), 1;
  while (done < n) {
    while (started < n && started - done < c) {
      pid_t pid;
      int err = posix_spawn(&pid, "/bin/true", NULL, NULL, args, environ);
      if (err != 0) return fprintf(stderr, "spawn-floor: posix_spawn /bin/true: %s\n", strerror(err)), 1;
      started += 1;
    }
    int status;
    pid_t pid = wait(&status);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0) return perror("spawn-floor: wait"), 1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return fprintf(stderr, "spawn-floor: /bin/true ended with status %d\n", status), 1;
    done += 1;
  }
  if (clock_gettime(CLOCK_MONOTONIC, &b) != 0) return perror("clock_gettime"), 1;
  double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  printf("{\"per_s\": %.1f}\n", (double)n / s);
  return 0;
}

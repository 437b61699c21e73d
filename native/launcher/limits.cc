#include "limits.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fail.h"

namespace {

rlim_t parse_count(const char* option, const char* value) {
  if (value == nullptr) die_msg("%s needs a value", option);
  char* end = nullptr;
  errno = 0;
  unsigned long long parsed = strtoull(value, &end, 10);
  if (value[0] < '0' || value[0] > '9' || errno != 0 || end == value || *end != '\0' || parsed == 0 ||
      parsed >= static_cast<unsigned long long>(RLIM_INFINITY)) {
    die_msg("%s: invalid value '%s' (expected a positive integer)", option, value);
  }
  return static_cast<rlim_t>(parsed);
}

const char* resource_name(int resource) {
  switch (resource) {
    case RLIMIT_NPROC: return "RLIMIT_NPROC";
    case RLIMIT_CPU: return "RLIMIT_CPU";
    case RLIMIT_DATA: return "RLIMIT_DATA";
    default: return "rlimit";
  }
}

}  // namespace

bool parse_rlimit_option(const char* option, const char* value, RlimitSpec* out) {
  if (strcmp(option, "--rlimit-nproc") == 0) {
    const rlim_t n = parse_count(option, value);
    *out = RlimitSpec{RLIMIT_NPROC, n, n};
  } else if (strcmp(option, "--rlimit-cpu") == 0) {
    // SIGXCPU at the soft limit (its default action ends the process); a process that catches it
    // is killed with SIGKILL one second later at the hard limit (setrlimit(2), "RLIMIT_CPU").
    const rlim_t n = parse_count(option, value);
    *out = RlimitSpec{RLIMIT_CPU, n, n + 1};
  } else if (strcmp(option, "--rlimit-data") == 0) {
    const rlim_t n = parse_count(option, value);
    *out = RlimitSpec{RLIMIT_DATA, n, n};
  } else {
    return false;
  }
  return true;
}

void apply_rlimits(const std::vector<RlimitSpec>& limits) {
  for (const RlimitSpec& spec : limits) {
    struct rlimit current;
    if (getrlimit(spec.resource, &current) < 0) die_errno("getrlimit", resource_name(spec.resource), errno);
    // Only ever lower: a hard limit the caller already set below ours stays (raising it would fail).
    struct rlimit wanted = {spec.soft, spec.hard};
    if (current.rlim_max != RLIM_INFINITY && wanted.rlim_max > current.rlim_max) wanted.rlim_max = current.rlim_max;
    if (wanted.rlim_cur > wanted.rlim_max) wanted.rlim_cur = wanted.rlim_max;
    if (setrlimit(spec.resource, &wanted) < 0) die_errno("setrlimit", resource_name(spec.resource), errno);
  }
}

void join_cgroups(const std::vector<const char*>& procs_files) {
  for (const char* file : procs_files) {
    // O_NOFOLLOW: the file is one the caller just created in a cgroup filesystem; a symlink there
    // is not ours.
    int fd = open(file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) die_errno("opening the sandbox's cgroup", file, errno);
    // "0" is the writing process itself (cgroups(7), "Creating cgroups and moving processes").
    ssize_t n;
    do {
      n = write(fd, "0\n", 2);
    } while (n < 0 && errno == EINTR);
    if (n != 2) {
      const int err = n < 0 ? errno : EIO;
      close(fd);
      die_errno("joining the sandbox's cgroup", file, err);
    }
    if (close(fd) < 0) die_errno("joining the sandbox's cgroup (close)", file, errno);
  }
}

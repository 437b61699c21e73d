#include "options.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command_env.h"
#include "fail.h"

namespace {

// fd numbers below 3 are stdio; the upper bound keeps F_DUPFD targets sane.
constexpr long kMaxPlacedFd = 65535;

int parse_fd(const char* option, const char* text) {
  if (text == nullptr) die_msg("%s needs an fd number", option);
  char* end = nullptr;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < 3 || value > kMaxPlacedFd) {
    die_msg("%s: invalid fd '%s' (expected an integer from 3 to %ld)", option, text, kMaxPlacedFd);
  }
  return static_cast<int>(value);
}

CodexSeccompMode parse_mode(const char* option, const char* text) {
  CodexSeccompMode mode;
  if (text == nullptr || codex_seccomp_parse_mode(text, &mode) != 0) {
    die_msg("%s: invalid seccomp mode '%s' (expected base or restricted, optionally with +userns)", option,
            text != nullptr ? text : "");
  }
  return mode;
}

const char* need_value(const char* option, int& i, int count, char** args) {
  if (i + 1 >= count) die_msg("%s needs a value", option);
  return args[++i];
}

void add_placed(OuterOptions* out, PlacedFdSpec spec, const char* option) {
  for (const PlacedFdSpec& other : out->placed) {
    if (other.target == spec.target) die_msg("%s: fd %d is already placed by another option", option, spec.target);
  }
  out->placed.push_back(spec);
}

}  // namespace

void parse_outer_options(int count, char** args, OuterOptions* out) {
  int i = 0;
  bool saw_separator = false;
  for (; i < count; ++i) {
    const char* arg = args[i];
    if (strcmp(arg, "--") == 0) {
      saw_separator = true;
      ++i;
      break;
    }
    if (strcmp(arg, "--bwrap") == 0 || strcmp(arg, "--bwrap-verified") == 0) {
      if (out->program_kind != ProgramKind::Direct) die_msg("%s given twice (or with the other bwrap option)", arg);
      out->program_kind = (arg[7] == '\0') ? ProgramKind::Bwrap : ProgramKind::BwrapVerified;
    } else if (strcmp(arg, "--seccomp") == 0) {
      // base|restricted:FD
      const char* value = need_value(arg, i, count, args);
      const char* colon = strchr(value, ':');
      if (colon == nullptr) die_msg("--seccomp: expected MODE:FD, got '%s'", value);
      char mode_text[32];
      size_t len = static_cast<size_t>(colon - value);
      if (len >= sizeof mode_text) die_msg("--seccomp: invalid seccomp mode in '%s'", value);
      memcpy(mode_text, value, len);
      mode_text[len] = '\0';
      PlacedFdSpec spec{PlacedKind::Seccomp, parse_fd(arg, colon + 1), parse_mode(arg, mode_text)};
      for (const PlacedFdSpec& other : out->placed) {
        if (other.kind == PlacedKind::Seccomp) die_msg("--seccomp given twice (bwrap accepts one --seccomp)");
      }
      add_placed(out, spec, arg);
    } else if (strcmp(arg, "--seccomp-self") == 0) {
      if (out->seccomp_self) die_msg("--seccomp-self given twice");
      out->seccomp_self = true;
      out->seccomp_self_mode = parse_mode(arg, need_value(arg, i, count, args));
    } else if (strcmp(arg, "--devnull") == 0) {
      add_placed(out, PlacedFdSpec{PlacedKind::DevNull, parse_fd(arg, need_value(arg, i, count, args)), CODEX_SECCOMP_BASE}, arg);
    } else if (strcmp(arg, "--pin") == 0) {
      // FD:DEV:INO PATH
      const char* spec_text = need_value(arg, i, count, args);
      const char* path = need_value(arg, i, count, args);
      unsigned long long fd = 0, dev = 0, ino = 0;
      char tail = '\0';
      if (sscanf(spec_text, "%llu:%llu:%llu%c", &fd, &dev, &ino, &tail) != 3 || fd < 3 || fd > static_cast<unsigned long long>(kMaxPlacedFd)) {
        die_msg("--pin: expected FD:DEV:INO, got '%s'", spec_text);
      }
      if (path[0] != '/') die_msg("--pin: '%s' is not an absolute path", path);
      PlacedFdSpec spec{PlacedKind::Pin, static_cast<int>(fd), CODEX_SECCOMP_BASE};
      spec.path = path;
      spec.dev = dev;
      spec.ino = ino;
      add_placed(out, spec, arg);
    } else if (strcmp(arg, "--fresh-git") == 0) {
      // STAGE_FD:ROOT_FD ROOT: ROOT_FD is ROOT's --pin (given before); STAGE_FD is reserved here as a
      // placed /dev/null and becomes the staging directory once the registry is open (fresh_git.h).
      const char* spec_text = need_value(arg, i, count, args);
      const char* path = need_value(arg, i, count, args);
      unsigned long long stage = 0, root = 0;
      char tail = '\0';
      if (sscanf(spec_text, "%llu:%llu%c", &stage, &root, &tail) != 2 || stage < 3 || stage > static_cast<unsigned long long>(kMaxPlacedFd)) {
        die_msg("--fresh-git: expected STAGE_FD:ROOT_FD, got '%s'", spec_text);
      }
      bool pinned = false;
      for (const PlacedFdSpec& other : out->placed) {
        if (other.kind == PlacedKind::Pin && static_cast<unsigned long long>(other.target) == root && strcmp(other.path, path) == 0) pinned = true;
      }
      if (!pinned) die_msg("--fresh-git: fd %llu is not a --pin of '%s' given before it", root, path);
      add_placed(out, PlacedFdSpec{PlacedKind::DevNull, static_cast<int>(stage), CODEX_SECCOMP_BASE}, arg);
      out->fresh_git.push_back(FreshGitSpec{static_cast<int>(stage), static_cast<int>(root), path});
    } else if (strcmp(arg, "--info-pipe") == 0) {
      if (out->info_fd >= 0) die_msg("--info-pipe given twice");
      int fd = parse_fd(arg, need_value(arg, i, count, args));
      add_placed(out, PlacedFdSpec{PlacedKind::InfoPipe, fd, CODEX_SECCOMP_BASE}, arg);
      out->info_fd = fd;
    } else if (strcmp(arg, "--started-pipe") == 0) {
      if (out->started_fd >= 0) die_msg("--started-pipe given twice");
      int fd = parse_fd(arg, need_value(arg, i, count, args));
      add_placed(out, PlacedFdSpec{PlacedKind::StartedPipe, fd, CODEX_SECCOMP_BASE}, arg);
      out->started_fd = fd;
    } else if (strcmp(arg, "--proxy-bridge") == 0) {
      const char* spec = need_value(arg, i, count, args);
      int port = 0, used = 0;
      unsigned long long dev = 0, ino = 0;
      if (out->proxy_socket != nullptr) die_msg("--proxy-bridge given twice");
      if (sscanf(spec, "%d:%llu:%llu:%n", &port, &dev, &ino, &used) != 3 || used == 0 || port < 1 || port > 65535 || spec[used] != '/') {
        die_msg("--proxy-bridge: expected PORT:DEV:INO:/ABSOLUTE/SOCKET/PATH, got '%s'", spec);
      }
      out->proxy_port = port;
      out->proxy_dev = dev;
      out->proxy_ino = ino;
      out->proxy_socket = spec + used;
    } else if (strcmp(arg, "--registry") == 0) {
      if (out->registry_dir != nullptr) die_msg("--registry given twice");
      out->registry_dir = need_value(arg, i, count, args);
      if (out->registry_dir[0] != '/') die_msg("--registry: '%s' is not an absolute path", out->registry_dir);
    } else if (strcmp(arg, "--synthetic") == 0) {
      const char* path = need_value(arg, i, count, args);
      if (path[0] != '/') die_msg("--synthetic: '%s' is not an absolute path", path);
      out->synthetic_targets.push_back(path);
    } else if (strcmp(arg, "--command-env") == 0) {
      out->command_env_set = true;
    } else if (strcmp(arg, "--env") == 0) {
      char* entry = const_cast<char*>(need_value(arg, i, count, args));
      const char* eq = strchr(entry, '=');
      if (eq == nullptr || eq == entry) die_msg("--env: expected NAME=VALUE, got '%s'", entry);
      out->command_env.push_back(entry);
    } else if (strcmp(arg, "--command-via-env") == 0) {
      const char* text = need_value(arg, i, count, args);
      char* end = nullptr;
      errno = 0;
      unsigned long long n = strtoull(text, &end, 10);
      if (errno != 0 || end == text || *end != '\0' || n == 0 || n > 100000000ULL) die_msg("--command-via-env: invalid count '%s'", text);
      out->command_via_env = static_cast<size_t>(n);
    } else if (strcmp(arg, "--chdir") == 0) {
      if (out->chdir_path != nullptr) die_msg("--chdir given twice");
      out->chdir_path = need_value(arg, i, count, args);
    } else if (strcmp(arg, "--cgroup-procs") == 0) {
      const char* file = need_value(arg, i, count, args);
      if (file[0] != '/') die_msg("--cgroup-procs: '%s' is not an absolute path", file);
      out->cgroup_procs.push_back(file);
    } else if (strncmp(arg, "--rlimit-", 9) == 0) {
      RlimitSpec spec;
      if (!parse_rlimit_option(arg, need_value(arg, i, count, args), &spec)) die_msg("unknown launcher option '%s'", arg);
      out->rlimits.push_back(spec);
    } else {
      die_msg("unknown launcher option '%s' (options end at '--')", arg);
    }
  }
  if (!saw_separator) die_msg("missing '--' before the program to run");
  if (i >= count) die_msg("no program after '--'");
  for (; i < count; ++i) out->command.push_back(args[i]);
  out->command.push_back(nullptr);

  const bool bwrap = out->program_kind != ProgramKind::Direct;
  if (bwrap && out->seccomp_self) {
    die_msg("--seccomp-self is for direct mode; with bubblewrap use --seccomp MODE:FD");
  }
  if (out->proxy_socket != nullptr && (!bwrap || out->info_fd < 0)) {
    die_msg("--proxy-bridge needs --bwrap or --bwrap-verified and --info-pipe (the forwarder joins the namespaces of the init bwrap reports)");
  }
  if (!bwrap && !out->placed.empty()) {
    die_msg("--seccomp/--devnull/--info-pipe/--started-pipe need --bwrap or --bwrap-verified (they are fds for bubblewrap)");
  }
  if (!out->command_env.empty() && !out->command_env_set) die_msg("--env needs --command-env");
  if (bwrap && !out->rlimits.empty()) {
    die_msg("--rlimit-* is for direct mode; with bubblewrap the inner stage takes them (--inner --rlimit-...)");
  }
  if (out->command_via_env > 0) {
    if (!bwrap || !out->command_env_set) die_msg("--command-via-env needs --bwrap (or --bwrap-verified) and --command-env");
    // bwrap and its inner-stage separator stay: the moved tail is the inner stage's command.
    if (out->command_via_env + 2 >= out->command.size()) die_msg("--command-via-env %zu: more than the arguments after '--'", out->command_via_env);
  }
  if (!out->synthetic_targets.empty() && out->registry_dir == nullptr) {
    die_msg("--synthetic needs --registry DIR");
  }
  if (!bwrap && out->registry_dir != nullptr) {
    die_msg("--registry/--synthetic need --bwrap or --bwrap-verified");
  }
}

void parse_inner_options(int count, char** args, InnerOptions* out) {
  int i = 0;
  bool saw_separator = false;
  bool from_env = false;
  for (; i < count; ++i) {
    const char* arg = args[i];
    if (strcmp(arg, "--") == 0) {
      saw_separator = true;
      ++i;
      break;
    }
    if (strcmp(arg, "--argv0") == 0) {
      out->argv0 = need_value(arg, i, count, args);
    } else if (strcmp(arg, "--expect-rw") == 0) {
      const char* id = need_value(arg, i, count, args);
      const char* path = need_value(arg, i, count, args);
      unsigned long long dev = 0, ino = 0;
      char tail = '\0';
      if (sscanf(id, "%llu:%llu%c", &dev, &ino, &tail) != 2) die_msg("--expect-rw: expected DEV:INO, got '%s'", id);
      out->expected.push_back(ExpectedMount{path, true, dev, ino});
    } else if (strcmp(arg, "--expect-ro") == 0) {
      out->expected.push_back(ExpectedMount{need_value(arg, i, count, args), false, 0, 0});
    } else if (strcmp(arg, "--started-fd") == 0) {
      if (out->started_fd >= 0) die_msg("--started-fd given twice");
      out->started_fd = parse_fd(arg, need_value(arg, i, count, args));
    } else if (strcmp(arg, "--ctty") == 0) {
      out->ctty = true;
    } else if (strcmp(arg, "--ctty-job") == 0) {
      out->ctty = true;
      out->ctty_job = true;
    } else if (strcmp(arg, "--allow-userns") == 0) {
      out->allow_userns = true;
    } else if (strcmp(arg, "--session-supervisor") == 0) {
      out->session_supervisor = true;
    } else if (strcmp(arg, "--proxy-port") == 0) {
      const char* text = need_value(arg, i, count, args);
      int port = 0, used = 0;
      if (out->proxy_port != 0) die_msg("--proxy-port given twice");
      if (sscanf(text, "%d%n", &port, &used) != 1 || text[used] != '\0' || port < 1 || port > 65535) die_msg("--proxy-port: expected a port number, got '%s'", text);
      out->proxy_port = port;
    } else if (strcmp(arg, "--command-from-env") == 0) {
      from_env = true;
    } else if (strncmp(arg, "--rlimit-", 9) == 0) {
      RlimitSpec spec;
      if (!parse_rlimit_option(arg, need_value(arg, i, count, args), &spec)) die_msg("unknown inner-stage option '%s'", arg);
      out->rlimits.push_back(spec);
    } else {
      die_msg("unknown inner-stage option '%s' (options end at '--')", arg);
    }
  }
  if (!saw_separator) die_msg("missing '--' before the program to run");
  if (from_env) {
    if (i < count) die_msg("--command-from-env: nothing may follow '--' (the command comes from the environment)");
    out->command = import_command_argv();
    return;
  }
  if (i >= count) die_msg("no program after '--'");
  for (; i < count; ++i) out->command.push_back(args[i]);
  out->command.push_back(nullptr);
}

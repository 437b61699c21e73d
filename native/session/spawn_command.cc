#include "spawn_command.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

namespace {

struct Pipes {
  int fds[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
  ~Pipes() {
    for (auto& p : fds) {
      for (int fd : p) {
        if (fd >= 0) close(fd);
      }
    }
  }
};

int set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return errno;
  return 0;
}

// PATH as the command's own environment gives it (execvp(3)'s default when it has none).
std::string command_path(const std::vector<std::string>& env) {
  for (const std::string& e : env) {
    if (e.compare(0, 5, "PATH=") == 0) return e.substr(5);
  }
  return "/usr/local/bin:/usr/bin:/bin";
}

// The candidates execvp(3) would try, in order; absolute directories are pre-checked with access(2)
// so a typical PATH costs one spawn, not one per directory.
std::vector<std::string> candidates(const StartRequest& request) {
  const std::string& name = request.argv[0];
  if (name.find('/') != std::string::npos) return {name};
  std::vector<std::string> out;
  std::string path = command_path(request.env);
  size_t begin = 0;
  while (begin <= path.size()) {
    size_t end = path.find(':', begin);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(begin, end - begin);
    std::string file = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (file[0] != '/' || access(file.c_str(), X_OK) == 0 || errno == EACCES) out.push_back(file);
    begin = end + 1;
  }
  return out;
}

}  // namespace

int check_cwd_and_find(const StartRequest& request, std::vector<std::string>* found, std::string* message) {
  // Checked here so the error names the cwd (a chdir failure at the exec would look like a missing program).
  struct stat st;
  int cwd_err = stat(request.cwd.c_str(), &st) != 0 ? errno : (S_ISDIR(st.st_mode) ? 0 : ENOTDIR);
  if (cwd_err != 0) {
    *message = "cannot use the working directory " + request.cwd + ": " + strerror(cwd_err);
    return cwd_err;
  }
  *found = candidates(request);
  if (found->empty()) {
    *message = exec_error_message(request.argv[0], ENOENT);
    return ENOENT;
  }
  return 0;
}

std::string exec_failure_message(const std::string& program, int err) {
  // What the launcher's inner stage says for the same failures (native/launcher/exec_program.cc).
  struct stat st;
  if (err == EACCES && program.find('/') != std::string::npos && stat(program.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) err = EISDIR;
  return exec_error_message(program, err);
}

int spawn_program(const StartRequest& request, const int stdio[3], pid_t* pid_out, std::string* message) {
  std::vector<std::string> found;
  int err = check_cwd_and_find(request, &found, message);
  if (err != 0) return err;
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  err = posix_spawn_file_actions_init(&actions);
  if (err != 0) {
    *message = std::string("posix_spawn_file_actions_init: ") + strerror(err);
    return err;
  }
  err = posix_spawnattr_init(&attr);
  if (err != 0) {
    posix_spawn_file_actions_destroy(&actions);
    *message = std::string("posix_spawnattr_init: ") + strerror(err);
    return err;
  }
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  // Own process group (pgid = pid): SIGNAL frames and the kill after its exit reach the command and
  // its background jobs, never the supervisor or another command (setpgid(2)). Signal dispositions
  // reset and mask emptied: the supervisor ignores SIGPIPE and blocks SIGCHLD, which exec would keep.
  if ((err = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)) != 0 ||
      (err = posix_spawnattr_setpgroup(&attr, 0)) != 0 || (err = posix_spawnattr_setsigdefault(&attr, &all)) != 0 ||
      (err = posix_spawnattr_setsigmask(&attr, &none)) != 0 ||
      (err = posix_spawn_file_actions_adddup2(&actions, stdio[0], 0)) != 0 ||
      (err = posix_spawn_file_actions_adddup2(&actions, stdio[1], 1)) != 0 ||
      (err = posix_spawn_file_actions_adddup2(&actions, stdio[2], 2)) != 0 ||
      (err = posix_spawn_file_actions_addchdir_np(&actions, request.cwd.c_str())) != 0) {
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    *message = std::string("posix_spawn set-up: ") + strerror(err);
    return err;
  }
  std::vector<char*> argv;
  for (const std::string& a : request.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : request.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  int result = ENOENT;
  bool denied = false;
  for (const std::string& file : found) {
    result = posix_spawn(&pid, file.c_str(), &actions, &attr, argv.data(), envp.data());
    if (result == 0) break;
    if (result == EACCES) denied = true;
    // execvp(3): keep searching past a directory that lacks it or is unusable.
    if (request.argv[0].find('/') != std::string::npos || (result != ENOENT && result != ENOTDIR && result != EACCES)) break;
  }
  if (result != 0 && denied && (result == ENOENT || result == ENOTDIR)) result = EACCES;
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (result != 0) {
    *message = exec_failure_message(request.argv[0], result);
    return result;
  }
  *pid_out = pid;
  return 0;
}

std::string exec_error_message(const std::string& program, int err) {
  std::string message = program + ": " + strerror(err);
  if (err == E2BIG) {
    message += " (the kernel's execve(2) limits: one argument or variable at most MAX_ARG_STRLEN, 128 KiB with 4 KiB "
               "pages; arguments and environment together at most ARG_MAX, a quarter of the stack limit); pass large "
               "data through a file or stdin";
  }
  return message;
}

int make_stdio_pipes(int fds[3][2], std::string* message) {
  for (int i = 0; i < 3; ++i) {
    // O_CLOEXEC: one command's pipe ends never leak into another command.
    if (pipe2(fds[i], O_CLOEXEC) < 0) {
      int err = errno;
      *message = std::string("pipe2: ") + strerror(err);
      for (int j = 0; j < i; ++j) {
        close(fds[j][0]);
        close(fds[j][1]);
      }
      return err;
    }
  }
  return 0;
}

int adopt_stdio_pipes(int fds[3][2], pid_t pid, SpawnedCommand* out, std::string* message) {
  close(fds[0][0]);
  close(fds[1][1]);
  close(fds[2][1]);
  out->pid = pid;
  out->stdin_fd = fds[0][1];
  out->stdout_fd = fds[1][0];
  out->stderr_fd = fds[2][0];
  int nb = set_nonblocking(out->stdin_fd);
  if (nb == 0) nb = set_nonblocking(out->stdout_fd);
  if (nb == 0) nb = set_nonblocking(out->stderr_fd);
  if (nb != 0) {
    // Already started: the caller still tracks and reaps it; the error is reported as data.
    *message = std::string("fcntl(O_NONBLOCK): ") + strerror(nb);
  }
  return 0;
}

int spawn_command(const StartRequest& request, SpawnedCommand* out, std::string* message) {
  Pipes pipes;
  int err = make_stdio_pipes(pipes.fds, message);
  if (err != 0) return err;
  const int stdio[3] = {pipes.fds[0][0], pipes.fds[1][1], pipes.fds[2][1]};
  pid_t pid = -1;
  err = spawn_program(request, stdio, &pid, message);
  if (err != 0) return err;
  adopt_stdio_pipes(pipes.fds, pid, out, message);
  for (auto& p : pipes.fds) p[0] = p[1] = -1;
  return 0;
}

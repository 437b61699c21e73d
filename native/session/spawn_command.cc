#include "spawn_command.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

namespace {

// One F_SETFL, no F_GETFL first: a fresh pipe end's only status flag is its access mode, which F_SETFL
// ignores (fcntl(2)), so O_NONBLOCK alone is what `flags | O_NONBLOCK` was. The command's ends stay blocking.
int set_nonblocking(int fd) {
  return fcntl(fd, F_SETFL, O_NONBLOCK) < 0 ? errno : 0;
}

// PATH as the command's own environment gives it (execvp(3)'s default when it has none).
std::string command_path(const std::vector<std::string>& env) {
  for (const std::string& e : env) {
    if (e.compare(0, 5, "PATH=") == 0) return e.substr(5);
  }
  return "/usr/local/bin:/usr/bin:/bin";
}

// The candidates execvp(3) would try, in order; absolute directories are pre-checked with access(2)
// so a typical PATH costs one exec attempt, not one per directory. Only up to the first executable
// one: the directories after it are listed unchecked (the init tries them only if that exec fails,
// and skips a missing file as execvp does), one access(2) fewer per directory left.
std::vector<std::string> candidates(const StartRequest& request) {
  const std::string& name = request.argv[0];
  if (name.find('/') != std::string::npos) return {name};
  std::vector<std::string> out;
  std::string path = command_path(request.env);
  bool found = false;
  size_t begin = 0;
  while (begin <= path.size()) {
    size_t end = path.find(':', begin);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(begin, end - begin);
    std::string file = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (found || file[0] != '/') {
      out.push_back(file);
    } else if (access(file.c_str(), X_OK) == 0) {
      out.push_back(file);
      found = true;
    } else if (errno == EACCES) {
      out.push_back(file);
    }
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

std::string exec_error_message(const std::string& program, int err) {
  std::string message = program + ": " + strerror(err);
  if (err == E2BIG) {
    message += " (the kernel's execve(2) limits: one argument or variable at most MAX_ARG_STRLEN, 128 KiB with 4 KiB "
               "pages; arguments and environment together at most ARG_MAX, a quarter of the stack limit); pass large "
               "data through a file or stdin";
  }
  return message;
}

int make_stdio_pipes(int fds[3][2], bool stdin_pipe, std::string* message) {
  fds[0][0] = fds[0][1] = -1;
  for (int i = stdin_pipe ? 0 : 1; i < 3; ++i) {
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
  if (fds[0][0] >= 0) close(fds[0][0]);
  close(fds[1][1]);
  close(fds[2][1]);
  out->pid = pid;
  out->stdin_fd = fds[0][1];
  out->stdout_fd = fds[1][0];
  out->stderr_fd = fds[2][0];
  int nb = out->stdin_fd >= 0 ? set_nonblocking(out->stdin_fd) : 0;
  if (nb == 0) nb = set_nonblocking(out->stdout_fd);
  if (nb == 0) nb = set_nonblocking(out->stderr_fd);
  if (nb != 0) {
    // Already started: the caller still tracks and reaps it; the error is reported as data.
    *message = std::string("fcntl(O_NONBLOCK): ") + strerror(nb);
  }
  return 0;
}

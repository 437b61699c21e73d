#include "inner.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exec_program.h"
#include "fail.h"
#include "fds.h"
#include "options.h"
#include "pin.h"

namespace {

void require_no_capabilities() {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, data) < 0) die_errno("capget", nullptr, errno);
  // A command holding capabilities inside the user namespace could undo the sandbox's mounts
  // (umount, remount rw) or create new namespaces with a fresh root.
  for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; ++i) {
    if (data[i].effective != 0 || data[i].permitted != 0) {
      die_msg("retained capabilities: the inner stage has effective or permitted capabilities "
              "(bubblewrap must run with --cap-drop ALL); refusing to run the command");
    }
  }
}

// Tells the outer launcher the sandbox is set up: from here on, bwrap's exit status is the
// command's. A launcher that is already gone (read end closed) means nobody supervises this
// sandbox any more, so the command must not start: the write fails (EPIPE, or SIGPIPE kills us).
void report_started(int fd) {
  const char byte = 1;
  ssize_t n;
  do {
    n = write(fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) die_errno("reporting the start to the launcher through --started-fd:", "write", n < 0 ? errno : EIO);
}

}  // namespace

void run_inner(int count, char** args) {
  InnerOptions options;
  parse_inner_options(count, args, &options);
  require_no_capabilities();
  for (const ExpectedMount& m : options.expected) verify_planned_mount(m.path, m.rw, m.dev, m.ino);
  if (options.started_fd >= 0) report_started(options.started_fd);
  // The started pipe's write end, and any fd bwrap or a caller let through, must not reach the
  // command: a leaked fd is a channel out of the sandbox.
  close_fds_from(3);
  char* program = options.command[0];
  if (options.argv0 != nullptr) options.command[0] = const_cast<char*>(options.argv0);
  exec_command_or_exit(program, options.command.data());
}

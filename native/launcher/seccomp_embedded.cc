#include "seccomp_embedded.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp_bpf.h"

namespace {

struct Program {
  const unsigned char* bytes;
  size_t size;
};

Program program_for(CodexSeccompMode mode) {
  const bool userns = (mode & CODEX_SECCOMP_ALLOW_USERNS) != 0;
  if ((mode & CODEX_SECCOMP_PROXY) != 0) {
    return userns ? Program{kSeccompBpf_proxy_userns, sizeof kSeccompBpf_proxy_userns}
                  : Program{kSeccompBpf_proxy, sizeof kSeccompBpf_proxy};
  }
  if ((mode & CODEX_SECCOMP_RESTRICTED) != 0) {
    return userns ? Program{kSeccompBpf_restricted_userns, sizeof kSeccompBpf_restricted_userns}
                  : Program{kSeccompBpf_restricted, sizeof kSeccompBpf_restricted};
  }
  return userns ? Program{kSeccompBpf_base_userns, sizeof kSeccompBpf_base_userns}
                : Program{kSeccompBpf_base, sizeof kSeccompBpf_base};
}

}  // namespace

int seccomp_program_memfd(CodexSeccompMode mode, const char** failed_call) {
  const Program p = program_for(mode);
  const int fd = memfd_create("codex-sandbox-seccomp", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    *failed_call = "memfd_create";
    return -errno;
  }
  size_t done = 0;
  while (done < p.size) {
    const ssize_t n = write(fd, p.bytes + done, p.size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      *failed_call = "write";
      close(fd);
      return -err;
    }
    done += static_cast<size_t>(n);
  }
  if (lseek(fd, 0, SEEK_SET) < 0) {
    const int err = errno;
    *failed_call = "lseek";
    close(fd);
    return -err;
  }
  codex_seal_program_memfd(fd);
  return fd;
}

int seccomp_program_install(CodexSeccompMode mode, const char** failed_call) {
  const Program p = program_for(mode);
  struct sock_fprog prog;
  prog.len = static_cast<unsigned short>(p.size / sizeof(struct sock_filter));
  prog.filter = reinterpret_cast<struct sock_filter*>(const_cast<unsigned char*>(p.bytes));
  // seccomp(2) SECCOMP_SET_MODE_FILTER with no flags: what libseccomp's seccomp_load does for a
  // filter without TSYNC/LOG attributes.
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
    *failed_call = "seccomp(SECCOMP_SET_MODE_FILTER)";
    return -errno;
  }
  return 0;
}

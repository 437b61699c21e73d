#include "seccomp_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif

int codex_seccomp_parse_mode(const char* name, CodexSeccompMode* out) {
  static const char kUserns[] = "+userns";
  size_t len = strlen(name);
  int flags = 0;
  if (len >= sizeof kUserns - 1 && strcmp(name + len - (sizeof kUserns - 1), kUserns) == 0) {
    flags |= CODEX_SECCOMP_ALLOW_USERNS;
    len -= sizeof kUserns - 1;
  }
  if (len == 4 && strncmp(name, "base", len) == 0) {
    *out = static_cast<CodexSeccompMode>(flags | CODEX_SECCOMP_BASE);
    return 0;
  }
  if (len == 5 && strncmp(name, "proxy", len) == 0) {
    *out = static_cast<CodexSeccompMode>(flags | CODEX_SECCOMP_PROXY);
    return 0;
  }
  if (len == 10 && strncmp(name, "restricted", len) == 0) {
    *out = static_cast<CodexSeccompMode>(flags | CODEX_SECCOMP_RESTRICTED);
    return 0;
  }
  return -1;
}

namespace {

const uint32_t kDeny = SCMP_ACT_ERRNO(EPERM);

int deny(scmp_filter_ctx ctx, int nr, const char** failed_call) {
  int rc = seccomp_rule_add(ctx, kDeny, nr, 0);
  if (rc < 0) *failed_call = "seccomp_rule_add";
  return rc;
}

// Denies `nr` (socket/socketpair) whenever the low 32 bits of arg0 (the domain, an `int` in the
// kernel) differ from AF_UNIX. libseccomp 2.5 compares 64-bit values, so a plain NE would also
// match garbage in the upper half; this spells "low32 != AF_UNIX" as an OR of single-bit
// SCMP_CMP_MASKED_EQ tests that together differ from AF_UNIX's bit pattern:
// bit 0 clear, or any of bits 1..31 set.
int deny_unless_af_unix(scmp_filter_ctx ctx, int nr, const char** failed_call) {
  for (int bit = 0; bit < 32; ++bit) {
    const scmp_datum_t mask = static_cast<scmp_datum_t>(1) << bit;
    const scmp_datum_t want_bit = (static_cast<scmp_datum_t>(AF_UNIX) & mask) ? 0 : mask;
    int rc = seccomp_rule_add(ctx, kDeny, nr, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, mask, want_bit));
    if (rc < 0) {
      *failed_call = "seccomp_rule_add";
      return rc;
    }
  }
  return 0;
}

// Denies socket() whenever the low 32 bits of the domain are neither AF_INET (2) nor AF_INET6 (10),
// spelled as in deny_unless_af_unix: any bit but bits 1 and 3 set, or bit 1 clear (2 and 10 are the
// only values with bit 1 set and nothing outside bits 1 and 3).
int deny_unless_inet(scmp_filter_ctx ctx, int nr, const char** failed_call) {
  static_assert(AF_INET == 2 && AF_INET6 == 10, "AF_INET/AF_INET6 values assumed by the bit tests");
  for (int bit = 0; bit < 32; ++bit) {
    const scmp_datum_t mask = static_cast<scmp_datum_t>(1) << bit;
    const scmp_datum_t want = bit == 1 ? 0 : mask;  // bit 1 clear, or another bit (not 3) set
    if (bit == 3) continue;
    int rc = seccomp_rule_add(ctx, kDeny, nr, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, mask, want));
    if (rc < 0) {
      *failed_call = "seccomp_rule_add";
      return rc;
    }
  }
  return 0;
}

// Denies `nr` (socket/socketpair) for AF_UNIX sockets of every type but SOCK_STREAM and
// SOCK_SEQPACKET: the type argument's low 4 bits (SOCK_TYPE_MASK; the kernel refuses other bits but
// SOCK_NONBLOCK/SOCK_CLOEXEC) compared one value at a time. A datagram socket can sendmsg() to any
// host unix socket by putting its address in msg_name, which seccomp cannot read (a pointer);
// AF_UNIX SOCK_RAW is a datagram socket too (net/unix/af_unix.c: unix_create). On stream and
// seqpacket sockets the kernel refuses or ignores a destination address (unix_stream_sendmsg,
// unix_seqpacket_sendmsg), and connect() is denied.
int deny_unix_datagram(scmp_filter_ctx ctx, int nr, const char** failed_call) {
  for (scmp_datum_t type = 0; type <= 0xf; ++type) {
    if (type == SOCK_STREAM || type == SOCK_SEQPACKET) continue;
    int rc = seccomp_rule_add(ctx, kDeny, nr, 2, SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, AF_UNIX),
                              SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, type));
    if (rc < 0) {
      *failed_call = "seccomp_rule_add";
      return rc;
    }
  }
  return 0;
}

}  // namespace

int codex_seccomp_build(CodexSeccompMode mode, scmp_filter_ctx* out, const char** failed_call) {
  *out = nullptr;
  // Default ALLOW: the filter is a deny-list layered on bwrap's namespaces, not a full policy.
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr) {
    *failed_call = "seccomp_init";
    return -ENOMEM;
  }
  int rc = 0;
  // Only the native arch is added. A syscall made through another ABI (i386 int 0x80, x32's
  // 0x40000000 numbers) would dodge every rule below, so the bad-arch action kills the process.
  rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  if (rc < 0) {
    *failed_call = "seccomp_attr_set(SCMP_FLTATR_ACT_BADARCH)";
    seccomp_release(ctx);
    return rc;
  }
  // Binary-tree dispatch keeps the per-syscall cost logarithmic in the rule count.
  if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0) {
    // Older libseccomp without the optimiser: the linear filter is equally correct.
  }

  // ptrace: attach to and rewrite other processes running as the same uid (e.g. a sibling
  // sandbox's helper or, without a pid namespace, the user's own shell).
  if ((rc = deny(ctx, SCMP_SYS(ptrace), failed_call)) < 0) goto fail;
  // process_vm_readv/writev: read or write another same-uid process's memory without ptrace.
  if ((rc = deny(ctx, SCMP_SYS(process_vm_readv), failed_call)) < 0) goto fail;
  if ((rc = deny(ctx, SCMP_SYS(process_vm_writev), failed_call)) < 0) goto fail;
  // io_uring: its opcodes (IORING_OP_SOCKET, CONNECT, OPENAT, ...) run syscalls the filter never
  // sees, so one ring would bypass every rule here.
  if ((rc = deny(ctx, SCMP_SYS(io_uring_setup), failed_call)) < 0) goto fail;
  if ((rc = deny(ctx, SCMP_SYS(io_uring_enter), failed_call)) < 0) goto fail;
  if ((rc = deny(ctx, SCMP_SYS(io_uring_register), failed_call)) < 0) goto fail;
  // The kernel keyring is not namespaced: keyctl/add_key/request_key would read or fill the caller's
  // session and user keyrings (Docker's default seccomp profile, moby profiles/seccomp/default.json,
  // denies the same three).
  if ((rc = deny(ctx, SCMP_SYS(keyctl), failed_call)) < 0) goto fail;
  if ((rc = deny(ctx, SCMP_SYS(add_key), failed_call)) < 0) goto fail;
  if ((rc = deny(ctx, SCMP_SYS(request_key), failed_call)) < 0) goto fail;

  if ((mode & CODEX_SECCOMP_ALLOW_USERNS) == 0) {
    // A new user namespace gives the command a full capability set over fresh mount/net/...
    // namespaces and opens the kernel's userns-only attack surface (e.g. CVE-2022-0185,
    // CVE-2023-32233). Docker's default profile denies clone/unshare with CLONE_NEWUSER the same way.
    rc = seccomp_rule_add(ctx, kDeny, SCMP_SYS(unshare), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
    if (rc >= 0) {
      rc = seccomp_rule_add(ctx, kDeny, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
    }
    // clone3 passes its flags in a struct seccomp cannot read: ENOSYS makes glibc fall back to
    // clone(), whose flags the rule above sees (as Docker's default profile does).
    if (rc >= 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    if (rc < 0) {
      *failed_call = "seccomp_rule_add";
      goto fail;
    }
  }

  if ((mode & CODEX_SECCOMP_RESTRICTED) != 0) {
    // Network set. Denying these for every family (AF_UNIX included) is what makes host unix
    // sockets (docker.sock, ssh-agent, D-Bus, ...) visible through the filesystem unreachable:
    // without connect() a socket path is just a name. socketpair() + sendmsg/recvmsg/recvfrom
    // stay allowed so in-sandbox IPC (multiprocessing, make jobservers) keeps working.
    //
    // Allowed, unlike Codex: shutdown, getsockopt, setsockopt, getsockname, getpeername. With
    // socket() limited to AF_UNIX, no inherited socket but stdio, and connect/accept denied, the
    // only sockets in here are socketpairs and stdio; these calls reach no new peer through them.
    // Denying them broke honest tools: Node's spawnSync/execSync (libuv shuts down the child's
    // stdin socketpair) reported EPERM after a successful child (openai/codex#41175), and
    // Chromium's crash handler aborts when setsockopt(SO_PASSCRED) fails (openai/codex#47452).
    static const int kNetworkCalls[] = {
        SCMP_SYS(connect),     // reach a server (TCP/UDP peer, host unix socket)
        SCMP_SYS(accept),      // serve connections on an inherited listening socket
        SCMP_SYS(accept4),
        SCMP_SYS(bind),        // listen on a port / create a unix socket server on the host fs
        SCMP_SYS(listen),
        // a msghdr address per message (datagrams to host unix sockets), which seccomp cannot read
        SCMP_SYS(sendmmsg),
        SCMP_SYS(recvmmsg),
    };
    for (int nr : kNetworkCalls) {
      if ((rc = deny(ctx, nr, failed_call)) < 0) goto fail;
    }
    // sendto() with a destination address: a datagram to a host unix socket (/dev/log, journald,
    // a dgram service) needs no connect(). glibc's send() is sendto(fd, buf, len, flags, NULL, 0),
    // so the NULL-address form stays allowed: it only reaches an already-connected peer such as
    // the other end of a socketpair (inherited sockets are closed by the launcher).
    rc = seccomp_rule_add(ctx, kDeny, SCMP_SYS(sendto), 1, SCMP_A4(SCMP_CMP_NE, 0));
    if (rc < 0) {
      *failed_call = "seccomp_rule_add";
      goto fail;
    }
    // socket()/socketpair() of any family but AF_UNIX: inet/inet6 egress, netlink (routing and
    // audit control), packet/raw sockets, vsock to the hypervisor, ...
    if ((rc = deny_unless_af_unix(ctx, SCMP_SYS(socket), failed_call)) < 0) goto fail;
    if ((rc = deny_unless_af_unix(ctx, SCMP_SYS(socketpair), failed_call)) < 0) goto fail;
    if ((rc = deny_unix_datagram(ctx, SCMP_SYS(socket), failed_call)) < 0) goto fail;
    if ((rc = deny_unix_datagram(ctx, SCMP_SYS(socketpair), failed_call)) < 0) goto fail;
  }
  if ((mode & CODEX_SECCOMP_PROXY) != 0) {
    // Proxy-routed network (Codex linux-sandbox ProxyRouted mode, codex-sandboxing.md §4.11): the
    // network namespace has only loopback, where the launcher's bridge forwards to the filtering
    // proxy. socket() is limited to AF_INET/AF_INET6, so no new unix socket can reach a host socket
    // path (docker.sock, ssh-agent, the proxy's own socket), and netlink/packet/vsock are refused;
    // socketpair() stays (AF_UNIX stream/seqpacket only) for in-sandbox IPC.
    if ((rc = deny_unless_inet(ctx, SCMP_SYS(socket), failed_call)) < 0) goto fail;
    if ((rc = deny_unless_af_unix(ctx, SCMP_SYS(socketpair), failed_call)) < 0) goto fail;
    if ((rc = deny_unix_datagram(ctx, SCMP_SYS(socketpair), failed_call)) < 0) goto fail;
  }
  *out = ctx;
  return 0;

fail:
  seccomp_release(ctx);
  return rc;
}

int codex_seccomp_export_memfd(CodexSeccompMode mode, const char** failed_call) {
  scmp_filter_ctx ctx = nullptr;
  int rc = codex_seccomp_build(mode, &ctx, failed_call);
  if (rc < 0) return rc;
  int fd = memfd_create("codex-sandbox-seccomp", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    rc = -errno;
    *failed_call = "memfd_create";
    seccomp_release(ctx);
    return rc;
  }
  rc = seccomp_export_bpf(ctx, fd);
  seccomp_release(ctx);
  if (rc < 0) {
    *failed_call = "seccomp_export_bpf";
    close(fd);
    return rc;
  }
  if (lseek(fd, 0, SEEK_SET) < 0) {
    rc = -errno;
    *failed_call = "lseek";
    close(fd);
    return rc;
  }
  codex_seal_program_memfd(fd);
  return fd;
}

void codex_seal_program_memfd(int fd) {
  // Sealed so nothing holding the fd can rewrite the program between export and bwrap's read.
  // Sealing is best-effort: a kernel without memfd seals still gets a correct program.
  (void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
}

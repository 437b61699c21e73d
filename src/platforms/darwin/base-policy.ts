/**
 * Fixed SBPL sections of the Seatbelt policy. These never contain caller-supplied text: every
 * caller path reaches sandbox-exec as a `-D NAME=VALUE` parameter (see policy.ts).
 *
 * Content follows the shape of Codex's Seatbelt base policy
 * (codex-rs/sandboxing/src/seatbelt_base_policy.sbpl), written here in our
 * own words and kept short: sandbox-exec compiles the `-p` text on every launch, so each kilobyte
 * costs start-up time.
 */

/** Always present: deny by default, then what ordinary command-line tools need to start and run. */
export const BASE_POLICY = `(version 1)
(deny default)
; children inherit this policy; signals and process info only inside the same sandbox
(allow process-exec)
(allow process-fork)
(allow signal (target same-sandbox))
(allow process-info* (target same-sandbox))
; the host port's processor info: without it Node's os.cpus() is [] and npm, yarn and node-gyp lose
; their parallelism (Codex seatbelt_base_policy.sbpl allows mach-host* for libuv)
(allow mach-host*)
(allow file-write-data (require-all (literal "/dev/null") (vnode-type CHARACTER-DEVICE)))
; the command's own streams: /dev/stdin, /dev/stdout, /dev/stderr (links to /dev/fd/N) and /dev/fd/N
; duplicate a descriptor it already holds (fdesc(4): no new file is opened), /dev/tty is its controlling
; terminal; without this \`echo x >/dev/stderr\` fails in every profile (Codex seatbelt_base_policy.sbpl
; allows /dev/null only; the :minimal defaults already had /dev/tty and /dev/fd). No file-ioctl on
; /dev/tty: TIOCSTI would type into the caller's shell (CVE-2017-5226 class).
(allow file-read* file-write-data
 (literal "/dev/stdin") (literal "/dev/stdout") (literal "/dev/stderr") (literal "/dev/tty") (subpath "/dev/fd"))
; read-only system facts that runtimes (libc, Python, Java, Node) query at start-up
(allow sysctl-read
 (sysctl-name "hw.activecpu") (sysctl-name "hw.busfrequency_compat") (sysctl-name "hw.byteorder")
 (sysctl-name "hw.cacheconfig") (sysctl-name "hw.cachelinesize_compat") (sysctl-name "hw.cpufamily")
 (sysctl-name "hw.cpufrequency") (sysctl-name "hw.cpufrequency_compat") (sysctl-name "hw.cputype")
 (sysctl-name "hw.l1dcachesize_compat") (sysctl-name "hw.l1icachesize_compat")
 (sysctl-name "hw.l2cachesize_compat") (sysctl-name "hw.l3cachesize_compat")
 (sysctl-name "hw.logicalcpu") (sysctl-name "hw.logicalcpu_max") (sysctl-name "hw.machine")
 (sysctl-name "hw.memsize") (sysctl-name "hw.model") (sysctl-name "hw.ncpu") (sysctl-name "hw.nperflevels")
 (sysctl-name "hw.packages") (sysctl-name "hw.pagesize") (sysctl-name "hw.pagesize_compat")
 (sysctl-name "hw.physicalcpu") (sysctl-name "hw.physicalcpu_max") (sysctl-name "hw.tbfrequency_compat")
 (sysctl-name "hw.vectorunit") (sysctl-name "machdep.cpu.brand_string")
 (sysctl-name "kern.argmax") (sysctl-name "kern.hostname") (sysctl-name "kern.maxfilesperproc")
 (sysctl-name "kern.maxproc") (sysctl-name "kern.osproductversion") (sysctl-name "kern.osrelease")
 (sysctl-name "kern.ostype") (sysctl-name "kern.osvariant_status") (sysctl-name "kern.osversion")
 (sysctl-name "kern.secure_kernel") (sysctl-name "kern.sysv.semmns") (sysctl-name "kern.usrstack64") (sysctl-name "kern.version")
 (sysctl-name "sysctl.proc_cputype") (sysctl-name "vm.loadavg")
 (sysctl-name-prefix "hw.optional.arm.") (sysctl-name-prefix "hw.optional.armv8_")
 (sysctl-name-prefix "hw.perflevel") (sysctl-name-prefix "kern.proc.pgrp.")
 (sysctl-name-prefix "kern.proc.pid.") (sysctl-name-prefix "net.routetable."))
; the JVM reads its CPU type through a sysctl write call
(allow sysctl-write (sysctl-name "kern.grade_cputype"))
(allow iokit-open (iokit-registry-entry-class "RootDomainUserClient"))
; user and group lookups (getpwuid), power assertions
(allow mach-lookup (global-name "com.apple.system.opendirectoryd.libinfo") (global-name "com.apple.PowerManagement.control"))
; POSIX semaphores (Python multiprocessing) and the OpenMP runtime registry
(allow ipc-posix-sem)
(allow ipc-posix-shm-read-data ipc-posix-shm-write-create ipc-posix-shm-write-unlink
 (ipc-posix-name-regex #"^/__KMP_REGISTERED_LIB_[0-9]+$"))
; pseudo-terminals: new ones carry the pty extension; older slave ttys only get ioctl
(allow pseudo-tty)
(allow file-read* file-write* file-ioctl (literal "/dev/ptmx"))
(allow file-read* file-write* (require-all (regex #"^/dev/ttys[0-9]+$") (extension "com.apple.sandbox.pty")))
(allow file-ioctl (regex #"^/dev/ttys[0-9]+$"))`;

/**
 * Network enabled: the Unix-domain sockets the command may connect to (after NETWORK_ENABLED_POLICY,
 * whose `(allow network-outbound)` also covers every socket file on the disk). Without this, a
 * command with the network on drives the Docker daemon (`docker.sock` is root on the VM and every
 * mounted host path), signs with the caller's ssh-agent or gpg-agent. Rules (Seatbelt applies the last
 * match): no socket file at all, then the command's own sockets (under its writable roots, passed in
 * as \`roots\`) and the system DNS resolver, then the agents and container engines again, wherever they
 * live (launchd's SSH_AUTH_SOCK is under /private/tmp, \`ssh-agent\`'s under $TMPDIR, both writable roots
 * in workspace-write). Codex likewise only allows listed Unix sockets (seatbelt.rs
 * \`UNIX_SOCKET_PATH_i\`, \`create_seatbelt_args_allowlists_unix_socket_paths\`). The path filters match
 * the socket's resolved path, so a symlink to docker.sock inside a writable root does not help.
 */
export function unixSocketPolicy(roots: string[], extraDenied: string[]): string {
  const allow = ['(literal "/private/var/run/mDNSResponder")', ...roots.map((r) => `(subpath ${r})`)];
  const deny = [
    '(regex #"/[^/]*([dD]ocker|[pP]odman|containerd|buildkit|colima|orbstack|lima)[^/]*[.]sock$")',
    '(regex #"^/private/tmp/com[.]apple[.]launchd[.][^/]+/Listeners$")',
    '(regex #"/ssh-[^/]+/agent[.][0-9]+$")',
    '(regex #"/S[.](gpg|ssh)-agent[^/]*$")',
    '(regex #"/[^/]*agent[^/]*[.]sock$")',
    ...extraDenied.map((d) => `(literal ${d})`),
  ];
  return `; Unix-domain sockets: only the command's own (under its writable roots) and the DNS resolver; never
; container engines or ssh/gpg agents
(deny network-outbound (subpath "/"))
(allow network-outbound\n ${allow.join('\n ')})
(deny network-outbound\n ${deny.join('\n ')})`;
}

/** Only with full-disk read: reading user preferences through cfprefsd (Codex seatbelt_preferences_policy.sbpl). */
export const PREFERENCES_POLICY = `; user preferences (read only)
(allow ipc-posix-shm-read* (ipc-posix-name-prefix "apple.cfprefs."))
(allow mach-lookup (global-name "com.apple.cfprefsd.daemon") (global-name "com.apple.cfprefsd.agent") (local-name "com.apple.cfprefsd.agent"))
(allow user-preference-read)`;

/**
 * Network enabled: any socket traffic plus the system services that resolve names and check TLS
 * (Codex `seatbelt_network_policy.sbpl`). Two additions to Codex's full-network rules: `network-bind`
 * (dev servers and tests listen on localhost; Codex only grants it with its local-binding option)
 * and `com.apple.dnssd.service` (name resolution through mDNSResponder, as Chromium's network.sb).
 */
export const NETWORK_ENABLED_POLICY = `; network enabled
(allow network-outbound)
(allow network-inbound)
(allow network-bind)
(allow system-socket (require-all (socket-domain AF_SYSTEM) (socket-protocol 2)))
(allow mach-lookup
 (global-name "com.apple.bsd.dirhelper") (global-name "com.apple.system.opendirectoryd.membership")
 (global-name "com.apple.SecurityServer") (global-name "com.apple.networkd") (global-name "com.apple.ocspd")
 (global-name "com.apple.trustd.agent") (global-name "com.apple.dnssd.service")
 (global-name "com.apple.SystemConfiguration.DNSConfiguration") (global-name "com.apple.SystemConfiguration.configd"))`;

/**
 * `:minimal` readable without full-disk read: the system locations a dynamically linked program
 * needs to load and run (Codex `seatbelt_read_only_platform_defaults.sbpl` and
 * `restricted_platform_runtime_defaults.sbpl`). Differences from Codex, each on purpose:
 * - Read only: no scratch writes to /tmp (Codex issue #32395: they made a read-only profile
 *   writable), so a read-only profile stays read-only; writable temp dirs come from `:tmpdir` /
 *   `:slash_tmp` entries.
 * - Only /private spellings (no `/etc`, `/tmp`, `/var/db` subpaths): Seatbelt compares resolved
 *   paths, so the /etc spelling only matters for lstat of the link itself (the literals below).
 * - `/System/Library` as one subpath instead of Codex's list of framework directories (all on the
 *   sealed, read-only system volume). Never `(subpath "/System")`: /System/Volumes/Data is the
 *   firmlinked data volume, so that rule would expose every user file under a second spelling.
 * - `/Library/Frameworks` added (python.org and Mono frameworks that programs link against).
 * - `/Library/Developer/CommandLineTools` added: /usr/bin/git, clang, python3 and make are xcrun
 *   shims that exec the real tool (and its dylibs, Python3.framework) from the Command Line Tools
 *   (or /Applications/Xcode.app, already readable) that /private/var/db/xcode_select_link names.
 * - Left out: GUI and app services (audio, analytics, runningboard, espd, app sleep, XPC
 *   activity), NetFS plugins, and the syslog socket (log calls fail silently; keeps "no socket
 *   connects while the network is denied" true).
 */
export const PLATFORM_DEFAULTS_POLICY = `; platform defaults for :minimal
(allow file-read* file-test-existence file-map-executable
 (subpath "/System/Library") (subpath "/System/iOSSupport") (subpath "/usr/lib") (subpath "/Library/Apple") (subpath "/Library/Frameworks")
 (subpath "/Library/Developer/CommandLineTools")
 (subpath "/bin") (subpath "/sbin") (subpath "/usr/bin") (subpath "/usr/sbin") (subpath "/usr/libexec")
 (subpath "/usr/share") (subpath "/usr/local/lib") (subpath "/opt/homebrew/lib"))
; /private/var/db: time zones, user records (DarwinDirectory, macOS 15), eligibility, xcode-select
(allow file-read* file-test-existence
 (literal "/") (subpath "/private/etc") (subpath "/Library/Preferences") (subpath "/Applications") (subpath "/private/var/db")
 (literal "/dev/random") (literal "/dev/urandom") (literal "/dev/autofs_nowait"))
(allow file-read-metadata file-test-existence (literal "/etc") (literal "/tmp") (literal "/var") (subpath "/dev")
 (subpath "/private/var") (path-ancestors "/System/Volumes/Data/private") (literal "/System/Volumes/Data/Users"))
(allow file-read* file-write-data (literal "/dev/null") (literal "/dev/zero") (literal "/dev/dtracehelper"))
(allow file-ioctl (literal "/dev/dtracehelper"))
; guarded vnodes, the sandbox's own container check, chflags via fsctl
(allow system-mac-syscall (mac-policy-name "vnguard") (require-all (mac-policy-name "Sandbox") (mac-syscall-number 67)))
(allow system-fsctl (fsctl-command FSIOC_CAS_BSDFLAGS))
; user/group records, temp-dir lookup, notifications, logging, certificate trust
(allow mach-lookup
 (global-name "com.apple.bsd.dirhelper") (global-name "com.apple.system.DirectoryService.libinfo_v1")
 (global-name "com.apple.system.opendirectoryd.membership") (global-name "com.apple.system.notification_center")
 (global-name "com.apple.system.logger") (global-name "com.apple.logd") (global-name "com.apple.diagnosticd")
 (global-name "com.apple.secinitd") (global-name "com.apple.trustd") (global-name "com.apple.trustd.agent"))
(allow ipc-posix-shm-read* (ipc-posix-name "apple.shm.notification_center"))`;

/**
 * The Linux planner: resolved permissions + host facts → a LaunchRequest for the native launcher,
 * which execs bubblewrap with the argv built by `buildBwrapArgs` (the one function that holds the
 * Linux mount plan). Pure: the filesystem is only looked at through `facts.fs`.
 */
import { posix as path } from 'node:path';
import { PlanError } from '../../contracts/index.js';
import type { ArgvItem, GitProtection, HostFacts, LaunchRequest, LinuxNativePlan, PlanInput, Planner } from '../../contracts/index.js';
import type { FsEntryStat, FsInspector } from '../../permissions/fs-facts.js';
import { globStaticPrefix } from '../../permissions/glob-syntax.js';
import { gitWritableLayout } from '../../permissions/git-layout.js';
import type { GitPlaceholder } from '../../permissions/git-layout.js';
import { PROTECTED_METADATA_NAMES } from '../../permissions/metadata.js';
import type { NetworkPolicy, ResolvedFileSystem } from '../../permissions/resolved.js';
import { toArgvItem } from '../../util/surrogate-escape.js';
import { proxyEnv } from '../../env/index.js';
import { DEFAULT_GLOB_SCAN_MAX_DEPTH, FIRST_DEVNULL_FD, INFO_FD, INNER_ARGV0, MAX_GLOB_MATCHES, SECCOMP_FD, STARTED_FD } from './fds.js';
import { limitEnforcementLines, planLimits } from './limits.js';
import { seccompModeFor } from './seccomp.js';
import { PathIndex, isWithin, pathDepth as depth } from './path-index.js';
import { procMaskPaths, resolveLimits } from '../../contracts/index.js';

/** bubblewrap's cap on its argument count (bubblewrap.c parse_args_recurse: MAX_ARGS). */
export const BWRAP_MAX_ARGS = 9000;
/** Past this many bwrap arguments the command moves to the environment (a margin below the cap). */
const BWRAP_ARGV_BUDGET = BWRAP_MAX_ARGS - 100;
/** An argument this long (bytes, upper bound) may be past the kernel's per-string limit: see viaEnv. */
const LONG_ARG_BYTES = 96 * 1024;

export { PROC_MASKED, PROC_READ_ONLY } from '../../contracts/index.js';

/** Read roots programs need when a profile asks for `:minimal` (Codex codex-rs/linux-sandbox/src/bwrap.rs `create_filesystem_args`). */
export const LINUX_PLATFORM_DEFAULT_READ_ROOTS = ['/bin', '/sbin', '/usr', '/etc', '/lib', '/lib64', '/nix/store', '/run/current-system/sw'];

export interface BwrapArgsInput {
  fs: ResolvedFileSystem;
  network: NetworkPolicy;
  cwd: string;
  command: ArgvItem[];
  facts: HostFacts;
  launcherPath: string;
  registryDir: string;
  argv0Supported: boolean;
  /** Add `--disable-userns` (the selected bwrap has it and nested user namespaces are not allowed). */
  disableUserns?: boolean;
  /** Symlinks the caller accepts in the path of a writable root or the cwd (`--allow-symlinked-root`). */
  allowSymlinkedRoots?: readonly string[];
  /** Bind writable roots through fds the launcher opens and checks (`--bind-fd`; needs bwrap support). */
  pinRoots?: boolean;
  /**
   * Let git write an existing `<root>/.git` except its protected names (GitMode `commit`): the path
   * of a trusted read-only file that reads "." (the `commondir` placeholder). Unset: `.git` is read-only.
   */
  gitCommondirSelf?: string;
  /** A file the command's Node programs load (`--require`): made readable (read-only) when the profile's reads miss it. */
  nodePreload?: string;
  /**
   * The session supervisor's plan (PlanInput.sessionSupervisor): bwrap keeps CAP_SYS_ADMIN for it, and
   * the /proc masks are left to it (it applies them in each command's own /proc; returned in `procMasks`).
   */
  sessionSupervisor?: boolean;
}



/** A writable root the launcher opens without following symlinks, checks against dev/ino, and places at fd. */
export interface PinnedRoot {
  fd: number;
  dev: string;
  ino: string;
  path: string;
}

/** A mount the inner stage checks before the command starts (`--expect-rw DEV:INO PATH`, `--expect-ro PATH`). */
export type ExpectedMount = { rw: true; path: string; dev: string; ino: string } | { rw: false; path: string };

/** A missing `<root>/.git` staged by the launcher (`--fresh-git STAGE_FD:ROOT_FD ROOT`, native/launcher/fresh_git.h). */
export interface FreshGitStage {
  stageFd: number;
  rootFd: number;
  root: string;
}

export interface BwrapArgs {
  args: string[];
  freshGit: FreshGitStage[];
  devNullFds: number[];
  syntheticTargets: string[];
  /** The /proc masks the session supervisor applies in each command's /proc (sessionSupervisor only). */
  procMasks: { readOnly: string[]; masked: string[] };
  pins: PinnedRoot[];
  /** Mounts inside writable roots whose destination a concurrent sandbox could have redirected. */
  expected: ExpectedMount[];
  git: GitProtection[];
  /** `nodePreload` is readable inside (false: a deny-read entry covers it, so it must not be required). */
  nodePreloadReadable: boolean;
}

export const planLinux: Planner = (input: PlanInput): LaunchRequest => {
  const { permissions, facts } = input;
  const linux = facts.linux;
  if (!linux) throw new PlanError('NoLinuxFacts', 'host facts for Linux are missing (facts.linux); cannot plan a Linux sandbox');
  const fs = permissions.fileSystem;
  const proxy = input.networkProxy;
  // Proxy-routed: bwrap, its namespace init, the inner stage and the command all run under the
  // proxy-routed filter (inet sockets only). The bridge to the proxy's unix socket runs outside the
  // sandbox (the launcher's forwarder, native/launcher/proxy_bridge.cc): under the base filter, the
  // init (same uid, dumpable) could be hijacked through /proc/1/mem to open host unix sockets.
  const seccomp = proxy ? 'proxy' : seccompModeFor(permissions.network);
  const allowUserns = input.allowNestedUserns === true;
  const seccompArg = seccompLauncherMode(seccomp, allowUserns);
  const limitsIn = input.limits ?? resolveLimits(undefined);

  // Full-disk write (or an external filesystem sandbox): no mount namespace is needed, but the
  // network policy and the always-denied syscalls are still enforced by seccomp in the launcher.
  if (fs.fullDiskWrite || fs.kind !== 'restricted') {
    if (proxy) throw new PlanError('ProxyUnsupported', 'a network allow list needs the bubblewrap sandbox (its own network namespace), which full-disk-write and external-sandbox profiles do not use; use a restricted filesystem profile such as workspace-write');
    const limits = planLimits(limitsIn, linux.limits, 'direct');
    const native: LinuxNativePlan = { platform: 'linux', limits: limits.plan };
    return {
      kind: 'linux-seccomp',
      program: linux.launcherPath,
      argv: ['--seccomp-self', seccompArg, ...limits.rlimitArgs, '--chdir', toArgvItem(input.cwd), '--', ...input.command],
      env: { ...input.env },
      cwd: '/',
      native,
      permissions,
      enforcement: [
        'filesystem: not restricted by this plan (' + (fs.kind === 'external' ? 'enforced by an external sandbox' : 'full-disk write') + ')',
        `network: ${permissions.network === 'restricted' ? 'blocked by seccomp (no socket except AF_UNIX stream/seqpacket; no connect/bind/listen/accept, no datagram unix socket, no sendto/sendmmsg with an address), so host path and abstract unix sockets are unreachable' : 'allowed'}`,
        'syscalls: ptrace, process_vm_readv/writev and io_uring are denied by seccomp',
        ...kernelSurfaceLines(allowUserns, false),
        'inherited file descriptors: closed by the launcher (only stdio reaches the command)',
        ...limitEnforcementLines(limits.plan),
      ],
    };
  }

  const bwrap = linux.bwrap;
  if (!bwrap) {
    throw new PlanError('NoBwrap', `no usable bubblewrap: ${linux.bwrapProblem ?? 'none was found'}; run \`codex-sandbox doctor\` for the fix`);
  }
  if (linux.wsl1) {
    throw new PlanError('Wsl1', 'WSL1 cannot run bubblewrap (it has no user namespaces); use WSL2, or run with the `danger-full-access` profile only if you accept running unsandboxed');
  }

  const preload = proxy ? nodeProxyPreload(facts) : undefined;
  const plan = buildBwrapArgs({
    fs,
    network: permissions.network,
    cwd: input.cwd,
    command: input.command,
    facts,
    launcherPath: linux.launcherPath,
    registryDir: linux.syntheticRegistry,
    argv0Supported: bwrap.argv0,
    // Session supervisor: not --disable-userns, whose second user namespace locks every mount of the
    // sandbox (bwrap's own /proc/sys cover when the caller is root) and so also refuses a fresh /proc
    // (mnt_already_visible). Seccomp still refuses CLONE_NEWUSER to every process, the supervisor and
    // its commands included, and the inner stage checks it (require_confinement).
    disableUserns: bwrap.disableUserns && !allowUserns && input.sessionSupervisor !== true,
    sessionSupervisor: input.sessionSupervisor === true,
    allowSymlinkedRoots: input.allowSymlinkedRoots,
    pinRoots: bwrap.roBindFd,
    gitCommondirSelf: input.git === 'read-only' ? undefined : gitCommondirSelf(facts),
    ...(preload !== undefined ? { nodePreload: preload } : {}),
  });
  const nodePreload = preload !== undefined && plan.nodePreloadReadable ? preload : undefined;
  const env = { ...input.env, ...(proxy ? proxyEnv(proxy, nodePreload !== undefined ? { preload: nodePreload, nodeOptions: input.env['NODE_OPTIONS'] } : undefined) : {}) };
  const limits = planLimits(limitsIn, linux.limits, 'bwrap');

  const native: LinuxNativePlan = { platform: 'linux', limits: limits.plan, ...(plan.git.length ? { git: plan.git } : {}) };
  // The argv is assembled without spreads of flatMap results: at 256 writable roots it holds ~12,000
  // items, and the intermediate arrays were a measurable part of each plan (issue #21).
  const launcherArgs: ArgvItem[] = ['--seccomp', `${seccompArg}:${SECCOMP_FD}`, '--info-pipe', String(INFO_FD), '--started-pipe', String(STARTED_FD)];
  for (const fd of plan.devNullFds) launcherArgs.push('--devnull', String(fd));
  for (const p of plan.pins) launcherArgs.push('--pin', `${p.fd}:${p.dev}:${p.ino}`, toArgvItem(p.path));
  for (const f of plan.freshGit) launcherArgs.push('--fresh-git', `${f.stageFd}:${f.rootFd}`, toArgvItem(f.root));
  if (proxy) launcherArgs.push('--proxy-bridge', `${proxy.port}:${proxy.socketDev}:${proxy.socketIno}:${proxy.socketPath}`);
  launcherArgs.push('--registry', toArgvItem(linux.syntheticRegistry));
  for (const p of plan.syntheticTargets) launcherArgs.push('--synthetic', toArgvItem(p));
  launcherArgs.push(bwrap.source === 'bundled' ? '--bwrap-verified' : '--bwrap', '--', toArgvItem(bwrap.path));
  const bwrapArgv: ArgvItem[] = plan.args.map(toArgvItem);
  const innerArgs: ArgvItem[] = [linux.launcherPath, '--inner', '--started-fd', String(STARTED_FD)];
  if (allowUserns) innerArgs.push('--allow-userns');
  for (const a of limits.rlimitArgs) innerArgs.push(a);
  for (const m of plan.expected) {
    if (m.rw) innerArgs.push('--expect-rw', `${m.dev}:${m.ino}`, toArgvItem(m.path));
    else innerArgs.push('--expect-ro', toArgvItem(m.path));
  }
  if (proxy) innerArgs.push('--proxy-port', String(proxy.port));
  if (input.sessionSupervisor === true) innerArgs.push('--session-supervisor');
  // The supervisor is told to isolate its commands and which /proc masks to apply in their /proc.
  const command: ArgvItem[] =
    input.sessionSupervisor === true
      ? [...input.command, '--isolate', ...plan.procMasks.readOnly.flatMap((p) => ['--proc-read-only', p]), ...plan.procMasks.masked.flatMap((p) => ['--proc-masked', p])]
      : input.command;
  // bwrap refuses more than 9000 arguments in all (bubblewrap.c parse_args_recurse, MAX_ARGS; its
  // `--args FD` counts too): a longer command leaves bwrap's argv and reaches the inner stage in the
  // environment (the launcher's --command-via-env, native/launcher/command_env.h).
  // An argument over the kernel's per-string limit (MAX_ARG_STRLEN, 128 KiB with 4 KiB pages) goes the
  // same way, so bwrap starts and the command's own execve reports E2BIG as a shell would (126).
  const viaEnv =
    1 + bwrapArgv.length + 1 + innerArgs.length + 1 + command.length > BWRAP_ARGV_BUDGET ||
    command.some((a) => (typeof a === 'string' ? a.length * 3 : a.bytes.length) > LONG_ARG_BYTES);
  // One concat: no iterator or growing copy per item (a plan is made once per process by the CLI,
  // so these loops mostly run unoptimised; #21).
  const head: ArgvItem[] = viaEnv ? ['--command-via-env', String(command.length)] : [];
  const argv = head.concat(launcherArgs, bwrapArgv, '--', innerArgs, viaEnv ? ['--command-from-env', '--'] : '--', command);
  return {
    kind: 'linux-bwrap',
    program: linux.launcherPath,
    argv,
    env,
    cwd: '/',
    native,
    permissions,
    enforcement: [
      ...linuxEnforcementLines(fs, permissions.network, bwrap.source, allowUserns, bwrap.roBindFd, plan.git).map((l) => (proxy && l.startsWith('network: ') ? PROXY_NETWORK_LINE(proxy.port) : l)),
      ...(nodePreload !== undefined ? [`node: NODE_OPTIONS --require ${nodePreload} (read-only) routes Node's built-in fetch through the proxy on Node before v24.5/v22.21 (newer Node honours NODE_USE_ENV_PROXY=1)`] : []),
      ...limitEnforcementLines(limits.plan),
    ],
  };
};

/**
 * The package's Node preload (dist/node-proxy/preload.cjs, built from src/node-proxy/), trusted like
 * the launcher beside it: the package directory is read-only inside every sandbox (buildBwrapArgs).
 */
export function nodeProxyPreload(facts: HostFacts): string | undefined {
  const pkg = facts.linux?.packageRoot;
  if (pkg === undefined) return undefined;
  const p = path.join(pkg, 'dist', 'node-proxy', 'preload.cjs');
  return facts.fs.kind(p) === 'file' ? p : undefined;
}

/**
 * The package's read-only file that reads "." (native/placeholders/git-commondir), bound over a
 * missing `.git/commondir`: git dies on an empty one, and "." names the git directory itself. From the
 * installed package (trusted like the launcher beside it); without it git may not write `.git`.
 */
export function gitCommondirSelf(facts: HostFacts): string | undefined {
  const pkg = facts.linux?.packageRoot;
  if (pkg === undefined) return undefined;
  const p = path.join(pkg, 'native', 'placeholders', 'git-commondir');
  // readSmallFile reads regular files only, so '.\n' is the whole file: no separate size check (#21).
  return facts.fs.kind(p) === 'file' && facts.fs.readSmallFile(p) === '.\n' ? p : undefined;
}

/** What of the installed package runs (or is loaded) outside the sandbox on the next launch. */
const PACKAGE_RUNTIME_ENTRIES = ['build', 'prebuilds', 'dist', 'node_modules', 'package.json'];

const PROXY_NETWORK_LINE = (port: number): string =>
  `network: through the filtering proxy only — own network namespace with loopback alone, where the launcher's forwarder (outside the sandbox, joined to its network namespace) relays 127.0.0.1:${port} to the proxy's unix socket (HTTP(S)_PROXY, ALL_PROXY set); the proxy allows only the allow list, resolves names itself and refuses names that resolve to loopback/private addresses; seccomp allows only inet sockets for every process inside, bubblewrap's init included (no new unix socket reaches a host socket path), socketpair() works`;

/** The launcher's seccomp mode argument: `base`/`restricted`, `+userns` when nested user namespaces are allowed. */
function seccompLauncherMode(mode: 'base' | 'restricted' | 'proxy', allowUserns: boolean): string {
  return allowUserns ? `${mode}+userns` : mode;
}

/** `explain` lines for the kernel interfaces closed in every Linux mode (`bwrap`: the /proc line applies). */
function kernelSurfaceLines(allowUserns: boolean, bwrap: boolean): string[] {
  const lines = [
    `environment: applied only to the command${bwrap ? ' (by the inner stage)' : ''}; the launcher${bwrap ? ' and bubblewrap run' : ' runs'} with an empty environment, so LD_PRELOAD and the like act on the command alone`,
    'keyring: the command gets a fresh, empty session keyring, and seccomp denies keyctl, add_key and request_key',
    allowUserns
      ? 'nested user namespaces: allowed (allowNestedUserns / --allow-nested-userns)'
      : `nested user namespaces: denied${bwrap ? ' (bubblewrap --disable-userns where supported; the inner stage checks before exec)' : ''}; seccomp refuses clone/unshare with CLONE_NEWUSER (EPERM) and clone3 (ENOSYS)`,
  ];
  if (bwrap) {
    lines.push(
      '/proc: /proc/sys, /proc/sysrq-trigger, /proc/irq, /proc/bus and /proc/fs read-only; /proc/kcore, /proc/keys, /proc/timer_list and /proc/sched_debug masked',
      'inner stage: before exec it checks no_new_privs, a seccomp filter, an empty capability bounding set and no capabilities (125 otherwise)',
    );
  }
  return lines;
}

/** What a staged new repository is (explain, docs/profiles.md; native/launcher/fresh_git.cc does it). */
export const FRESH_GIT_TEXT =
  'a repository the run creates (git init) is staged outside the project while the run lasts (the host sees an empty .git) and accepted after it ends from an allow-list ' +
  '(refs, objects, logs, index, HEAD and other data files, no symlink followed; a config the launcher writes itself); hooks, other config keys and anything else are dropped and named on stderr';

function linuxEnforcementLines(fs: ResolvedFileSystem, network: NetworkPolicy, source: string, allowUserns: boolean, pinned: boolean, git: GitProtection[]): string[] {
  const opened = git.filter((g) => g.protectedNames !== undefined);
  const lines = [
    `sandbox: bubblewrap (${source}) with user, pid and ipc namespaces${network === 'restricted' ? ', and a network namespace' : ''}; all capabilities dropped; no_new_privs`,
    `reads: ${fs.fullDiskRead ? 'the whole filesystem is readable' : 'only the listed roots' + (fs.includePlatformDefaults ? ' plus system directories (:minimal)' : '')}`,
    `writes: ${fs.writableRoots.length ? fs.writableRoots.map((w) => w.root).join(', ') : 'none'}; ${PROTECTED_METADATA_NAMES.join(', ')} under each writable root stay read-only, and cannot be created${opened.length || git.some((g) => g.staged === true) ? ' (except the .git directories below, which git may write)' : ''}`,
    ...opened.map(
      (g) =>
        `git: ${g.gitdir} is writable (git add, commit, branch, checkout, stash) except ${(g.protectedNames ?? []).join(', ')}, which stay read-only and cannot be created (hooks, config and the files git follows to other code); rebase-merge, rebase-apply and sequencer are read-only only when present; git config, git init and git remote/submodule/worktree add fail there`,
    ),
    ...git.filter((g) => g.why !== undefined).map((g) => `git: ${g.gitdir} is wholly read-only (${g.why})`),
    ...git.filter((g) => g.staged === true).map((g) => `git: ${g.gitdir} does not exist: ${FRESH_GIT_TEXT}`),
    `mounts: writable roots are ${pinned ? 'opened without following symlinks, checked by device and inode, and bound through that fd' : 'bound by path (this bubblewrap has no --bind-fd)'}; the directories above each read-only or hidden path are pinned (cannot be renamed or removed); the inner stage re-checks them before exec; the placeholder registry is hidden; the package's own files are read-only when they lie under a writable root`,
  ];
  if (fs.unreadableRoots.length || fs.unreadableGlobs.length) {
    lines.push(`deny-read: ${[...fs.unreadableRoots, ...fs.unreadableGlobs].join(', ')} (globs expanded before launch; files created later that match a glob are not hidden)`);
  }
  lines.push(
    network === 'restricted'
      ? 'network: off — own network namespace, and seccomp denies every socket but AF_UNIX stream/seqpacket (a datagram socket could sendmsg() to any host socket path), plus connect/bind/listen/accept and sendto/sendmmsg with an address, so host unix sockets (docker.sock, ssh-agent, D-Bus, /dev/log, journald) are unreachable; socketpair() works'
      : 'network: on (host network namespace)',
    'syscalls: ptrace, process_vm_readv/writev and io_uring are always denied by seccomp',
    ...kernelSurfaceLines(allowUserns, true),
    'inherited file descriptors: closed by the launcher (only stdio reaches the command); the sandbox dies with its launcher',
    'start-up: a sandbox that bubblewrap cannot set up exits 125 (the inner stage reports the start just before exec); the command\'s own status otherwise',
  );
  return lines;
}

function byDepth(a: string, b: string): number {
  return depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * `items.sort((a, b) => byDepth(pathOf(a), pathOf(b)))` with each path's depth counted once instead of
 * twice per comparison (the writable roots and deny masks are sorted with n log n comparisons; #21).
 * The same order: the same comparison, and Array.prototype.sort is stable.
 */
function sortByDepth<T>(items: T[], pathOf: (item: T) => string): T[] {
  if (items.length < 2) return items;
  const keyed = items.map((item) => {
    const p = pathOf(item);
    return { item, p, d: depth(p) };
  });
  keyed.sort((a, b) => a.d - b.d || (a.p < b.p ? -1 : a.p > b.p ? 1 : 0));
  for (let i = 0; i < keyed.length; i += 1) items[i] = (keyed[i] as { item: T }).item;
  return items;
}
const itself = (p: string): string => p;

/** An absolute path in normal form other than `/` (no `.`/`..` component, no `//`, no trailing `/`). */
const NORMAL_ABS = /^(?:\/(?!\.\.?(?:\/|$))[^/]+)+$/;

/**
 * The length of the longest common prefix of the normal paths `a` and `b` that ends at a component
 * boundary of both (0 when they share only `/`): `/x/r1/w` and `/x/r2/w` share `/x` (2).
 */
export function sharedDirPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i += 1;
  if (i === n && (a.length === n || a.charCodeAt(n) === 47) && (b.length === n || b.charCodeAt(n) === 47)) return n;
  const slash = a.lastIndexOf('/', i - 1);
  return slash > 0 ? slash : 0;
}

/** realpath of the deepest existing ancestor plus the missing tail (nested symlinks are resolved). */
function canonicalize(fs: FsInspector, p: string): string {
  const real = fs.realpath(p);
  if (real !== undefined) return real;
  const parent = path.dirname(p);
  if (parent === p) return p;
  return path.join(canonicalize(fs, parent), path.basename(p));
}

/**
 * The bwrap argv (options only; the caller appends `-- <inner stage> -- <command>`).
 * Mount order matters: base, /dev, deny masks that contain writable roots, then per writable root
 * (shallowest first) its bind, its read-only carve-outs and the deny masks inside it, then the
 * remaining deny masks, then the registry guard.
 */
export function buildBwrapArgs(input: BwrapArgsInput): BwrapArgs {
  const { fs, facts } = input;
  const fsi = facts.fs;
  const args: string[] = ['--new-session', '--die-with-parent'];
  const devNullFds: number[] = [];
  const freshGit: FreshGitStage[] = [];
  const synthetic = new Set<string>();
  const pins: PinnedRoot[] = [];
  const expected: ExpectedMount[] = [];
  let nextFd = FIRST_DEVNULL_FD;
  // Prepared empty sources in the hidden registry directory (src/host/placeholder-sources.ts): one
  // read-only bind per placeholder instead of bwrap building each. The directory is checked again
  // here, per plan: anything in it would show inside every placeholder (a hook under .git/hooks).
  const sources = facts.linux?.placeholderSources;
  const emptyDirSource = sources?.emptyDir !== undefined && fsi.kind(sources.emptyDir) === 'dir' && fsi.isEmptyDir(sources.emptyDir) === true ? sources.emptyDir : undefined;
  const emptyFileSource = sources?.emptyFile !== undefined && fsi.kind(sources.emptyFile) === 'file' && fsi.fileSize(sources.emptyFile) === 0 ? sources.emptyFile : undefined;
  const emptyReadOnlyFile = (target: string, perms?: string): void => {
    if (perms === undefined && emptyFileSource !== undefined) {
      args.push('--ro-bind', emptyFileSource, target);
      return;
    }
    const fd = nextFd++;
    devNullFds.push(fd);
    if (perms) args.push('--perms', perms);
    args.push('--ro-bind-data', String(fd), target);
  };
  const readOnlyEmptyDir = (target: string): void => {
    if (emptyDirSource !== undefined) args.push('--ro-bind', emptyDirSource, target);
    else args.push('--perms', '555', '--tmpfs', target, '--remount-ro', target);
  };

  const callerUid = facts.linux?.uid;
  const allowedLinks = new Set(input.allowSymlinkedRoots ?? []);
  // Could the caller, hence a sandboxed command running as the caller, have written this directory?
  // (root, and a caller of unknown uid, can write everything; group/other-writable counts for anyone.)
  const callerCanWrite = (st: FsEntryStat): boolean =>
    callerUid === undefined || callerUid === 0 || (st.uid === callerUid && (st.mode & 0o200) !== 0) || (st.mode & 0o022) !== 0;
  /**
   * A run can replace a directory with a symlink (`pkg -> ~`) so that a later run given that path as
   * its cwd or writable root writes wherever the link points (the path-swap class behind
   * CVE-2021-30465, runc). A link is trusted only when root made it in a directory the caller cannot
   * write; any other needs the caller's explicit acceptance.
   */
  // The longest normal path whose every component this plan has already seen as an existing
  // non-symlink. Roots usually share their leading directories (/home/me/src/…): those are not walked
  // again for every root (issue #21). Same answers: facts.fs answers each path once per plan (fs-memo).
  let verified = '';
  const refusePlantedSymlinks = (p: string, what: string): boolean => {
    let crossed = false;
    const normal = NORMAL_ABS.test(p);
    let cur = normal ? p.slice(0, sharedDirPrefix(p, verified)) : '';
    for (const comp of (cur === '' ? p : p.slice(cur.length + 1)).split('/')) {
      if (comp === '') continue;
      const parentDir = cur === '' ? '/' : cur;
      cur += '/' + comp;
      const st = fsi.lstat?.(cur);
      const kind = st?.kind ?? fsi.kind(cur);
      if (kind === 'missing') {
        if (normal && !crossed) verified = parentDir === '/' ? '' : parentDir;
        return crossed;
      }
      if (kind !== 'symlink') continue;
      crossed = true;
      if (allowedLinks.has(cur)) continue;
      const parent = fsi.lstat?.(parentDir);
      if (st !== undefined && parent !== undefined && st.uid === 0 && !callerCanWrite(parent)) continue;
      const why = st === undefined || st.uid !== 0 ? 'it is not owned by root' : `it is in ${parentDir}, a directory you can write`;
      throw new PlanError(
        'SymlinkedRoot',
        `${what} ${p} goes through the symlink ${cur} (→ ${fsi.realpath(cur) ?? 'a missing target'}), which a sandboxed command could have planted (${why}); ` +
          `use the resolved path ${canonicalize(fsi, p)} instead, or accept the link with --allow-symlinked-root ${cur} (library: allowSymlinkedRoots)`,
        true,
      );
    }
    if (normal && !crossed) verified = p;
    return crossed;
  };
  refusePlantedSymlinks(input.cwd, 'the working directory');

  // Writable roots that exist, bound at their real target (a symlinked root must not let the
  // sandbox re-point the link later and write elsewhere).
  const roots: Array<{ root: string; target: string }> = [];
  const seenTargets = new Set<string>();
  for (const w of fs.writableRoots) {
    // One lstat decides (the same memoized answer the symlink check and the pin use): a second,
    // different look (kind) could see a concurrent swap the first did not.
    const kind = fsi.lstat?.(w.root)?.kind ?? fsi.kind(w.root);
    if (kind === 'missing') continue;
    // With no link in its path the root is its own canonical spelling: no second lookup (realpath)
    // that a concurrent swap could answer differently from the check above.
    const crossed = refusePlantedSymlinks(w.root, 'the writable root');
    const target = crossed ? (fsi.realpath(w.root) ?? w.root) : w.root;
    if (!seenTargets.has(target)) {
      seenTargets.add(target);
      roots.push({ root: w.root, target });
    }
  }
  sortByDepth(roots, (r) => r.target);
  const targets = roots.map((r) => r.target);
  // Containment lookups cost the length of the path asked about, not the number of roots: planning
  // stays linear in roots + carve-outs + masks (path-index.ts).
  const targetIndex = new PathIndex(targets);
  const deepestRoot = (p: string): string | undefined => targetIndex.deepestContaining(p);
  const byLogicalRoot = new Map<string, { root: string; target: string }>();
  for (const r of roots) if (!byLogicalRoot.has(r.root)) byLogicalRoot.set(r.root, r);
  const logicalIndex = new PathIndex(byLogicalRoot.keys());
  /** Map a path spelled under a writable root's logical name onto its bound target. */
  const remapOnce = (p: string): string => {
    // Under a writable root keep the in-root spelling (so a symlink inside it is seen and refused);
    // elsewhere the real location is what a mount has to cover.
    const first = logicalIndex.firstContaining(p);
    const r = first !== undefined ? byLogicalRoot.get(first) : undefined;
    if (r !== undefined) return r.root === r.target ? p : path.join(r.target, path.relative(r.root, p));
    return canonicalize(fsi, p);
  };
  // No writable root is reached through a symlink (the usual case): a path under one is its own
  // spelling whichever root holds it, so the deepest holder (one lookup from the longest prefix) says
  // as much as the first, and nothing is remembered for it (#21).
  let allSelf = true;
  for (const r of byLogicalRoot.values()) if (r.root !== r.target) allSelf = false;
  // Asked several times per root (its .git, carve-outs, metadata names); the answer is fixed for this plan.
  const remapped = new Map<string, string>();
  const remap = (p: string): string => {
    if (allSelf && logicalIndex.deepestContaining(p) !== undefined) return p;
    let r = remapped.get(p);
    if (r === undefined) {
      r = remapOnce(p);
      remapped.set(p, r);
    }
    return r;
  };
  /**
   * A metadata name (`.git`) directly under a shared sticky root such as /tmp that another user made a
   * symlink: `ln -s x /tmp/.git` would otherwise make every workspace-write run of every other user
   * fail (a symlink cannot be masked). Left as it is when neither the caller nor the sandbox can change
   * it: the sticky bit lets only the link's owner, the directory's owner or CAP_FOWNER (dropped by
   * --cap-drop ALL) rename or remove it (sticky bit: inode(7), "S_ISVTX"), and whatever is written
   * through it lands where the mount plan allows anyway. A root caller owns /tmp, so not for root.
   */
  const othersLinkInStickyDir = (p: string): boolean => {
    if (callerUid === undefined || callerUid === 0) return false;
    const st = fsi.lstat?.(p);
    const parent = fsi.lstat?.(path.dirname(p));
    return st !== undefined && parent !== undefined && st.kind === 'symlink' && st.uid !== callerUid && parent.uid !== callerUid && (parent.mode & 0o1000) !== 0;
  };
  /** Fail closed when a path below a writable root crosses a symlink the sandbox could re-point. */
  const firstMissingOrFail = (p: string, root: string, what: 'read-only' | 'deny-read'): string | undefined => {
    const rel = p === root ? [] : p.slice(root === '/' ? 1 : root.length + 1).split('/');
    let cur = root;
    for (const comp of rel) {
      cur = cur === '/' ? '/' + comp : cur + '/' + comp;
      const k = fsi.kind(cur);
      if (k === 'symlink') {
        throw new PlanError('WritableSymlink', `cannot enforce sandbox ${what} path ${p} because it crosses writable symlink ${cur}; remove or replace the symlink, or drop the rule`);
      }
      if (k === 'missing') return cur;
    }
    return undefined;
  };

  // Deny-read set: exact roots plus bounded glob expansion (fails closed when unbounded).
  const unreadable = new Set<string>();
  for (const u of fs.unreadableRoots) {
    unreadable.add(remap(u));
  }
  const maxDepth = fs.globScanMaxDepth ?? DEFAULT_GLOB_SCAN_MAX_DEPTH;
  for (const glob of fs.unreadableGlobs) {
    // `DIR/**` (the documented form) means DIR and everything in it: hide DIR itself, which also
    // covers files created there later, instead of masking each entry (nested masks fail to mount).
    const split = globStaticPrefix(glob);
    if (split !== undefined && split.rest === '/**' && split.dir !== '/') {
      unreadable.add(remap(split.dir));
      continue;
    }
    const prefix = split?.dir ?? '';
    if (prefix === '/' || prefix === '') {
      throw new PlanError('UnboundedGlob', `deny-read glob ${glob} cannot be safely expanded: its fixed prefix is the filesystem root; anchor it under a directory (e.g. a project root)`);
    }
    if (fsi.kind(prefix) === 'missing') continue;
    let res: ReturnType<FsInspector['scanGlob']>;
    try {
      res = fsi.scanGlob({ root: prefix, pattern: glob, maxDepth, maxMatches: MAX_GLOB_MATCHES });
    } catch (e) {
      throw new PlanError('BadGlob', (e as Error).message);
    }
    if (res.truncated) {
      throw new PlanError('GlobTooBroad', `deny-read glob ${glob} matches more than ${MAX_GLOB_MATCHES} paths under ${prefix}; narrow the pattern or lower glob_scan_max_depth`);
    }
    // The command may move a matching file below the scan limit (Codex: `rg --max-depth`); a walk that
    // stopped early must not silently leave it readable.
    const tooDeep = res.depthLimitedDirs?.[0];
    if (tooDeep !== undefined) {
      throw new PlanError(
        'GlobTooDeep',
        `deny-read glob ${glob} cannot be enforced: ${tooDeep} is at the scan limit (glob_scan_max_depth = ${maxDepth}) and was not searched${res.depthLimitedDirs && res.depthLimitedDirs.length > 1 ? ` (nor ${res.depthLimitedDirs.length - 1} other director${res.depthLimitedDirs.length > 2 ? 'ies' : 'y'})` : ''}; raise glob_scan_max_depth, deny that directory itself, or narrow the pattern`,
      );
    }
    for (const m of res.matches) {
      // A match that is itself a symlink gives its target's content, and bwrap cannot mount on a symlink
      // ("Can't mount on symlink destination": the launch would fail): its target is masked in its place,
      // as for an exact deny path.
      if (fsi.kind(m) !== 'symlink') unreadable.add(m);
      const real = fsi.realpath(m);
      if (real !== undefined && real !== m) unreadable.add(real);
    }
  }
  // A path inside another denied directory is already hidden by that mask (and a second mask inside
  // a masked tmpfs cannot be mounted), unless a writable root lies between them.
  const unreadableSorted = [...unreadable]
    .filter((u) => u !== '/')
    .filter((u) => {
      for (let v = path.dirname(u); v !== '/'; v = path.dirname(v)) {
        if (targetIndex.has(v)) return true;
        if (unreadable.has(v) && fsi.kind(v) !== 'symlink') return false;
      }
      return true;
    });
  sortByDepth(unreadableSorted, itself);

  // Read-only carve-outs (explicit entries and protected metadata) of every writable root.
  // Value: `false` a plain path, `true` a protected metadata name directly under a root, else a name
  // inside a `.git` that git may otherwise write (what replaces it when missing).
  const carveOuts = new Map<string, boolean | GitPlaceholder>();
  const git: GitProtection[] = [];
  const openedGitdirs = new Set<string>();
  /** Missing `.git` directories the launcher stages (mapped path → logical gitdir). */
  const stagedGitdirs = new Set<string>();
  // The project: the deepest writable root holding the cwd (only there is a missing .git staged, not in
  // a cache or output directory that is also writable).
  let projectRoot: string | undefined;
  for (const w of fs.writableRoots) if (isWithin(input.cwd, w.root) && (projectRoot === undefined || w.root.length > projectRoot.length)) projectRoot = w.root;
  for (const w of fs.writableRoots) {
    // `git commit` in the project: .git becomes writable but for the names git runs code or follows
    // pointers from (hooks, config, info/attributes, objects/info/alternates, commondir, ...), which
    // stay read-only and cannot be created, as sandbox-runtime keeps .git/hooks and .git/config
    // (its mandatory deny paths); without this a run plants a hook the user's next `git commit` runs.
    const dotGit = path.join(w.root, '.git');
    // remap answers are fixed for the plan: each asked once here (it is a Map lookup of a fresh string each time).
    const mappedRoot = w.protectedMetadataNames.includes('.git') ? remap(w.root) : undefined;
    if (mappedRoot !== undefined && fsi.kind(mappedRoot) !== 'missing') {
      // A missing .git under a pinned root: the launcher binds a private staging directory there and
      // accepts only repository data after the run (a .git the run itself created could otherwise hold
      // a hook or core.fsmonitor that the user's git outside runs: githooks(5), git-config(1)).
      const rootSt = fsi.lstat?.(mappedRoot);
      // Not in a sticky shared directory (/tmp, /var/tmp): git outside would find a repository there from
      // every directory below it that has none (git's upward discovery, git(1) GIT_CEILING_DIRECTORIES).
      const shared = rootSt !== undefined && (rootSt.mode & 0o1000) !== 0;
      const mappedGit = remap(dotGit);
      // An empty .git is another run's mount point (or staging): staged too, so the plan does not change
      // while a run or a session lasts (a session pool keys sessions by their plan); the launcher accepts
      // into it only while it is still that empty directory, so the first run to end wins, never a mix.
      const dotGitKind = fsi.kind(mappedGit);
      const stageable = dotGitKind === 'missing' || (dotGitKind === 'dir' && fsi.isEmptyDir(mappedGit) === true);
      if (w.root === projectRoot && input.gitCommondirSelf !== undefined && input.pinRoots === true && rootSt?.kind === 'dir' && !shared && stageable) {
        stagedGitdirs.add(mappedGit);
        git.push({ gitdir: dotGit, staged: true });
        continue;
      }
      const layout = input.gitCommondirSelf !== undefined ? gitWritableLayout(mappedGit, fsi) : { why: 'git: read-only was asked for' };
      if ('carveOuts' in layout) {
        openedGitdirs.add(mappedGit);
        for (const c of layout.carveOuts) carveOuts.set(c.path, c.whenMissing);
        git.push({ gitdir: dotGit, protectedNames: layout.carveOuts.map((c) => path.relative(mappedGit, c.path)) });
      } else {
        // Reported for a repository only: not for a missing .git, nor an empty one (a placeholder of a concurrent sandbox).
        const k = fsi.kind(mappedGit);
        if (k !== 'missing' && !(k === 'dir' && fsi.isEmptyDir(mappedGit) !== false)) git.push({ gitdir: dotGit, why: layout.why });
      }
    }
  }
  for (const w of fs.writableRoots) {
    // The profile's own `.git` read entry (workspace-write's `:project_roots/.git`) reaches every root
    // containing it: the opened gitdir is left to the carve-outs above.
    for (const s of w.readOnlySubpaths) {
      const mapped = remap(s);
      if (!carveOuts.has(mapped) && !openedGitdirs.has(mapped)) carveOuts.set(mapped, false);
    }
    // The names are plain components: for a normal root, path.join is this concatenation.
    const under = NORMAL_ABS.test(w.root) ? `${w.root}/` : undefined;
    for (const name of w.protectedMetadataNames) {
      const mapped = remap(under !== undefined ? under + name : path.join(w.root, name));
      if (!openedGitdirs.has(mapped)) carveOuts.set(mapped, true);
    }
  }
  // The installed package (launcher, addon, dist/, bundled bwrap) runs outside the sandbox on the next
  // launch: under a writable root (node_modules/codex-sandbox in the project) a command could replace
  // it and be run unsandboxed by the caller (the CVE-2019-5736 pattern, runc). Read-only inside.
  const pkg = facts.linux?.packageRoot;
  if (pkg !== undefined) {
    // A writable root inside one of the runtime entries (build/, dist/, …) is refused whatever else is
    // writable: checked for every root, also when a wider root (the cwd /tmp, a home) holds the whole
    // package, because a root nested in the package's read-only carve-out is mounted after it and would
    // open that entry again (`-w <pkg>/dist/cli` run from /tmp made dist/cli writable).
    for (const r of roots) {
      if (!isWithin(r.target, pkg)) continue;
      for (const name of PACKAGE_RUNTIME_ENTRIES) {
        const entry = path.join(pkg, name);
        if (isWithin(r.target, entry) && fsi.kind(entry) !== 'missing') {
          throw new PlanError('WritableRootInPackage', `writable root ${r.root} is ${r.target === entry ? '' : 'inside '}${entry}, part of codex-sandbox's own installation (${pkg}), which runs outside the sandbox on the next launch; drop that writable root`);
        }
      }
    }
    const home = deepestRoot(pkg);
    if (home !== undefined && home !== pkg && !carveOuts.has(pkg)) {
      carveOuts.set(pkg, false);
    } else {
      // A writable root that IS the package (working on codex-sandbox itself) or lies inside it: what runs
      // outside the sandbox on the next launch — the launcher, session supervisor, addon and bundled bwrap
      // (build/, prebuilds/), the CLI and library (dist/), the dependencies the CLI loads (node_modules/) and
      // package.json — stays read-only, the same CVE-2019-5736 pattern.
      for (const r of roots) {
        if (!isWithin(r.target, pkg)) continue;
        for (const name of PACKAGE_RUNTIME_ENTRIES) {
          const entry = path.join(pkg, name);
          if (isWithin(entry, r.target) && !carveOuts.has(entry) && fsi.kind(entry) !== 'missing') carveOuts.set(entry, false);
        }
      }
    }
  }
  for (const u of unreadable) carveOuts.delete(u);

  // 1. Base.
  let readableBound: string[] = [];
  if (fs.fullDiskRead) {
    args.push('--ro-bind', '/', '/');
  } else {
    args.push('--tmpfs', '/');
    const readable = new Set<string>(fs.readableRoots);
    if (fs.includePlatformDefaults) for (const r of LINUX_PLATFORM_DEFAULT_READ_ROOTS) readable.add(r);
    // The inner stage must be executable inside the sandbox.
    readable.add(input.launcherPath);
    // Node's proxy preload: exactly this file, not its directory (as the fs helper: src/exec-server/fs/helper-pool.ts).
    if (input.nodePreload !== undefined) readable.add(input.nodePreload);
    const list = [...readable].filter((r) => fsi.kind(r) !== 'missing' && deepestRoot(r) === undefined);
    sortByDepth(list, itself);
    const listIndex = new PathIndex(list);
    const kept = list.filter((r) => !listIndex.hasStrictAncestor(r));
    for (const r of kept) args.push('--ro-bind', r, r);
    readableBound = kept;
  }
  args.push('--dev', '/dev');

  const maskUnreadable = (u: string): void => {
    const root = deepestRoot(u);
    if (root !== undefined) {
      const missing = firstMissingOrFail(u, root, 'deny-read');
      if (pins.length > 0) expected.push({ rw: false, path: missing ?? u });
      if (missing !== undefined) {
        // Not there yet: an empty read-only file in its place keeps it from being created.
        emptyReadOnlyFile(missing, '000');
        synthetic.add(missing);
        return;
      }
    }
    const kind = fsi.kind(u);
    if (kind === 'missing') return; // outside writable roots it cannot appear
    if (kind === 'dir') {
      const inside = targetIndex.within(u);
      args.push('--perms', inside.length ? '111' : '000', '--tmpfs', u);
      const dirs = new Set<string>();
      for (const t of inside) {
        for (let d = t; d !== u; d = path.dirname(d)) dirs.add(d);
      }
      for (const d of [...dirs].sort(byDepth)) args.push('--dir', d);
      args.push('--remount-ro', u);
    } else {
      emptyReadOnlyFile(u, '000');
    }
  };

  /** A protected name inside a `.git` git may write: read-only, and its placeholder when missing. */
  const appendGitReadOnly = (s: string, whenMissing: GitPlaceholder, root: string): void => {
    const missing = firstMissingOrFail(s, root, 'read-only');
    if (missing !== undefined && missing === s && whenMissing === 'none') return;
    if (pins.length > 0) expected.push({ rw: false, path: missing ?? s });
    const kind = missing === undefined ? fsi.kind(s) : 'missing';
    // Missing, or empty (maybe a placeholder a concurrent sandbox left): masked, and registered so the
    // last sandbox using it removes it (the launcher never removes one that existed before it ran).
    const placeholder = missing !== undefined || (kind === 'dir' && fsi.isEmptyDir(s) !== false) || (kind === 'file' && (fsi.fileSize(s) ?? 0) === 0);
    if (!placeholder) {
      args.push('--ro-bind', s, s);
      return;
    }
    const target = missing ?? s;
    const asDir = missing !== undefined ? missing !== s || whenMissing === 'dir' : kind === 'dir';
    if (asDir) readOnlyEmptyDir(target);
    else if (whenMissing === 'commondir-self' && input.gitCommondirSelf !== undefined) args.push('--ro-bind', input.gitCommondirSelf, target);
    else emptyReadOnlyFile(target);
    synthetic.add(target);
  };

  const appendReadOnly = (s: string, metadata: boolean, root: string): void => {
    if (metadata && othersLinkInStickyDir(s)) return;
    const missing = firstMissingOrFail(s, root, 'read-only');
    if (pins.length > 0) expected.push({ rw: false, path: missing ?? s });
    if (missing !== undefined) {
      if (metadata && missing === s) readOnlyEmptyDir(s);
      else emptyReadOnlyFile(missing);
      synthetic.add(missing);
      return;
    }
    const kind = fsi.kind(s);
    // An empty metadata dir or file may be a placeholder left by a concurrent sandbox: mask it the
    // same way and register it, so whichever sandbox exits last cleans it up (never a real one).
    // One that cannot be listed or sized any more (undefined) was such a placeholder removed since
    // it was seen, or cannot be read at all: binding it would fail the launch, masking it loses nothing.
    if (metadata && kind === 'dir' && fsi.isEmptyDir(s) !== false) {
      readOnlyEmptyDir(s);
      synthetic.add(s);
    } else if (metadata && kind === 'file' && (fsi.fileSize(s) ?? 0) === 0) {
      emptyReadOnlyFile(s);
      synthetic.add(s);
    } else {
      args.push('--ro-bind', s, s);
    }
  };

  // 2. Deny masks outside every writable root (those containing a root must come before its bind).
  const outside = unreadableSorted.filter((u) => deepestRoot(u) === undefined);
  for (const u of outside.filter((u) => targetIndex.anyWithin(u))) maskUnreadable(u);

  // 3. Writable roots, each followed by what must stay read-only or unreadable inside it.
  // Carve-outs and deny masks grouped by the deepest writable root holding them, once (the order
  // within each group is that of carveOuts / unreadableSorted, as a filter per root would give).
  const carveOutsByRoot = new Map<string, string[]>();
  const deniesByRoot = new Map<string, string[]>();
  const group = (into: Map<string, string[]>, p: string, t: string | undefined): void => {
    if (t === undefined) return;
    const list = into.get(t);
    if (list === undefined) into.set(t, [p]);
    else list.push(p);
  };
  for (const s of carveOuts.keys()) group(carveOutsByRoot, s, deepestRoot(s));
  for (const u of unreadableSorted) group(deniesByRoot, u, deepestRoot(u));
  // Paths a guard bind must not be inside (one lookup per ancestor instead of a scan of both sets).
  const protectedIndex = new PathIndex([...carveOuts.keys(), ...unreadable]);
  for (const t of targets) {
    // bwrap binds by path: a concurrent sandbox that can write t's parent could swap t for a symlink
    // between this plan and the mount. The launcher opens t without following symlinks, checks it is
    // the directory planned here (dev/ino) and bwrap binds that fd (bwrap(1) --bind-fd), or it exits 125.
    const st = input.pinRoots ? fsi.lstat?.(t) : undefined;
    if (input.pinRoots && fsi.lstat !== undefined && st?.kind !== 'dir' && st?.kind !== 'file') {
      // Seen as existing a moment ago (or through an accepted link): it is being swapped. Never
      // fall back to a bind by path, which would follow whatever is there at mount time.
      throw new PlanError('RootChanged', `writable root ${t} changed while the sandbox was being planned (it is now ${st === undefined ? 'missing' : `a ${st.kind}`}); nothing was run — retry, and check what else writes to its parent directory`);
    }
    if (st !== undefined && st.kind === 'dir') {
      const fd = nextFd++;
      pins.push({ fd, dev: st.dev, ino: st.ino, path: t });
      // bwrap also resolves the destination by path, inside the new root: the inner stage checks
      // that t (no symlink followed) is this directory, writable, and each protection in it read-only.
      expected.push({ rw: true, path: t, dev: st.dev, ino: st.ino });
      args.push('--bind-fd', String(fd), t);
    } else {
      args.push('--bind', t, t);
    }
    const mine = sortByDepth((carveOutsByRoot.get(t) ?? []).filter((s) => s !== t), itself);
    const myDenies = deniesByRoot.get(t) ?? [];
    // The command could otherwise rename an ancestor of a protected path (`mv conf conf2 && mkdir
    // conf`) and carry the protected file out from under its mount. A mount point cannot be renamed
    // or removed in its mount namespace (EBUSY, rename(2)/rmdir(2)), so each existing directory between
    // the root and a protected path is bound onto itself (writable, as it was), before the protections.
    const guarded = new Set<string>();
    for (const p of [...mine, ...myDenies]) {
      for (let d = path.dirname(p); d !== t && isWithin(d, t); d = path.dirname(d)) {
        if (guarded.has(d)) break;
        if (carveOuts.has(d) || unreadable.has(d) || fsi.kind(d) !== 'dir') continue;
        guarded.add(d);
      }
    }
    for (const d of sortByDepth([...guarded].filter((d) => !protectedIndex.hasStrictAncestor(d)), itself)) {
      args.push('--bind', d, d);
    }
    for (const s of mine) {
      const pin = pins.at(-1);
      if (stagedGitdirs.has(s) && pin !== undefined && pin.path === t && path.dirname(s) === t) {
        // Mounted by the launcher's staging fd; the empty mount point it creates is a registered placeholder.
        const fd = nextFd++;
        freshGit.push({ stageFd: fd, rootFd: pin.fd, root: t });
        args.push('--bind-fd', String(fd), s);
        synthetic.add(s);
        continue;
      }
      const c = carveOuts.get(s);
      if (typeof c === 'string') appendGitReadOnly(s, c, t);
      else appendReadOnly(s, c === true, t);
    }
    for (const u of myDenies) maskUnreadable(u);
  }

  // 4. The remaining deny masks.
  for (const u of outside.filter((u) => !targetIndex.anyWithin(u))) maskUnreadable(u);

  // 5. The placeholder registry is hidden wherever the sandbox could see it: it lists other
  //    sandboxes' workspaces and, as it changes, tells a racer when another sandbox starts; it must
  //    not be writable either (a forged record could make another sandbox's cleanup remove a
  //    protective placeholder). The launcher creates it before bwrap runs, so the target exists.
  const reg = input.registryDir;
  const regVisible = fs.fullDiskRead || targets.some((t) => isWithin(reg, t)) || readableBound.some((r) => isWithin(reg, r));
  if (regVisible && ![...unreadable].some((u) => isWithin(reg, u))) {
    args.push('--perms', '000', '--tmpfs', reg, '--remount-ro', reg);
  }

  args.push('--unshare-user', '--unshare-pid', '--unshare-ipc');
  if (input.network === 'restricted') args.push('--unshare-net');
  args.push('--proc', '/proc');
  // runc's defaults (libcontainer/specconv/example.go: ReadonlyPaths, MaskedPaths). /proc/sys matters
  // most: for a caller that is root, the sandbox's uid 0 is the host's, and sysctls are checked by
  // uid, so kernel.core_pattern would be writable (code execution as root on the next crash).
  // bwrap's own cover of /proc/sys is skipped when its access(W_OK) probe fails. Host paths are
  // bound: a bind source is read from the old root.
  // Known per process when the host facts carry them (src/contracts/proc-masks.ts says why no sandbox can change them).
  const known = facts.linux?.procMasks;
  const procMasks = known !== undefined ? { readOnly: [...known.readOnly], masked: [...known.masked] } : procMaskPaths(fsi);
  // Session supervisor: these binds come from the host's mount tree, and a proc mount covered by such
  // locked mounts is not "fully visible", so the kernel refuses the supervisor a fresh /proc for each
  // command's pid namespace (EPERM, fs/namespace.c mnt_already_visible). The supervisor applies the
  // same masks in every command's /proc instead (native/session/isolate.cc); its own /proc is one no
  // command can reach (other pid and mount namespaces).
  if (input.sessionSupervisor !== true) {
    for (const p of procMasks.readOnly) args.push('--ro-bind', p, p);
    for (const p of procMasks.masked) args.push('--ro-bind', '/dev/null', p);
  }
  // Never for the session supervisor (planLinux says why); seccomp refuses user namespaces there.
  if (input.disableUserns === true && input.sessionSupervisor !== true) {
    // A nested user namespace gives the command every capability in it (user_namespaces(7)).
    args.push('--disable-userns');
  }
  args.push('--cap-drop', 'ALL');
  // Only the session supervisor: it needs CAP_SYS_ADMIN in the sandbox's user namespace to give each
  // command new pid/IPC/mount namespaces and mount its /proc, and CAP_SETPCAP to empty the bounding
  // set (prctl(2) PR_CAPBSET_DROP) before a command runs; it drops both, and the inner stage checks
  // that nothing else is held.
  if (input.sessionSupervisor === true) args.push('--cap-add', 'CAP_SYS_ADMIN', '--cap-add', 'CAP_SETPCAP');
  // Every sandbox: bwrap installs the launcher's filter last, after its own set-up (bwrap(1) --seccomp).
  args.push('--seccomp', String(SECCOMP_FD));
  args.push('--info-fd', String(INFO_FD));
  args.push('--chdir', fs.fullDiskRead ? input.cwd : canonicalize(fsi, input.cwd));
  if (input.argv0Supported) args.push('--argv0', INNER_ARGV0);
  const pre = input.nodePreload;
  const nodePreloadReadable = pre !== undefined && ![...unreadable].some((u) => isWithin(pre, u));
  return { args, freshGit, devNullFds, syntheticTargets: [...synthetic], pins, expected, git, nodePreloadReadable, procMasks };
}

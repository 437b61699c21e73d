/**
 * CONTRACT: the data that flows through SandboxManager.transform into the launch. Everything here is
 * plain, JSON-serialisable data (apart from the FsInspector in HostFacts), so `--dry-run` and
 * `explain` print exactly what runs.
 */
import type { ResolvedPermissions } from '../permissions/resolved.js';
import type { HostFacts } from './host-facts.js';
import type { LimitPlan, ResolvedLimits } from './limits.js';
import type { WindowsTokenPlan } from './windows-plan.js';

/** An argv element: a string, or raw bytes (base64) for a non-UTF-8 Unix path. */
export type ArgvItem = string | { bytes: string };

/**
 * What runs, one meaning each:
 * - `linux-bwrap`: the native launcher execs bubblewrap (mount plan, namespaces, seccomp), and its inner stage the command;
 * - `linux-seccomp`: the native launcher installs seccomp (and rlimits) on itself and execs the command
 *   directly — the profile restricts no files (full-disk write or an external filesystem sandbox);
 * - `macos-seatbelt`: `sandbox-exec -p POLICY` runs the command;
 * - `windows-token`: codex-sandbox-launcher.exe runs it under a restricted token in a job object;
 * - `none`: the command itself, unsandboxed (the profile needs no sandbox: danger-full-access).
 */
export type LaunchKind = LaunchRequest['kind'];

/** Codex's shell-environment policy (codex-rs/core/src/exec_env.rs; config `shell_environment_policy`). */
export interface EnvPolicy {
  inherit: 'all' | 'core' | 'none';
  /**
   * Skip the default excludes (names matching *KEY*, *SECRET*, *TOKEN*). Codex defaults this to true;
   * codex-sandbox's own default policy (DEFAULT_ENV_POLICY) sets it false, so secrets are stripped.
   */
  ignoreDefaultExcludes?: boolean;
  /** Glob patterns of names to drop (case-insensitive). */
  exclude?: string[];
  /** Glob patterns of names to keep; when non-empty only matching names survive. */
  includeOnly?: string[];
  /** Variables set last. */
  set?: Record<string, string>;
}

/**
 * The Linux plan beside the launcher's argv (`linux-bwrap` and `linux-seccomp`). The argv is the one
 * source of truth for what the launcher does (bwrap and how it is verified, the seccomp mode, the
 * /dev/null fds, the placeholders it registers, the inner stage); this holds only what the launch
 * does before the launcher runs: the cgroups to create for the limits.
 */
export interface LinuxNativePlan {
  platform: 'linux';
  /** Resource limits and how each is enforced; the launch creates the cgroups and the launcher joins them. */
  limits: LimitPlan;
  /** How each writable root's existing `.git` is protected (descriptive, for `explain`; the argv holds the mounts). */
  git?: GitProtection[];
}

/** How one writable root's `.git` is protected on Linux. */
export interface GitProtection {
  gitdir: string;
  /** Names (relative to gitdir) kept read-only and not creatable while git writes the rest; absent when `.git` is wholly read-only. */
  protectedNames?: string[];
  /** Why `.git` stayed wholly read-only. */
  why?: string;
  /**
   * `.git` was missing: a repository the run creates is staged outside the project (the launcher's
   * private directory, bound at gitdir) and accepted into gitdir from an allow-list after the run ends.
   */
  staged?: true;
}

export interface DarwinNativePlan {
  platform: 'darwin';
  /** The generated SBPL policy text (also in argv after -p). */
  policy: string;
  /** -D parameters, in order. */
  params: Array<[string, string]>;
}

/** The Windows plan: the side effects the launch performs before the launcher runs (windows-plan.ts). */
export type WindowsNativePlan = WindowsTokenPlan;

export interface NoneNativePlan {
  platform: 'none';
}

export interface LaunchBase {
  /** What gets spawned. */
  program: ArgvItem;
  /** Arguments after the program. */
  argv: ArgvItem[];
  /**
   * The command's environment. On Linux the launcher receives it as `--command-env --env NAME=VALUE`
   * records (src/launch/command.ts) and applies it only to the command: the launcher and bwrap run
   * with an empty environment. On Windows it is the launcher's environment block, which the command inherits.
   */
  env: Record<string, string>;
  /** Working directory for the spawned program (the sandbox's cwd is set by the plan itself). */
  cwd: ArgvItem;
  /** The resolved permissions this plan enforces. */
  permissions: ResolvedPermissions;
  /** Human-readable lines: what is and is not enforced by this plan on this platform. */
  enforcement: string[];
}

export interface LinuxBwrapLaunch extends LaunchBase {
  kind: 'linux-bwrap';
  native: LinuxNativePlan;
}

export interface LinuxSeccompLaunch extends LaunchBase {
  kind: 'linux-seccomp';
  native: LinuxNativePlan;
}

export interface MacosSeatbeltLaunch extends LaunchBase {
  kind: 'macos-seatbelt';
  native: DarwinNativePlan;
}

export interface WindowsTokenLaunch extends LaunchBase {
  kind: 'windows-token';
  native: WindowsNativePlan;
}

export interface UnsandboxedLaunch extends LaunchBase {
  kind: 'none';
  native: NoneNativePlan;
}

/** One plan, discriminated by `kind` (and, inside it, `native.platform`). */
export type LaunchRequest = LinuxBwrapLaunch | LinuxSeccompLaunch | MacosSeatbeltLaunch | WindowsTokenLaunch | UnsandboxedLaunch;

/** What every platform planner receives (cwd already converted from its PathUri, once). */
export interface PlanInput {
  /** argv; command[0] is the program. */
  command: ArgvItem[];
  /** Native absolute working directory of the command. */
  cwd: string;
  permissions: ResolvedPermissions;
  /** The environment after the env policy (the planner may add markers such as CODEX_SANDBOX). */
  env: Record<string, string>;
  facts: HostFacts;
  /** Let the command create nested user namespaces (default false: bwrap --disable-userns + seccomp). */
  allowNestedUserns?: boolean;
  /** Resource limits after defaults (absent: the defaults). */
  limits?: ResolvedLimits;
  /** Symlinks (absolute, as spelled) the caller accepts in the path of a writable root or the cwd. */
  allowSymlinkedRoots?: readonly string[];
  /** How an existing `.git` under a writable root is protected (default `commit`; see GitMode). */
  git?: GitMode;
  /** Network through the filtering proxy only (an allow list); `permissions.network` is then `restricted`. */
  networkProxy?: NetworkProxyRoute;
  /**
   * The command is the session supervisor (Linux, docs/sessions.md): it alone keeps CAP_SYS_ADMIN (and CAP_SETPCAP) in the
   * sandbox's user namespace to start each command in new pid/IPC/mount namespaces, where it applies the
   * /proc masks; every command drops all capabilities.
   */
  sessionSupervisor?: boolean;
}

/** Where the filtering proxy (src/launch/proxy) is and how the command finds it. */
export interface NetworkProxyRoute {
  /** Host path of the proxy's unix socket; on Linux bound into the sandbox at the same path. */
  socketPath: string;
  /** The socket's st_dev/st_ino when the proxy made it: the inner stage uses only that inode. */
  socketDev: string;
  socketIno: string;
  /** Loopback port inside the sandbox where the launcher's bridge listens (Linux). */
  port: number;
  /** Host loopback ports are reached through the proxy, so loopback is not exempted in NO_PROXY. */
  hostPorts: boolean;
}

/**
 * `commit`: git may write an existing `<root>/.git` (commit, branch, checkout, stash) while the names
 * git executes or redirects through (hooks, config, info, objects/info, commondir, ...; see
 * src/permissions/git-layout.ts) stay read-only and cannot be created; a missing `.git` still cannot be
 * created. Linux only: other planners keep `.git` wholly read-only. `read-only`: all of `.git` is read-only.
 */
export type GitMode = 'commit' | 'read-only';

/** A planner: pure, facts in, LaunchRequest out; throws PlanError when the profile cannot be enforced. */
export type Planner = (input: PlanInput) => LaunchRequest;

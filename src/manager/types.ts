/**
 * CONTRACT: the data that flows through SandboxManager.transform. Everything here is plain,
 * JSON-serialisable data (apart from the FsInspector in HostFacts), so `--dry-run` and `explain`
 * print exactly what runs.
 */
import type { Platform } from '../path-uri/index.js';
import type { FsInspector } from '../permissions/fs-facts.js';
import type { ResolvedPermissions } from '../permissions/resolved.js';

/** An argv element: a string, or raw bytes (base64) for a non-UTF-8 Unix path. */
export type ArgvItem = string | { bytes: string };

export type LaunchKind = 'linux-bwrap' | 'macos-seatbelt' | 'windows-token' | 'none';

export type BwrapSource = 'system' | 'bundled' | 'override';

export interface BwrapInfo {
  /** Absolute path of the binary. */
  path: string;
  source: BwrapSource;
  version: string | undefined;
  /** Capabilities read from `--help`. */
  argv0: boolean;
  perms: boolean;
  roBindFd: boolean;
  /** `--disable-userns` (bubblewrap >= 0.8.0): the sandbox cannot create nested user namespaces. */
  disableUserns: boolean;
  /** Setuid-root binary (reported by doctor; still usable). */
  setuid: boolean;
  /** Bundled binary: SHA-256 the launcher verifies before exec; undefined = development build (no check). */
  expectedSha256: string | undefined;
}

/** Resource limits for one sandbox, as the caller gives them (library option `limits`). */
export interface ResourceLimits {
  /** Memory (RAM, and swap where the kernel accounts it) of the whole sandbox, in bytes. */
  memoryBytes?: number;
  /** Concurrent processes (threads count too) of the command; 'unlimited' lifts the default (DEFAULT_PIDS_LIMIT). */
  pids?: number | 'unlimited';
  /** CPU seconds each process of the command may use (RLIMIT_CPU; SIGXCPU when reached). */
  cpuSeconds?: number;
}

/** Limits after defaults: a number is in force, undefined is none. */
export interface ResolvedLimits {
  memoryBytes: number | undefined;
  pids: number | undefined;
  cpuSeconds: number | undefined;
}

/** A cgroup the caller may create sandbox cgroups under (probed by src/host/cgroups.ts). */
export interface CgroupParent {
  version: 'v1' | 'v2';
  /** Directory new cgroups are created in (v1: the caller's own cgroup; v2: its delegated parent). */
  dir: string;
}

export interface LimitFacts {
  /** Where a pids-limited cgroup can be created, or undefined (with cgroupProblem saying why). */
  pidsCgroup: CgroupParent | undefined;
  memoryCgroup: CgroupParent | undefined;
  cgroupProblem: string | undefined;
  /**
   * RLIMIT_NPROC set inside the sandbox's user namespace binds and counts only the sandbox's
   * processes: Linux ≥ 5.14 (per-namespace ucounts) and a caller that is not uid 0 (which the kernel exempts).
   */
  nprocInUserns: boolean;
  nprocProblem: string | undefined;
}

export interface LinuxFacts {
  /** Resource-limit mechanisms available to this caller; undefined = not probed (no cgroups, no rlimit NPROC). */
  limits?: LimitFacts;
  /** The bwrap selected for this host, or undefined with `bwrapProblem` saying why. */
  bwrap: BwrapInfo | undefined;
  bwrapProblem: string | undefined;
  /** Absolute path of the native launcher program (codex-sandbox-launcher). */
  launcherPath: string;
  /** Landlock ABI version (0 = unavailable). */
  landlockAbi: number;
  /** Running under WSL1 (bubblewrap cannot work there). */
  wsl1: boolean;
  /** Directory of the launcher's placeholder registry (hidden inside sandboxes). */
  syntheticRegistry: string;
  /** The caller's uid (decides which symlinks and metadata entries the caller could have created). Unknown = treated as root. */
  uid?: number;
  /** The installed package directory (launcher, addon, dist/, bundled bwrap): read-only inside when under a writable root. */
  packageRoot?: string;
}

export interface HostFacts {
  platform: Platform;
  arch: string;
  /** $TMPDIR as the caller's environment has it (undefined if unset or empty). */
  tmpdir: string | undefined;
  home: string | undefined;
  fs: FsInspector;
  linux?: LinuxFacts;
}

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

export interface LinuxNativePlan {
  platform: 'linux';
  /** bwrap to exec; undefined = no bwrap (seccomp-only direct exec). */
  bwrap: { path: string; source: BwrapSource; verifySha256: string | undefined } | undefined;
  /** seccomp filter the launcher builds: `base` = always-denied set; `restricted` adds the network set. */
  seccomp: 'none' | 'base' | 'restricted';
  /** fd number (inside bwrap's view) where the launcher puts the BPF program; bwrap gets `--seccomp FD`. */
  seccompFd: number | undefined;
  /** fd numbers where the launcher opens /dev/null read-only (each consumed by one `--ro-bind-data FD`). */
  devNullFds: number[];
  /** Mount targets bwrap may create on the host as placeholders; removed after exit if they were created. */
  syntheticTargets: string[];
  /** Whether the command runs under the launcher's inner stage (exit codes 126/127, argv0). */
  innerStage: boolean;
  /** The command may create nested user namespaces (opt-in `allowNestedUserns`; denied by default). */
  allowNestedUserns: boolean;
  /** Resource limits and how each is enforced; the launch creates the cgroups (absent = none). */
  limits?: LimitPlan;
}

export type LimitMechanism = 'cgroup-v2' | 'cgroup-v1' | 'rlimit' | 'none';

export interface LimitPlanEntry {
  /** The limit the caller asked for (or the default). */
  value: number;
  mechanism: LimitMechanism;
  /** What holds and what does not, for explain/--dry-run. */
  note: string;
}

/** One cgroup to create for the sandbox: under `parent`, with these files written in order. */
export interface CgroupPlan {
  version: 'v1' | 'v2';
  parent: string;
  controllers: Array<'pids' | 'memory'>;
  settings: Array<{ file: string; value: string; /** skipped when the kernel has no such file (e.g. swap accounting off) */ ifPresent?: boolean }>;
}

export interface LimitPlan {
  pids: LimitPlanEntry | undefined;
  memory: LimitPlanEntry | undefined;
  cpu: LimitPlanEntry | undefined;
  /** Created by the launch (src/launch/cgroups.ts), joined by the launcher (--cgroup-procs), removed after exit. */
  cgroups: CgroupPlan[];
}

/** Which limit a finished sandbox ran into (library `limitHit`, CLI one line on stderr). */
export interface LimitHit {
  limit: 'memory' | 'pids' | 'cpu';
  /** The limit in force (bytes, processes, seconds). */
  value: number;
  /** Whether the command was killed by it (memory: OOM kill; cpu: SIGXCPU) or only refused something (pids). */
  killed: boolean;
  /** One line, e.g. "the command was killed: memory limit 64 MiB reached". */
  message: string;
}

export interface DarwinNativePlan {
  platform: 'darwin';
  /** The generated SBPL policy text (also in argv after -p). */
  policy: string;
  /** -D parameters, in order. */
  params: Array<[string, string]>;
}

export interface WindowsNativePlan {
  platform: 'win32';
  [key: string]: unknown;
}

export interface NoneNativePlan {
  platform: 'none';
}

export interface LaunchRequest {
  kind: LaunchKind;
  /** What gets spawned. */
  program: ArgvItem;
  /** Arguments after the program. */
  argv: ArgvItem[];
  /**
   * The command's environment. On Linux the launcher receives it as `--command-env --env NAME=VALUE`
   * records (src/launch/command.ts) and applies it only to the command: the launcher and bwrap run
   * with an empty environment.
   */
  env: Record<string, string>;
  /** Working directory for the spawned program (the sandbox's cwd is set by the plan itself). */
  cwd: ArgvItem;
  native: LinuxNativePlan | DarwinNativePlan | WindowsNativePlan | NoneNativePlan;
  /** The resolved permissions this plan enforces. */
  permissions: ResolvedPermissions;
  /** Human-readable lines: what is and is not enforced by this plan on this platform. */
  enforcement: string[];
}

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
}

/** A planner: pure, facts in, LaunchRequest out; throws PlanError when the profile cannot be enforced. */
export type Planner = (input: PlanInput) => LaunchRequest;

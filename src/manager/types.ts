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
  /** Setuid-root binary (reported by doctor; still usable). */
  setuid: boolean;
  /** Bundled binary: SHA-256 the launcher verifies before exec; undefined = development build (no check). */
  expectedSha256: string | undefined;
}

export interface LinuxFacts {
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

/** Codex's shell-environment policy (reference §3.5; config `shell_environment_policy`). */
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
  /** Symlinks (absolute, as spelled) the caller accepts in the path of a writable root or the cwd. */
  allowSymlinkedRoots?: readonly string[];
}

/** A planner: pure, facts in, LaunchRequest out; throws PlanError when the profile cannot be enforced. */
export type Planner = (input: PlanInput) => LaunchRequest;

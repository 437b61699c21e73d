/**
 * CONTRACT: what the planners know about the host. Gathered once, at the edge (src/host/facts.ts),
 * and handed down as plain data; the only live part is the FsInspector, the planners' one view of
 * the filesystem (tests pass a fake or one over a temp tree).
 */
import type { Platform } from '../path-uri/index.js';
import type { FsInspector } from '../permissions/fs-facts.js';

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
  /** Prepared empty read-only bind sources for placeholders (src/host/placeholder-sources.ts); absent: built by bwrap. */
  placeholderSources?: PlaceholderSources;
  /** Which of the /proc entries every sandbox covers exist on this host (src/contracts/proc-masks.ts); absent: asked per plan. */
  procMasks?: ProcMaskPaths;
}

/** The /proc entries a sandbox binds read-only (`readOnly`) or masks with an empty file (`masked`). */
export interface ProcMaskPaths {
  readOnly: string[];
  masked: string[];
}

/** An empty 0555 directory and an empty 0444 file in the (hidden) registry directory, checked when the facts were read. */
export interface PlaceholderSources {
  emptyDir?: string;
  emptyFile?: string;
}

export interface WindowsFacts {
  /** Absolute path of the native launcher (codex-sandbox-launcher.exe) that starts the command under the restricted token. */
  launcherPath: string;
  /** %SystemRoot% of the caller (C:\\Windows): cmd.exe for .bat/.cmd is taken from its System32, never from PATH. */
  systemRoot?: string;
  /** Where the record of host changes (ACEs, created directories) is kept: %LOCALAPPDATA%\\codex-sandbox. */
  stateDir?: string;
  /** Whether the caller's token is elevated (only then is the NUL device's machine-wide DACL edited). */
  elevated?: boolean;
}

export interface DarwinFacts {
  /** The caller's uid (decides which symlinks in a writable root's path the caller could have planted). Unknown = treated as root. */
  uid?: number;
}

export interface HostFacts {
  platform: Platform;
  arch: string;
  /** $TMPDIR as the caller's environment has it (on Windows %TEMP%/%TMP% too); undefined if unset or empty. */
  tmpdir: string | undefined;
  home: string | undefined;
  fs: FsInspector;
  linux?: LinuxFacts;
  /** macOS only: probed on a Mac; absent when a darwin plan is made on another OS (--dry-run --platform darwin). */
  darwin?: DarwinFacts;
  /** Windows only: probed on a Windows host; absent when a Windows plan is made on another OS (--dry-run --platform win32). */
  windows?: WindowsFacts;
}


/**
 * `sandbox.spawn`'s options, normalised once (as execa normalises its own): the sandbox's options go to
 * planning, a whitelist of execa options goes to the launch, and any other key is refused — a new
 * sandbox option can never leak into execa, and an execa option nobody reviewed never reaches it.
 */
import { LAUNCH_OPTION_KEYS } from './options.js';
import type { LaunchOptions } from './options.js';
import type { EnvPolicy, GitMode, ResourceLimits } from '../contracts/index.js';
import type { PathUri } from '../path-uri/index.js';
import type { CacheTool } from '../permissions/caches.js';
import type { AdditionalPermissionProfile } from '../permissions/types.js';
import type { NetworkAccessPolicy } from '../permissions/index.js';
import type { ProxyDenial } from './proxy/session.js';

/** What a sandbox needs to plan a command (`sandbox.plan`; `sandbox.spawn` takes these and LaunchOptions). */
export interface SandboxOptions {
  /** Working directory of the command: native absolute path or a PathUri (default process.cwd()). */
  cwd?: string | PathUri;
  /** Extra directories the command may write. */
  writableRoots?: readonly string[];
  /** true/'enabled' allows network, false/'restricted' blocks it; default: the profile's. */
  network?: boolean | 'enabled' | 'restricted';
  /** Absolute paths or globs that must not be readable. */
  denyRead?: readonly string[];
  /** Environment policy (default: inherit all, minus names matching KEY/SECRET/TOKEN). */
  envPolicy?: EnvPolicy | EnvPolicy['inherit'];
  /** The parent environment the policy filters (default: the sandbox's env). */
  env?: Record<string, string | undefined>;
  /** Roots `:project_roots` means (default: [cwd]). */
  projectRoots?: ReadonlyArray<string | PathUri>;
  additionalPermissions?: AdditionalPermissionProfile;
  /**
   * Let the command create nested user namespaces (`unshare -U`, rootless containers, Chromium's
   * sandbox). Default false: a new user namespace hands the command a full capability set in it.
   */
  allowNestedUserns?: boolean;
  /**
   * Resource limits: `{ memoryBytes, pids, cpuSeconds }`. Default: DEFAULT_PIDS_LIMIT processes
   * (`pids: 'unlimited'` lifts it), no memory or CPU limit. The plan's enforcement lines say which
   * mechanism holds for each on this host.
   */
  limits?: ResourceLimits;
  /**
   * Symlinks you made in the path of a writable root or the cwd (e.g. a project directory that is a
   * link): accepted instead of refused. Absolute paths, as spelled in the root or cwd.
   */
  allowSymlinkedRoots?: readonly string[];
  /**
   * `commit` (default): git may write an existing `.git` under a writable root (add, commit, branch,
   * checkout, stash) while hooks, config, info, objects/info, commondir, worktrees, modules, remotes and
   * branches stay read-only and cannot be created (Linux; elsewhere `.git` stays read-only).
   * `read-only`: all of `.git` is read-only.
   */
  git?: GitMode;
  /**
   * Per-tool caches the command may write (`npm`, `pip`, `cargo`, ...; see CACHE_TOOLS), instead of
   * all of the home directory. Missing ones are created before the run.
   */
  caches?: readonly CacheTool[];
  /**
   * A network allow list (Linux): the command gets its own network namespace whose only way out is a
   * filtering proxy started for it (HTTP(S)_PROXY/ALL_PROXY point at it). `allow`: `example.com`,
   * `*.npmjs.org`, `10.0.0.0/8`, each with an optional `:port`; `deny` wins over `allow`;
   * `allowHostPorts`: ports on the host's loopback. Overrides `network`.
   */
  networkAccess?: Partial<NetworkAccessPolicy>;
  /** Called for every connection the proxy refused (host, port, protocol, rule, reason). */
  onNetworkDenial?: (denial: ProxyDenial) => void;
  /** The proxy's socket and its identity, when the caller runs the proxy itself (`plan` without `spawn`; `sandbox.openProxy`). */
  networkProxySocket?: { path: string; dev: string; ino: string; port?: number };
}

export interface SpawnOptions extends SandboxOptions, LaunchOptions {}

/** Every key of SandboxOptions (the compiler checks that none is missing). */
const SANDBOX_OPTION_KEYS: Record<keyof SandboxOptions, true> = {
  cwd: true,
  writableRoots: true,
  network: true,
  denyRead: true,
  envPolicy: true,
  env: true,
  projectRoots: true,
  additionalPermissions: true,
  allowNestedUserns: true,
  limits: true,
  allowSymlinkedRoots: true,
  git: true,
  caches: true,
  networkAccess: true,
  onNetworkDenial: true,
  networkProxySocket: true,
};

const has = (keys: object, key: string): boolean => Object.prototype.hasOwnProperty.call(keys, key);

/** Splits spawn options into the sandbox's and execa's; throws TypeError naming any other key. */
export function splitSpawnOptions(options: SpawnOptions, what = 'sandbox.spawn'): { sandbox: SandboxOptions; launch: LaunchOptions } {
  const sandbox: Record<string, unknown> = {};
  const launch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (has(SANDBOX_OPTION_KEYS, key)) sandbox[key] = value;
    else if (has(LAUNCH_OPTION_KEYS, key)) launch[key] = value;
    else {
      throw new TypeError(
        `${what}: unknown option ${JSON.stringify(key)} (sandbox options: ${Object.keys(SANDBOX_OPTION_KEYS).join(', ')}; execa options: ${Object.keys(LAUNCH_OPTION_KEYS).join(', ')})`,
      );
    }
  }
  return { sandbox: sandbox as SandboxOptions, launch: launch as LaunchOptions };
}

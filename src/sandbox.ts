/**
 * The library surface: `createSandbox()` probes the host once; `sandbox.spawn()` plans and runs one
 * command and returns an execa subprocess (promise + streams).
 */
import type { ResultPromise } from 'execa';
import { getHostFacts } from './host/facts.js';
import { limitPlanOf, startLimitSession, withLimitArgs } from './launch/cgroups.js';
import { nameUserCommand } from './launch/user-command.js';
import { launch } from './launch/run.js';
import type { LaunchOptions } from './launch/run.js';
import { applyOverrides } from './manager/overrides.js';
import { SandboxManager } from './manager/transform.js';
import type { ArgvItem, EnvPolicy, HostFacts, LaunchRequest, LimitHit, ResourceLimits } from './contracts/index.js';
import type { PathUri } from './path-uri/index.js';
import { PermissionProfile, parsePermissionProfile } from './permissions/index.js';
import type { AdditionalPermissionProfile } from './permissions/types.js';

export type NamedProfile = 'read-only' | 'workspace-write' | 'danger-full-access';
export type ProfileInput = PermissionProfile | NamedProfile | Record<string, unknown>;

export interface CreateSandboxOptions {
  /** Force a bubblewrap binary (still probed); same as CODEX_SANDBOX_BWRAP. */
  bwrapPath?: string;
  /** Environment used for probing and as the default parent environment (default process.env). */
  env?: Record<string, string | undefined>;
}

export interface SpawnOptions extends LaunchOptions {
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
}

export type SandboxSubprocess = ResultPromise & {
  /** The plan that is running (what `--dry-run` prints). */
  readonly launchRequest: LaunchRequest;
  /**
   * Sends SIGINT to the sandboxed process group; its own exit status is then reported. On Windows,
   * where a signal cannot be sent to another console process, this ends the whole sandboxed tree.
   */
  interrupt(): boolean;
  /**
   * Resolves once the command has exited: the resource limit it ran into (memory or CPU time: it
   * was killed; pids: process creations were refused), or undefined. Only limits enforced by a
   * cgroup (memory, pids) or by a signal (CPU time) can be reported.
   */
  readonly limitHit: Promise<LimitHit | undefined>;
};

export function resolveProfileInput(profile: ProfileInput): PermissionProfile {
  if (typeof profile === 'string') return PermissionProfile.named(profile);
  if (isPermissionProfile(profile)) return profile;
  return parsePermissionProfile(profile);
}

function isPermissionProfile(v: unknown): v is PermissionProfile {
  if (typeof v !== 'object' || v === null) return false;
  const t = (v as { type?: unknown }).type;
  if (t === 'disabled') return true;
  if (t === 'external') return true;
  return t === 'managed' && 'fileSystem' in v;
}

function networkOption(n: SpawnOptions['network']): 'enabled' | 'restricted' | undefined {
  if (n === undefined) return undefined;
  if (n === true || n === 'enabled') return 'enabled';
  return 'restricted';
}

export class Sandbox {
  constructor(
    readonly facts: HostFacts,
    private readonly env: Record<string, string | undefined>,
  ) {}

  /** The LaunchRequest for a command, without running it. */
  plan(command: readonly ArgvItem[], profile: ProfileInput, options: SpawnOptions = {}): LaunchRequest {
    const platform = this.facts.platform;
    const base = resolveProfileInput(profile);
    const adjusted = applyOverrides(
      base,
      { writableRoots: options.writableRoots, network: networkOption(options.network), denyRead: options.denyRead },
      platform,
    );
    const envPolicy = typeof options.envPolicy === 'string' ? { inherit: options.envPolicy } : options.envPolicy;
    return SandboxManager.transform({
      command,
      cwd: options.cwd ?? process.cwd(),
      profile: adjusted,
      additionalPermissions: options.additionalPermissions,
      projectRoots: options.projectRoots,
      env: options.env ?? this.env,
      envPolicy,
      facts: this.facts,
      allowNestedUserns: options.allowNestedUserns,
      ...(options.limits !== undefined ? { limits: options.limits } : {}),
      allowSymlinkedRoots: options.allowSymlinkedRoots,
    });
  }

  /** Plans and starts a command; returns an execa subprocess. Throws PlanError if it cannot be sandboxed as asked. */
  spawn(command: readonly ArgvItem[], profile: ProfileInput, options: SpawnOptions = {}): SandboxSubprocess {
    return this.launch(this.plan(command, profile, options), options, command);
  }

  /**
   * Starts a LaunchRequest made by `plan` (as `spawn` does after planning): the exec-server plans,
   * adds what its request asks of the launcher (a controlling terminal, argv[0]) and starts it here.
   * With `command`, results and errors name it (and the cwd) instead of the launcher.
   */
  launch(req: LaunchRequest, options: SpawnOptions = {}, command?: readonly ArgvItem[]): SandboxSubprocess {
    const {
      cwd: _cwd,
      writableRoots: _w,
      network: _n,
      denyRead: _d,
      envPolicy: _e,
      env: _env,
      projectRoots: _p,
      additionalPermissions: _a,
      allowNestedUserns: _u,
      limits: _l,
      allowSymlinkedRoots: _s,
      ...execaOptions
    } = options;
    const session = startLimitSession(limitPlanOf(req));
    let sub: ResultPromise;
    try {
      sub = launch(withLimitArgs(req, session), execaOptions);
      if (command !== undefined) {
        // Results and errors name the user's command and cwd, not the launcher's.
        const cwd = options.cwd === undefined ? process.cwd() : typeof options.cwd === 'string' ? options.cwd : options.cwd.toAbsPathString({ platform: this.facts.platform });
        sub = nameUserCommand(sub, command, cwd);
      }
    } catch (e) {
      void session.cleanup();
      throw e;
    }
    const limitHit = new Promise<LimitHit | undefined>((resolve) => {
      let done = false;
      const end = (exitCode: number | null, signal: NodeJS.Signals | null): void => {
        if (done) return;
        done = true;
        const hit = session.finish({ exitCode, signal });
        void session.cleanup().then(() => resolve(hit));
      };
      sub.once('exit', end);
      sub.once('error', () => {
        // A launcher that never started never exits; one that did still reports through 'exit'.
        if (sub.pid === undefined) end(null, null);
      });
    });
    return Object.assign(sub, {
      launchRequest: req,
      interrupt: (): boolean => sub.kill('SIGINT'),
      limitHit,
    });
  }
}

/** Probes the host once (bwrap, namespaces, seccomp, Landlock) and returns a reusable sandbox. */
export async function createSandbox(options: CreateSandboxOptions = {}): Promise<Sandbox> {
  const env = options.env ?? process.env;
  const facts = getHostFacts({ env, bwrapOverride: options.bwrapPath });
  return new Sandbox(facts, env);
}

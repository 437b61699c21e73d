/**
 * The library surface: `createSandbox()` probes the host once; `sandbox.spawn()` plans and runs one
 * command and returns an execa subprocess (promise + streams).
 */
import type { ChildProcess } from 'node:child_process';
import type { ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { posix, win32 } from 'node:path';
import { ensureCacheDirs } from './host/caches.js';
import { getHostFacts } from './host/facts.js';
import { limitPlanOf, startLimitSession, withLimitArgs } from './launch/cgroups.js';
import type { LaunchOptions } from './launch/options.js';
import { spawnInherit } from './launch/spawn-inherit.js';
import { nameUserCommand } from './launch/user-command.js';
import { applyOverrides } from './manager/overrides.js';
import { SandboxManager } from './manager/transform.js';
import { createPlanCache } from './manager/plan-cache.js';
import type { PlanCache } from './manager/plan-cache.js';
import type { ArgvItem, HostFacts, LaunchRequest, LimitHit, Refusal } from './contracts/index.js';
import { execaEvidence, findRefusals } from './launch/refusals.js';
import type { RefusalScanInput } from './launch/refusals.js';
import type { SandboxSetupError } from './errors.js';
import { EMPTY_NETWORK_ACCESS, PermissionProfile, cacheDirs, compileNetworkPolicy, parsePermissionProfile } from './permissions/index.js';
import type { NetworkAccessPolicy } from './permissions/index.js';
import { openProxySession, SANDBOX_PROXY_PORT } from './launch/proxy/session.js';
import type { ProxyDenial, ProxySession } from './launch/proxy/session.js';
import { splitSpawnOptions } from './launch/spawn-options.js';
import { sessionSupervisorPath } from './native.js';
import { PathUri } from './path-uri/index.js';
import { SandboxSession } from './session/session.js';
import type { SessionOptions } from './session/session.js';
import { SessionPool, planKey } from './session/pool.js';
import type { SessionPoolOptions } from './session/pool.js';
import type { SessionSpawnOptions, SessionSubprocess } from './session/command.js';
import type { SandboxOptions, SpawnOptions } from './launch/spawn-options.js';

export type { SandboxOptions, SpawnOptions } from './launch/spawn-options.js';
export { SandboxSession } from './session/session.js';
export type { SessionOptions } from './session/session.js';
export { SessionCommandError } from './session/command.js';
export { SessionPool } from './session/pool.js';
export type { SessionResult, SessionSpawnOptions, SessionSubprocess } from './session/command.js';
export type { SessionPoolOptions } from './session/pool.js';

/** `sandbox.spawnPooled`'s per-command options (everything else is a SandboxOptions and decides the plan). */
export type PooledSpawnOptions = SandboxOptions & Omit<SessionSpawnOptions, 'cwd' | 'env'>;
const POOLED_COMMAND_KEYS = ['stdin', 'input', 'timeout', 'killSignal', 'reject', 'encoding', 'stripFinalNewline', 'buffer'] as const;

export type NamedProfile = 'read-only' | 'workspace-write' | 'danger-full-access';
export type ProfileInput = PermissionProfile | NamedProfile | Record<string, unknown>;

export interface CreateSandboxOptions {
  /** Force a bubblewrap binary (still probed); same as CODEX_SANDBOX_BWRAP. */
  bwrapPath?: string;
  /** Environment used for probing and as the default parent environment (default process.env). */
  env?: Record<string, string | undefined>;
  /**
   * Opt-in (Linux): `sandbox.spawnPooled` runs commands in sessions kept open per plan
   * (docs/sessions.md). Off by default: the commands of one session share its process namespace.
   */
  sessions?: boolean | SessionPoolOptions;
}

/** What a started sandbox adds to its process: the plan, an interrupt, and the limit it hit. */
export interface SandboxProcessExtras {
  /** The plan that is running (what `--dry-run` prints). */
  readonly launchRequest: LaunchRequest;
  /**
   * Sends SIGINT to the sandboxed process group; its own exit status is then reported. On Windows,
   * where a signal cannot be sent to another console process, this ends the whole sandboxed tree.
   */
  interrupt(): boolean;
  /**
   * Resolves once the command has exited (and the sandbox's cgroups are removed): the resource limit
   * it ran into (memory or CPU time: it was killed; pids: process creations were refused), or
   * undefined. Only limits enforced by a cgroup (memory, pids) or by a signal (CPU time) can be reported.
   */
  readonly limitHit: Promise<LimitHit | undefined>;
  /**
   * Resolves once the command has exited: what the sandbox refused it, as its error output names it
   * and the plan confirms (a write outside the writable roots, a connection with the network off),
   * each with the option that would allow it; [] when it exited 0 or nothing matches. Advisory: read
   * from the last 64 KiB of stderr, so only when stderr is captured (execa's default; `launchInherited`
   * relays it when `relayStderr`). Computed on first access.
   */
  readonly refusals: Promise<readonly Refusal[]>;
  /** With a network allow list: every connection the proxy refused so far (also sent to `onNetworkDenial`). */
  readonly networkDenials: readonly ProxyDenial[];
}

/** `sandbox.spawn` / `sandbox.launch`: an execa subprocess (promise + streams). */
export type SandboxSubprocess = ResultPromise & SandboxProcessExtras;

/** `sandbox.launchInherited`: a plain child process with this process's stdin, stdout and stderr. */
export type InheritedSandboxProcess = ChildProcess &
  SandboxProcessExtras & {
    /** Settles once the launcher exited or the command started: the set-up failure it reported, if any. */
    readonly setupStatus: Promise<SandboxSetupError | undefined>;
  };

/** What `start` needs of a process: execa's subprocess and node's ChildProcess both have it. */
interface StartedProcess {
  readonly pid?: number | undefined;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
  kill(signal?: NodeJS.Signals): boolean;
}

/** Starts the process for a LaunchRequest with execa (src/launch/run.ts, loaded by createSandbox). */
export type ExecaLaunch = (req: LaunchRequest, options: LaunchOptions) => ResultPromise;

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

/** The allow list with its defaults; throws NetworkRuleError for a rule that does not parse. */
export function networkAccessOf(n: Partial<NetworkAccessPolicy>): NetworkAccessPolicy {
  const policy = { ...EMPTY_NETWORK_ACCESS, ...n };
  compileNetworkPolicy(policy);
  return policy;
}

/** What `plan` needs to know of a running proxy. */
export function proxySocketOf(s: ProxySession): NonNullable<SandboxOptions['networkProxySocket']> {
  return { path: s.socketPath, dev: s.socketDev, ino: s.socketIno, ...(s.port !== undefined ? { port: s.port } : {}) };
}

/** Placeholder in a plan made before the proxy exists (`plan`, `--dry-run`). */
export const PROXY_SOCKET_PLACEHOLDER = '/proxy-socket-made-at-launch';

function networkOption(n: SpawnOptions['network']): 'enabled' | 'restricted' | undefined {
  if (n === undefined) return undefined;
  if (n === true || n === 'enabled') return 'enabled';
  return 'restricted';
}

export class Sandbox {
  /**
   * `createSandbox()` is the way to get one. `execaLaunch` is what `spawn`/`launch` start processes
   * with; without it (the CLI, which never loads execa) only `plan` and `launchInherited` work.
   */
  constructor(
    readonly facts: HostFacts,
    private readonly env: Record<string, string | undefined>,
    private readonly execaLaunch?: ExecaLaunch,
    sessions?: boolean | SessionPoolOptions,
  ) {
    if (sessions !== undefined && sessions !== false) this.pool = new SessionPool(sessions === true ? {} : sessions);
    // CODEX_SANDBOX_PLAN_CACHE=0 plans every command afresh (for comparison; the cache revalidates every answer).
    this.plans = env.CODEX_SANDBOX_PLAN_CACHE === '0' ? undefined : createPlanCache();
  }

  /** Plans by request, revalidated against the filesystem on every use (src/manager/plan-cache.ts). */
  private readonly plans: PlanCache | undefined;

  /** `createSandbox({ sessions })`: the open sessions by plan. */
  private readonly pool: SessionPool | undefined;

  /** The command and cwd each planned request was made for, so results and errors name them. */
  private readonly planned = new WeakMap<LaunchRequest, { command: readonly ArgvItem[]; cwd: string }>();

  /** The LaunchRequest for a command, without running it. */
  plan(command: readonly ArgvItem[], profile: ProfileInput, options: SandboxOptions = {}, /** @internal sandbox.session */ sessionSupervisor = false): LaunchRequest {
    const platform = this.facts.platform;
    const base = resolveProfileInput(profile);
    const writableRoots = [...(options.writableRoots ?? []), ...this.cacheDirsOf(options.caches)];
    const adjusted = applyOverrides(
      base,
      { writableRoots, network: networkOption(options.network), denyRead: options.denyRead },
      platform,
    ).profile;
    const envPolicy = typeof options.envPolicy === 'string' ? { inherit: options.envPolicy } : options.envPolicy;
    const req = (this.plans ?? SandboxManager).transform({
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
      ...(options.git !== undefined ? { git: options.git } : {}),
      ...(sessionSupervisor ? { sessionSupervisor } : {}),
      ...(options.networkAccess !== undefined
        ? {
            networkProxy: {
              socketPath: options.networkProxySocket?.path ?? PROXY_SOCKET_PLACEHOLDER,
              socketDev: options.networkProxySocket?.dev ?? '0',
              socketIno: options.networkProxySocket?.ino ?? '0',
              port: options.networkProxySocket?.port ?? SANDBOX_PROXY_PORT,
              hostPorts: networkAccessOf(options.networkAccess).allowHostPorts.length > 0,
            },
          }
        : {}),
    });
    const cwd = options.cwd === undefined ? process.cwd() : typeof options.cwd === 'string' ? options.cwd : options.cwd.toAbsPathString({ platform });
    this.planned.set(req, { command, cwd });
    return req;
  }

  /**
   * Plans and starts a command; returns an execa subprocess. Throws PlanError if it cannot be
   * sandboxed as asked, TypeError for an option that is neither a sandbox nor a LaunchOptions one.
   */
  spawn(command: readonly ArgvItem[], profile: ProfileInput, options: SpawnOptions = {}): SandboxSubprocess {
    const { sandbox, launch } = splitSpawnOptions(options);
    ensureCacheDirs(this.cacheDirsOf(sandbox.caches));
    if (sandbox.networkAccess === undefined) return this.launch(this.plan(command, profile, sandbox), launch);
    const session = this.openProxy(sandbox);
    let sub: SandboxSubprocess;
    try {
      sub = this.launch(this.plan(command, profile, { ...sandbox, networkProxySocket: proxySocketOf(session) }), launch);
    } catch (e) {
      void session.close();
      throw e;
    }
    sub.once('exit', () => void session.close());
    sub.once('error', () => {
      if (sub.pid === undefined) void session.close();
    });
    return Object.assign(sub, { networkDenials: session.denials });
  }

  /**
   * A session (Linux): the sandbox for `profile` and `options` set up once, around a supervisor that
   * then starts each `session.spawn(argv)` inside it, in a process group of its own — a fraction of
   * `spawn`'s cost per command. Everything the plan decides (mounts, deny-read globs as matched now,
   * network, environment policy, limits) is fixed for the session's life (docs/sessions.md).
   */
  session(profile: ProfileInput, options: SandboxOptions & SessionOptions = {}): SandboxSession {
    if (this.facts.platform !== 'linux') throw new TypeError(`sandbox.session: sessions need Linux (bubblewrap); on ${this.facts.platform} use sandbox.spawn`);
    const { idleTimeout, isolation, ...rest } = options;
    if (isolation !== undefined && isolation !== 'namespaces' && isolation !== 'none') throw new TypeError(`sandbox.session: isolation must be 'namespaces' or 'none' (got ${String(isolation)})`);
    const { sandbox, launch } = splitSpawnOptions(rest, 'sandbox.session');
    const extra = Object.keys(launch);
    if (extra.length) throw new TypeError(`sandbox.session: ${extra.join(', ')} are per command: pass them to session.spawn`);
    ensureCacheDirs(this.cacheDirsOf(sandbox.caches));
    const { supervisor, additionalPermissions } = this.supervisorPlanOptions(sandbox);
    // A caller that runs a proxy (the exec-server's, shared by its processes) gives its socket.
    const proxy = sandbox.networkAccess !== undefined && sandbox.networkProxySocket === undefined ? this.openProxy(sandbox) : undefined;
    try {
      // isolation 'none': the ordinary plan (no capability for the supervisor, bwrap's own /proc masks).
      const req = this.plan([supervisor], profile, { ...sandbox, additionalPermissions, ...(proxy ? { networkProxySocket: proxySocketOf(proxy) } : {}) }, isolation !== 'none');
      const cwd = this.planned.get(req)?.cwd ?? process.cwd();
      const sub = this.launch(req, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', buffer: false, encoding: 'buffer', reject: false });
      return new SandboxSession(sub, req, { cwd, env: req.env, onEnd: () => void proxy?.close() }, idleTimeout !== undefined ? { idleTimeout } : {});
    } catch (e) {
      void proxy?.close();
      throw e;
    }
  }

  /** The supervisor binary and the permissions that make it executable in the session's sandbox. */
  private supervisorPlanOptions(sandbox: SandboxOptions): { supervisor: string; additionalPermissions: NonNullable<SandboxOptions['additionalPermissions']> } {
    const supervisor = sessionSupervisorPath();
    if (!existsSync(supervisor)) throw new TypeError(`sandbox.session: the session supervisor ${supervisor} is missing (an old or partial build): run \`npm rebuild codex-sandbox\` (or \`npm run build:native\` in a checkout)`);
    // The supervisor must be executable inside the sandbox, read-only like the launcher beside it.
    // Each isolated command's init runs in the supervisor's own memory (native/session/init_main.c),
    // so no other program is needed.
    const entries = [{ path: { type: 'path' as const, path: PathUri.fromAbsPath(supervisor, { platform: 'linux' }) }, access: 'read' as const }];
    const extraPermissions = sandbox.additionalPermissions ?? {};
    const additionalPermissions = { ...extraPermissions, fileSystem: { ...(extraPermissions.fileSystem ?? {}), entries: [...(extraPermissions.fileSystem?.entries ?? []), ...entries] } };
    return { supervisor, additionalPermissions };
  }

  /**
   * `createSandbox({ sessions: true })` only (Linux): runs `command` in the pooled session whose plan
   * is the one `profile` and `options` give now, opening one if none is open. The plan is made again
   * for every call, so a changed filesystem (a root renamed, a protected name now missing), another
   * profile, cwd, environment, network or limit gives another session. What a session fixes at its
   * start and what its commands share: docs/sessions.md.
   */
  spawnPooled(command: readonly ArgvItem[], profile: ProfileInput, options: PooledSpawnOptions = {}): SessionSubprocess {
    const pool = this.pool;
    if (!pool) throw new TypeError('sandbox.spawnPooled: sessions are off for this sandbox: create it with createSandbox({ sessions: true })');
    if (this.facts.platform !== 'linux') throw new TypeError(`sandbox.spawnPooled: sessions need Linux (bubblewrap); on ${this.facts.platform} use sandbox.spawn`);
    const perCommand: Record<string, unknown> = {};
    const planning: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(options)) ((POOLED_COMMAND_KEYS as readonly string[]).includes(k) ? perCommand : planning)[k] = v;
    const { sandbox, launch } = splitSpawnOptions(planning, 'sandbox.spawnPooled');
    const extra = Object.keys(launch);
    if (extra.length) throw new TypeError(`sandbox.spawnPooled: ${extra.join(', ')} are not supported for pooled commands (options: ${POOLED_COMMAND_KEYS.join(', ')} and the sandbox options); use sandbox.spawn`);
    // A callback cannot be part of the key: a session opened by another caller would report to theirs.
    if (sandbox.onNetworkDenial !== undefined) throw new TypeError('sandbox.spawnPooled: onNetworkDenial is per caller; open a session of your own with sandbox.session()');
    return this.spawnInPool(pool, command, profile, sandbox, perCommand as SessionSpawnOptions);
  }

  /**
   * Runs `command` in `pool`'s session for the plan `profile` and `options` give now (opening it if
   * needed). `createSandbox({ sessions })` and the exec-server (one pool per client session) use it.
   */
  spawnInPool(pool: SessionPool, command: readonly ArgvItem[], profile: ProfileInput, options: SandboxOptions, commandOptions: SessionSpawnOptions = {}): SessionSubprocess {
    ensureCacheDirs(this.cacheDirsOf(options.caches));
    // The key is the session's own plan (without a proxy socket, its placeholder), the allow list beside it.
    const { supervisor, additionalPermissions } = this.supervisorPlanOptions(options);
    const keyReq = this.plan([supervisor], profile, { ...options, additionalPermissions });
    const key = planKey(keyReq, options.networkAccess !== undefined ? networkAccessOf(options.networkAccess) : null);
    const open = (): SandboxSession => this.session(profile, { ...options, idleTimeout: pool.idleTimeout });
    const session = pool.acquire(key, open);
    try {
      return session.spawn(command, commandOptions);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith('session.spawn: the session is closed')) throw e;
      // It closed (idle timeout) between acquire and spawn: once more, with a new session.
      pool.discard(key, session);
      return pool.acquire(key, open).spawn(command, commandOptions);
    }
  }

  /** Number of pooled sessions open (`createSandbox({ sessions })`). */
  get pooledSessions(): number {
    return this.pool?.size ?? 0;
  }

  /** Closes this sandbox's pooled sessions (their running commands fail); `spawnPooled` then throws. */
  async close(): Promise<void> {
    await this.pool?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Starts the filtering proxy for one command (its socket exists when this returns). */
  openProxy(options: Pick<SandboxOptions, 'networkAccess' | 'onNetworkDenial'>): ProxySession {
    return openProxySession(networkAccessOf(options.networkAccess ?? {}), options.onNetworkDenial, undefined, this.facts.platform === 'darwin');
  }

  /**
   * The directories `caches` names under the home directory (`plan` makes them writable roots; `spawn`
   * creates the missing ones first, `plan` alone does not). TypeError for an unknown tool or no home.
   */
  cacheDirsOf(caches: readonly string[] | undefined): string[] {
    if (caches === undefined || caches.length === 0) return [];
    const home = this.facts.home;
    if (home === undefined) throw new TypeError('caches: the home directory is unknown (HOME is unset); give the cache directories as writableRoots instead');
    const join = this.facts.platform === 'win32' ? win32.join : posix.join;
    try {
      return cacheDirs(caches, home, join);
    } catch (e) {
      throw new TypeError(`caches: ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * Starts a LaunchRequest made by `plan` as an execa subprocess (the exec-server plans, adds what its
   * request asks of the launcher, and starts it here). Results and errors name `command` — by default
   * the command `plan` made this request for — and its cwd, instead of the launcher.
   */
  launch(req: LaunchRequest, options: LaunchOptions = {}, command?: readonly ArgvItem[]): SandboxSubprocess {
    const { sandbox, launch } = splitSpawnOptions(options, 'sandbox.launch');
    const planning = Object.keys(sandbox);
    if (planning.length) throw new TypeError(`sandbox.launch: ${planning.join(', ')} decide the plan: pass them to sandbox.plan`);
    const execaLaunch = this.execaLaunch;
    if (!execaLaunch) throw new TypeError('this Sandbox cannot start execa subprocesses: get one from createSandbox()');
    const recorded = this.planned.get(req);
    const user = command !== undefined ? { command, cwd: recorded?.cwd ?? process.cwd() } : recorded;
    return this.start(
      req,
      (r) => (user ? nameUserCommand(execaLaunch(r, launch), user.command, user.cwd) : execaLaunch(r, launch)),
      (sub) => sub.then(execaEvidence, execaEvidence),
    );
  }

  /**
   * Starts a LaunchRequest from `plan` with this process's own stdin, stdout and stderr, as a plain
   * child process (what `codex-sandbox run` does: none of execa's stream handling, nor its start-up cost).
   * `detached`: the launcher leads a process group of its own, so a terminal's signals reach only the caller.
   * `relayStderr`: the command's stderr comes through a pipe that is copied to this process's stderr, and
   * its end is kept for `refusals` (the CLI does this when its stderr is not a terminal).
   */
  launchInherited(req: LaunchRequest, options: { detached: boolean; relayStderr?: boolean; ttyFd?: number; outputTail?: Promise<string | undefined> }): InheritedSandboxProcess {
    let setupStatus: Promise<SandboxSetupError | undefined> = Promise.resolve(undefined);
    let stderrTail: Promise<string | undefined> = Promise.resolve(undefined);
    const child = this.start(
      req,
      (r) => {
        const started = spawnInherit(r, options);
        setupStatus = started.setupStatus;
        // With a terminal (ttyFd) the caller reads the command's output and hands its end in here.
        stderrTail = options.outputTail ?? started.stderrTail;
        return started.child;
      },
      (_sub, exited) => Promise.all([stderrTail, exited]).then(([stderr, exit]) => ({ stderr, ...exit })),
    );
    return Object.assign(child, { setupStatus });
  }

  /** The one start path: the sandbox's cgroups around the process, and what limit it hit. */
  private start<P extends StartedProcess>(
    req: LaunchRequest,
    startProcess: (req: LaunchRequest) => P,
    evidence: (sub: P, exited: Promise<{ exitCode: number | null; signal: string | null }>) => Promise<Omit<RefusalScanInput, 'home' | 'cwd'>>,
  ): P & SandboxProcessExtras {
    const session = startLimitSession(limitPlanOf(req));
    let sub: P;
    try {
      sub = startProcess(withLimitArgs(req, session));
    } catch (e) {
      void session.cleanup();
      throw e;
    }
    let exitedWith: (exit: { exitCode: number | null; signal: string | null }) => void = () => undefined;
    const exited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve) => (exitedWith = resolve));
    const limitHit = new Promise<LimitHit | undefined>((resolve) => {
      let done = false;
      const end = (exitCode: number | null, signal: NodeJS.Signals | null): void => {
        if (done) return;
        done = true;
        exitedWith({ exitCode, signal });
        const hit = session.finish({ exitCode, signal });
        void session.cleanup().then(() => resolve(hit));
      };
      sub.once('exit', end);
      sub.once('error', () => {
        // A launcher that never started never exits; one that did still reports through 'exit'.
        if (sub.pid === undefined) end(null, null);
      });
    });
    let refusals: Promise<readonly Refusal[]> | undefined;
    const home = this.env.HOME;
    const cwd = this.planned.get(req)?.cwd;
    const extras = Object.assign(sub, { launchRequest: req, interrupt: (): boolean => sub.kill('SIGINT'), limitHit, networkDenials: [] as readonly ProxyDenial[] });
    // Lazy: nothing is read or kept for a caller that never asks.
    return Object.defineProperty(extras, 'refusals', {
      enumerable: true,
      get: (): Promise<readonly Refusal[]> =>
        (refusals ??= evidence(sub, exited).then(
          (e) => findRefusals(req, { ...e, home, cwd }),
          () => [],
        )),
    }) as P & SandboxProcessExtras;
  }
}


/** Probes the host once (bwrap, namespaces, seccomp, Landlock) and returns a reusable sandbox. */
export async function createSandbox(options: CreateSandboxOptions = {}): Promise<Sandbox> {
  const env = options.env ?? process.env;
  const facts = getHostFacts({ env, bwrapOverride: options.bwrapPath });
  // execa is loaded here, not at import: the CLI plans and runs through Sandbox without paying for it.
  const { launch } = await import('./launch/run.js');
  return new Sandbox(facts, env, launch, options.sessions);
}

/**
 * A Sandbox whose commands run on an exec-server: `spawn(command, profile, options)` as with the local
 * Sandbox, planned and enforced by the server's own Sandbox (the profile travels as the `sandbox`
 * field of `process/start`, so a server never runs it unconfined). The result carries the exit code
 * a local run would give (the command's own, 128+N for a signal).
 */
import { permissionProfileToWire } from '../../permissions/index.js';
import { PathUri } from '../../path-uri/index.js';
import type { Platform } from '../../path-uri/index.js';
import type { EnvPolicy } from '../../contracts/index.js';
import { applyOverrides } from '../../manager/overrides.js';
import { DEFAULT_ENV_POLICY } from '../../manager/transform.js';
import { resolveProfileInput } from '../../sandbox.js';
import type { ProfileInput } from '../../sandbox.js';
import type { ExecServerClient } from './client.js';
import type { RemoteProcess } from './remote-process.js';
import type { ExecParams } from './types.js';

export interface RemoteSpawnOptions {
  /** Working directory on the server's host (absolute path or PathUri; default: the server's cwd). */
  cwd?: string | PathUri;
  writableRoots?: readonly string[];
  network?: boolean | 'enabled' | 'restricted';
  denyRead?: readonly string[];
  /** Roots `:project_roots` means (default: [cwd]). */
  projectRoots?: readonly string[];
  /** Which of the *server's* variables the command sees (default: all but names matching KEY/SECRET/TOKEN). */
  envPolicy?: EnvPolicy | EnvPolicy['inherit'];
  /** Variables set on top of the policy's result. */
  env?: Record<string, string>;
  /** Written to the command's stdin, which is then closed. */
  input?: string | Buffer;
  /** Keep stdin open for `write()` (closed with `closeStdin()`). */
  pipeStdin?: boolean;
  /** Run on a pseudo-terminal (output arrives as `stdout`). */
  tty?: boolean;
}

export interface RemoteRunResult {
  command: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  sandboxDenied: boolean;
  sandboxType: string | undefined;
  /** The exec-server environment it ran on. */
  environment: string;
}

const PLATFORM_OF_OS: Record<string, Platform> = { linux: 'linux', macos: 'darwin', windows: 'win32' };

/** A started remote command: awaitable for its result; stdin, interrupt and kill meanwhile. */
export class RemoteSubprocess implements PromiseLike<RemoteRunResult> {
  private readonly result: Promise<RemoteRunResult>;
  constructor(
    readonly started: Promise<RemoteProcess>,
    command: string[],
    environment: string,
  ) {
    this.result = started.then(async (p) => {
      const r = await p.finished;
      const stdout = p.tty ? r.pty : r.stdout;
      return { command, exitCode: r.exitCode, stdout: stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), sandboxDenied: r.sandboxDenied, sandboxType: p.sandboxType, environment };
    });
    this.result.catch(() => undefined);
  }
  then<A = RemoteRunResult, B = never>(onOk?: ((v: RemoteRunResult) => A | PromiseLike<A>) | null, onErr?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.result.then(onOk, onErr);
  }
  async write(data: string | Buffer): Promise<void> {
    await (await this.started).write(data);
  }
  async closeStdin(): Promise<void> {
    await (await this.started).closeStdin();
  }
  /** SIGINT to the command's process group (Codex `process/signal interrupt`). */
  async interrupt(): Promise<void> {
    await (await this.started).interrupt();
  }
  /** SIGKILL to the whole sandbox (`process/terminate`). */
  async kill(): Promise<boolean> {
    return (await this.started).terminate();
  }
}

export class RemoteSandbox {
  private current: ExecServerClient | undefined;
  private connecting: Promise<ExecServerClient> | undefined;
  /** A stdio environment's failed start, given again to every later caller (nothing is re-spawned). */
  private startupFailure: Error | undefined;
  private readonly firstConnect: (() => Promise<ExecServerClient>) | undefined;

  constructor(
    /** A connected client, or how to connect on first use (Codex keeps stdio environments lazy). */
    client: ExecServerClient | (() => Promise<ExecServerClient>),
    /** The environment id (or the URL / program when connected directly). */
    readonly environment: string,
    /**
     * How to get a brand-new client and session once this one's session is lost for good (Codex
     * environment layer, #23867: one shared attempt; old processes stay failed, nothing is replayed).
     * Absent (stdio environments, as in Codex): a lost client stays lost.
     */
    private readonly reconnect?: () => Promise<ExecServerClient>,
  ) {
    if (typeof client === 'function') this.firstConnect = client;
    else this.current = client;
  }

  /** The client in use (a new one after a lost session was replaced); throws before a lazy first use. */
  get client(): ExecServerClient {
    if (this.current === undefined) throw new Error(`environment \`${this.environment}\` is not connected yet (it connects on first spawn, or call connect())`);
    return this.current;
  }

  /** Its session is live (or it has not connected yet: lazy); false once the session is lost (the next spawn may start a fresh one). */
  get connected(): boolean {
    return this.current === undefined ? this.firstConnect !== undefined && this.startupFailure === undefined : this.current.connected;
  }

  /** Connects now (a lazy environment), or replaces a lost session (WebSocket environments). */
  connect(): Promise<ExecServerClient> {
    return this.liveClient();
  }

  private liveClient(): Promise<ExecServerClient> {
    if (this.startupFailure !== undefined) return Promise.reject(this.startupFailure);
    const c = this.current;
    const factory = c === undefined ? this.firstConnect : c.connected ? undefined : this.reconnect;
    if (factory === undefined) return c !== undefined ? Promise.resolve(c) : Promise.reject(new Error(`environment \`${this.environment}\` has no client`));
    // One shared attempt for concurrent callers. A failed WebSocket attempt (first or replacement) is
    // tried again by the next caller (Codex environment.rs `retryable_startup_failure_does_not_burn_environment`,
    // `failed_reconnect_does_not_burn_environment`). An environment without `reconnect` (stdio) is
    // never restarted, so its failed start is terminal: remembered and given to every later caller
    // without spawning the program again (`terminal_stdio_startup_failure_is_remembered`).
    this.connecting ??= factory().then(
      (client) => {
        this.current = client;
        this.connecting = undefined;
        return client;
      },
      (e: unknown) => {
        this.connecting = undefined;
        const error = e instanceof Error ? e : new Error(String(e));
        if (c === undefined && this.reconnect === undefined) this.startupFailure = error;
        throw error;
      },
    );
    return this.connecting;
  }

  /** The server host's platform, from environment/info (linux when the server does not say). */
  get platform(): Platform {
    return PLATFORM_OF_OS[String(this.client.environmentInfo?.platformOs ?? 'linux')] ?? 'linux';
  }

  /** The `process/start` params `spawn` sends (no process id yet): nothing is started. */
  startParams(command: readonly string[], profile: ProfileInput, options: RemoteSpawnOptions = {}): Omit<ExecParams, 'processId'> {
    if (command.length === 0) throw new TypeError('command must not be empty');
    const platform = this.platform;
    const cwdUri = options.cwd === undefined ? this.client.environmentInfo?.cwd : typeof options.cwd === 'string' ? PathUri.fromAbsPath(options.cwd, { platform }).toString() : options.cwd.toString();
    if (typeof cwdUri !== 'string') throw new TypeError(`exec-server ${this.client.label} reports no working directory: give options.cwd`);
    const network = options.network === undefined ? undefined : options.network === true || options.network === 'enabled' ? ('enabled' as const) : ('restricted' as const);
    const overridden = applyOverrides(resolveProfileInput(profile), { writableRoots: options.writableRoots ?? [], denyRead: options.denyRead ?? [], ...(network ? { network } : {}) }, platform);
    const roots = (options.projectRoots ?? []).map((r) => PathUri.fromAbsPath(r, { platform }).toString());
    const policy = options.envPolicy === undefined ? DEFAULT_ENV_POLICY : typeof options.envPolicy === 'string' ? { ...DEFAULT_ENV_POLICY, inherit: options.envPolicy } : options.envPolicy;
    return {
      argv: [...command],
      cwd: cwdUri,
      env: { ...(options.env ?? {}) },
      // Sent in full: Codex's server defaults ignoreDefaultExcludes to true, which would pass its secrets on.
      envPolicy: { ignoreDefaultExcludes: false, ...policy },
      tty: options.tty === true,
      pipeStdin: options.pipeStdin === true || options.input !== undefined,
      // Always present: a server never runs the command unconfined (its fallback would be its own default profile).
      sandbox: { permissions: permissionProfileToWire(overridden.profile), windowsSandboxLevel: platform === 'win32' ? 'restricted-token' : 'disabled', workspaceRoots: roots.length ? roots : [cwdUri], cwd: cwdUri },
    };
  }

  spawn(command: readonly string[], profile: ProfileInput, options: RemoteSpawnOptions = {}): RemoteSubprocess {
    const started = (async () => {
      const client = await this.liveClient();
      const params = this.startParams(command, profile, options);
      const p = await client.start(params);
      if (options.input !== undefined) {
        await p.write(options.input);
        await p.closeStdin();
      }
      return p;
    })();
    return new RemoteSubprocess(started, [...command], this.environment);
  }

  async close(): Promise<void> {
    const pending = this.connecting;
    if (pending !== undefined) await pending.then((c) => c.close()).catch(() => undefined);
    await this.current?.close();
  }
}

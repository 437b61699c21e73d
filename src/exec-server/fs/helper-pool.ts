/**
 * Sandboxed filesystem requests: each runs in an fs helper started through the same Sandbox.plan /
 * launch path as `process/start`, under the request's own profile (Codex exec-server fs_sandbox.rs).
 * A helper serves one connection and one sandbox context; it is killed when the connection goes.
 */
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import type { Sandbox, SandboxOptions, SessionPool, SpawnOptions } from '../../sandbox.js';
import type { AdditionalPermissionProfile } from '../../permissions/index.js';
import { PathUri } from '../../path-uri/index.js';
import type { Platform } from '../../path-uri/index.js';
import { FsFailure, FS_INTERNAL, FS_INVALID, FS_NOT_FOUND, fsInternal, invalidInput } from './errors.js';
import type { HelperRequest, HelperResponse } from './helper-protocol.js';
import type { FsSandbox } from './params.js';
import type { FsRequest } from './requests.js';

const platform = process.platform as Platform;

/**
 * An idle helper is stopped after this long: a burst of requests pays one sandbox start, and what a
 * live sandbox leaves on the disk (the launcher's mount-point placeholders for protected metadata
 * such as `.git`) does not linger between bursts.
 */
export const HELPER_IDLE_MS = 2000;

/** Longest helper answer taken (a JavaScript string holds at most ~512 Mi UTF-16 units). */
export const MAX_HELPER_LINE_BYTES = 400 * 1024 * 1024;

/** Helpers one connection may keep at once (distinct sandbox contexts); the least recently used idle one goes. */
export const MAX_HELPERS_PER_CONNECTION = 8;

/** Where the built helper lives (dist/fs-helper/fs-helper.js), from dist/cli/*.js or dist/src/exec-server/fs/*.js. */
export function fsHelperPath(): string {
  const here = import.meta.url;
  for (const rel of ['../fs-helper/fs-helper.js', '../../../fs-helper/fs-helper.js', '../../../dist/fs-helper/fs-helper.js']) {
    const p = fileURLToPath(new URL(rel, here));
    if (existsSync(p)) return realpathSync(p);
  }
  throw fsInternal('the fs helper (dist/fs-helper/fs-helper.js) is missing: run `npm run build:ts`');
}

/**
 * Codex fs_sandbox.rs helper env: cleared, then only PATH, TMPDIR, TMP, TEMP from the server's own
 * environment — no token or credential the server holds reaches a process in the sandbox.
 */
export function helperEnv(serverEnv: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ['PATH', 'TMPDIR', 'TMP', 'TEMP']) {
    const v = serverEnv[k];
    if (v !== undefined) env[k] = v;
  }
  return env;
}

export interface HelperOptions {
  sandbox: Sandbox;
  serverEnv: Record<string, string | undefined>;
  hiddenPaths?: readonly string[];
  /** The server's `--cache` tools and `--git` mode: fs/* writes get what process/start gets (never its network). */
  sandboxOptions?: Pick<SpawnOptions, 'caches' | 'git'>;
  /**
   * The server runs sandboxed processes in sandbox sessions (Linux, the default): a helper is then a
   * command in its client session's pool, in the session for the helper's own plan, so the next burst
   * after an idle helper stopped starts a command in that session instead of a whole sandbox.
   */
  sessions?: boolean;
}

/** What a helper needs of its process: a sandboxed launch or a command in a sandbox session. */
interface HelperProcess {
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  kill(signal?: NodeJS.Signals): boolean;
}

class Helper {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: object) => void; reject: (e: FsFailure) => void; operation: string }>();
  private stderr = '';
  private dead: FsFailure | undefined;
  openHandles = 0;
  lastUsed = Date.now();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sub: HelperProcess,
    exited: Promise<{ exitCode?: number | undefined; signal?: string | undefined }>,
  ) {
    const out = sub.stdout;
    const err = sub.stderr;
    if (!out || !err || !sub.stdin) throw fsInternal('fs sandbox helper started without pipes');
    err.on('data', (d: Buffer) => {
      if (this.stderr.length < 8192) this.stderr += d.toString();
    });
    out.on('data', (d: Buffer) => this.onData(d));
    sub.stdin.on('error', () => undefined);
    void exited.then(
      (r) => this.onExit(r.exitCode, r.signal),
      () => this.onExit(undefined, undefined),
    );
  }

  get busy(): boolean {
    return this.pending.size > 0 || this.openHandles > 0;
  }

  get alive(): boolean {
    return this.dead === undefined;
  }

  private partial: Buffer[] = [];
  private partialBytes = 0;

  /**
   * Splits the helper's stdout into lines, at most MAX_HELPER_LINE_BYTES each: the helper runs in the
   * sandbox, and a line longer than a JavaScript string can hold would otherwise throw in the server.
   */
  private onData(d: Buffer): void {
    let chunk = d;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a)) {
      const line = Buffer.concat([...this.partial, chunk.subarray(0, nl)]);
      this.partial = [];
      this.partialBytes = 0;
      chunk = chunk.subarray(nl + 1);
      if (line.length > MAX_HELPER_LINE_BYTES) this.fail(fsInternal(`fs sandbox helper response exceeds ${MAX_HELPER_LINE_BYTES} bytes`));
      else this.onLine(line.toString('utf8'));
    }
    if (chunk.length === 0) return;
    this.partial.push(chunk);
    this.partialBytes += chunk.length;
    if (this.partialBytes > MAX_HELPER_LINE_BYTES) {
      this.partial = [];
      this.fail(fsInternal(`fs sandbox helper response exceeds ${MAX_HELPER_LINE_BYTES} bytes`));
    }
  }

  private onLine(line: string): void {
    let msg: HelperResponse;
    try {
      msg = JSON.parse(line) as HelperResponse;
    } catch (e) {
      this.fail(fsInternal(`failed to encode or decode fs sandbox helper message: ${String(e)}`));
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    this.armIdle();
    if (msg.status === 'ok') {
      if (msg.payload.operation !== p.operation) p.reject(fsInternal(`unexpected fs sandbox helper response: expected ${p.operation}, got ${msg.payload.operation}`));
      else p.resolve(msg.payload.response);
      return;
    }
    // Codex: the helper's -32004/-32600 are kept; anything else becomes -32603 (the helper runs
    // under the sandbox; it chooses no other code for the server).
    const code = msg.payload.code === FS_NOT_FOUND || msg.payload.code === FS_INVALID ? msg.payload.code : FS_INTERNAL;
    p.reject(new FsFailure(code, String(msg.payload.message)));
  }

  private onExit(code: number | undefined, signal: string | undefined): void {
    const status = code !== undefined ? `exit status: ${code}` : signal !== undefined ? `signal: ${signal}` : 'unknown';
    this.fail(fsInternal(`fs sandbox helper failed with status ${status}: ${this.stderr.trim()}`));
  }

  private fail(e: FsFailure): void {
    this.dead ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.kill();
  }

  /** Stops the helper once nothing is pending and no read handle lives in it. */
  armIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.busy || this.dead) return;
    this.idleTimer = setTimeout(() => {
      if (!this.busy) this.kill();
    }, HELPER_IDLE_MS);
    this.idleTimer.unref();
  }

  run(request: FsRequest): Promise<object> {
    this.lastUsed = Date.now();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    const msg: HelperRequest = { id, request };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, operation: request.operation });
      this.sub.stdin?.write(`${JSON.stringify(msg)}\n`);
    });
  }

  kill(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.dead ??= fsInternal('fs sandbox helper was stopped');
    // SIGKILL to the launcher; the sandboxed helper below it dies with it (bwrap --die-with-parent).
    // In a session: to the helper's process group (its pid namespace ends with it).
    try {
      this.sub.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** The helpers of one connection, one per sandbox context. */
export class HelperPool {
  private readonly helpers = new Map<string, Helper>();
  private closed = false;

  /** `sandboxSessions`: the client session's pool of sandbox sessions, when the server uses them. */
  constructor(
    private readonly options: HelperOptions,
    private readonly sandboxSessions?: () => SessionPool | undefined,
  ) {}

  private launch(ctx: FsSandbox): Helper {
    const { sandbox } = this.options;
    const helper = fsHelperPath();
    const node = realpathSync(process.execPath);
    const entries: NonNullable<AdditionalPermissionProfile['fileSystem']>['entries'] = [
      // Exactly the helper's own files are added for reading, not their directories (Codex
      // helper_permissions_include_only_the_helper_executable): siblings stay unreadable.
      { path: { type: 'path', path: PathUri.fromAbsPath(node, { platform }) }, access: 'read' },
      { path: { type: 'path', path: PathUri.fromAbsPath(helper, { platform }) }, access: 'read' },
      // Codex: a profile with restricted reads gets :minimal so the helper can start at all.
      { path: { type: 'special', value: { kind: 'minimal' } }, access: 'read' },
    ];
    const planOptions: SandboxOptions = {
      cwd: ctx.cwd ?? process.cwd(),
      projectRoots: ctx.projectRoots,
      additionalPermissions: { fileSystem: { entries } },
      // Codex: network is forced to restricted for the helper.
      network: 'restricted',
      env: helperEnv(this.options.serverEnv),
      envPolicy: { inherit: 'all', ignoreDefaultExcludes: true },
      ...(this.options.hiddenPaths?.length ? { denyRead: this.options.hiddenPaths } : {}),
      ...this.options.sandboxOptions,
    };
    let req;
    try {
      req = sandbox.plan([node, helper], ctx.profile, planOptions);
    } catch (e) {
      throw invalidInput(`failed to prepare fs sandbox: ${e instanceof Error ? e.message : String(e)}`);
    }
    // A restricting context must never run unconfined (Codex: platform sandbox required).
    if (req.kind === 'none' || (platform === 'linux' && req.kind !== 'linux-bwrap')) throw invalidInput('filesystem sandbox cannot be enforced on this executor');
    const pool = this.options.sessions === true && req.kind === 'linux-bwrap' ? this.sandboxSessions?.() : undefined;
    if (pool !== undefined) {
      // The pool plans the session again from the same profile and options (a bwrap plan, checked above).
      let cmd;
      try {
        cmd = sandbox.spawnInPool(pool, [node, helper], ctx.profile, planOptions, { stdin: 'pipe', reject: false, encoding: 'buffer', buffer: false });
      } catch (e) {
        throw fsInternal(`failed to start the fs sandbox helper in a sandbox session: ${e instanceof Error ? e.message : String(e)}`);
      }
      return new Helper(cmd, cmd);
    }
    const sub = sandbox.launch(req, { stdio: ['pipe', 'pipe', 'pipe'], reject: false, buffer: false, cleanup: true });
    return new Helper(sub, sub);
  }

  private helperFor(ctx: FsSandbox): Helper {
    if (this.closed) throw fsInternal('the connection is closed');
    const existing = this.helpers.get(ctx.key);
    if (existing?.alive) return existing;
    if (existing) this.helpers.delete(ctx.key);
    if (this.helpers.size >= MAX_HELPERS_PER_CONNECTION) {
      let oldest: [string, Helper] | undefined;
      for (const entry of this.helpers) if (!entry[1].busy && (!oldest || entry[1].lastUsed < oldest[1].lastUsed)) oldest = entry;
      if (oldest) {
        oldest[1].kill();
        this.helpers.delete(oldest[0]);
      }
    }
    const h = this.launch(ctx);
    this.helpers.set(ctx.key, h);
    return h;
  }

  run(ctx: FsSandbox, request: FsRequest): Promise<object> {
    return this.helperFor(ctx).run(request);
  }

  /** A handle opened in a helper reads through that helper; returns a reader bound to it. */
  async open(ctx: FsSandbox, request: FsRequest): Promise<(r: FsRequest) => Promise<object>> {
    const h = this.helperFor(ctx);
    await h.run(request);
    h.openHandles += 1;
    let released = false;
    return async (r) => {
      if (r.operation === 'fs/close' && !released) {
        released = true;
        h.openHandles -= 1;
        if (!h.alive) return {};
        const done = await h.run(r);
        h.armIdle();
        return done;
      }
      return h.run(r);
    };
  }

  closeAll(): void {
    this.closed = true;
    for (const h of this.helpers.values()) h.kill();
    this.helpers.clear();
  }
}

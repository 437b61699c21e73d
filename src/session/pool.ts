/**
 * A pool of sessions keyed by their plan (createSandbox({ sessions }) → sandbox.spawnPooled): a
 * command goes to the open session whose plan is the one its own options give now, or opens a new
 * one. Pure bookkeeping: the Sandbox computes the key and opens the session.
 */
import type { LaunchRequest } from '../contracts/index.js';
import type { SandboxSession } from './session.js';

export interface SessionPoolOptions {
  /** Close a pooled session after this many milliseconds without a running command (default 30 000). */
  idleTimeout?: number;
  /** At most this many open sessions; opening one more closes the least recently used idle one (default 8). */
  maxSessions?: number;
}

export const DEFAULT_POOL_IDLE_TIMEOUT_MS = 30_000;
export const DEFAULT_POOL_MAX_SESSIONS = 8;

/**
 * The pool key of a plan: every part of the LaunchRequest that the launch acts on (the launcher's
 * argv — mounts, each writable root's device and inode checks, placeholders, seccomp and network
 * mode —, the environment, the cwd, the limits) plus what the plan refers to but does not hold (the
 * network allow list). Two requests with the same key start the same sandbox; anything else that
 * differs (a root renamed, a placeholder now needed, another profile) gives another key and so
 * another session.
 */
export function planKey(req: LaunchRequest, extra: unknown = null): string {
  return JSON.stringify([req.kind, req.program, req.argv, req.env, req.cwd, req.native, extra], (_k, v: unknown) =>
    // ArgvItem bytes: as hex, so that the key names the bytes and not a Buffer's JSON shape.
    v instanceof Uint8Array ? { bytes: Buffer.from(v).toString('hex') } : isBufferJson(v) ? { bytes: Buffer.from(v.data).toString('hex') } : v,
  );
}

function isBufferJson(v: unknown): v is { type: 'Buffer'; data: number[] } {
  return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data);
}

export class SessionPool {
  /** Open sessions by plan key, least recently used first. */
  private readonly sessions = new Map<string, SandboxSession>();
  /** Sessions whose supervisor has exited. */
  private readonly ended = new WeakSet<SandboxSession>();
  private closed = false;
  readonly idleTimeout: number;
  readonly maxSessions: number;

  constructor(options: SessionPoolOptions = {}) {
    this.idleTimeout = options.idleTimeout ?? DEFAULT_POOL_IDLE_TIMEOUT_MS;
    this.maxSessions = options.maxSessions ?? DEFAULT_POOL_MAX_SESSIONS;
    if (!(this.idleTimeout > 0)) throw new TypeError(`sessions.idleTimeout must be a positive number of milliseconds (got ${this.idleTimeout})`);
    if (!Number.isInteger(this.maxSessions) || this.maxSessions < 1) throw new TypeError(`sessions.maxSessions must be a positive integer (got ${this.maxSessions})`);
  }

  /** The open session for `key`, or a new one from `open` (which must pass `idleTimeout` on). */
  acquire(key: string, open: () => SandboxSession): SandboxSession {
    if (this.closed) throw new Error('the sandbox is closed (sandbox.close()): create a new one with createSandbox()');
    const found = this.sessions.get(key);
    if (found && !this.ended.has(found)) {
      // Most recently used last.
      this.sessions.delete(key);
      this.sessions.set(key, found);
      return found;
    }
    this.sessions.delete(key);
    this.evict();
    const session = open();
    this.sessions.set(key, session);
    // A session that ends by itself (idle timeout, supervisor death) leaves the pool.
    void session.ended.then(() => {
      this.ended.add(session);
      if (this.sessions.get(key) === session) this.sessions.delete(key);
    });
    return session;
  }

  /** Number of open sessions. */
  get size(): number {
    return [...this.sessions.values()].filter((s) => !this.ended.has(s)).length;
  }

  /**
   * Drops `session` from the pool (it refused a command: it was closed by its idle timeout between
   * `acquire` and its spawn); the next `acquire` of `key` opens a new one.
   */
  discard(key: string, session: SandboxSession): void {
    if (this.sessions.get(key) === session) this.sessions.delete(key);
    void session.close();
  }

  /** Closes every session (their running commands fail with SessionCommandError) and refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.close()));
  }

  /** Keeps the pool under maxSessions: closes the least recently used idle sessions. */
  private evict(): void {
    for (const [key, s] of this.sessions) {
      if (this.sessions.size < this.maxSessions) return;
      if (s.running > 0 && !this.ended.has(s)) continue;
      this.sessions.delete(key);
      void s.close();
    }
  }
}

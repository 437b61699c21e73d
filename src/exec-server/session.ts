/**
 * Sessions (Codex exec-server server/session_registry.rs): a session owns its processes and their
 * retained output, survives its connection for a detached TTL, and can be resumed by one new
 * connection with `initialize{resumeSessionId}`.
 */
import { randomUUID } from 'node:crypto';
import { SessionPool } from '../sandbox.js';
import { invalidRequest, notificationMessage, RpcError, SESSION_ALREADY_ATTACHED } from './jsonrpc.js';
import type { ManagedProcess, ProcessSink } from './managed-process.js';

/** Codex: DETACHED_SESSION_TTL. */
export const DETACHED_SESSION_TTL_MS = 30_000;

export interface SessionPort {
  readonly open: boolean;
  send(message: object): void;
  congested(): boolean;
}

export interface SessionLimits {
  /** Processes a session may hold at once (running, or exited and still retained). */
  maxProcesses: number;
  /** Output bytes a session retains over all its processes; the oldest chunks go first. */
  maxRetainedBytes: number;
  detachedTtlMs: number;
}

export class Session implements ProcessSink {
  readonly id = randomUUID();
  connection: SessionPort | undefined;
  readonly processes = new Map<string, ManagedProcess>();
  private retainedTotal = 0;
  detachTimer: NodeJS.Timeout | undefined;
  /**
   * This client session's sandbox sessions by plan (`--no-sessions` turns them off). Never shared with
   * another client session: the commands of one sandbox session share its filesystem writes and /tmp
   * for its life (docs/sessions.md), which two clients must not.
   */
  private pool: SessionPool | undefined;

  constructor(private readonly limits: SessionLimits) {}

  /** This client session's pool of sandbox sessions (made on first use). */
  sandboxSessions(): SessionPool {
    this.pool ??= new SessionPool();
    return this.pool;
  }

  notify(method: string, params: object): void {
    const c = this.connection;
    if (c?.open) c.send(notificationMessage(method, params));
  }

  /** A reader that falls behind holds back the processes' output (detached: nothing to wait for). */
  congested(): boolean {
    return this.connection?.congested() ?? false;
  }

  retained(delta: number): void {
    this.retainedTotal += delta;
    // A session-wide budget: a client that starts many chatty processes and never reads cannot
    // grow the server without bound; the oldest output of the process retaining most goes first.
    while (this.retainedTotal > this.limits.maxRetainedBytes) {
      let largest: ManagedProcess | undefined;
      for (const p of this.processes.values()) if (!largest || p.retainedBytes > largest.retainedBytes) largest = p;
      if (!largest || largest.retainedBytes === 0) break;
      this.retainedTotal -= largest.evictOldest();
    }
  }

  get retainedBytes(): number {
    return this.retainedTotal;
  }

  evict(process: ManagedProcess): void {
    if (this.processes.get(process.processId) === process) {
      this.processes.delete(process.processId);
      this.retainedTotal -= process.retainedBytes;
    }
    process.dispose();
  }

  /** The slot for a new process, or the documented error. */
  checkCanStart(processId: string): void {
    if (this.processes.has(processId)) throw invalidRequest(`process ${processId} already exists`);
    if (this.processes.size >= this.limits.maxProcesses) {
      throw invalidRequest(
        `session already holds ${this.processes.size} processes (limit ${this.limits.maxProcesses}); terminate some, or wait until exited ones are released after they close`,
      );
    }
  }

  killAll(): void {
    for (const p of this.processes.values()) p.dispose();
    this.processes.clear();
    this.retainedTotal = 0;
    const pool = this.pool;
    this.pool = undefined;
    void pool?.close();
  }
}

export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly limits: SessionLimits) {}

  create(conn: SessionPort): Session {
    const s = new Session(this.limits);
    s.connection = conn;
    this.sessions.set(s.id, s);
    return s;
  }

  resume(id: string, conn: SessionPort): Session {
    const s = this.sessions.get(id);
    if (!s) throw invalidRequest(`unknown session id ${id}`);
    if (s.connection && s.connection.open) {
      throw new RpcError(SESSION_ALREADY_ATTACHED, `session ${id} is already attached to another connection`);
    }
    if (s.detachTimer) clearTimeout(s.detachTimer);
    s.detachTimer = undefined;
    s.connection = conn;
    return s;
  }

  /** The connection ended: keep the session (and its processes) for the TTL, then kill them. */
  detach(s: Session, conn: SessionPort): void {
    if (s.connection !== conn) return;
    s.connection = undefined;
    for (const p of s.processes.values()) p.wakeAll();
    s.detachTimer = setTimeout(() => {
      if (s.connection !== undefined) return;
      this.sessions.delete(s.id);
      s.killAll();
    }, this.limits.detachedTtlMs);
    s.detachTimer.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Server shutdown (stdio EOF, SIGTERM): every process of every session is killed now. */
  shutdown(): void {
    for (const s of this.sessions.values()) {
      if (s.detachTimer) clearTimeout(s.detachTimer);
      s.killAll();
    }
    this.sessions.clear();
  }
}

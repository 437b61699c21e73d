/**
 * `connectExecServer(url | {command, args})`: a client of Codex's exec-server protocol (Codex
 * exec-server client.rs, reference §6.2–6.4). One session per client; requests matched by id;
 * process events reordered by `seq`; on a lost WebSocket the session is resumed within the server's
 * detached TTL (`initialize{resumeSessionId}`), missed output re-read with `process/read{afterSeq}`
 * and interrupted calls retried (a `process/write` with the same `writeId`, which the server dedupes).
 * A stdio child is never reconnected: it is cleaned up with the client.
 */
import { randomUUID } from 'node:crypto';
import { connectWebSocket, spawnStdio, TransportError } from './transport.js';
import type { ClientTransport } from './transport.js';
import { ExecServerDisconnectedError, ExecServerRequestError, ExecServerTimeoutError } from './errors.js';
import { RemoteProcess } from './remote-process.js';
import type { EnvironmentInfo, ExecParams, FsMethods, ReadResult, StartResult, WriteStatus } from './types.js';

/** Codex: SESSION_RECOVERY_TIMEOUT (a margin under the server's 30 s detached TTL). */
export const SESSION_RECOVERY_TIMEOUT_MS = 25_000;
const RECOVERY_RETRY_MS = 100;
/** Codex's environment defaults (#21825). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_INITIALIZE_TIMEOUT_MS = 10_000;
const SESSION_ALREADY_ATTACHED = -32010;

export type ExecServerTarget = string | { command: string; args?: readonly string[]; env?: Record<string, string>; cwd?: string };

export interface ConnectExecServerOptions {
  /** `initialize.clientName` (default `codex-sandbox`). */
  clientName?: string;
  /** WebSocket only: `Authorization: Bearer <token>`. */
  authToken?: string;
  connectTimeoutMs?: number;
  initializeTimeoutMs?: number;
  /** How long to keep trying to resume the session after the WebSocket dropped (default 25 s). */
  recoveryTimeoutMs?: number;
  /** A stdio child's stderr, line by line (default: dropped). */
  onStderr?: (line: string) => void;
  /**
   * Resume this detached session instead of starting a new one (`initialize{resumeSessionId}`,
   * reference §3.1); the server must answer with the same id. Notifications it sends before the
   * initialize response are read and dropped, so they cannot stall the handshake (Codex
   * client.rs `explicit_resume_drains_notifications_before_initialize_response`).
   */
  resumeSessionId?: string;
}

interface Pending {
  method: string;
  params: unknown;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  /** Retried after a resumed session (false: process/start, whose effect cannot be known). */
  retry: boolean;
}

type State = { kind: 'ready' } | { kind: 'recovering'; done: Promise<void> } | { kind: 'failed'; error: ExecServerDisconnectedError } | { kind: 'closed' };

export class ExecServerClient implements FsMethods {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly processes = new Map<string, RemoteProcess>();
  private state: State = { kind: 'ready' };
  private readonly closeListeners: Array<(e: Error) => void> = [];

  private constructor(
    private transport: ClientTransport,
    private readonly reconnect: (() => Promise<ClientTransport>) | undefined,
    readonly sessionId: string,
    readonly environmentInfo: EnvironmentInfo | undefined,
    private readonly opts: Required<Pick<ConnectExecServerOptions, 'clientName' | 'initializeTimeoutMs' | 'recoveryTimeoutMs'>>,
  ) {
    this.attach(transport);
  }

  /** The URL or `stdio child <program>`. */
  get label(): string {
    return this.transport.label;
  }

  /** Whether calls can still succeed (false once the session is lost or the client closed). */
  get connected(): boolean {
    return this.state.kind === 'ready' || this.state.kind === 'recovering';
  }

  static async connect(target: ExecServerTarget, options: ConnectExecServerOptions = {}): Promise<ExecServerClient> {
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const opts = {
      clientName: options.clientName ?? 'codex-sandbox',
      initializeTimeoutMs: options.initializeTimeoutMs ?? DEFAULT_INITIALIZE_TIMEOUT_MS,
      recoveryTimeoutMs: options.recoveryTimeoutMs ?? SESSION_RECOVERY_TIMEOUT_MS,
    };
    let open: () => Promise<ClientTransport>;
    let reconnect: (() => Promise<ClientTransport>) | undefined;
    if (typeof target === 'string') {
      if (!/^wss?:\/\//.test(target)) throw new TypeError(`exec-server URL \`${target}\` must use ws:// or wss://`);
      open = () => connectWebSocket({ url: target, connectTimeoutMs, ...(options.authToken !== undefined ? { authToken: options.authToken } : {}) });
      reconnect = open;
    } else {
      const t = target;
      open = () =>
        Promise.resolve(
          spawnStdio({ program: t.command, args: t.args ?? [], ...(t.env ? { env: t.env } : {}), ...(t.cwd !== undefined ? { cwd: t.cwd } : {}), ...(options.onStderr ? { onStderr: options.onStderr } : {}) }),
        );
    }
    const transport = await open();
    try {
      const init = await handshake(transport, opts.clientName, options.resumeSessionId, opts.initializeTimeoutMs);
      return new ExecServerClient(transport, reconnect, init.sessionId, init.environmentInfo, opts);
    } catch (e) {
      await transport.close();
      throw e;
    }
  }

  private attach(transport: ClientTransport): void {
    this.transport = transport;
    transport.onMessage((m) => this.onMessage(m));
    transport.onClose((reason) => {
      if (this.transport === transport) this.onTransportLost(reason);
    });
  }

  private onMessage(raw: unknown): void {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return;
    const m = raw as { id?: unknown; method?: unknown; params?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } };
    if (typeof m.method === 'string') {
      if (m.id === undefined) this.onNotification(m.method, m.params);
      return;
    }
    if (typeof m.id !== 'number') return;
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    this.pending.delete(m.id);
    if (m.error !== undefined) p.reject(new ExecServerRequestError(p.method, Number(m.error.code), `${p.method}: ${String(m.error.message)}`, m.error.data, String(m.error.message)));
    else p.resolve(m.result);
  }

  private onNotification(method: string, params: unknown): void {
    if (typeof params !== 'object' || params === null) return;
    const p = params as Record<string, unknown>;
    const proc = typeof p.processId === 'string' ? this.processes.get(p.processId) : undefined;
    if (proc === undefined || typeof p.seq !== 'number') return;
    if (method === 'process/output') {
      proc.push({ kind: 'output', seq: p.seq, stream: p.stream as 'stdout' | 'stderr' | 'pty', chunk: Buffer.from(String(p.chunk), 'base64') });
    } else if (method === 'process/exited') {
      proc.push({ kind: 'exited', seq: p.seq, exitCode: Number(p.exitCode), sandboxDenied: p.sandboxDenied === true });
    } else if (method === 'process/closed') {
      proc.push({ kind: 'closed', seq: p.seq });
    }
  }

  private send(id: number, p: Pending): void {
    this.transport.send({ id, method: p.method, params: p.params });
  }

  /** Any request; resolves with its `result` or rejects with ExecServerRequestError / ExecServerDisconnectedError. */
  async request<T = unknown>(method: string, params: unknown = {}, retry = true): Promise<T> {
    for (;;) {
      const s = this.state;
      if (s.kind === 'failed') throw s.error;
      if (s.kind === 'closed') throw new ExecServerDisconnectedError(`exec-server client for ${this.label} is closed`);
      if (s.kind === 'recovering') {
        await s.done;
        continue;
      }
      break;
    }
    return new Promise<T>((resolve, reject) => {
      const id = this.nextId++;
      const p: Pending = { method, params, resolve: resolve as (v: unknown) => void, reject, retry };
      this.pending.set(id, p);
      this.send(id, p);
    });
  }

  private onTransportLost(reason: string): void {
    if (this.state.kind !== 'ready') return;
    if (this.reconnect === undefined) {
      this.fail(new ExecServerDisconnectedError(`${reason}; a stdio exec-server is not reconnected: its session ${this.sessionId} and processes are gone`));
      return;
    }
    const reconnect = this.reconnect;
    let finish: () => void = () => undefined;
    this.state = { kind: 'recovering', done: new Promise<void>((r) => (finish = r)) };
    void this.recover(reason, reconnect).finally(finish);
  }

  private async recover(reason: string, reconnect: () => Promise<ClientTransport>): Promise<void> {
    const deadline = Date.now() + this.opts.recoveryTimeoutMs;
    let last = reason;
    while (Date.now() < deadline && this.state.kind === 'recovering') {
      let t: ClientTransport | undefined;
      try {
        t = await reconnect();
        await handshake(t, this.opts.clientName, this.sessionId, Math.min(this.opts.initializeTimeoutMs, Math.max(1, deadline - Date.now())));
      } catch (e) {
        if (t !== undefined) await t.close();
        last = (e as Error).message;
        const retryable = e instanceof TransportError || e instanceof ExecServerTimeoutError || (e instanceof ExecServerRequestError && e.code === SESSION_ALREADY_ATTACHED);
        if (!retryable) break;
        await sleep(RECOVERY_RETRY_MS);
        continue;
      }
      if (this.state.kind !== 'recovering') {
        await t.close();
        return;
      }
      this.attach(t);
      this.state = { kind: 'ready' };
      // Calls cut off by the drop are sent again (process/write keeps its writeId: the server dedupes it).
      for (const [id, p] of this.pending) {
        if (p.retry) this.send(id, p);
        else {
          this.pending.delete(id);
          p.reject(new ExecServerDisconnectedError(`${p.method}: the connection to ${this.label} dropped before the answer; the session was resumed, but whether it took effect is unknown`));
        }
      }
      // Notifications are not replayed after a resume: read what each live process produced meanwhile.
      await Promise.all([...this.processes.values()].filter((p) => !p.done).map((p) => this.catchUp(p)));
      return;
    }
    if (this.state.kind === 'recovering') {
      this.fail(new ExecServerDisconnectedError(`${reason}; could not resume session ${this.sessionId} on ${this.label} within ${String(this.opts.recoveryTimeoutMs)} ms: ${last}`));
    }
  }

  private async catchUp(proc: RemoteProcess): Promise<void> {
    try {
      const r = await this.request<ReadResult>('process/read', { processId: proc.processId, afterSeq: proc.lastSeq, waitMs: 0 });
      proc.applyRead(r);
    } catch (e) {
      proc.fail(e as Error);
    }
  }

  private fail(error: ExecServerDisconnectedError): void {
    this.state = { kind: 'failed', error };
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
    for (const proc of this.processes.values()) proc.fail(error);
    for (const l of this.closeListeners) l(error);
    void this.transport.close();
  }

  /** Called once when the session is lost for good (not after `close()`). */
  onDisconnect(listener: (error: Error) => void): void {
    if (this.state.kind === 'failed') listener(this.state.error);
    else this.closeListeners.push(listener);
  }

  /** Ends the connection (stdio: SIGTERM to the child's group, 2 s grace, SIGKILL); the server kills the session's processes after its TTL (stdio: at once). */
  async close(): Promise<void> {
    if (this.state.kind === 'closed') return;
    const wasFailed = this.state.kind === 'failed';
    this.state = { kind: 'closed' };
    const error = new ExecServerDisconnectedError(`exec-server client for ${this.label} was closed`);
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    if (!wasFailed) for (const proc of this.processes.values()) proc.fail(error);
    await this.transport.close();
  }

  // ---- typed methods (reference §3) ----

  environmentInfoRequest(): Promise<EnvironmentInfo> {
    return this.request<EnvironmentInfo>('environment/info');
  }

  async status(): Promise<string> {
    return (await this.request<{ status: string }>('environment/status')).status;
  }

  /** `process/start`; events are delivered in seq order through the returned handle. */
  async start(params: Omit<ExecParams, 'processId'> & { processId?: string }, options: { collect?: boolean } = {}): Promise<RemoteProcess> {
    const processId = params.processId ?? randomUUID();
    if (this.processes.has(processId)) throw new TypeError(`process id ${processId} is already used by this client`);
    const proc = new RemoteProcess(this, processId, params.tty, options.collect !== false);
    // Registered before the request: the first notifications can precede the response.
    this.processes.set(processId, proc);
    proc.finished.finally(() => this.processes.delete(processId)).catch(() => undefined);
    try {
      const r = await this.request<StartResult>('process/start', { ...params, processId }, false);
      proc.sandboxType = r.sandboxType;
    } catch (e) {
      this.processes.delete(processId);
      proc.fail(e as Error);
      throw e;
    }
    return proc;
  }

  read(processId: string, opts: { afterSeq?: number; maxBytes?: number; waitMs?: number } = {}): Promise<ReadResult> {
    return this.request<ReadResult>('process/read', { processId, ...opts });
  }

  /** `process/write` with a fresh writeId, retried with that same id after a resumed session. */
  async write(processId: string, data: Buffer | string, writeId: string = randomUUID()): Promise<WriteStatus> {
    const chunk = (typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('base64');
    return (await this.request<{ status: WriteStatus }>('process/write', { processId, chunk, writeId })).status;
  }

  async signal(processId: string, signal: 'interrupt' = 'interrupt'): Promise<void> {
    await this.request('process/signal', { processId, signal });
  }

  async terminate(processId: string): Promise<boolean> {
    return (await this.request<{ running: boolean }>('process/terminate', { processId })).running;
  }

  /** codex-sandbox extension (`capabilities.processResize`). */
  async resize(processId: string, rows: number, cols: number): Promise<void> {
    await this.request('process/resize', { processId, rows, cols });
  }

  /** codex-sandbox extension (`capabilities.processCloseStdin`). */
  async closeStdin(processId: string): Promise<void> {
    await this.request('process/closeStdin', { processId });
  }

  // fs/* (reference §3.9–3.11): the shapes Codex's server takes.
  fsReadFile: FsMethods['fsReadFile'] = (p) => this.request('fs/readFile', p);
  fsWriteFile: FsMethods['fsWriteFile'] = (p) => this.request('fs/writeFile', p);
  fsCreateDirectory: FsMethods['fsCreateDirectory'] = (p) => this.request('fs/createDirectory', p);
  fsGetMetadata: FsMethods['fsGetMetadata'] = (p) => this.request('fs/getMetadata', p);
  fsCanonicalize: FsMethods['fsCanonicalize'] = (p) => this.request('fs/canonicalize', p);
  fsReadDirectory: FsMethods['fsReadDirectory'] = (p) => this.request('fs/readDirectory', p);
  fsWalk: FsMethods['fsWalk'] = (p) => this.request('fs/walk', p);
  fsRemove: FsMethods['fsRemove'] = (p) => this.request('fs/remove', p);
  fsCopy: FsMethods['fsCopy'] = (p) => this.request('fs/copy', p);
  fsOpen: FsMethods['fsOpen'] = (p) => this.request('fs/open', p);
  fsReadBlock: FsMethods['fsReadBlock'] = (p) => this.request('fs/readBlock', p);
  fsClose: FsMethods['fsClose'] = (p) => this.request('fs/close', p);
}

async function handshake(transport: ClientTransport, clientName: string, resumeSessionId: string | undefined, timeoutMs: number): Promise<{ sessionId: string; environmentInfo?: EnvironmentInfo }> {
  const id = 0;
  const result = await new Promise<{ sessionId: string; environmentInfo?: EnvironmentInfo }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ExecServerTimeoutError(`exec-server ${transport.label} did not answer initialize within ${String(timeoutMs)} ms`)), timeoutMs);
    transport.onClose((reason) => {
      clearTimeout(timer);
      reject(new TransportError(reason));
    });
    transport.onMessage((raw) => {
      const m = raw as { id?: unknown; result?: { sessionId?: unknown; environmentInfo?: EnvironmentInfo }; error?: { code: number; message: string; data?: unknown } };
      if (m.id !== id) return;
      clearTimeout(timer);
      if (m.error !== undefined) reject(new ExecServerRequestError('initialize', m.error.code, `initialize on ${transport.label}: ${m.error.message}`, m.error.data, m.error.message));
      else if (typeof m.result?.sessionId !== 'string') reject(new ExecServerRequestError('initialize', -32600, `initialize on ${transport.label}: no sessionId in the answer`));
      else if (resumeSessionId !== undefined && m.result.sessionId !== resumeSessionId) reject(new ExecServerRequestError('initialize', -32600, `initialize on ${transport.label}: resumed session ${m.result.sessionId}, asked for ${resumeSessionId}`));
      else resolve({ sessionId: m.result.sessionId, ...(m.result.environmentInfo ? { environmentInfo: m.result.environmentInfo } : {}) });
    });
    transport.send({ id, method: 'initialize', params: { clientName, ...(resumeSessionId !== undefined ? { resumeSessionId } : {}) } });
  });
  transport.send({ method: 'initialized', params: {} });
  return result;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Connects to an exec-server: a `ws://`/`wss://` URL, or a program to spawn that speaks it on stdio. */
export function connectExecServer(target: ExecServerTarget, options: ConnectExecServerOptions = {}): Promise<ExecServerClient> {
  return ExecServerClient.connect(target, options);
}

/**
 * One client connection (a WebSocket or stdio): Codex's handshake gating (server/handler.rs),
 * dispatch (request_dispatcher.rs: inline by default, two bounded lanes with --concurrent-requests),
 * and what ends a connection (unexpected notifications and responses close it).
 */
import { parseJsonText, JsonTextError } from './json-text.js';
import {
  classify,
  errorMessage,
  internalError,
  invalidParams,
  invalidRequest,
  resultMessage,
  RpcError,
  METHOD_NOT_FOUND,
  INVALID_REQUEST,
} from './jsonrpc.js';
import type { RequestId } from './jsonrpc.js';
import { Fields, decodeByteChunk } from './params.js';
import type { ServerCore } from './server-core.js';
import type { Session, SessionPort } from './session.js';
import { FS_METHODS, FsMethods } from './fs/methods.js';

/** What a transport gives the connection. */
export interface Transport {
  /** Prefix of the malformed-message error, e.g. `failed to parse JSON-RPC message from exec-server stdio`. */
  readonly parseErrorPrefix: string;
  send(message: object): void;
  close(): void;
  /** Outbound bytes are piling up (the peer reads slower than processes write). */
  congested(): boolean;
}

/** The family name Codex's gating messages use for each method. */
const FAMILIES: Record<string, string> = {
  'process/start': 'exec',
  'process/read': 'exec',
  'process/write': 'exec',
  'process/signal': 'exec',
  'process/terminate': 'exec',
  'process/resize': 'exec',
  'process/closeStdin': 'exec',
  'environment/info': 'environment info',
  'environment/status': 'environment status',
  ...Object.fromEntries(FS_METHODS.map((m) => [m, 'filesystem'])),
};

/** Codex's control lane: health checks and cleanup stay live while long-polls hold the other lane. */
const CONTROL_METHODS = new Set(['environment/info', 'environment/status', 'process/signal', 'process/terminate', 'fs/close']);

class Semaphore {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(n: number) {
    this.free = n;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((r) => this.waiting.push(r));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    }
  }
}

export class Connection implements SessionPort {
  private state: 'new' | 'awaitingInitialized' | 'ready' = 'new';
  private session: Session | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  private readonly lanes: { control: Semaphore; ordinary: Semaphore } | undefined;
  private ended = false;
  /** fs/* state of this connection (read handles, sandboxed helpers), made on the first fs call. */
  private fs: FsMethods | undefined;

  constructor(
    private readonly core: ServerCore,
    private readonly transport: Transport,
    concurrency: number,
  ) {
    this.lanes = concurrency >= 2 ? { control: new Semaphore(concurrency), ordinary: new Semaphore(concurrency) } : undefined;
  }

  get open(): boolean {
    return !this.ended;
  }

  send(message: object): void {
    if (!this.ended) this.transport.send(message);
  }

  congested(): boolean {
    return !this.ended && this.transport.congested();
  }

  /** One complete message's text from the transport. */
  onText(text: string): void {
    if (this.ended) return;
    let value: unknown;
    try {
      value = parseJsonText(text);
    } catch (e) {
      const reason = e instanceof JsonTextError ? e.message : String(e);
      this.enqueue(async () => this.send(errorMessage(-1, new RpcError(INVALID_REQUEST, `${this.transport.parseErrorPrefix}: ${reason}`))));
      return;
    }
    const msg = classify(value);
    switch (msg.kind) {
      case 'malformed':
        this.enqueue(async () => this.send(errorMessage(-1, new RpcError(INVALID_REQUEST, `${this.transport.parseErrorPrefix}: ${msg.reason}`))));
        return;
      case 'notification':
        this.enqueue(async () => {
          if (msg.method === 'initialized' && this.state === 'awaitingInitialized') {
            this.state = 'ready';
            return;
          }
          // Codex closes the connection on any other notification (request_dispatcher.rs), and on
          // `initialized` before `initialize`.
          this.core.log(`closing exec-server connection after unexpected notification \`${msg.method}\``);
          this.close();
        });
        return;
      case 'response':
        // This server sends no requests: a response matches nothing (Codex closes the connection).
        this.enqueue(async () => {
          this.core.log('closing exec-server connection after a response that matches no request');
          this.close();
        });
        return;
      case 'request': {
        const run = async (): Promise<void> => this.handleRequest(msg.id, msg.method, msg.params);
        if (this.lanes && this.state === 'ready') {
          const lane = CONTROL_METHODS.has(msg.method) ? this.lanes.control : this.lanes.ordinary;
          void lane.run(run);
        } else {
          this.enqueue(run);
        }
        return;
      }
    }
  }

  private enqueue(fn: () => Promise<void>): void {
    this.queue = this.queue.then(fn, fn).catch((e: unknown) => this.core.log(`exec-server connection error: ${String(e)}`));
  }

  private async handleRequest(id: RequestId, method: string, params: unknown): Promise<void> {
    if (this.ended) return;
    try {
      const result = await this.call(method, params);
      this.send(resultMessage(id, result));
    } catch (e) {
      const err = e instanceof RpcError ? e : internalError(e instanceof Error ? e.message : String(e));
      this.send(errorMessage(id, err));
    }
  }

  private gate(method: string): Session {
    const family = FAMILIES[method] ?? 'exec';
    if (this.state === 'new') throw invalidRequest(`client must call initialize before using ${family} methods`);
    if (this.state === 'awaitingInitialized' || !this.session) throw invalidRequest(`client must send initialized before using ${family} methods`);
    return this.session;
  }

  private async call(method: string, params: unknown): Promise<unknown> {
    if (method === 'initialize') return this.initialize(params);
    if (!(method in FAMILIES)) throw new RpcError(METHOD_NOT_FOUND, `exec-server stub does not implement \`${method}\` yet`);
    const session = this.gate(method);
    const procs = this.core.processes;
    if (method.startsWith('fs/')) {
      this.fs ??= new FsMethods(this.core.fsOptions, () => this.session?.sandboxSessions());
      return this.fs.call(method, params);
    }
    switch (method) {
      case 'environment/info':
        return this.core.environmentInfo();
      case 'environment/status':
        return { status: 'ready' };
      case 'process/start':
        return procs.start(session, params);
      case 'process/read': {
        const result = await procs.read(session, params, this.abort.signal);
        if (session.connection !== this) throw invalidRequest('session has been resumed by another connection');
        return result;
      }
      case 'process/write': {
        const f = Fields.of(params, 'WriteParams');
        const processId = f.string('processId');
        const chunk = f.string('chunk');
        const writeId = f.string('writeId');
        if (writeId.length === 0) throw invalidParams('writeId must not be empty');
        const data = decodeByteChunk(chunk);
        return { status: await procs.write(session, processId, data, writeId) };
      }
      case 'process/signal': {
        const f = Fields.of(params, 'SignalParams');
        const processId = f.string('processId');
        f.enumValue('signal', ['interrupt'] as const);
        procs.interrupt(session, processId);
        return {};
      }
      case 'process/terminate': {
        const f = Fields.of(params, 'TerminateParams');
        return { running: procs.terminate(session, f.string('processId')) };
      }
      case 'process/resize': {
        const f = Fields.of(params, 'ResizeParams');
        const processId = f.string('processId');
        const rows = f.uint('rows', 'u16');
        const cols = f.uint('cols', 'u16');
        if (rows < 1 || rows > 65535 || cols < 1 || cols > 65535) throw invalidParams('rows and cols must be between 1 and 65535');
        procs.resize(session, processId, rows, cols);
        return {};
      }
      case 'process/closeStdin': {
        const f = Fields.of(params, 'CloseStdinParams');
        await procs.closeStdin(session, f.string('processId'));
        return {};
      }
      default:
        throw new RpcError(METHOD_NOT_FOUND, `exec-server stub does not implement \`${method}\` yet`);
    }
  }

  private initialize(params: unknown): object {
    if (this.state !== 'new') throw invalidRequest('initialize may only be sent once per connection');
    const f = Fields.of(params, 'InitializeParams');
    f.string('clientName');
    const resume = f.optString('resumeSessionId');
    const session = resume !== undefined ? this.core.sessions.resume(resume, this) : this.core.sessions.create(this);
    this.session = session;
    this.state = 'awaitingInitialized';
    return { sessionId: session.id, environmentInfo: this.core.environmentInfo() };
  }

  /** Ends the connection (transport closes it); its session is detached. */
  close(): void {
    if (this.ended) return;
    this.onTransportClosed();
    this.transport.close();
  }

  /** The transport is gone: abort in-flight long-polls and detach the session (Codex: detached TTL). */
  onTransportClosed(): void {
    if (this.ended) return;
    this.ended = true;
    this.abort.abort();
    this.fs?.close();
    if (this.session) this.core.sessions.detach(this.session, this);
  }
}

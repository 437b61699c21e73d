/**
 * The client's two transports (Codex exec-server client_transport.rs): a WebSocket to `ws://` /
 * `wss://`, or a child process speaking newline-delimited JSON on its stdin/stdout.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import WebSocket from 'ws';
import type { RawData } from 'ws';

/** Codex: MAX_STDIO_JSONRPC_MESSAGE_LEN (the client reader has the same cap as the server). */
export const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Codex: STDIO_TERMINATION_GRACE_PERIOD. */
export const STDIO_TERMINATION_GRACE_MS = 2_000;

export interface ClientTransport {
  /** What the errors name: the URL, or `stdio child <program>`. */
  readonly label: string;
  send(message: object): void;
  /** Closes the transport (stdio: SIGTERM to the child's group, grace, SIGKILL). Idempotent. */
  close(): Promise<void>;
  onMessage(handler: (message: unknown) => void): void;
  /** Called once, with why the transport ended. */
  onClose(handler: (reason: string) => void): void;
}

/** A transport failure the caller may retry (connect refused, timed out). */
export class TransportError extends Error {
  override readonly name = 'TransportError';
}

abstract class BaseTransport implements ClientTransport {
  abstract readonly label: string;
  private messageHandler: (m: unknown) => void = () => undefined;
  private closeHandlers: Array<(reason: string) => void> = [];
  protected ended: string | undefined;
  abstract send(message: object): void;
  abstract close(): Promise<void>;
  onMessage(handler: (message: unknown) => void): void {
    this.messageHandler = handler;
  }
  onClose(handler: (reason: string) => void): void {
    if (this.ended !== undefined) handler(this.ended);
    else this.closeHandlers.push(handler);
  }
  protected deliver(text: string): boolean {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      this.end(`malformed JSON-RPC message from ${this.label}: ${(e as Error).message}`);
      return false;
    }
    this.messageHandler(parsed);
    return true;
  }
  protected end(reason: string): void {
    if (this.ended !== undefined) return;
    this.ended = reason;
    const hs = this.closeHandlers;
    this.closeHandlers = [];
    for (const h of hs) h(reason);
  }
}

export interface WsConnectOptions {
  url: string;
  /** Sent as `Authorization: Bearer <token>` (codex-sandbox exec-server --auth-token-file). */
  authToken?: string;
  connectTimeoutMs: number;
}

class WsTransport extends BaseTransport {
  constructor(
    readonly label: string,
    private readonly ws: WebSocket,
  ) {
    super();
    ws.on('message', (data: RawData) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      // Codex's client drops the connection on a malformed message from the server.
      if (!this.deliver(buf.toString('utf8'))) ws.terminate();
    });
    ws.on('close', (code, reason) => this.end(`exec-server connection to ${label} closed (${String(code)}${reason.length ? ` ${reason.toString()}` : ''})`));
    ws.on('error', (e) => this.end(`exec-server connection to ${label} failed: ${e.message}`));
  }
  send(message: object): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.terminate();
    });
  }
}

export async function connectWebSocket(opts: WsConnectOptions): Promise<ClientTransport> {
  const headers: Record<string, string> = {};
  if (opts.authToken !== undefined) headers.authorization = `Bearer ${opts.authToken}`;
  // No Origin header: the server refuses any request carrying one (browser pages).
  const ws = new WebSocket(opts.url, { headers, maxPayload: MAX_CLIENT_MESSAGE_BYTES, perMessageDeflate: false, handshakeTimeout: opts.connectTimeoutMs });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new TransportError(`cannot connect to exec-server ${opts.url}: no answer within ${String(opts.connectTimeoutMs)} ms`));
    }, opts.connectTimeoutMs);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      ws.terminate();
      const hint = res.statusCode === 401 ? ' (the server wants a bearer token: set auth_token_file / authToken)' : '';
      reject(new TransportError(`cannot connect to exec-server ${opts.url}: HTTP ${String(res.statusCode)}${hint}`));
    });
    ws.once('error', (e) => {
      clearTimeout(timer);
      reject(new TransportError(`cannot connect to exec-server ${opts.url}: ${e.message}`));
    });
  });
  return new WsTransport(opts.url, ws);
}

export interface StdioSpawnOptions {
  program: string;
  args: readonly string[];
  /** Added to the parent's environment. */
  env?: Record<string, string>;
  cwd?: string;
  /** stderr lines of the child (default: dropped). */
  onStderr?: (line: string) => void;
  graceMs?: number;
}

/** Names never passed to a stdio child (Codex scrubs its own credentials from child environments). */
const NON_INHERITABLE = ['CODEX_EXEC_SERVER_NOISE_AUTH_TOKEN', 'NODE_REPL_AUTH_TOKEN', 'OPENAI_FEDERATION_RULE_ID', 'OPENAI_IDENTITY_TOKEN_FILE', 'OPENAI_WORKLOAD_IDENTITY_CONTEXT'];

class StdioTransport extends BaseTransport {
  readonly label: string;
  private buf: Buffer[] = [];
  private bufLen = 0;
  private readonly exited: Promise<void>;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    program: string,
    private readonly graceMs: number,
    onStderr: ((line: string) => void) | undefined,
  ) {
    super();
    this.label = `stdio child ${program}`;
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    child.stdout.on('data', (d: Buffer) => this.onData(d));
    child.stdin.on('error', () => undefined);
    let errBuf = '';
    child.stderr.on('data', (d: Buffer) => {
      if (onStderr === undefined) return;
      errBuf += d.toString('utf8');
      let nl;
      while ((nl = errBuf.indexOf('\n')) >= 0) {
        onStderr(errBuf.slice(0, nl));
        errBuf = errBuf.slice(nl + 1);
      }
    });
    child.once('error', (e) => {
      this.end(`cannot start exec-server ${program}: ${e.message}`);
    });
    child.once('exit', (code, signal) => {
      this.end(`exec-server ${this.label} exited (${signal ?? `code ${String(code)}`})`);
      // Codex kills the group even when the child exited by itself: background grandchildren go too.
      this.killGroup('SIGKILL');
    });
  }

  private onData(d: Buffer): void {
    let start = 0;
    for (let nl = d.indexOf(10, start); nl >= 0; nl = d.indexOf(10, start)) {
      this.buf.push(d.subarray(start, nl));
      let line = Buffer.concat(this.buf).toString('utf8');
      this.buf = [];
      this.bufLen = 0;
      start = nl + 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.trim() === '') continue;
      // Codex malformed_stdio_message_terminates_spawned_process: a server that speaks garbage is dropped.
      if (!this.deliver(line)) {
        void this.close();
        return;
      }
    }
    const rest = d.subarray(start);
    this.bufLen += rest.length;
    if (this.bufLen > MAX_CLIENT_MESSAGE_BYTES) {
      this.end(`JSON-RPC message from ${this.label} exceeds maximum length of ${String(MAX_CLIENT_MESSAGE_BYTES)} bytes`);
      void this.close();
      return;
    }
    if (rest.length) this.buf.push(rest);
  }

  send(message: object): void {
    if (this.ended === undefined && this.child.stdin.writable) this.child.stdin.write(JSON.stringify(message) + '\n');
  }

  private killGroup(sig: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, sig);
    } catch {
      // the group is gone
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.end(`exec-server ${this.label} closed by the client`);
      this.child.stdin.end();
      if (this.child.exitCode === null && this.child.signalCode === null) {
        // Codex client_transport.rs: SIGTERM to the child's process group, a grace period, then SIGKILL.
        this.killGroup('SIGTERM');
        const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), this.graceMs).unref());
        if ((await Promise.race([this.exited.then(() => 'exited' as const), timer])) === 'timeout') this.killGroup('SIGKILL');
      }
      this.killGroup('SIGKILL');
      await this.exited;
    })();
    return this.closing;
  }
}

export function spawnStdio(opts: StdioSpawnOptions): ClientTransport {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...(opts.env ?? {}) })) {
    if (v !== undefined && !NON_INHERITABLE.includes(k.toUpperCase())) env[k] = v;
  }
  // detached: the child leads its own process group, so cleanup reaches everything it started.
  const child = spawn(opts.program, [...opts.args], { env, ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  return new StdioTransport(child, opts.program, opts.graceMs ?? STDIO_TERMINATION_GRACE_MS, opts.onStderr);
}

/**
 * Test harness for the exec-server: starts the REAL server (`node dist/cli/main.js exec-server`, as
 * Codex's tests start `codex exec-server`), and talks to it over a real WebSocket or over stdio.
 * Build first: `npm run build:ts`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI = join(repo, 'dist/cli/main.js');
export const isLinux = process.platform === 'linux';
export const built = existsSync(CLI);

export interface RpcMessage {
  id?: number | string;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown> & { chunks?: Array<{ seq: number; stream: string; chunk: string }> };
  error?: { code: number; message: string; data?: unknown };
}

export interface ServerProcess {
  proc: ChildProcessWithoutNullStreams;
  url: string;
  stderr(): string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `codex-sandbox exec-server <args>` and waits for the bound URL on the first stdout line. */
/**
 * Sandbox sessions are the server's default (docs/exec-server.md). CODEX_SANDBOX_TEST_EXEC_SESSIONS=0: every
 * server the tests start runs each process in a sandbox of its own (`--no-sessions`) — the suite the other way.
 */
export const SESSIONS_FLAG = process.env.CODEX_SANDBOX_TEST_EXEC_SESSIONS === '0' ? ['--no-sessions'] : [];

export async function startServer(args: string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<ServerProcess> {
  const proc = spawn(process.execPath, [CLI, 'exec-server', ...SESSIONS_FLAG, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((res, rej) => {
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        proc.stdout.off('data', onData);
        res(out.slice(0, nl));
      }
    };
    proc.stdout.on('data', onData);
    proc.once('exit', (code) => rej(new Error(`exec-server exited ${String(code)} before printing its URL: ${err}`)));
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    proc,
    url,
    stderr: () => err,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}

/** A JSON-RPC client over a real WebSocket. */
export class WsClient {
  private nextId = 1;
  private readonly pending = new Map<number | string, (m: RpcMessage) => void>();
  readonly notifications: RpcMessage[] = [];
  readonly unsolicited: RpcMessage[] = [];
  private listeners: Array<() => void> = [];
  closed = false;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as RpcMessage;
      if (m.id !== undefined && this.pending.has(m.id)) {
        const r = this.pending.get(m.id);
        this.pending.delete(m.id);
        r?.(m);
      } else if (m.method !== undefined) {
        this.notifications.push(m);
      } else {
        this.unsolicited.push(m);
      }
      for (const l of this.listeners) l();
    });
    ws.on('close', () => {
      this.closed = true;
      for (const l of this.listeners) l();
    });
  }

  static async connect(url: string, headers: Record<string, string> = {}): Promise<WsClient> {
    const ws = new WebSocket(url, { headers });
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    return new WsClient(ws);
  }

  sendRaw(text: string | Buffer, binary = false): void {
    this.ws.send(text, { binary });
  }

  notify(method: string, params: unknown = {}): void {
    this.ws.send(JSON.stringify({ method, params }));
  }

  /** Sends a request; resolves with the whole response message. */
  request(method: string, params?: unknown): Promise<RpcMessage> {
    const id = this.nextId++;
    return this.requestWithId(id, method, params);
  }

  requestWithId(id: number | string, method: string, params?: unknown): Promise<RpcMessage> {
    const p = new Promise<RpcMessage>((res) => this.pending.set(id, res));
    this.ws.send(JSON.stringify(params === undefined ? { id, method } : { id, method, params }));
    return p;
  }

  /** Sends a request and returns its result, failing on an error. */
  async call(method: string, params?: unknown): Promise<Record<string, unknown>> {
    const m = await this.request(method, params);
    if (m.error) throw new Error(`${method} failed: ${JSON.stringify(m.error)}`);
    return m.result ?? {};
  }

  async initialize(resumeSessionId?: string): Promise<string> {
    const r = await this.call('initialize', resumeSessionId === undefined ? { clientName: 'test' } : { clientName: 'test', resumeSessionId });
    this.notify('initialized');
    return r.sessionId as string;
  }

  /** Resolves when `pred` holds (checked on every message), or rejects after timeoutMs. */
  waitFor(pred: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((res, rej) => {
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== check);
        rej(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const check = (): void => {
        if (!pred()) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        res();
      };
      this.listeners.push(check);
    });
  }

  /** Notifications of one process, sorted by seq. */
  events(processId: string): RpcMessage[] {
    return this.notifications.filter((n) => n.params?.processId === processId).sort((a, b) => Number(a.params?.seq) - Number(b.params?.seq));
  }

  /** Waits for `process/closed` of a process; returns its events in seq order. */
  async untilClosed(processId: string, timeoutMs = 15_000): Promise<RpcMessage[]> {
    await this.waitFor(() => this.events(processId).some((n) => n.method === 'process/closed'), timeoutMs, `process/closed of ${processId}`);
    return this.events(processId);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((res) => {
      this.ws.once('close', () => res());
      this.ws.close();
    });
  }

  /** Drops the TCP connection without a close handshake. */
  drop(): void {
    this.ws.terminate();
  }
}

/** Output bytes of a process's events (base64 chunks joined in seq order). */
export function outputOf(events: RpcMessage[], stream?: string): string {
  return events
    .filter((e) => e.method === 'process/output' && (stream === undefined || e.params?.stream === stream))
    .map((e) => Buffer.from(String(e.params?.chunk), 'base64').toString())
    .join('');
}

export function chunksText(result: RpcMessage['result']): string {
  return (result?.chunks ?? []).map((c) => Buffer.from(c.chunk, 'base64').toString()).join('');
}

export const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** A workspace under /var/tmp (not a default-writable place such as /tmp) and a sibling outside it. */
export function scratch(prefix = 'csbx-es-'): { base: string; ws: string; outside: string; wsUri: string; cleanup(): void } {
  const base = mkdtempSync(join('/var/tmp', prefix));
  const ws = join(base, 'ws');
  const outside = join(base, 'outside');
  mkdirSync(ws);
  mkdirSync(outside);
  return { base, ws, outside, wsUri: pathToFileURL(ws).href, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

/** Codex's FileSystemSandboxContext for workspace-write over `root` (read everything, write the workspace roots). */
export function workspaceWriteSandbox(rootUri: string, network: 'restricted' | 'enabled' = 'restricted'): Record<string, unknown> {
  return {
    permissions: {
      type: 'managed',
      file_system: {
        type: 'restricted',
        entries: [
          { path: { type: 'special', value: { kind: 'root' } }, access: 'read' },
          { path: { type: 'special', value: { kind: 'project_roots' } }, access: 'write' },
        ],
      },
      network,
    },
    cwd: rootUri,
    workspaceRoots: [rootUri],
    windowsSandboxLevel: 'disabled',
  };
}

export const PATH_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin' };

export function startParams(processId: string, argv: string[], cwdUri: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { processId, argv, cwd: cwdUri, env: PATH_ENV, tty: false, ...extra };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether a process with this pid is running (a zombie waiting for a reaper that never comes counts as gone). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

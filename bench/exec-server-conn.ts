/** What bench/exec-server.ts and bench/exec-server-fs.ts share: a minimal JSON-RPC client over ws, and the server. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import WebSocket from 'ws';
import { packageRoot } from '../src/native.js';

export const TIMEOUT_MS = 20_000;

export interface Rpc {
  id?: number;
  method?: string;
  params?: { processId?: string; exitCode?: number };
  result?: { dataBase64?: string };
  error?: unknown;
}

export class Client {
  private id = 0;
  private readonly waiters = new Map<string, (m: Rpc) => void>();
  constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as Rpc;
      const key = m.id !== undefined ? `id:${m.id}` : m.method === 'process/closed' ? `closed:${m.params?.processId ?? ''}` : m.method === 'process/exited' ? `exited:${m.params?.processId ?? ''}` : undefined;
      const w = key !== undefined ? this.waiters.get(key) : undefined;
      if (w && key !== undefined) {
        this.waiters.delete(key);
        w(m);
      }
    });
  }
  wait(key: string): Promise<Rpc> {
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`timed out waiting for ${key}`)), TIMEOUT_MS);
      this.waiters.set(key, (m) => {
        clearTimeout(t);
        res(m);
      });
    });
  }
  async call(method: string, params: unknown): Promise<Rpc> {
    const id = ++this.id;
    const p = this.wait(`id:${id}`);
    this.ws.send(JSON.stringify({ id, method, params }));
    const m = await p;
    if (m.error !== undefined) throw new Error(`${method}: ${JSON.stringify(m.error)}`);
    return m;
  }
}

/** A read entry for a path (missing paths skipped) or a write entry for a special path, in Codex's wire shape. */
export type WireEntry = { path: { type: 'path'; path: string }; access: 'read'; missing_path_behavior: 'skip' } | { path: { type: 'special'; value: { kind: string } }; access: 'write' };

/**
 * Codex's FileSystemSandboxContext for a managed, network-off profile that reads everything and writes the
 * project roots (plus `extra`), over the workspace `cwdUri`: what the exec-server benches send as `sandbox`.
 */
export function workspaceContext(cwdUri: string, extra: WireEntry[] = []): object {
  return {
    permissions: {
      type: 'managed',
      file_system: {
        type: 'restricted',
        entries: [
          { path: { type: 'special', value: { kind: 'root' } }, access: 'read' },
          { path: { type: 'special', value: { kind: 'project_roots' } }, access: 'write' },
          ...extra,
        ],
      },
      network: 'restricted',
    },
    cwd: cwdUri,
    workspaceRoots: [cwdUri],
    windowsSandboxLevel: 'disabled',
  };
}

export function parseRounds(argv: string[]): number {
  const i = argv.indexOf('--rounds');
  const n = i >= 0 ? Number(argv[i + 1]) : 30;
  if (!Number.isInteger(n) || n < 1) throw new Error('--rounds N: a positive whole number');
  return n;
}

/** Starts `codex-sandbox exec-server` from dist/ and connects an initialized client (the caller kills `server`). */
export async function startExecServer(args: readonly string[] = []): Promise<{ server: ChildProcess; ws: WebSocket; client: Client; url: string }> {
  const server = spawn(process.execPath, [join(packageRoot(), 'dist/cli/main.js'), 'exec-server', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise<string>((res, rej) => {
      let out = '';
      server.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) res(out.split('\n')[0] ?? '');
      });
      server.once('exit', (c) => rej(new Error(`exec-server exited ${String(c)}`)));
    });
    const ws = new WebSocket(url);
    await new Promise((res, rej) => {
      ws.once('open', res);
      ws.once('error', rej);
    });
    const client = new Client(ws);
    await client.call('initialize', { clientName: 'bench' });
    ws.send(JSON.stringify({ method: 'initialized', params: {} }));
    return { server, ws, client, url };
  } catch (e) {
    server.kill('SIGTERM');
    throw e;
  }
}

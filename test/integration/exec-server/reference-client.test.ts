/**
 * A client that knows only the protocol reference (Codex's exec-server wire format) and uses nothing
 * but `ws` and JSON — no project code, no test helpers: it starts the server binary, runs `sh -c` with
 * a workspace-write `sandbox` field, sees a write outside the workspace refused on disk, interrupts a
 * trapped process, drops its socket and resumes the session, and reads the output it missed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const CLI = resolve(fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url)));

type Json = Record<string, unknown>;

class Client {
  private id = 0;
  private readonly waiters = new Map<number, (m: Json) => void>();
  readonly events: Json[] = [];
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as Json;
      const w = typeof m.id === 'number' ? this.waiters.get(m.id) : undefined;
      if (w) w(m);
      else if (typeof m.method === 'string') this.events.push(m);
    });
  }
  static async open(url: string): Promise<Client> {
    const ws = new WebSocket(url);
    await new Promise((res, rej) => {
      ws.once('open', res);
      ws.once('error', rej);
    });
    return new Client(ws);
  }
  async call(method: string, params: Json): Promise<Json> {
    const id = ++this.id;
    const reply = new Promise<Json>((res) => this.waiters.set(id, res));
    this.ws.send(JSON.stringify({ id, method, params }));
    const m = await reply;
    if (m.error) throw new Error(`${method}: ${JSON.stringify(m.error)}`);
    return m.result as Json;
  }
  notify(method: string, params: Json): void {
    this.ws.send(JSON.stringify({ method, params }));
  }
  drop(): void {
    this.ws.terminate();
  }
}

/** Reads with the cursor until `closed`, returning the output text and the exit code. */
async function readToEnd(c: Client, processId: string, afterSeq = 0): Promise<{ text: string; exitCode: unknown; sandboxDenied: unknown }> {
  let after = afterSeq;
  let text = '';
  for (;;) {
    const r = await c.call('process/read', { processId, afterSeq: after, waitMs: 5000 });
    for (const ch of r.chunks as Array<{ chunk: string }>) text += Buffer.from(ch.chunk, 'base64').toString();
    after = (r.nextSeq as number) - 1;
    if (r.closed === true) return { text, exitCode: r.exitCode, sandboxDenied: r.sandboxDenied };
  }
}

describe.skipIf(process.platform !== 'linux' || !existsSync(CLI))('a reference client (ws + JSON only)', () => {
  it('runs sandboxed sh -c, sees the outside write refused on disk, interrupts a trap, resumes after a dropped socket', async () => {
    const base = mkdtempSync('/var/tmp/csbx-refclient-');
    const work = join(base, 'work');
    const outside = join(base, 'outside.txt');
    mkdirSync(work);
    const server = spawn(process.execPath, [CLI, 'exec-server', '--listen', 'ws://127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const url = await new Promise<string>((res) => {
        let out = '';
        server.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) res(out.split('\n')[0] ?? '');
        });
      });
      const workUri = pathToFileURL(work).href;
      const sandbox = {
        permissions: {
          type: 'managed',
          file_system: {
            type: 'restricted',
            entries: [
              { path: { type: 'special', value: { kind: 'root' } }, access: 'read' },
              { path: { type: 'special', value: { kind: 'project_roots' } }, access: 'write' },
            ],
          },
          network: 'restricted',
        },
        cwd: workUri,
        workspaceRoots: [workUri],
        windowsSandboxLevel: 'disabled',
      };
      const env = { PATH: '/usr/bin:/bin' };

      const c = await Client.open(url);
      const { sessionId } = await c.call('initialize', { clientName: 'reference-client' });
      c.notify('initialized', {});

      const started = await c.call('process/start', { processId: 'write', argv: ['sh', '-c', `echo inside > in.txt && cat in.txt; touch ${outside}`], cwd: workUri, env, tty: false, sandbox });
      expect(started).toEqual({ processId: 'write', sandboxType: 'linuxSeccomp' });
      const w = await readToEnd(c, 'write');
      expect(w.text).toContain('inside\n');
      expect(w.exitCode).not.toBe(0);
      expect(w.sandboxDenied).toBe(true);
      expect(readFileSync(join(work, 'in.txt'), 'utf8')).toBe('inside\n');
      expect(existsSync(outside)).toBe(false);

      await c.call('process/start', { processId: 'trap', argv: ['sh', '-c', 'trap "echo signal:2; exit 7" INT; echo ready; while :; do sleep 0.05; done'], cwd: workUri, env, tty: false, sandbox });
      for (let i = 0; i < 100; i += 1) {
        const r = await c.call('process/read', { processId: 'trap', afterSeq: 0, waitMs: 200 });
        if ((r.chunks as unknown[]).length > 0) break;
      }
      await c.call('process/signal', { processId: 'trap', signal: 'interrupt' });
      const t = await readToEnd(c, 'trap');
      expect(t.text).toBe('ready\nsignal:2\n');
      expect(t.exitCode).toBe(7);

      await c.call('process/start', { processId: 'slow', argv: ['sh', '-c', 'echo one; sleep 0.5; echo two; sleep 0.3; echo three'], cwd: workUri, env, tty: false, sandbox });
      const first = await c.call('process/read', { processId: 'slow', afterSeq: 0, waitMs: 5000 });
      const seen = ((first.chunks as Array<{ seq: number }>).at(-1)?.seq ?? 0) as number;
      c.drop();

      const d = await Client.open(url);
      const resumed = await d.call('initialize', { clientName: 'reference-client', resumeSessionId: sessionId });
      expect(resumed.sessionId).toBe(sessionId);
      d.notify('initialized', {});
      const rest = await readToEnd(d, 'slow', seen);
      expect(rest.text).toBe('two\nthree\n');
      expect(rest.exitCode).toBe(0);
      d.drop();
    } finally {
      server.kill('SIGTERM');
      rmSync(base, { recursive: true, force: true });
    }
  });
});

/**
 * Startup failures and explicit resume of the exec-server client (Codex client.rs tests
 * `terminal_stdio_startup_failure_is_remembered`, `retryable_startup_failure_does_not_burn_environment`,
 * `explicit_resume_drains_notifications_before_initialize_response`). Real server, real stdio
 * programs and a real TCP proxy; the one fake is a WebSocket server that sends 256 notifications
 * before its initialize response, which the real server does only by chance.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectExecServer, openEnvironment, RemoteSandbox } from '../../../src/exec-server/client/index.js';
import { built, isLinux, sleep, startServer } from './helpers.js';
import type { ServerProcess } from './helpers.js';
import { startTcpProxy } from './tcp-proxy.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'csbx-client-startup-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = (file: string): number => readFileSync(file, 'utf8').split('\n').filter(Boolean).length;

describe.skipIf(!isLinux || !built)('stdio startup failure (Codex client.rs)', () => {
  it('terminal_stdio_startup_failure_is_remembered: a missing program fails every later call with the same error', async () => {
    const missing = join(dir, 'codex-missing-exec-server-for-test');
    const rs = new RemoteSandbox(() => connectExecServer({ command: missing }), 'missing');
    expect(rs.connected).toBe(true); // lazy: nothing tried yet
    const first = await rs.connect().catch((e: unknown) => e);
    expect(first).toBeInstanceOf(Error);
    expect(String(first)).toMatch(/cannot start exec-server .*codex-missing-exec-server-for-test: spawn .*ENOENT/);
    expect(rs.connected).toBe(false);
    const second = await rs.spawn(['true'], 'read-only', { cwd: dir }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(second).toBe(first);
    await rs.close();
  });

  it('terminal_stdio_startup_failure_is_remembered: a program that dies before initialize is started once, however many commands follow', async () => {
    const home = join(dir, 'home');
    const work = join(dir, 'work');
    mkdirSync(home, { recursive: true });
    mkdirSync(work, { recursive: true });
    const count = join(dir, 'starts');
    writeFileSync(count, '');
    writeFileSync(join(home, 'environments.toml'), `[[environments]]\nid = "dies"\nprogram = "sh"\nargs = ["-c", ${JSON.stringify(`echo start >> ${count}; echo broken >&2; exit 3`)}]\n`);
    const rs = await openEnvironment('dies', { env: { CODEX_HOME: home }, cwd: work });
    try {
      // Two concurrent commands share the one attempt; later ones get the remembered failure at once.
      const errors = await Promise.all([1, 2, 3].map(() => rs.spawn(['true'], 'read-only', { cwd: work }).then(() => undefined, (e: unknown) => e)));
      const later = await rs.spawn(['true'], 'read-only', { cwd: work }).then(() => undefined, (e: unknown) => e);
      expect(errors[0]).toBeInstanceOf(Error);
      for (const e of [...errors, later]) expect(e).toBe(errors[0]);
      await sleep(200);
      expect(lines(count)).toBe(1);
    } finally {
      await rs.close();
    }
  });
});

describe.skipIf(!isLinux || !built)('WebSocket startup and explicit resume (Codex client.rs)', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('retryable_startup_failure_does_not_burn_environment: a WebSocket environment whose first connect fails connects on the next command', async () => {
    const proxy = await startTcpProxy(server.url);
    proxy.pause(); // connections are accepted then cut: the first attempt fails
    const connect = () => connectExecServer(proxy.url, { connectTimeoutMs: 1_000, initializeTimeoutMs: 1_000 });
    const rs = new RemoteSandbox(connect, 'flaky-start', connect);
    try {
      await expect(rs.spawn(['true'], 'read-only', { cwd: dir })).rejects.toThrow(/exec-server ws:\/\/127\.0\.0\.1:\d+/);
      expect(rs.connected).toBe(true);
      proxy.resume();
      const r = await rs.spawn(['sh', '-c', 'echo up'], 'read-only', { cwd: dir });
      expect(r.stdout).toBe('up\n');
      expect(rs.client.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await rs.close();
      await proxy.close();
    }
  });

  it('explicit resume: a second client takes over the detached session of a client that lost its connection', async () => {
    const proxy = await startTcpProxy(server.url);
    const a = await connectExecServer(proxy.url, { recoveryTimeoutMs: 300 });
    try {
      const p = await a.start({ argv: ['sh', '-c', 'echo before; sleep 30'], cwd: `file://${dir}`, env: { PATH: '/usr/bin:/bin' }, tty: false });
      const end = Date.now() + 5_000;
      while (p.lastSeq < 1 && Date.now() < end) await sleep(20);
      proxy.pause();
      proxy.drop();
      await p.finished.catch(() => undefined); // A gives up after 300 ms; the server keeps the session detached
      const b = await connectExecServer(server.url, { resumeSessionId: a.sessionId });
      try {
        expect(b.sessionId).toBe(a.sessionId);
        const read = (await b.request('process/read', { processId: p.processId, afterSeq: 0, waitMs: 0 })) as { chunks: Array<{ chunk: string }> };
        expect(read.chunks.map((c) => Buffer.from(c.chunk, 'base64').toString()).join('')).toBe('before\n');
        await b.request('process/terminate', { processId: p.processId });
      } finally {
        await b.close();
      }
      // An unknown session cannot be resumed: the server's error, named.
      await expect(connectExecServer(server.url, { resumeSessionId: '00000000-0000-4000-8000-000000000000' })).rejects.toThrow(/initialize on ws:.*unknown session id/);
    } finally {
      await a.close();
      await proxy.close();
    }
  });

  it('explicit_resume_drains_notifications_before_initialize_response (fake WebSocket server)', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    const port = (wss.address() as { port: number }).port;
    let initialized = false;
    wss.on('connection', (sock) => {
      sock.on('message', (data: Buffer) => {
        const m = JSON.parse(data.toString()) as { id?: number; method: string; params?: { resumeSessionId?: string } };
        if (m.method === 'initialize') {
          expect(m.params?.resumeSessionId).toBe('session-1');
          for (let seq = 1; seq <= 256; seq++) sock.send(JSON.stringify({ method: 'process/output', params: { processId: 'busy-process', seq, stream: 'stdout', chunk: Buffer.from('output').toString('base64') } }));
          sock.send(JSON.stringify({ id: m.id, result: { sessionId: 'session-1' } }));
        }
        if (m.method === 'initialized') initialized = true;
      });
    });
    try {
      const c = await connectExecServer(`ws://127.0.0.1:${port}`, { resumeSessionId: 'session-1', initializeTimeoutMs: 1_000 });
      expect(c.sessionId).toBe('session-1');
      const end = Date.now() + 1_000;
      while (!initialized && Date.now() < end) await sleep(10);
      expect(initialized).toBe(true);
      await c.close();
    } finally {
      for (const s of wss.clients) s.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    }
  });
});

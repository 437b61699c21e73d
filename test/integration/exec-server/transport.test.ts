/**
 * Transports, handshake and dispatch against the real server binary (Codex exec-server test catalogue
 * §5.1: tests/initialize.rs, websocket.rs, health.rs, process.rs, server/transport_tests.rs,
 * connection.rs, server/handler/tests.rs). Each test names the Codex test it ports.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { alive, b64, built, CLI, isLinux, outputOf, scratch, sleep, startParams, startServer, workspaceWriteSandbox, WsClient } from './helpers.js';
import type { ServerProcess } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function http(url: string, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string }> {
  const u = new URL(url.replace('ws://', 'http://'));
  return new Promise((res, rej) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path, method, headers }, (r) => {
      let body = '';
      r.on('data', (d: Buffer) => (body += d.toString()));
      r.on('end', () => res({ status: r.statusCode ?? 0, body }));
    });
    req.on('error', rej);
    req.end();
  });
}

/** The HTTP status a WebSocket handshake gets (101 when it succeeds). */
function handshakeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((res) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      res(101);
    });
    ws.once('unexpected-response', (_req, r) => res(r.statusCode ?? 0));
    ws.once('error', () => undefined);
  });
}

describe.skipIf(!isLinux || !built)('exec-server transports and handshake (Codex §5.1)', () => {
  let server: ServerProcess;
  const dir = scratch();
  beforeAll(async () => {
    server = await startServer(['--concurrent-requests', '1']);
  });
  afterAll(async () => {
    await server.stop();
    dir.cleanup();
  });

  it('exec_server_accepts_initialize: a UUID sessionId and the environment info', async () => {
    const c = await WsClient.connect(server.url);
    const r = await c.call('initialize', { clientName: 'c' });
    expect(r.sessionId).toMatch(UUID);
    expect((r.environmentInfo as { capabilities: Record<string, boolean> }).capabilities.processResize).toBe(true);
    await c.close();
  });

  it('prints exactly the bound ws:// URL as the first stdout line; logs go to stderr', async () => {
    for (let i = 0; i < 100 && !server.stderr().includes('listening'); i += 1) await sleep(20);
    expect(server.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(server.stderr()).toContain('listening on');
  });

  it('exec_server_reports_malformed_websocket_json_and_keeps_running', async () => {
    const c = await WsClient.connect(server.url);
    c.sendRaw('not-json');
    await c.waitFor(() => c.unsolicited.length > 0);
    const m = c.unsolicited[0];
    expect(m?.id).toBe(-1);
    expect(m?.error?.code).toBe(-32600);
    expect(m?.error?.message).toMatch(/^failed to parse websocket JSON-RPC message from exec-server websocket 127\.0\.0\.1:\d+: /);
    expect(await c.initialize()).toMatch(UUID);
    await c.close();
  });

  it('exec_server_accepts_binary_websocket_json', async () => {
    const c = await WsClient.connect(server.url);
    const p = new Promise<unknown>((res) => c.ws.once('message', (d: Buffer) => res(JSON.parse(d.toString()))));
    c.sendRaw(Buffer.from(JSON.stringify({ id: 7, method: 'initialize', params: { clientName: 'bin' } })), true);
    const m = (await p) as { id: number; result: { sessionId: string } };
    expect(m.id).toBe(7);
    expect(m.result.sessionId).toMatch(UUID);
    await c.close();
  });

  it('exec_server_rejects_browser_origin_websocket_handshake (and /readyz with Origin)', async () => {
    expect(await handshakeStatus(server.url, { Origin: 'https://evil.example' })).toBe(403);
    expect(await handshakeStatus(server.url, { Origin: 'null' })).toBe(403);
    expect((await http(server.url, '/readyz', { Origin: 'http://127.0.0.1' })).status).toBe(403);
    expect(await handshakeStatus(server.url, {})).toBe(101);
  });

  it('exec_server_serves_readyz_alongside_websocket_endpoint; GET / without upgrade is 400, other paths 404', async () => {
    expect(await http(server.url, '/readyz')).toEqual({ status: 200, body: '' });
    expect(await http(server.url, '/')).toEqual({ status: 400, body: "Connection header did not include 'upgrade'" });
    expect((await http(server.url, '/nope')).status).toBe(404);
    expect(await handshakeStatus(`${server.url}/other`, {})).toBe(404);
  });

  it('exec_server_reports_environment_status_over_websocket; environment/info accepts absent, null and {} params', async () => {
    const c = await WsClient.connect(server.url);
    await c.initialize();
    expect(await c.call('environment/status')).toEqual({ status: 'ready' });
    const a = await c.call('environment/info');
    expect(await c.call('environment/info', null)).toEqual(a);
    expect(await c.call('environment/info', {})).toEqual(a);
    expect(a.shell).toMatchObject({ name: expect.any(String) as string, path: expect.stringMatching(/^\//) as string });
    const caps = a.capabilities as Record<string, boolean>;
    // Honest capabilities: fs/open reads inside the sandbox; the http and config methods are not built here.
    expect(caps.sandboxedFileStreaming).toBe(true);
    expect(caps.environmentConfigRead).toBe(false);
    expect(caps.processCloseStdin).toBe(true);
    await c.close();
  });

  it('exec_server_rejects_pipelined_requests_before_initialized: errors keep wire order and exact texts (--concurrent-requests 32)', async () => {
    const s = await startServer(['--concurrent-requests', '32']);
    try {
      const c = await WsClient.connect(s.url);
      const before = [c.request('environment/info'), c.request('process/read', { processId: 'x' }), c.request('environment/status')];
      const init = c.request('initialize', { clientName: 'c' });
      const between = [c.request('process/start', startParams('p', ['true'], dir.wsUri)), c.request('environment/info')];
      const order: number[] = [];
      c.ws.on('message', (d: Buffer) => order.push((JSON.parse(d.toString()) as { id: number }).id));
      const r = await Promise.all([...before, init, ...between]);
      expect(r.map((m) => m.error?.message ?? 'ok')).toEqual([
        'client must call initialize before using environment info methods',
        'client must call initialize before using exec methods',
        'client must call initialize before using environment status methods',
        'ok',
        'client must send initialized before using exec methods',
        'client must send initialized before using environment info methods',
      ]);
      expect(order).toEqual([1, 2, 3, 4, 5, 6]);
      expect(r[0]?.error?.code).toBe(-32600);
      await c.close();
    } finally {
      await s.stop();
    }
  });

  it('exec_server_runs_ordinary_requests_serially_by_default: a 250 ms long-poll delays the queued requests', async () => {
    const c = await WsClient.connect(server.url);
    await c.initialize();
    await c.call('process/start', startParams('sleeper', ['sleep', '5'], dir.wsUri));
    const t0 = Date.now();
    const order: string[] = [];
    const read = c.request('process/read', { processId: 'sleeper', waitMs: 250 }).then(() => order.push('read'));
    const info = c.request('environment/info').then(() => order.push('info'));
    const start = c.request('process/start', startParams('quick', ['true'], dir.wsUri)).then(() => order.push('start'));
    await Promise.all([read, info, start]);
    expect(order).toEqual(['read', 'info', 'start']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
    await c.call('process/terminate', { processId: 'sleeper' });
    await c.close();
  });

  it('exec_server_keeps_control_requests_live_during_long_reads_and_queued_requests (--concurrent-requests 4)', async () => {
    const s = await startServer(['--concurrent-requests', '4']);
    try {
      const c = await WsClient.connect(s.url);
      await c.initialize();
      await c.call('process/start', startParams('long', ['sleep', '30'], dir.wsUri));
      const reads = Array.from({ length: 8 }, () => c.request('process/read', { processId: 'long', waitMs: 20_000 }));
      await sleep(100);
      const t0 = Date.now();
      expect((await c.call('environment/status')).status).toBe('ready');
      expect(await c.call('environment/info')).toHaveProperty('shell');
      expect(await c.call('process/terminate', { processId: 'long' })).toEqual({ running: true });
      expect(Date.now() - t0).toBeLessThan(5000);
      // The terminate wakes the reads (exit and close), so nothing is left pending.
      const done = await Promise.all(reads);
      expect(done.every((m) => m.result !== undefined)).toBe(true);
      await c.close();
    } finally {
      await s.stop();
    }
  });

  it('websocket_connection_sends_configured_ping: the server pings (interval --keepalive-ms; Codex: 30 s)', async () => {
    const s = await startServer(['--keepalive-ms', '200']);
    try {
      const c = await WsClient.connect(s.url);
      let pings = 0;
      c.ws.on('ping', () => (pings += 1));
      await sleep(700);
      expect(pings).toBeGreaterThanOrEqual(2);
      expect(await c.initialize()).toMatch(UUID);
      await c.close();
    } finally {
      await s.stop();
    }
  });

  it('initialize twice → "initialize may only be sent once per connection"; unknown method → -32601 stub text', async () => {
    const c = await WsClient.connect(server.url);
    await c.initialize();
    const again = await c.request('initialize', { clientName: 'c' });
    expect(again.error).toEqual({ code: -32600, message: 'initialize may only be sent once per connection' });
    const unknown = await c.request('http/request', { method: 'GET', url: 'http://127.0.0.1/', requestId: 'r' });
    expect(unknown.error).toEqual({ code: -32601, message: 'exec-server stub does not implement `http/request` yet' });
    expect((await c.call('environment/status')).status).toBe('ready');
    await c.close();
  });

  it('a failed initialize (unknown session) may be retried on the same connection', async () => {
    const c = await WsClient.connect(server.url);
    const bad = await c.request('initialize', { clientName: 'c', resumeSessionId: 'no-such-session' });
    expect(bad.error).toEqual({ code: -32600, message: 'unknown session id no-such-session' });
    expect(await c.initialize()).toMatch(UUID);
    await c.close();
  });

  it('an unexpected notification closes the connection (the code, not the stale README); so does initialized before initialize and a stray response', async () => {
    for (const send of [
      (c: WsClient) => c.notify('process/whatever', {}),
      (c: WsClient) => c.notify('initialized', {}),
      (c: WsClient) => c.sendRaw(JSON.stringify({ id: 99, result: {} })),
    ]) {
      const c = await WsClient.connect(server.url);
      send(c);
      await c.waitFor(() => c.closed, 5000, 'the server to close the connection');
      expect(c.unsolicited).toEqual([]);
    }
    // and the server still serves
    const ok = await WsClient.connect(server.url);
    expect(await ok.initialize()).toMatch(UUID);
    await ok.close();
  });

  it('rejects_duplicate_object_keys and keeps serving', async () => {
    const c = await WsClient.connect(server.url);
    c.sendRaw('{"id":1,"method":"initialize","params":{"clientName":"a","clientName":"b"}}');
    await c.waitFor(() => c.unsolicited.length > 0);
    expect(c.unsolicited[0]?.error?.message).toMatch(/duplicate JSON object key `clientName`$/);
    expect(await c.initialize()).toMatch(UUID);
    await c.close();
  });

  it('parse_listen_url_rejects_invalid_websocket_url / _rejects_unsupported_url (exact messages, exit 2)', () => {
    const bad = spawnSync(process.execPath, [CLI, 'exec-server', '--listen', 'ws://localhost:1234'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('invalid websocket --listen URL `ws://localhost:1234`; expected `ws://IP:PORT`');
    const other = spawnSync(process.execPath, [CLI, 'exec-server', '--listen', 'http://127.0.0.1:1234'], { encoding: 'utf8' });
    expect(other.status).toBe(2);
    expect(other.stderr).toContain('unsupported --listen URL `http://127.0.0.1:1234`; expected `ws://IP:PORT` or `stdio`');
    expect(other.stdout).toBe('');
  });

  it('local_exec_server_exits_successfully_on_sigterm, and its processes are gone', async () => {
    const s = await startServer();
    const c = await WsClient.connect(s.url);
    await c.initialize();
    await c.call('process/start', startParams('bg', ['sh', '-c', 'sleep 60 & echo $!; wait'], dir.wsUri));
    await c.waitFor(() => c.events('bg').length > 0);
    const pid = Number(Buffer.from(String(c.events('bg')[0]?.params?.chunk), 'base64').toString().trim());
    expect(pid).toBeGreaterThan(0);
    expect(await s.stop()).toBe(0);
    await sleep(300);
    expect(alive(pid)).toBe(false);
  });
});

describe.skipIf(!isLinux || !built)('exec-server over stdio (Codex §2.4, transport_tests stdio_listen_transport_serves_initialize)', () => {
  function stdioServer(): { send(line: string): void; lines: string[]; end(): void; exit: Promise<number | null>; waitLines(n: number): Promise<void> } {
    const proc = spawn(process.execPath, [CLI, 'exec-server', '--listen', 'stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let buf = '';
    proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    proc.stdin.on('error', () => undefined);
    return {
      send: (line) => proc.stdin.write(line),
      lines,
      end: () => proc.stdin.end(),
      exit,
      waitLines: async (n) => {
        for (let i = 0; i < 200 && lines.length < n; i += 1) await sleep(25);
      },
    };
  }

  it('NDJSON: initialize over LF and CRLF, blank lines skipped, malformed line → id -1 and the connection continues; EOF → exit 0', async () => {
    const s = stdioServer();
    s.send('\n   \n{"id":1,"method":"initialize","params":{"clientName":"s"}}\r\n');
    s.send('{"method":"initialized","params":{}}\n');
    s.send('not json\n');
    s.send('{"id":2,"method":"environment/status"}\n');
    await s.waitLines(3);
    const msgs = s.lines.map((l) => JSON.parse(l) as { id: number; result?: { sessionId?: string; status?: string }; error?: { code: number; message: string } });
    expect(msgs[0]?.result?.sessionId).toMatch(UUID);
    expect(msgs[1]?.id).toBe(-1);
    expect(msgs[1]?.error?.code).toBe(-32600);
    expect(msgs[1]?.error?.message).toMatch(/^failed to parse JSON-RPC message from exec-server stdio: /);
    expect(msgs[2]).toEqual({ id: 2, result: { status: 'ready' } });
    s.end();
    expect(await s.exit).toBe(0);
  });

  it('stdio EOF kills every process of the session at once (no detached TTL)', async () => {
    const dir = scratch();
    try {
      const s = stdioServer();
      s.send('{"id":1,"method":"initialize","params":{"clientName":"s"}}\n{"method":"initialized"}\n');
      s.send(`${JSON.stringify({ id: 2, method: 'process/start', params: startParams('p', ['sh', '-c', 'echo $$; exec sleep 60'], dir.wsUri) })}\n`);
      for (let i = 0; i < 200 && !s.lines.some((l) => l.includes('process/output')); i += 1) await sleep(25);
      const out = s.lines.map((l) => JSON.parse(l) as { method?: string; params?: { chunk: string } }).find((m) => m.method === 'process/output');
      const pid = Number(Buffer.from(out?.params?.chunk ?? '', 'base64').toString().trim());
      expect(pid).toBeGreaterThan(0);
      s.end();
      expect(await s.exit).toBe(0);
      await sleep(200);
      expect(alive(pid)).toBe(false);
    } finally {
      dir.cleanup();
    }
  });

  it('stdio_connection_rejects_overlong_unterminated_message: the connection ends without a reply', async () => {
    const s = stdioServer();
    const chunk = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 65; i += 1) s.send(chunk);
    expect(await s.exit).toBe(0);
    expect(s.lines).toEqual([]);
  });

  it('stdio output is only JSON-RPC messages (a process writing to its stdout does not reach the server stdout)', async () => {
    const dir = scratch();
    try {
      const s = stdioServer();
      s.send('{"id":1,"method":"initialize","params":{"clientName":"s"}}\n{"method":"initialized"}\n');
      s.send(`${JSON.stringify({ id: 2, method: 'process/start', params: startParams('p', ['echo', 'plain text'], dir.wsUri) })}\n`);
      for (let i = 0; i < 200 && !s.lines.some((l) => l.includes('process/closed')); i += 1) await sleep(25);
      for (const l of s.lines) expect(() => JSON.parse(l) as unknown).not.toThrow();
      expect(s.lines.join('\n')).toContain(b64('plain text\n'));
      s.end();
      await s.exit;
    } finally {
      dir.cleanup();
    }
  });
});

describe.skipIf(!isLinux || !built)('exec-server bearer token (beyond Codex: network listeners)', () => {
  const dir = scratch();
  afterAll(() => dir.cleanup());
  const tokenFile = join(dir.base, 'token');
  writeFileSync(tokenFile, 'correct-horse-battery-staple-1234\n');
  chmodSync(tokenFile, 0o600);

  it('a non-loopback listener without --auth-token-file refuses to start (exit 2, says why)', () => {
    const r = spawnSync(process.execPath, [CLI, 'exec-server', '--listen', 'ws://0.0.0.0:0'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('requires a bearer token (--auth-token-file)');
  });

  it('a token file other users can read is refused', () => {
    /** The server started with a token file of `text` and `mode`. */
    const startWith = (name: string, text: string, mode: number): SpawnSyncReturns<string> => {
      const file = join(dir.base, name);
      writeFileSync(file, text);
      chmodSync(file, mode);
      return spawnSync(process.execPath, [CLI, 'exec-server', '--auth-token-file', file], { encoding: 'utf8', timeout: 20_000 });
    };
    const r = startWith('loose', 'correct-horse-battery-staple-1234\n', 0o644);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('chmod 600');
    // A short token could be guessed: refused, with how to make a good one.
    const s = startWith('short', 'fifteen-chars15\n', 0o600);
    expect(s.status).toBe(2);
    expect(s.stderr).toContain('the token must be at least 16 characters (e.g. openssl rand -hex 32)');
  });

  it('with a token: no or a wrong bearer → 401; the right one upgrades; /readyz stays open', async () => {
    const s = await startServer(['--listen', 'ws://0.0.0.0:0', '--auth-token-file', tokenFile]);
    try {
      for (let i = 0; i < 100 && !s.stderr().includes('listening'); i += 1) await sleep(20);
      expect(s.stderr()).toContain('NETWORK-REACHABLE');
      const url = s.url.replace('0.0.0.0', '127.0.0.1');
      expect(await handshakeStatus(url, {})).toBe(401);
      expect(await handshakeStatus(url, { Authorization: 'Bearer wrong' })).toBe(401);
      expect(await handshakeStatus(url, { Authorization: 'Bearer correct-horse-battery-staple-123' })).toBe(401);
      expect(await handshakeStatus(url, { Authorization: 'Basic correct-horse-battery-staple-1234' })).toBe(401);
      expect((await http(url, '/readyz')).status).toBe(200);
      const c = await WsClient.connect(url, { Authorization: 'Bearer correct-horse-battery-staple-1234' });
      expect(await c.initialize()).toMatch(UUID);
      // A sandboxed command cannot read the token (it could connect back and run unsandboxed);
      // the same read without a sandbox field works (the control).
      await c.call('process/start', startParams('steal', ['cat', tokenFile], dir.wsUri, { sandbox: workspaceWriteSandbox(dir.wsUri, 'enabled') }));
      const stolen = await c.untilClosed('steal');
      expect(outputOf(stolen, 'stdout')).toBe('');
      expect(stolen.find((e) => e.method === 'process/exited')?.params?.exitCode).not.toBe(0);
      await c.call('process/start', startParams('read-ctl', ['cat', tokenFile], dir.wsUri));
      expect(outputOf(await c.untilClosed('read-ctl'), 'stdout')).toContain('correct-horse');
      await c.close();
    } finally {
      await s.stop();
    }
  });
});

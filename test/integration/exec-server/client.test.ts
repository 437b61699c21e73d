/**
 * The exec-server client (src/exec-server/client) against the REAL server (`node dist/cli/main.js
 * exec-server`): Codex's client.rs catalogue (reference §5.5) ported. Connection cuts go through a
 * real TCP proxy (tcp-proxy.ts); the seq-reordering test uses a fake stdio server (a node script that
 * sends notifications out of order on purpose, which the real server does only by chance).
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectExecServer, ExecServerDisconnectedError, openEnvironment, RemoteSandbox } from '../../../src/exec-server/client/index.js';
import { createSandbox } from '../../../src/sandbox.js';
import { alive, built, CLI, isLinux, sleep, startServer } from './helpers.js';
import type { ServerProcess } from './helpers.js';
import { startTcpProxy } from './tcp-proxy.js';

const STDIO = { command: process.execPath, args: [CLI, 'exec-server', '--listen', 'stdio'] };
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'csbx-client-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function waitUntil(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe.skipIf(!isLinux || !built)('exec-server client over stdio (Codex client.rs)', () => {
  it('connect_stdio_command_initializes_json_rpc_client', async () => {
    const c = await connectExecServer(STDIO);
    try {
      expect(c.sessionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(await c.status()).toBe('ready');
      expect(c.environmentInfo?.platformOs).toBe('linux');
    } finally {
      await c.close();
    }
  });

  it('dropping_stdio_client_terminates_spawned_process: the server, its background child and its processes die', async () => {
    const pidFile = join(dir, 'server.pid');
    const bgFile = join(dir, 'bg.pid');
    // The program the client starts leaves a background child behind, then becomes the server.
    const c = await connectExecServer({ command: 'sh', args: ['-c', `sleep 300 & echo $! > ${bgFile}; echo $$ > ${pidFile}; exec "$0" "$@"`, ...[process.execPath, CLI, 'exec-server', '--listen', 'stdio']] });
    const p = await c.start({ argv: ['sh', '-c', 'echo $$; exec sleep 300'], cwd: `file://${dir}`, env: { PATH: '/usr/bin:/bin' }, tty: false });
    await waitUntil(() => p.lastSeq >= 1, 'the pid line');
    const serverPid = Number(readFileSync(pidFile, 'utf8'));
    const bgPid = Number(readFileSync(bgFile, 'utf8'));
    expect(alive(serverPid) && alive(bgPid)).toBe(true);
    await c.close();
    await waitUntil(() => !alive(serverPid) && !alive(bgPid), 'the server and its background child to die', 5_000);
    await expect(p.finished).rejects.toThrow(ExecServerDisconnectedError);
  });

  it('malformed_stdio_message_terminates_spawned_process', async () => {
    const pidFile = join(dir, 'malformed.pid');
    const err = await connectExecServer({ command: 'sh', args: ['-c', `echo $$ > ${pidFile}; echo 'this is not json'; exec sleep 300`] }).catch((e: unknown) => e as Error);
    expect(String(err)).toMatch(/malformed JSON-RPC message from stdio child sh/);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await waitUntil(() => !alive(pid), 'the child to be killed', 5_000);
  });

  it('terminal_stdio_startup_failure: a program that cannot start gives a clear error', async () => {
    await expect(connectExecServer({ command: join(dir, 'no-such-server') })).rejects.toThrow(/cannot start exec-server .*no-such-server: spawn .*ENOENT/);
  });

  it('process_events_are_delivered_in_seq_order_when_notifications_are_reordered (fake stdio server)', async () => {
    const fake = join(dir, 'fake-server.mjs');
    const b = (s: string): string => Buffer.from(s).toString('base64');
    const events = [
      { method: 'process/closed', params: { processId: 'p', seq: 5 } },
      { method: 'process/output', params: { processId: 'p', seq: 3, stream: 'stdout', chunk: b('three ') } },
      { method: 'process/exited', params: { processId: 'p', seq: 4, exitCode: 7 } },
      { method: 'process/output', params: { processId: 'p', seq: 1, stream: 'stdout', chunk: b('one ') } },
      { method: 'process/output', params: { processId: 'p', seq: 2, stream: 'stderr', chunk: b('two') } },
    ];
    writeFileSync(
      fake,
      `import readline from 'node:readline';
const out = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
for await (const line of readline.createInterface({ input: process.stdin })) {
  const m = JSON.parse(line);
  if (m.method === 'initialize') out({ id: m.id, result: { sessionId: '00000000-0000-4000-8000-000000000000' } });
  if (m.method === 'process/start') { for (const e of ${JSON.stringify(events)}) out(e); out({ id: m.id, result: { processId: 'p', sandboxType: 'none' } }); }
}`,
    );
    const c = await connectExecServer({ command: process.execPath, args: [fake] });
    try {
      const order: string[] = [];
      const p = await c.start({ processId: 'p', argv: ['x'], cwd: 'file:///', env: {}, tty: false });
      p.onOutput((_s, chunk) => order.push(chunk.toString()));
      const r = await p.finished;
      expect(r.exitCode).toBe(7);
      expect(r.stdout.toString()).toBe('one three ');
      expect(r.stderr.toString()).toBe('two');
    } finally {
      await c.close();
    }
  });
});

describe.skipIf(!isLinux || !built)('exec-server client over WebSocket (Codex client.rs, client_recovery_tests.rs)', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer(['--detached-session-ttl-ms', '5000']);
  });
  afterAll(async () => {
    await server.stop();
  });

  it('remote_websocket_client_resumes_session: output produced while disconnected is recovered', async () => {
    const proxy = await startTcpProxy(server.url);
    const c = await connectExecServer(proxy.url);
    try {
      const p = await c.start({ argv: ['sh', '-c', 'echo before; sleep 1; echo during; sleep 1; echo after'], cwd: `file://${dir}`, env: { PATH: '/usr/bin:/bin' }, tty: false });
      await waitUntil(() => p.lastSeq >= 1, 'the first line');
      proxy.drop();
      const r = await p.finished;
      expect(r.stdout.toString()).toBe('before\nduring\nafter\n');
      expect(r.exitCode).toBe(0);
      expect(proxy.connections).toBeGreaterThanOrEqual(2);
      expect(await c.status()).toBe('ready');
    } finally {
      await c.close();
      await proxy.close();
    }
  });

  it('session_write_retries_same_write_id_after_recovery: the bytes are written once', async () => {
    const proxy = await startTcpProxy(server.url);
    const c = await connectExecServer(proxy.url);
    try {
      const p = await c.start({ argv: ['cat'], cwd: `file://${dir}`, env: { PATH: '/usr/bin:/bin' }, tty: false, pipeStdin: true });
      // The server accepts and writes; the answer is lost with the connection; the client resumes
      // and sends the same writeId again, which the server must not write a second time.
      const cut = proxy.dropWhenServerSends('"accepted"');
      const status = await p.write('hello\n');
      await cut;
      expect(status).toBe('accepted');
      await p.closeStdin();
      const r = await p.finished;
      expect(r.stdout.toString()).toBe('hello\n');
      expect(proxy.connections).toBe(2);
    } finally {
      await c.close();
      await proxy.close();
    }
  });

  it('a session that cannot be resumed fails its calls and processes clearly; RemoteSandbox then starts a fresh session', async () => {
    const short = await startServer(['--detached-session-ttl-ms', '200']);
    const proxy = await startTcpProxy(short.url);
    const connect = () => connectExecServer(proxy.url, { recoveryTimeoutMs: 3_000 });
    const rs = new RemoteSandbox(await connect(), 'short', connect);
    try {
      const first = rs.client;
      const run = rs.spawn(['sleep', '30'], 'read-only', { cwd: dir });
      const proc = await run.started;
      proxy.pause();
      proxy.drop();
      await sleep(800); // past the server's 200 ms detached TTL: the session and its process are gone
      proxy.resume();
      const err = await proc.finished.catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(ExecServerDisconnectedError);
      expect(String(err)).toMatch(new RegExp(`process ${proc.processId}: .*could not resume session ${first.sessionId} on ${proxy.url}.*unknown session id`));
      await expect(first.status()).rejects.toThrow(ExecServerDisconnectedError);
      const r = await rs.spawn(['sh', '-c', 'echo fresh'], 'read-only', { cwd: dir });
      expect(r.stdout).toBe('fresh\n');
      expect(rs.client.sessionId).not.toBe(first.sessionId);
    } finally {
      await rs.close();
      await proxy.close();
      await short.stop();
    }
  });

  it('failed_reconnect_does_not_burn_environment: a failed fresh-session attempt is retried by the next command', async () => {
    const proxy = await startTcpProxy(server.url);
    const connect = () => connectExecServer(proxy.url, { recoveryTimeoutMs: 300, connectTimeoutMs: 1_000 });
    const rs = new RemoteSandbox(await connect(), 'flaky', connect);
    try {
      proxy.pause();
      proxy.drop();
      await waitUntil(() => !rs.client.connected, 'the session to be given up');
      await expect(rs.spawn(['true'], 'read-only', { cwd: dir })).rejects.toThrow(/cannot connect to exec-server ws:\/\/127\.0\.0\.1:\d+/);
      proxy.resume();
      const r = await rs.spawn(['sh', '-c', 'echo back'], 'read-only', { cwd: dir });
      expect(r.stdout).toBe('back\n');
    } finally {
      await rs.close();
      await proxy.close();
    }
  });

  it('transport_disconnect_fails_sessions_and_rejects_new_sessions: a killed server fails its processes and calls', async () => {
    const doomed = await startServer();
    const c = await connectExecServer(doomed.url, { recoveryTimeoutMs: 1_000 });
    const p = await c.start({ argv: ['sleep', '30'], cwd: `file://${dir}`, env: { PATH: '/usr/bin:/bin' }, tty: false });
    doomed.proc.kill('SIGKILL');
    const err = await p.finished.catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(ExecServerDisconnectedError);
    expect(String(err)).toMatch(new RegExp(`process ${p.processId}: exec-server connection to ${doomed.url} closed.*could not resume session`));
    await expect(c.status()).rejects.toThrow(/could not resume session/);
    await expect(c.start({ argv: ['true'], cwd: `file://${dir}`, env: {}, tty: false })).rejects.toThrow(ExecServerDisconnectedError);
    expect(c.connected).toBe(false);
    await c.close();
  });

  it('RemoteSandbox runs with the exit codes and the confinement of a local run', async () => {
    const c = await connectExecServer(server.url);
    const rs = new RemoteSandbox(c, 'ws');
    const local = await createSandbox();
    try {
      const cases: Array<[string[], number]> = [
        [['sh', '-c', 'exit 3'], 3],
        [['sh', '-c', 'kill -9 $$'], 137],
        [['sh', '-c', 'kill -TERM $$'], 143],
        [['no-such-command-xyz'], 127],
      ];
      for (const [argv, code] of cases) {
        const remote = await rs.spawn(argv, 'workspace-write', { cwd: dir });
        const here = await local.spawn(argv, 'workspace-write', { cwd: dir, reject: false });
        expect([argv.join(' '), remote.exitCode]).toEqual([argv.join(' '), code]);
        expect(remote.exitCode).toBe(here.exitCode);
      }
      const outside = join(tmpdir(), `csbx-client-outside-${String(process.pid)}`);
      const denied = await rs.spawn(['sh', '-c', `echo x > ${outside}`], 'read-only', { cwd: dir, envPolicy: 'core' });
      expect(denied.exitCode).not.toBe(0);
      expect(denied.stderr).toMatch(/Read-only file system|Permission denied/);
      expect(denied.sandboxType).toBe('linuxSeccomp');
      const wrote = await rs.spawn(['sh', '-c', 'echo ok > inside && cat inside'], 'workspace-write', { cwd: dir });
      expect(wrote.stdout).toBe('ok\n');
      const echoed = await rs.spawn(['cat'], 'read-only', { cwd: dir, input: 'from stdin' });
      expect(echoed.stdout).toBe('from stdin');
    } finally {
      await rs.close();
    }
  });
});

describe.skipIf(!isLinux || !built)('environments.toml bearer token (auth_token_file)', () => {
  it('the token file is sent as the bearer token; without it: 401 named; a file others can read is refused', async () => {
    const home = join(dir, 'token-home');
    const work = join(dir, 'token-work'); // beside CODEX_HOME: inside the cwd it would be a project file
    mkdirSync(home, { recursive: true });
    mkdirSync(work, { recursive: true });
    const token = join(home, 'box.token');
    writeFileSync(token, 'a-long-enough-secret-token-0123456789\n', { mode: 0o600 });
    const serverToken = join(home, 'server.token');
    writeFileSync(serverToken, 'a-long-enough-secret-token-0123456789\n', { mode: 0o600 });
    const srv = await startServer(['--auth-token-file', serverToken]);
    try {
      writeFileSync(join(home, 'environments.toml'), `[[environments]]\nid = "box"\nurl = "${srv.url}"\nauth_token_file = "box.token"\n[[environments]]\nid = "bare"\nurl = "${srv.url}"\n`);
      const lookup = { env: { CODEX_HOME: home }, cwd: work };
      const rs = await openEnvironment('box', lookup);
      expect((await rs.spawn(['sh', '-c', 'echo authed'], 'read-only', { cwd: dir })).stdout).toBe('authed\n');
      await rs.close();
      await expect(openEnvironment('bare', lookup)).rejects.toThrow(/cannot connect to exec-server ws:.*: HTTP 401 \(the server wants a bearer token/);
      chmodSync(token, 0o644);
      await expect(openEnvironment('box', lookup)).rejects.toThrow(/auth_token_file .*box\.token: readable or writable by other users; run chmod 600/);
    } finally {
      await srv.stop();
    }
  });
});

describe.skipIf(!isLinux || !built)('environments of environments.toml (Codex environment.rs)', () => {
  it('environment_manager_leaves_stdio_environment_lazy: the program starts on the first command, not before', async () => {
    const home = join(dir, 'lazy-home');
    const work = join(dir, 'lazy-work');
    mkdirSync(home, { recursive: true });
    mkdirSync(work, { recursive: true });
    const marker = join(dir, 'lazy-started');
    writeFileSync(
      join(home, 'environments.toml'),
      `[[environments]]\nid = "pipe"\nprogram = "sh"\nargs = ["-c", ${JSON.stringify(`touch ${marker}; exec "$0" "$@"`)}, ${JSON.stringify(process.execPath)}, ${JSON.stringify(CLI)}, "exec-server", "--listen", "stdio"]\n`,
    );
    const rs = await openEnvironment('pipe', { env: { CODEX_HOME: home }, cwd: work });
    try {
      await sleep(300);
      expect(existsSync(marker)).toBe(false);
      expect(rs.connected).toBe(true);
      expect(() => rs.client).toThrow(/environment `pipe` is not connected yet/);
      const r = await rs.spawn(['sh', '-c', 'echo lazy'], 'read-only', { cwd: work });
      expect(r.stdout).toBe('lazy\n');
      expect(existsSync(marker)).toBe(true);
    } finally {
      await rs.close();
    }
  });
});

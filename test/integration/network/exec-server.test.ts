/**
 * The exec-server's own sandbox settings, through the real server (dist CLI) and real sandboxes:
 * `--allow-host-port`/`--deny-domain` (one filtering proxy shared by every process, stopped with the
 * server), `--cache`, `--git`; and the usage errors for bad values (exit 2, naming the value).
 * Codex's wire shape has no field for domains (`permissions.network` is only restricted|enabled), so
 * these are server options, not request fields.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { built, CLI, isLinux, outputOf, scratch, startParams, startServer, workspaceWriteSandbox, WsClient } from '../exec-server/helpers.js';
import type { ServerProcess } from '../exec-server/helpers.js';
import { UsageError } from '../../../src/errors.js';
import { execServerCommand } from '../../../src/exec-server/cli.js';
import type { ExecServerFlags } from '../../../src/exec-server/cli.js';

const CURL = '/usr/bin/curl';

describe.skipIf(!isLinux || !built || !existsSync(CURL))('exec-server --allow-host-port/--deny-domain, --cache, --git (real server, real sandboxes; skipped off Linux, without dist/ or without curl)', () => {
  let server: ServerProcess;
  let c: WsClient;
  let allowed: Server;
  let other: Server;
  let otherHits = 0;
  const ports = { allowed: 0, other: 0 };
  const dir = scratch('csbx-es-net-');
  const tmp = join(dir.base, 'tmp');
  const home = join(dir.base, 'home');

  beforeAll(async () => {
    mkdirSync(tmp);
    mkdirSync(home);
    mkdirSync(join(dir.ws, '.git'));
    writeFileSync(join(dir.ws, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    allowed = createServer((req, res) => res.end(`allowed ${req.url ?? ''}\n`));
    other = createServer((_req, res) => {
      otherHits++;
      res.end('must not be reached\n');
    });
    for (const [k, s] of [['allowed', allowed], ['other', other]] as const) {
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      ports[k] = (s.address() as { port: number }).port;
    }
    // TMPDIR: the proxy's socket directory is made there, so the test can count it.
    server = await startServer(
      ['--default-profile', 'workspace-write', '--allow-host-port', String(ports.allowed), '--deny-domain', '*:9', '--cache', 'npm', '--git', 'read-only'],
      { ...process.env, TMPDIR: tmp, HOME: home },
    );
    c = await WsClient.connect(server.url);
    await c.initialize();
  });
  afterAll(async () => {
    await c.close();
    await server.stop();
    allowed.close();
    other.close();
    dir.cleanup();
  });

  const curl = (port: number, path: string): string[] => [CURL, '-sS', '-f', '--max-time', '10', `http://127.0.0.1:${port}${path}`];

  it('every process goes through one proxy: a wire profile with network restricted or enabled and a request without a sandbox field reach the allowed host port only; refusals are logged', async () => {
    const env = { PATH: '/usr/bin:/bin' };
    await c.call('process/start', startParams('restricted', curl(ports.allowed, '/r'), dir.wsUri, { env, sandbox: workspaceWriteSandbox(dir.wsUri, 'restricted') }));
    await c.call('process/start', startParams('enabled', curl(ports.allowed, '/e'), dir.wsUri, { env, sandbox: workspaceWriteSandbox(dir.wsUri, 'enabled') }));
    await c.call('process/start', startParams('default', curl(ports.allowed, '/d'), dir.wsUri, { env }));
    await c.call('process/start', startParams('denied', curl(ports.other, '/x'), dir.wsUri, { env, sandbox: workspaceWriteSandbox(dir.wsUri, 'enabled') }));
    // While they run (or just after): one proxy directory, whatever the number of processes.
    const proxyDirs = readdirSync(tmp).filter((n) => n.startsWith('codex-sandbox-proxy-'));
    expect(proxyDirs).toHaveLength(1);
    for (const [id, path] of [['restricted', '/r'], ['enabled', '/e'], ['default', '/d']] as const) {
      const ev = await c.untilClosed(id);
      expect(outputOf(ev, 'stdout'), `${id}: ${outputOf(ev, 'stderr')}`).toBe(`allowed ${path}\n`);
    }
    const denied = await c.untilClosed('denied');
    expect(outputOf(denied, 'stderr')).toMatch(/403/);
    expect(denied.find((e) => e.method === 'process/exited')?.params?.exitCode).toBe(22);
    expect(otherHits).toBe(0);
    expect(server.stderr()).toContain(`codex-sandbox exec-server: network: refused HTTP 127.0.0.1:${ports.other}: 127.0.0.1:${ports.other} is not in the allow list`);
    expect(server.stderr()).toMatch(/network only through the filtering proxy: deny \*:9, host port \d+/);
  });

  it('a process whose profile runs unsandboxed is refused, not started outside the allow list', async () => {
    const disabled = { permissions: { type: 'disabled' }, cwd: dir.wsUri, workspaceRoots: [dir.wsUri], windowsSandboxLevel: 'disabled' };
    await expect(c.call('process/start', startParams('full', curl(ports.other, '/y'), dir.wsUri, { sandbox: disabled }))).rejects.toThrow(/network allow list cannot be enforced without a sandbox/);
    expect(otherHits).toBe(0);
  });

  it('--cache npm makes $HOME/.npm/_cacache writable (and nothing else of $HOME); --git read-only keeps .git read-only', async () => {
    const script = `touch ${home}/.npm/_cacache/ok && echo cache-ok; touch ${home}/not-a-cache 2>/dev/null || echo home-ro; touch ${dir.ws}/.git/planted 2>/dev/null || echo git-ro; touch ${dir.ws}/file && echo ws-ok`;
    await c.call('process/start', startParams('fs', ['/bin/sh', '-c', script], dir.wsUri, { sandbox: workspaceWriteSandbox(dir.wsUri) }));
    const ev = await c.untilClosed('fs');
    expect(outputOf(ev, 'stdout'), outputOf(ev, 'stderr')).toBe('cache-ok\nhome-ro\ngit-ro\nws-ok\n');
    expect(existsSync(join(dir.ws, '.git', 'planted'))).toBe(false);
  });

  it('fs/* gets the same --cache and --git: a sandboxed fs/writeFile may write the npm cache, not .git', async () => {
    const sandbox = workspaceWriteSandbox(dir.wsUri);
    const b64 = (t: string): string => Buffer.from(t).toString('base64');
    await c.call('fs/writeFile', { path: pathToFileURL(join(home, '.npm', '_cacache', 'from-fs')).href, dataBase64: b64('x'), sandbox });
    expect(existsSync(join(home, '.npm', '_cacache', 'from-fs'))).toBe(true);
    const r = await c.request('fs/writeFile', { path: pathToFileURL(join(dir.ws, '.git', 'HEAD')).href, dataBase64: b64('ref: refs/heads/evil\n'), sandbox });
    expect(r.error?.message).toMatch(/Read-only file system|Permission denied|Operation not permitted/);
    expect(readFileSync(join(dir.ws, '.git', 'HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
    // A plain workspace file is still writable through fs/* (the context's own grant).
    await c.call('fs/writeFile', { path: pathToFileURL(join(dir.ws, 'from-fs.txt')).href, dataBase64: b64('ok'), sandbox });
  });

  it('the proxy stops with the server: its socket directory is removed', async () => {
    const code = await server.stop();
    expect(code, `signal ${String(server.proc.signalCode)}; stderr: ${server.stderr()}`).toBe(0);
    expect(readdirSync(tmp).filter((n) => n.startsWith('codex-sandbox-proxy-'))).toEqual([]);
  });

  it('bad values are usage errors (exit 2) that name the value', async () => {
    // In-process: the checks run before anything listens. One CLI run proves the exit code.
    const cases: Array<[ExecServerFlags, RegExp]> = [
      [{ listen: 'ws://127.0.0.1:0', allowDomain: ['ex*ample.com'], defaultProfile: 'workspace-write' }, /ex\*ample\.com.*wildcard/],
      [{ listen: 'ws://127.0.0.1:0', allowDomain: ['10.0.0.0/33'], defaultProfile: 'workspace-write' }, /10\.0\.0\.0\/33.*prefix length/],
      [{ listen: 'ws://127.0.0.1:0', denyDomain: ['example.com:0'], defaultProfile: 'workspace-write' }, /example\.com:0.*port "0"/],
      [{ listen: 'ws://127.0.0.1:0', allowHostPort: ['70000'], defaultProfile: 'workspace-write' }, /--allow-host-port 70000: expected a port number/],
      [{ listen: 'ws://127.0.0.1:0', allowDomain: ['example.com'] }, /need --default-profile read-only or workspace-write/],
      [{ listen: 'ws://127.0.0.1:0', cache: ['nope'] }, /--cache nope: unknown cache/],
    ];
    for (const [flags, msg] of cases) {
      const e = await execServerCommand(flags).then(
        () => null,
        (err: unknown) => err,
      );
      expect(e, JSON.stringify(flags)).toBeInstanceOf(UsageError);
      expect(String(e)).toMatch(msg);
    }
    const r = spawnSync(process.execPath, [CLI, 'exec-server', '--allow-domain', 'ex*ample.com', '--default-profile', 'workspace-write'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toMatch(/ex\*ample\.com/);
    expect(r.status).toBe(2);
  });
});

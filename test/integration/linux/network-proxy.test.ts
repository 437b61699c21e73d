/**
 * Real bubblewrap + seccomp + the launcher's bridge + the filtering proxy: with a network allow list
 * the command reaches allowed destinations through the proxy only; denied ones fail and are
 * reported; a direct connection (no proxy), a host unix socket, and the proxy's own socket by path
 * are all refused.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { Server as NetServer } from 'node:net';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyDenial } from '../../../src/launch/proxy/session.js';
import { isLinux, PY, run, sandbox, scratch } from './helpers.js';
import type { Scratch } from './helpers.js';

const CURL = '/usr/bin/curl';
const hasCurl = existsSync(CURL);

/** Whether this host reaches the npm registry directly (the only internet some CI hosts have). */
async function registryReachable(): Promise<boolean> {
  try {
    const r = await fetch('https://registry.npmjs.org/execa', { method: 'HEAD', signal: AbortSignal.timeout(8000) });
    return r.ok;
  } catch {
    return false;
  }
}
const npmReachable = hasCurl && (await registryReachable());

describe.skipIf(!isLinux)('linux sandbox: network allow list through the filtering proxy (real bwrap, seccomp, bridge)', () => {
  let s: Scratch;
  let web: Server;
  let unix: NetServer;
  let port = 0;
  let sockPath = '';

  beforeAll(async () => {
    s = scratch();
    web = createServer((req, res) => res.end(`hello from the host ${req.url ?? ''}\n`));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    port = (web.address() as { port: number }).port;
    sockPath = join(s.base, 'host.sock'); // stands in for docker.sock / ssh-agent
    unix = createNetServer((c) => c.end('hello\n'));
    await new Promise<void>((r) => unix.listen(sockPath, r));
  });
  afterAll(() => {
    web.close();
    unix.close();
    rmSync(sockPath, { force: true });
    s.cleanup();
  });

  it.skipIf(!hasCurl)('curl to an allowed host port works through the proxy; a denied one fails and is reported (skipped without /usr/bin/curl)', async () => {
    const denials: ProxyDenial[] = [];
    const opts = { cwd: s.ws, networkAccess: { allowHostPorts: [port], deny: ['*:9'] }, onNetworkDenial: (d: ProxyDenial) => denials.push(d) };
    const ok = await run([CURL, '-sS', '--max-time', '10', `http://127.0.0.1:${port}/allowed`], 'workspace-write', opts);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe('hello from the host /allowed\n');
    expect(ok.exitCode).toBe(0);
    const no = await run([CURL, '-sS', '-f', '--max-time', '10', `http://example.invalid:${port}/`], 'workspace-write', opts);
    expect(no.exitCode).not.toBe(0);
    expect(no.stderr).toMatch(/403/);
    expect(denials).toMatchObject([{ host: 'example.invalid', port, protocol: 'http', rule: null }]);
  });

  it.skipIf(!hasCurl)('HTTPS-style CONNECT and SOCKS5 go through the same bridge; a deny rule wins over a host port', async () => {
    const denials: ProxyDenial[] = [];
    const opts = { cwd: s.ws, networkAccess: { allowHostPorts: [port] }, onNetworkDenial: (d: ProxyDenial) => denials.push(d) };
    const tunnel = await run([CURL, '-sS', '--max-time', '10', '-p', `http://127.0.0.1:${port}/tunnel`], 'workspace-write', opts);
    expect(tunnel.stdout).toBe('hello from the host /tunnel\n');
    const socks = await run([CURL, '-sS', '--max-time', '10', '--proxy', 'socks5h://127.0.0.1:3128', `http://127.0.0.1:${port}/socks`], 'workspace-write', opts);
    expect(socks.stdout).toBe('hello from the host /socks\n');
    const denied = await run([CURL, '-sS', '-f', '--max-time', '10', `http://127.0.0.1:${port}/`], 'workspace-write', {
      ...opts,
      networkAccess: { allowHostPorts: [port], deny: ['127.0.0.0/8'] },
    });
    expect(denied.exitCode).not.toBe(0);
    expect(denials).toMatchObject([{ host: '127.0.0.1', rule: 'deny 127.0.0.0/8' }]);
  });

  it.skipIf(!npmReachable)('a real allowed domain over HTTPS: registry.npmjs.org works through CONNECT, another name is refused (skipped without curl or without a route to the npm registry)', async () => {
    const denials: ProxyDenial[] = [];
    const opts = { cwd: s.ws, networkAccess: { allow: ['registry.npmjs.org:443'] }, onNetworkDenial: (d: ProxyDenial) => denials.push(d) };
    const ok = await run([CURL, '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '20', 'https://registry.npmjs.org/execa'], 'workspace-write', opts);
    expect(ok.stdout).toBe('200');
    const no = await run([CURL, '-sS', '-o', '/dev/null', '--max-time', '20', 'https://www.npmjs.com/'], 'workspace-write', opts);
    expect(no.exitCode).not.toBe(0);
    expect(denials).toMatchObject([{ host: 'www.npmjs.com', port: 443, protocol: 'connect', rule: null }]);
  });

  const probe = (body: string): string =>
    `import socket, errno\ntry:\n${body
      .split('\n')
      .map((l) => '    ' + l)
      .join('\n')}\n    print('OPEN')\nexcept OSError as e:\n    print('ERR', errno.errorcode.get(e.errno, e.errno))`;

  it('a direct connection that ignores the proxy variables reaches nothing (own network namespace)', async () => {
    const r = await run([PY, '-c', probe(`s=socket.socket(); s.settimeout(3); s.connect(('127.0.0.1', ${port}))`)], 'workspace-write', { cwd: s.ws, networkAccess: { allowHostPorts: [port] } });
    expect(r.stdout.trim()).toBe('ERR ECONNREFUSED');
  });

  it('a host unix socket and the proxy socket by path are refused by the proxy-routed seccomp filter', async () => {
    const code = probe(`s=socket.socket(socket.AF_UNIX); s.connect('${sockPath}')`);
    const r = await run([PY, '-c', code], 'workspace-write', { cwd: s.ws, networkAccess: { allowHostPorts: [port] } });
    expect(r.stdout.trim()).toBe('ERR EPERM');
    // The proxy's socket path is discoverable (the bridge's command line in /proc); using it directly is still refused.
    const found = [
      'import glob',
      'path = None',
      "for f in glob.glob('/proc/[0-9]*/cmdline'):",
      '    try:',
      "        a = open(f, 'rb').read().split(b'\\0')",
      '    except OSError:',
      '        continue',
      "    if b'--proxy-bridge' in a:",
      "        path = a[a.index(b'--proxy-bridge') + 1].split(b':', 3)[3].decode()",
      "print('PATH', path)",
      "s=socket.socket(socket.AF_UNIX); s.connect(path)",
    ].join('\n');
    const direct = await run([PY, '-c', probe(found)], 'workspace-write', { cwd: s.ws, networkAccess: { allowHostPorts: [port] } });
    expect(direct.stdout).toMatch(/^PATH \/.*proxy\.sock\nERR EPERM\n$/);
    // socketpair keeps working (in-sandbox IPC).
    const pair = await run([PY, '-c', probe('a, b = socket.socketpair(); a.send(b"x"); b.recv(1)')], 'workspace-write', { cwd: s.ws, networkAccess: { allowHostPorts: [port] } });
    expect(pair.stdout.trim()).toBe('OPEN');
  });

  it('the proxy variables are set for the command, and netlink/raw sockets are refused', async () => {
    const r = await run([PY, '-c', `import os; print(os.environ['HTTPS_PROXY'], os.environ['ALL_PROXY'], os.environ['http_proxy'])`], 'workspace-write', {
      cwd: s.ws,
      networkAccess: { allow: ['registry.npmjs.org'] },
    });
    expect(r.stdout.trim()).toBe('http://127.0.0.1:3128 socks5h://127.0.0.1:3128 http://127.0.0.1:3128');
    const nl = await run([PY, '-c', probe('socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)')], 'workspace-write', { cwd: s.ws, networkAccess: {} });
    expect(nl.stdout.trim()).toBe('ERR EPERM');
  });

  it('a socket bound in place of the planned one (a swapped path) is refused before the command runs: 125', async () => {
    const sb = await sandbox();
    const session = sb.openProxy({ networkAccess: { allowHostPorts: [port] } });
    try {
      // The plan names the host socket's path with the proxy socket's identity: what bwrap would bind if
      // a concurrent sandbox had swapped the proxy's directory for one holding another socket.
      const req = sb.plan([PY, '-c', 'print("ran")'], 'workspace-write', {
        cwd: s.ws,
        networkAccess: { allowHostPorts: [port] },
        networkProxySocket: { path: sockPath, dev: session.socketDev, ino: session.socketIno },
      });
      const r = await sb.launch(req, { reject: false, stdin: 'ignore' });
      expect(String(r.stdout)).toBe('');
      expect(r.exitCode).toBe(125);
    } catch (e) {
      expect(String(e)).toMatch(/is not the proxy's socket/);
    } finally {
      await session.close();
    }
  });

  it('renaming the socket directory and planting a link to another socket does not redirect the bridge', async () => {
    const code = [
      'import glob, os, socket',
      "a = [open(f, 'rb').read().split(b'\\0') for f in glob.glob('/proc/[0-9]*/cmdline') if b'--proxy-bridge' in open(f, 'rb').read()][0]",
      "path = a[a.index(b'--proxy-bridge') + 1].split(b':', 3)[3].decode()",
      'd = os.path.dirname(path)',
      'try:',
      "    os.rename(d, d + '.moved'); print('moved', d + '.moved'); os.mkdir(d); os.symlink(os.environ['HOST_SOCK'], path); print('planted')",
      'except OSError as e:',
      "    print('could not plant', e.errno)",
      "s = socket.create_connection(('127.0.0.1', 3128), timeout=5)",
      "s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')",
      "print(s.recv(100).decode(errors='replace').splitlines()[0])",
    ].join('\n');
    const r = await run([PY, '-c', code], 'workspace-write', { cwd: s.ws, networkAccess: { allowHostPorts: [port] }, env: { ...process.env, HOST_SOCK: sockPath } });
    // The host socket would answer "hello"; the proxy answers a relative URL with 400.
    expect(r.stdout).toMatch(/HTTP\/1.1 400/);
    expect(r.stdout).not.toMatch(/hello/);
    expect(r.stdout).toMatch(/^planted$/m);
    const moved = /^moved (\/.*)$/m.exec(r.stdout)?.[1];
    if (moved !== undefined && moved.startsWith('/tmp/codex-sandbox-proxy-')) rmSync(moved, { recursive: true, force: true });
  });

  it('the plan: own network namespace, the socket bound at its own path, base filter for bwrap, the bridge for the inner stage; full-disk write is refused', async () => {
    const sb = await sandbox();
    const req = sb.plan(['/bin/true'], 'workspace-write', { cwd: s.ws, networkAccess: { allow: ['x.com'] }, networkProxySocket: { path: '/tmp/p/proxy.sock', dev: '7', ino: '9' } });
    const argv = req.argv.map(String);
    expect(argv).toContain('--unshare-net');
    const b = argv.indexOf('--bind', argv.indexOf('/tmp/p/proxy.sock') - 1);
    expect(argv.slice(b, b + 3)).toEqual(['--bind', '/tmp/p/proxy.sock', '/tmp/p/proxy.sock']);
    expect(argv[argv.indexOf('--seccomp') + 1]).toMatch(/^base:/);
    expect(argv).toContain('3128:7:9:/tmp/p/proxy.sock');
    expect(req.env.CODEX_SANDBOX_NETWORK_DISABLED).toBeUndefined();
    expect(() => sb.plan(['/bin/true'], 'danger-full-access', { cwd: s.ws, networkAccess: { allow: ['x.com'] } })).toThrow(/cannot be enforced without a sandbox/);
    expect(() => sb.plan(['/bin/true'], { type: 'managed', file_system: { type: 'unrestricted' }, network: 'restricted' }, { cwd: s.ws, networkAccess: {} })).toThrow(/needs the bubblewrap sandbox/);
  });

  it("the forwarder (outside the proxy-routed filter) cannot be taken over: its memory and fds are not the command's to open", async () => {
    const code = [
      'import glob, os, errno',
      // The forwarder: the process the launcher's inner stage forked (bwrap's init is `bwrap`, this script `python3`).
      "pid = [f.split('/')[2] for f in glob.glob('/proc/[0-9]*/comm') if open(f).read().startswith('codex-sandbox')][0]",
      "for what, flags in (('mem', os.O_RDWR), ('fd/4', os.O_RDONLY | os.O_PATH)):",
      '    try:',
      "        os.close(os.open('/proc/%s/%s' % (pid, what), flags)); print(what, 'OPEN')",
      '    except OSError as e:',
      "        print(what, errno.errorcode.get(e.errno, e.errno))",
    ].join('\n');
    const r = await run([PY, '-c', code], 'workspace-write', { cwd: s.ws, networkAccess: {} });
    expect(r.stdout).toMatch(/^mem E(ACCES|PERM)$/m);
    expect(r.stdout).toMatch(/^fd\/4 E(ACCES|PERM)$/m);
  });

  it('the proxy socket directory is removed when the command ends', async () => {
    const r = await run([PY, '-c', `import os; print(os.environ['HTTP_PROXY'])`], 'workspace-write', { cwd: s.ws, networkAccess: {} });
    expect(r.exitCode).toBe(0);
    const plan = (await import('./helpers.js')).sandbox;
    const sb = await plan();
    const sub = sb.spawn(['/bin/true'], 'workspace-write', { cwd: s.ws, networkAccess: {} });
    const req = sub.launchRequest;
    const bridge = req.argv.map(String).find((a) => /^3128:\d+:\d+:\//.test(a)) ?? '';
    const sock = bridge.split(':').slice(3).join(':');
    expect(existsSync(sock)).toBe(true);
    await sub;
    await new Promise((r2) => setTimeout(r2, 100));
    expect(existsSync(sock)).toBe(false);
  });
});

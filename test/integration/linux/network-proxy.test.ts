/**
 * Real bubblewrap + seccomp + the launcher's bridge + the filtering proxy: with a network allow list
 * the command reaches allowed destinations through the proxy only; denied ones fail and are
 * reported; a direct connection (no proxy), a host unix socket, and the proxy's own socket by path
 * are all refused.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { Server as NetServer } from 'node:net';
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyDenial } from '../../../src/launch/proxy/session.js';
import { isLinux, PY, run, sandbox, scratch, viaSessions } from './helpers.js';
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

  it('a direct connection that ignores the proxy variables reaches nothing (own network namespace), also under a profile with the network on', async () => {
    const r = await run([PY, '-c', probe(`s=socket.socket(); s.settimeout(3); s.connect(('127.0.0.1', ${port}))`)], 'workspace-write', { cwd: s.ws, networkAccess: { allowHostPorts: [port] } });
    expect(r.stdout.trim()).toBe('ERR ECONNREFUSED');
    // The same when the profile itself says network on: an allow list always means the sandbox's own namespace.
    const on = await run([PY, '-c', probe(`s=socket.socket(); s.settimeout(3); s.connect(('127.0.0.1', ${port}))`)], 'workspace-write', { cwd: s.ws, network: true, networkAccess: { allowHostPorts: [port] } });
    expect(on.stdout.trim(), on.stderr).toBe('ERR ECONNREFUSED');
  });

  /** Runs `code` with a proxy session of its own, whose socket path the command gets in PROXY_SOCK. */
  async function runWithSession(code: string, env: Record<string, string> = {}): Promise<{ stdout: string; exitCode: number | undefined }> {
    const sb = await sandbox();
    const networkAccess = { allowHostPorts: [port] };
    const session = sb.openProxy({ networkAccess });
    try {
      const req = sb.plan([PY, '-c', code], 'workspace-write', {
        cwd: s.ws,
        networkAccess,
        networkProxySocket: { path: session.socketPath, dev: session.socketDev, ino: session.socketIno },
        env: { ...process.env, ...env, PROXY_SOCK: session.socketPath },
      });
      const r = await sb.launch(req, { reject: false, stdin: 'ignore' });
      return { stdout: String(r.stdout), exitCode: r.exitCode };
    } finally {
      await session.close();
    }
  }

  it('a host unix socket and the proxy socket by path are refused by the proxy-routed seccomp filter', async () => {
    const code = probe(`s=socket.socket(socket.AF_UNIX); s.connect('${sockPath}')`);
    const r = await run([PY, '-c', code], 'workspace-write', { cwd: s.ws, networkAccess: { allowHostPorts: [port] } });
    expect(r.stdout.trim()).toBe('ERR EPERM');
    // The proxy's socket is not bound into the sandbox, but its path is readable under a full-disk-read
    // profile (and given here outright); connecting to it directly is still refused.
    const direct = await runWithSession(probe("s=socket.socket(socket.AF_UNIX); s.connect(os.environ['PROXY_SOCK'])").replace('import socket, errno', 'import os, socket, errno'));
    expect(direct.stdout.trim()).toBe('ERR EPERM');
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
      'import os, socket',
      "path = os.environ['PROXY_SOCK']",
      'd = os.path.dirname(path)',
      'try:',
      "    os.rename(d, d + '.moved'); print('moved', d + '.moved'); os.mkdir(d); os.symlink(os.environ['HOST_SOCK'], path); print('planted')",
      'except OSError as e:',
      "    print('could not plant', e.errno)",
      "s = socket.create_connection(('127.0.0.1', 3128), timeout=5)",
      "s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')",
      "print(s.recv(100).decode(errors='replace').splitlines()[0])",
    ].join('\n');
    const r = await runWithSession(code, { HOST_SOCK: sockPath });
    // The host socket would answer "hello"; the proxy answers a relative URL with 400.
    expect(r.stdout).toMatch(/HTTP\/1.1 400/);
    expect(r.stdout).not.toMatch(/hello/);
    expect(r.stdout).toMatch(/^planted$/m);
    const moved = /^moved (\/.*)$/m.exec(r.stdout)?.[1];
    if (moved !== undefined && moved.startsWith('/tmp/codex-sandbox-proxy-')) rmSync(moved, { recursive: true, force: true });
    const planted = /^moved (\/.*)\.moved$/m.exec(r.stdout)?.[1];
    if (planted !== undefined && planted.startsWith('/tmp/codex-sandbox-proxy-')) rmSync(planted, { recursive: true, force: true });
  });

  it('the plan: own network namespace, nothing of the proxy bound in, the proxy-routed filter for bwrap itself, the forwarder for the launcher, the wait for the inner stage; full-disk write is refused', async () => {
    const sb = await sandbox();
    const req = sb.plan(['/bin/true'], 'workspace-write', { cwd: s.ws, networkAccess: { allow: ['x.com'] }, networkProxySocket: { path: '/tmp/p/proxy.sock', dev: '7', ino: '9' } });
    const argv = req.argv.map(String);
    expect(argv).toContain('--unshare-net');
    expect(argv).not.toContain('/tmp/p/proxy.sock');
    // bwrap's filter is what its namespace init runs under: it must be the proxy-routed one.
    expect(argv[argv.indexOf('--seccomp') + 1]).toMatch(/^proxy:/);
    const bridge = argv.indexOf('--proxy-bridge');
    expect(bridge).toBeGreaterThan(-1);
    expect(bridge).toBeLessThan(argv.indexOf('--'));
    expect(argv[bridge + 1]).toBe('3128:7:9:/tmp/p/proxy.sock');
    expect(argv[argv.indexOf('--proxy-port') + 1]).toBe('3128');
    expect(argv.indexOf('--proxy-port')).toBeGreaterThan(argv.indexOf('--inner'));
    expect(req.env.CODEX_SANDBOX_NETWORK_DISABLED).toBeUndefined();
    expect(() => sb.plan(['/bin/true'], 'danger-full-access', { cwd: s.ws, networkAccess: { allow: ['x.com'] } })).toThrow(/cannot be enforced without a sandbox/);
    expect(() => sb.plan(['/bin/true'], { type: 'managed', file_system: { type: 'unrestricted' }, network: 'restricted' }, { cwd: s.ws, networkAccess: {} })).toThrow(/needs the bubblewrap sandbox/);
  });

  it("bwrap's namespace init (pid 1) and every process inside run under the one proxy-routed filter, and the forwarder is not in the sandbox", async () => {
    const grandchild = 'import socket\ntry:\n    socket.socket(socket.AF_UNIX); print(0)\nexcept OSError as e:\n    print(e.errno)';
    const code = [
      'import glob, subprocess, sys',
      'def filters(pid):',
      "    return [l.split()[1] for l in open('/proc/%s/status' % pid) if l.startswith('Seccomp_filters:')][0]",
      // pid 1 is bwrap's init, which the command (same uid) can reach through /proc/1/mem: it must hold
      // the same single filter as the command, the proxy-routed one bwrap installed (the inner stage
      // stacks none: a second filter here would mean bwrap got another one).
      "print('init', open('/proc/1/comm').read().strip(), filters(1))",
      "print('self', filters('self'))",
      "print('comms', sorted(set(open(f).read().strip() for f in glob.glob('/proc/[0-9]*/comm'))))",
      // A process that is not the command (a shell's child) cannot open a unix socket either.
      "print('grandchild', subprocess.run(['/bin/sh', '-c', sys.executable + ' -c \"$CODE\"'], capture_output=True, text=True).stdout.strip())",
    ].join('\n');
    const r = await run([PY, '-c', code], 'workspace-write', { cwd: s.ws, networkAccess: {}, env: { ...process.env, CODE: grandchild } }, { spawn: "inspects bwrap's init (pid 1), which a session command does not see: its pid 1 is its own session-init" });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^init bwrap 1$/m);
    expect(r.stdout).toMatch(/^self 1$/m);
    // Only bwrap's init and this script's processes: no forwarder, no launcher.
    expect(r.stdout).toMatch(/^comms \[('bwrap', )?'python3', 'sh'\]$|^comms \['bwrap', 'python3'(, 'sh')?\]$/m);
    expect(r.stdout).toMatch(/^grandchild 1$/m); // EPERM
  });

  // x86-64 machine code: the planted payload below is architecture-specific.
  it.skipIf(process.arch !== 'x64')("a command that takes over bwrap's init through /proc/1/mem cannot open a unix socket from it (skipped off x86-64: the payload is x86-64 code)", async () => {
    // The attack, for real: pid 1 (bwrap's init, same uid, dumpable) sits in wait4; the command writes
    // code at its return address through /proc/1/mem, then lets an orphan exit so wait4 returns into
    // it. The code calls socket(AF_UNIX, SOCK_STREAM, 0) and writes 'R' plus '0' + the low byte of the
    // result to the init's stdout (the command's): 'R3' = a unix socket (fd 3), 'R/' = -1 (EPERM).
    const code = [
      'import os, time',
      "f = open('/proc/1/syscall').read().split()",
      "assert f[0] == '61', f",
      'pc = int(f[-1], 16)',
      'payload = bytes.fromhex(',
      "    'bf01000000' 'be01000000' '31d2' 'b829000000' '0f05'",
      "    '0430' '88c4' 'b052' '50'",
      "    'bf01000000' '4889e6' 'ba02000000' 'b801000000' '0f05'",
      "    'bf00000000' 'b8e7000000' '0f05')",
      "fd = os.open('/proc/1/mem', os.O_RDWR)",
      'os.pwrite(fd, payload, pc)',
      'os.close(fd)',
      'if os.fork() == 0:',
      '    if os.fork() == 0:',
      '        time.sleep(0.2)',
      '        os._exit(0)',
      '    os._exit(0)',
      'os.wait()',
      'time.sleep(3)',
      "print('init not taken over')",
    ].join('\n');
    // Control: with the network off (restricted filter: socket(AF_UNIX) allowed, connect() refused) the
    // take-over works, so the payload does run.
    const bwrapInit = { spawn: "takes over bwrap's init (pid 1); a session command's pid 1 is its session-init, not dumpable (session.test.ts)" };
    const control = await run([PY, '-c', code], 'workspace-write', { cwd: s.ws }, bwrapInit);
    expect(control.stdout).toBe('R3');
    const r = await run([PY, '-c', code], 'workspace-write', { cwd: s.ws, networkAccess: { allowHostPorts: [port] } }, bwrapInit);
    expect(r.stdout).toBe('R/');
    if (viaSessions) {
      // Through a session the same attack meets the command's session-init, which is not dumpable.
      const inSession = await run([PY, '-c', code], 'workspace-write', { cwd: s.ws });
      expect(inSession.stdout).toBe('');
      expect(inSession.stderr).toMatch(/PermissionError/);
    }
  });

  it('the forwarder lives in the host pid namespace, inside the sandbox\'s network namespace, and dies with a SIGKILLed launcher', async () => {
    const sb = await sandbox();
    const sub = sb.spawn(['/bin/sleep', '30'], 'workspace-write', { cwd: s.ws, networkAccess: {} });
    const launcher = sub.pid ?? 0;
    expect(launcher).toBeGreaterThan(0);
    const statOf = (pid: string): string[] => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      } catch {
        return [];
      }
    };
    const childrenOf = (ppid: number): string[] => readdirSync('/proc').filter((p) => /^\d+$/.test(p) && statOf(p)[1] === String(ppid));
    // The forwarder: the launcher's child that is not bwrap and not the watchdog (which leads its own group and bwrap's).
    let forwarder: string | undefined;
    let bwrapPid: string | undefined;
    for (let i = 0; i < 100 && forwarder === undefined; i++) {
      await new Promise((r) => setTimeout(r, 50));
      for (const c of childrenOf(launcher)) {
        const comm = readFileSync(`/proc/${c}/comm`, 'utf8').trim();
        if (comm === 'bwrap') bwrapPid = c;
        // The forwarder calls setsid(): it leads its own session; the watchdog leads only a process group.
        else if (statOf(c)[3] === c) forwarder = c;
      }
    }
    expect(forwarder).toBeDefined();
    expect(bwrapPid).toBeDefined();
    const init = childrenOf(Number(bwrapPid))[0];
    const netOf = (pid: string): string => readlinkSync(`/proc/${pid}/ns/net`);
    if (process.getuid?.() === 0) {
      expect(netOf(forwarder!)).toBe(netOf(init!));
      expect(netOf(forwarder!)).not.toBe(netOf(String(process.pid)));
      expect(readlinkSync(`/proc/${forwarder}/ns/pid`)).toBe(readlinkSync(`/proc/${process.pid}/ns/pid`));
    } else {
      // Unprivileged, same uid: the forwarder is non-dumpable, so even its caller cannot open its namespaces.
      expect(() => netOf(forwarder!)).toThrow(/EACCES|EPERM/);
    }
    expect(readFileSync(`/proc/${forwarder}/status`, 'utf8')).toMatch(/^NSpid:\s+\d+$/m); // one level: not in the sandbox's pid namespace
    process.kill(launcher, 'SIGKILL');
    await sub.catch(() => undefined);
    let alive = true;
    for (let i = 0; i < 40 && alive; i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        alive = !/^State:\s+Z/m.test(readFileSync(`/proc/${forwarder}/status`, 'utf8'));
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  });

  // The bound is the launcher's (native/launcher/proxy_bridge.cc), the same with either bwrap and through a
  // session: the default pass alone runs it (it forks 256 relays).
  const otherPass = viaSessions || process.env['CODEX_SANDBOX_BWRAP'] === 'system';
  it.skipIf(otherPass)("a command's connections to the bridge cost at most 256 relay processes outside the sandbox (its pids limit does not cover them; the default pass only)", async () => {
    // Each accepted connection is one forked relay in the host's pid namespace, out of the sandbox's
    // pids limit and cgroup: without the forwarder's bound, a command holding connections open makes
    // the host run as many processes as it likes.
    const code = [
      'import socket, time',
      'held = []',
      'for i in range(280):',
      '    s = socket.socket(); s.setblocking(False)',
      '    try:',
      "        s.connect(('127.0.0.1', 3128))",
      '    except BlockingIOError:',
      '        pass',
      '    held.append(s)',
      "print('held', len(held), flush=True)",
      'time.sleep(30)',
    ].join('\n');
    const sb = await sandbox();
    const sub = sb.spawn([PY, '-c', code], 'workspace-write', { cwd: s.ws, networkAccess: {} });
    try {
      const launcher = sub.pid ?? 0;
      // proc(5) /proc/PID/task/TID/children: the thread's children, one read instead of a walk of /proc.
      const childrenOf = (pid: string): string[] => {
        try {
          return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter((c) => c !== '');
        } catch {
          return [];
        }
      };
      let most = 0;
      let settledAt = 0;
      for (let i = 0; i < 100; i++) {
        await new Promise((r) => setTimeout(r, 50));
        // The forwarder is the launcher's child with relays of its own (bwrap's child is the sandbox's init).
        const counts = childrenOf(String(launcher)).map((c) => childrenOf(c).length);
        most = Math.max(most, ...counts);
        if (most > 256) break;
        if (most === 256 && settledAt === 0) settledAt = i;
        if (settledAt > 0 && i - settledAt >= 4) break; // 0.2 s more at 256: the forwarder stopped accepting
      }
      expect(most).toBe(256);
    } finally {
      sub.kill('SIGKILL');
      await sub.catch(() => undefined);
    }
  });

  it.skipIf(process.getuid?.() !== 0)("another local user cannot use a command's proxy: its socket's directory is the caller's alone (root runs this as csbx-test; skipped otherwise)", async () => {
    if (spawnSync('id', ['-u', 'csbx-test']).status !== 0) spawnSync('useradd', ['--create-home', '--shell', '/bin/sh', 'csbx-test']);
    const sb = await sandbox();
    // A caller with umask 000 (some daemons and containers): the socket itself is then 0777, and only its
    // directory (mkdtemp(3): 0700) keeps other users out.
    const umask = process.umask(0);
    const session = (() => {
      try {
        return sb.openProxy({ networkAccess: { allowHostPorts: [port] } });
      } finally {
        process.umask(umask);
      }
    })();
    try {
      await session.listening;
      // A plain-HTTP request for an allowed host port, straight to the proxy's unix socket.
      const code = [
        'import os, socket',
        'try:',
        '    s = socket.socket(socket.AF_UNIX); s.connect(os.environ["SOCK"])',
        `    s.sendall(b"GET http://127.0.0.1:${port}/by-path HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n")`,
        '    print(s.recv(4096).decode(errors="replace").splitlines()[-1])',
        'except OSError as e:',
        '    print("ERR", e.errno)',
      ].join('\n');
      const env = { ...process.env, SOCK: session.socketPath, CODE: code };
      // Control: the caller itself is served (the attack is real).
      // Asynchronously: the proxy runs in this process and must keep serving meanwhile.
      const exec = promisify(execFile);
      const own = await exec(PY, ['-c', code], { env, encoding: 'utf8' });
      expect(own.stdout.trim(), own.stderr).toBe('hello from the host /by-path');
      const other = await exec('su', ['csbx-test', '-s', '/bin/sh', '-c', `${PY} -c "$CODE"`], { env, encoding: 'utf8' });
      expect(other.stdout.trim(), other.stderr).toBe('ERR 13'); // EACCES: mkdtemp's 0700 directory
    } finally {
      await session.close();
    }
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

/** Real bubblewrap + seccomp: network off means no TCP/UDP/IPv6/raw/netlink, no host unix socket, no io_uring. */
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLinux, py, run, scratch, sh } from './helpers.js';
import type { Scratch } from './helpers.js';

function listen(server: Server, arg: number | string, host?: string): Promise<void> {
  return new Promise((res, rej) => {
    server.once('error', rej);
    if (typeof arg === 'number') server.listen(arg, host, () => res());
    else server.listen(arg, () => res());
  });
}

const probe = (body: string): string => `import socket, errno, sys\ntry:\n${body.split('\n').map((l) => '    ' + l).join('\n')}\n    print('OPEN')\nexcept OSError as e:\n    print('ERR', errno.errorcode.get(e.errno, e.errno))`;

describe.skipIf(!isLinux)('linux sandbox: network (real bwrap + seccomp)', () => {
  let s: Scratch;
  let tcp: Server;
  let unix: Server;
  let abstractSrv: Server;
  let port = 0;
  let sockPath = '';
  const abstractName = `\0csbx-abstract-${process.pid}`;

  beforeAll(async () => {
    s = scratch();
    tcp = createServer((c) => c.end('hello\n'));
    await listen(tcp, 0, '127.0.0.1');
    port = (tcp.address() as { port: number }).port;
    sockPath = join(s.base, 'host.sock'); // stands in for docker.sock / ssh-agent / D-Bus
    unix = createServer((c) => c.end('hello\n'));
    await listen(unix, sockPath);
    abstractSrv = createServer((c) => c.end('hello\n'));
    await listen(abstractSrv, abstractName);
  });
  afterAll(() => {
    tcp.close();
    unix.close();
    abstractSrv.close();
    rmSync(sockPath, { force: true });
    s.cleanup();
  });

  const off = { network: false as const };
  const cases: Array<[string, string]> = [
    ['TCP to a host loopback port', `s=socket.socket(); s.settimeout(2); s.connect(('127.0.0.1', PORT))`],
    ['UDP socket', `s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b'x', ('127.0.0.1', PORT))`],
    ['IPv6 socket', `s=socket.socket(socket.AF_INET6); s.settimeout(2); s.connect(('::1', PORT))`],
    ['raw socket', `socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)`],
    ['netlink socket', `socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)`],
    ['a host unix socket path', `s=socket.socket(socket.AF_UNIX); s.connect('@SOCKPATH@')`],
    ['an abstract unix socket', `s=socket.socket(socket.AF_UNIX); s.connect('\\0@ABSTRACT@')`],
  ];
  for (const [name, body] of cases) {
    it(`network off blocks ${name}`, async () => {
      const code = probe(body.replace(/PORT/g, String(port)).replace('@SOCKPATH@', sockPath).replace('@ABSTRACT@', abstractName.slice(1)));
      const r = await py(code, 'workspace-write', { cwd: s.ws, ...off });
      expect(r.stdout.trim(), r.stderr).toMatch(/^ERR /);
    });
  }

  it('network off blocks io_uring (a socket path that bypasses socket() filtering)', async () => {
    const r = await py('import ctypes\nlibc=ctypes.CDLL(None,use_errno=True)\nparams=ctypes.create_string_buffer(120)\nrc=libc.syscall(425,8,params)\nprint(rc, ctypes.get_errno())', 'workspace-write', { cwd: s.ws, ...off });
    expect(r.stdout.trim()).toBe('-1 1');
  });

  it('network off still allows socketpair() (pipes between tools, multiprocessing)', async () => {
    const r = await py("a,b=socket.socketpair(); a.sendall(b'ping'); print(b.recv(4).decode())".replace(/^/, 'import socket\n'), 'workspace-write', { cwd: s.ws, ...off });
    expect(r.stdout.trim()).toBe('ping');
  });

  it('network off still allows shutdown, get/setsockopt (SO_PASSCRED) and getsockname on a socketpair', async () => {
    const code = [
      'import socket',
      'a,b=socket.socketpair()',
      'a.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)',
      'print(a.getsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED), repr(a.getsockname()))',
      "a.sendall(b'x'); a.shutdown(socket.SHUT_WR); print(b.recv(4), b.recv(4))",
    ].join('\n');
    const r = await py(code, 'workspace-write', { cwd: s.ws, ...off });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(["1 ''", "b'x' b''"]);
  });

  it("network off lets Node's execSync run a child and report success (libuv shuts down its stdin socketpair)", async () => {
    const r = await run([process.execPath, '-e', "process.stdout.write(require('child_process').execSync('echo sub').toString())"], 'workspace-write', { cwd: s.ws, ...off });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('sub');
  });

  it('network off still refuses connect and bind on unix sockets after those calls were allowed', async () => {
    const code = probe(`s=socket.socket(socket.AF_UNIX); s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1); s.connect('${sockPath}')`);
    const r = await py(code, 'workspace-write', { cwd: s.ws, ...off });
    expect(r.stdout.trim(), r.stderr).toBe('ERR EPERM');
    const bound = await py(probe(`s=socket.socket(socket.AF_UNIX); s.bind('${join(s.ws, 'srv.sock')}')`), 'workspace-write', { cwd: s.ws, ...off });
    expect(bound.stdout.trim(), bound.stderr).toBe('ERR EPERM');
  });

  it("network off: the host's sockets and interfaces cannot even be listed (own network namespace, not only seccomp)", async () => {
    // /proc/net is per network namespace: in the host's, it names every listening port, every unix socket
    // path (docker.sock, ssh-agent, D-Bus) and abstract name, and every interface. Seccomp alone hides none of that.
    const script = 'cat /proc/net/tcp; echo ==; cat /proc/net/unix; echo ==; cat /proc/net/dev';
    const portHex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
    const abstract = `@${abstractName.slice(1)}`;
    const on = await sh(script, 'workspace-write', { cwd: s.ws, network: true });
    // The attack is real: with the host's namespace all three are there to read.
    expect(on.stdout, on.stderr).toContain(portHex);
    expect(on.stdout).toContain(sockPath);
    expect(on.stdout).toContain(abstract);
    const r = await sh(script, 'workspace-write', { cwd: s.ws, ...off });
    expect(r.exitCode, r.stderr).toBe(0);
    const [tcp = '', unixList = '', dev = ''] = r.stdout.split('==\n');
    expect(tcp).not.toContain(portHex);
    expect(unixList).not.toContain(sockPath);
    expect(unixList).not.toContain(abstract);
    // Interfaces: the header's two lines, then loopback alone.
    expect(dev.trim().split('\n').slice(2).map((l) => l.trim().split(':')[0])).toEqual(['lo']);
  });

  it('network on reaches a host loopback server', async () => {
    const r = await py(probe(`s=socket.socket(); s.settimeout(2); s.connect(('127.0.0.1', ${port})); print(s.recv(6).decode().strip())`), 'workspace-write', { cwd: s.ws, network: true });
    expect(r.stdout).toContain('hello');
    expect(r.stdout).toContain('OPEN');
  });
});

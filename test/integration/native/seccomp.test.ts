/**
 * The seccomp program under real bubblewrap (via the launcher's --seccomp MODE:FD) and in direct
 * mode (--seccomp-self). Probes run /usr/bin/python3 and report errno per operation as JSON.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadNative } from '../../../src/native.js';
import { bwrapBase, bwrapWorks, NO_BWRAP_REASON, PYTHON, runLauncher, SYSTEM_BWRAP } from './harness.js';

// Each probe prints {"name": errno-or-0}. ctypes issues raw syscalls so libc cannot mask them.
const PROBE = String.raw`
import ctypes, errno, json, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
out = {}
def attempt(name, fn):
    try:
        fn()
        out[name] = 0
    except OSError as e:
        out[name] = e.errno
def raw(name, nr, *args):
    ctypes.set_errno(0)
    rc = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
    out[name] = 0 if rc >= 0 else ctypes.get_errno()
attempt('af_inet', lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).close())
attempt('af_inet6', lambda: socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).close())
attempt('af_netlink', lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0).close())
attempt('raw', lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close())
attempt('af_unix', lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close())
def pair():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    a.sendall(b'ping')
    if b.recv(4) != b'ping': raise OSError(errno.EIO, 'socketpair data lost')
attempt('socketpair', pair)
def connect_host():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.close()
attempt('connect_unix', connect_host)
def sendto_host():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(b'x', sys.argv[1])
attempt('sendto_unix', sendto_host)
# io_uring_setup(1, NULL): EFAULT without a filter, EPERM with one.
raw('io_uring_setup', 425, 1, 0)
# ptrace(PTRACE_TRACEME): succeeds without a filter.
raw('ptrace', 101, 0, 0, 0, 0)
print(json.dumps(out))
`;

type ProbeResult = Record<string, number>;

const EPERM = 1;

describe.skipIf(!bwrapWorks)(`seccomp under bubblewrap (skipped when ${NO_BWRAP_REASON})`, () => {
  let dir: string;
  let server: Server;
  let socketPath: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'codex-native-seccomp-'));
    socketPath = join(dir, 'host.sock');
    server = createServer((conn) => conn.end());
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function probe(mode: 'base' | 'restricted' | 'none'): Promise<ProbeResult> {
    const launcherArgs = mode === 'none' ? ['--bwrap'] : ['--bwrap', '--seccomp', `${mode}:10`];
    // --tmpfs /tmp hides the host /tmp: bind the socket's directory back in.
    const bwrapArgs = [...bwrapBase(), '--ro-bind', dir, dir, ...(mode === 'none' ? [] : ['--seccomp', '10'])];
    const result = await runLauncher([...launcherArgs, '--', SYSTEM_BWRAP, ...bwrapArgs, '--', PYTHON, '-c', PROBE, socketPath]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as ProbeResult;
  }

  it('seccompFilter returns a non-empty BPF program for both modes', () => {
    const addon = loadNative();
    const base = addon.seccompFilter('base');
    const restricted = addon.seccompFilter('restricted');
    // struct sock_filter is 8 bytes per instruction.
    expect(base.length).toBeGreaterThan(0);
    expect(base.length % 8).toBe(0);
    expect(restricted.length % 8).toBe(0);
    expect(restricted.length).toBeGreaterThan(base.length);
    expect(() => addon.seccompFilter('open' as 'base')).toThrow(/base' or 'restricted/);
  });

  it('without a filter the probes succeed (control: the host socket is reachable, io_uring gives EFAULT)', async () => {
    const r = await probe('none');
    expect(r.connect_unix).toBe(0);
    expect(r.sendto_unix).not.toBe(EPERM);
    expect(r.socketpair).toBe(0);
    expect(r.io_uring_setup).not.toBe(EPERM);
    expect(r.ptrace).toBe(0);
  });

  it('restricted: AF_INET, AF_INET6, AF_NETLINK and raw sockets fail with EPERM', async () => {
    const r = await probe('restricted');
    expect(r.af_inet).toBe(EPERM);
    expect(r.af_inet6).toBe(EPERM);
    expect(r.af_netlink).toBe(EPERM);
    expect(r.raw).toBe(EPERM);
  });

  it('restricted: connect() and sendto() to a host unix socket fail with EPERM; AF_UNIX socket() and socketpair() + send() work', async () => {
    const r = await probe('restricted');
    expect(r.connect_unix).toBe(EPERM);
    expect(r.sendto_unix).toBe(EPERM);
    expect(r.af_unix).toBe(0);
    expect(r.socketpair).toBe(0);
  });

  it('restricted and base: io_uring_setup and ptrace fail with EPERM', async () => {
    for (const mode of ['restricted', 'base'] as const) {
      const r = await probe(mode);
      expect(r.io_uring_setup).toBe(EPERM);
      expect(r.ptrace).toBe(EPERM);
    }
  });

  it('base leaves networking alone (sockets and the host unix socket are reachable)', async () => {
    const r = await probe('base');
    expect(r.af_inet).toBe(0);
    expect(r.connect_unix).toBe(0);
  });

  it('an x32-ABI syscall kills the process (SIGSYS → bwrap reports 128+31)', async () => {
    const code = 'import ctypes; ctypes.CDLL(None).syscall(0x40000000 | 39); print("survived")';
    const result = await runLauncher(['--bwrap', '--seccomp', 'base:10', '--', SYSTEM_BWRAP, ...bwrapBase(), '--seccomp', '10', '--', PYTHON, '-c', code]);
    expect(result.stdout).not.toContain('survived');
    expect(result.code).toBe(128 + 31);
  });
});

describe('seccomp in direct mode (--seccomp-self)', () => {
  it('restricted: AF_INET socket fails with EPERM, AF_UNIX works, no_new_privs is set', async () => {
    const code = String.raw`
import socket, json
res = {}
try:
    socket.socket(socket.AF_INET).close(); res['inet'] = 0
except OSError as e:
    res['inet'] = e.errno
socket.socket(socket.AF_UNIX).close()
res['nnp'] = [l.split()[1] for l in open('/proc/self/status') if l.startswith('NoNewPrivs:')][0]
print(json.dumps(res))
`;
    const result = await runLauncher(['--seccomp-self', 'restricted', '--', PYTHON, '-c', code]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ inet: EPERM, nnp: '1' });
  });

  it('direct mode without a filter runs the program by PATH search', async () => {
    const result = await runLauncher(['--', 'sh', '-c', 'echo direct']);
    expect(result).toMatchObject({ code: 0, stdout: 'direct\n' });
  });
});

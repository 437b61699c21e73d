/**
 * Kernel interfaces a sandboxed command could still reach, attacked for real (bwrap + seccomp, and the
 * no-bwrap danger-full-access mode): nested user namespaces, the caller's keyring, /proc, and host
 * unix datagram sockets under a restricted network.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processSpec } from '../../../src/launch/command.js';
import { isLinux, PY, py, run, sandbox, scratch, sh } from './helpers.js';
import type { Scratch } from './helpers.js';

const isRoot = process.getuid?.() === 0;
const ERRNO = `import ctypes, errno, os\nlibc = ctypes.CDLL(None, use_errno=True)\ndef err(rc):\n    return 'OK' if rc >= 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))\n`;
const CLONE_NEWUSER = 0x10000000;

describe.skipIf(!isLinux)('kernel surface: nested user namespaces', () => {
  let s: Scratch;
  beforeAll(() => {
    s = scratch();
  });
  afterAll(() => s.cleanup());

  const unshareCode = `${ERRNO}print(err(libc.unshare(${CLONE_NEWUSER})))`;
  // clone3 (435) with a NULL struct: ENOSYS when seccomp refuses it, EFAULT/EINVAL when it reaches the kernel.
  const clone3Code = `${ERRNO}print(err(libc.syscall(435, None, 0)))`;

  for (const [mode, profile, network] of [
    ['bwrap (workspace-write)', 'workspace-write', undefined],
    ['bwrap, network off', 'workspace-write', false],
    ['no bwrap (danger-full-access --no-network)', 'danger-full-access', false],
  ] as const) {
    it(`${mode}: unshare(CLONE_NEWUSER) fails with EPERM and clone3 with ENOSYS by default`, async () => {
      const opts = { cwd: s.ws, ...(network !== undefined ? { network } : {}) };
      const r = await py(unshareCode, profile, opts);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('EPERM\n');
      const c = await py(clone3Code, profile, opts);
      expect(c.stdout).toBe('ENOSYS\n');
    });

    it(`${mode}: allowNestedUserns lets unshare(CLONE_NEWUSER) succeed`, async () => {
      const r = await py(unshareCode, profile, { cwd: s.ws, allowNestedUserns: true, ...(network !== undefined ? { network } : {}) });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('OK\n');
    });
  }

  it('`unshare -Ur id` fails inside by default', async () => {
    const r = await run(['unshare', '-Ur', 'id'], 'workspace-write', { cwd: s.ws });
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/unshare failed: (Operation not permitted|No space left on device)/);
  });

  it('the plan passes bwrap --disable-userns when it has it, and the inner stage --allow-userns only on opt-in', async () => {
    const sb = await sandbox();
    const def = sb.plan(['true'], 'workspace-write', { cwd: s.ws });
    const argv = def.argv.map(String);
    if (sb.facts.linux?.bwrap?.disableUserns === true) expect(argv).toContain('--disable-userns');
    expect(argv).not.toContain('--allow-userns');
    expect(def.enforcement.join('\n')).toMatch(/nested user namespaces: denied/);
    const opt = sb.plan(['true'], 'workspace-write', { cwd: s.ws, allowNestedUserns: true });
    expect(opt.argv.map(String)).toContain('--allow-userns');
    expect(opt.argv.map(String)).not.toContain('--disable-userns');
    expect(opt.enforcement.join('\n')).toMatch(/nested user namespaces: allowed/);
  });
});

describe.skipIf(!isLinux)('kernel surface: keyring', () => {
  let s: Scratch;
  beforeAll(() => {
    s = scratch();
  });
  afterAll(() => s.cleanup());

  // Outside the sandbox: join a session keyring, add a secret to it, then exec the launch exactly as
  // sandbox.spawn would (the caller's session keyring holds the key when the launcher starts).
  const WRAPPER = `${ERRNO}import sys
libc.syscall.restype = ctypes.c_long
sid = libc.syscall(250, 1, b'csbx-test-session', 0, 0, 0)  # keyctl(KEYCTL_JOIN_SESSION_KEYRING, name)
assert sid >= 0, err(sid)
kid = libc.syscall(248, b'user', b'csbx-secret', b'hunter2', 7, -3)  # add_key(..., KEY_SPEC_SESSION_KEYRING)
assert kid >= 0, err(kid)
buf = ctypes.create_string_buffer(64)
assert libc.syscall(250, 11, kid, buf, 64, 0) == 7  # the caller itself can read it
os.environ.clear()
os.environ.update(eval(sys.argv[1]))
os.execv(sys.argv[2], sys.argv[2:])
`;

  const INSIDE = `${ERRNO}libc.syscall.restype = ctypes.c_long
buf = ctypes.create_string_buffer(64)
out = []
# keyctl(KEYCTL_DESCRIBE, KEY_SPEC_SESSION_KEYRING): which session keyring is this?
out.append('describe ' + err(libc.syscall(250, 6, -3, buf, 64, 0)))
# request_key('user', 'csbx-secret'): find the caller's key by name
out.append('request ' + err(libc.syscall(249, b'user', b'csbx-secret', None, 0)))
# add_key into the session keyring
out.append('add ' + err(libc.syscall(248, b'user', b'planted', b'x', 1, -3)))
# keyctl(KEYCTL_SEARCH, session, 'user', 'csbx-secret')
out.append('search ' + err(libc.syscall(250, 10, -3, b'user', b'csbx-secret', 0)))
print(' '.join(out))
`;

  async function underCallerKeyring(profile: 'workspace-write' | 'danger-full-access'): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const sb = await sandbox();
    // danger-full-access with the network on is no sandbox at all; with it off, the launcher's seccomp-only mode.
    const req = sb.plan([PY, '-c', INSIDE], profile, { cwd: s.ws, ...(profile === 'danger-full-access' ? { network: false } : {}) });
    const spec = processSpec(req);
    expect(spec.payload).toBeUndefined();
    // fd 3: the launcher's status pipe (--status-fd 3), inherited through the wrapper's exec.
    const r = spawnSync(PY, ['-c', WRAPPER, JSON.stringify(spec.env), spec.file, ...spec.args], { cwd: spec.cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  for (const profile of ['workspace-write', 'danger-full-access'] as const) {
    it(`${profile}${profile === 'danger-full-access' ? ' --no-network' : ''}: the caller's session key cannot be found, read or added to (keyctl/add_key/request_key → EPERM)`, async () => {
      const r = await underCallerKeyring(profile);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('describe EPERM request EPERM add EPERM search EPERM\n');
    });
  }

  it('the launcher gives the command a fresh, empty session keyring (no seccomp: the launcher alone)', async () => {
    const sb = await sandbox();
    const launcher = sb.facts.linux?.launcherPath ?? '';
    // The launcher without --seccomp-self: only its keyring switch stands between the command and the key.
    const code = `${ERRNO}libc.syscall.restype = ctypes.c_long
buf = ctypes.create_string_buffer(128)
n = libc.syscall(250, 6, -3, buf, 128, 0)
print(buf.value.decode().split(';')[-1], err(libc.syscall(250, 10, -3, b'user', b'csbx-secret', 0)))
`;
    const r = spawnSync(PY, ['-c', WRAPPER, JSON.stringify({ PATH: '/usr/bin:/bin' }), launcher, '--', PY, '-c', code], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    // A joined anonymous session keyring is named "_ses"; the caller's was "csbx-test-session".
    expect(r.stdout).toBe('_ses ENOKEY\n');
  });
});

describe.skipIf(!isLinux)('kernel surface: System V IPC', () => {
  let s: Scratch;
  // One key per test process (the projects run side by side); IPC_CREAT | 0600.
  const key = 0x43530000 + (process.pid & 0xffff);
  let ids = '';
  beforeAll(() => {
    s = scratch();
    const made = spawnSync(PY, ['-c', `${ERRNO}libc.shmat.restype = ctypes.c_void_p
shm = libc.shmget(${key}, 4096, 0o1600)
msg = libc.msgget(${key}, 0o1600)
addr = libc.shmat(shm, None, 0)
ctypes.memmove(addr, b'HOSTSECRET', 10)
libc.shmdt(ctypes.c_void_p(addr))
print(shm, msg)`], { encoding: 'utf8' });
    ids = made.stdout.trim();
    expect(ids, made.stderr).toMatch(/^\d+ \d+$/);
  });
  afterAll(() => {
    const [shm, msg] = ids.split(' ');
    // IPC_RMID: the segment and the queue outlive their creator until removed.
    if (shm !== undefined && msg !== undefined) spawnSync(PY, ['-c', `${ERRNO}libc.shmctl(${shm}, 0, None); libc.msgctl(${msg}, 0, None)`]);
    s.cleanup();
  });

  // Shared memory and message queues are found by key in the IPC namespace: in the host's, a command reads
  // (and writes) what the caller's other programs keep there.
  const inside = `${ERRNO}libc.shmat.restype = ctypes.c_void_p
shm = libc.shmget(${key}, 0, 0)
out = 'shm ' + err(shm)
if shm >= 0:
    out += ' ' + ctypes.string_at(libc.shmat(shm, None, 0o10000), 10).decode()
print(out, 'msg ' + err(libc.msgget(${key}, 0)))
`;

  it("bwrap: the caller's shared memory segment and message queue cannot be found (own IPC namespace)", async () => {
    // The attack is real: without a sandbox's namespaces (danger-full-access, seccomp alone) both are there.
    const open = await py(inside, 'danger-full-access', { cwd: s.ws, network: false });
    expect(open.stdout, open.stderr).toBe('shm OK HOSTSECRET msg OK\n');
    for (const network of [true, false]) {
      const r = await py(inside, 'workspace-write', { cwd: s.ws, network });
      expect(r.stdout, r.stderr).toBe('shm ENOENT msg ENOENT\n');
    }
  });
});

describe.skipIf(!isLinux)('kernel surface: /proc', () => {
  let s: Scratch;
  beforeAll(() => {
    s = scratch();
  });
  afterAll(() => s.cleanup());

  it.skipIf(!isRoot)('as root: writing kernel.core_pattern (its own value back) fails with EROFS (skipped for non-root: file permissions refuse it anyway)', async () => {
    // Writing the value it already has keeps the host unchanged should the protection be missing.
    const code = `${ERRNO}v = open('/proc/sys/kernel/core_pattern', 'rb').read()
try:
    with open('/proc/sys/kernel/core_pattern', 'wb') as f:
        f.write(v)
    print('WROTE')
except OSError as e:
    print(errno.errorcode[e.errno])
`;
    for (const profile of ['workspace-write', 'read-only'] as const) {
      const r = await py(code, profile, { cwd: s.ws });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('EROFS\n');
    }
  });

  it('/proc/sys, /proc/irq, /proc/bus, /proc/fs are read-only mounts inside', async () => {
    const r = await sh('cat /proc/self/mountinfo', 'workspace-write', { cwd: s.ws });
    const mounts = new Map<string, string>();
    for (const line of r.stdout.split('\n')) {
      const f = line.split(' ');
      if (f[4] !== undefined && f[5] !== undefined) mounts.set(f[4], f[5]);
    }
    for (const p of ['/proc/sys', '/proc/irq', '/proc/bus', '/proc/fs', '/proc/sysrq-trigger']) {
      if (!existsSync(p)) continue;
      expect(mounts.get(p), `${p} in\n${r.stdout}`).toMatch(/^ro(,|$)/);
    }
  });

  it('/proc/kcore, /proc/keys, /proc/timer_list, /proc/sched_debug read as empty or are denied', async () => {
    const present = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug'].filter((p) => existsSync(p));
    expect(present.length).toBeGreaterThan(0);
    const code = `import sys\nfor p in sys.argv[1:]:\n    try:\n        print(p, len(open(p, 'rb').read(4096)))\n    except OSError as e:\n        print(p, 'denied', e.strerror)\n`;
    const r = await run([PY, '-c', code, ...present], 'workspace-write', { cwd: s.ws });
    expect(r.stderr).toBe('');
    for (const line of r.stdout.trim().split('\n')) expect(line).toMatch(/^\/proc\/\S+ (0|denied .*)$/);
  });
});

describe.skipIf(!isLinux)('kernel surface: host unix datagram sockets under a restricted network', () => {
  let s: Scratch;
  let server: ChildProcessWithoutNullStreams;
  let received = '';
  let dgramPath = '';
  const abstractName = `csbx-dgram-${process.pid}`;

  beforeAll(async () => {
    s = scratch();
    // Stands in for /dev/log, journald's socket or $NOTIFY_SOCKET: a datagram server on a path in the
    // workspace (visible inside) and one in the abstract namespace.
    dgramPath = join(s.ws, 'host-dgram.sock');
    const code = `import socket, select, sys
a = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); a.bind(sys.argv[1])
b = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); b.bind('\\0' + sys.argv[2])
print('READY', flush=True)
while True:
    for s in select.select([a, b], [], [])[0]:
        print('GOT', s.recv(100), flush=True)
`;
    server = spawn(PY, ['-c', code, dgramPath, abstractName]);
    await new Promise<void>((res, rej) => {
      server.stdout.on('data', (d: Buffer) => {
        received += d.toString();
        if (received.includes('READY')) res();
      });
      server.once('error', rej);
      server.once('exit', () => rej(new Error(`datagram server exited: ${received}`)));
    });
  });
  afterAll(() => {
    server.kill('SIGKILL');
    rmSync(dgramPath, { force: true });
    s.cleanup();
  });

  const attack = (target: string): string => `import socket, errno, array
out = []
def attempt(name, fn):
    try:
        fn(); out.append(name + ' SENT')
    except OSError as e:
        out.append(name + ' ' + errno.errorcode.get(e.errno, str(e.errno)))
addr = ${target}
def dgram():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendmsg([b'dgram'], [], 0, addr)
def raw():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_RAW); s.sendmsg([b'raw'], [], 0, addr)
def pair_dgram():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM); a.sendmsg([b'pair'], [], 0, addr)
def stream_to():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    a.sendmsg([b'stream'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [0]))], 0, addr)
def seqpacket_to():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET); a.sendmsg([b'seqpacket'], [], 0, addr); b.recv(100)
def pair_works():
    a, b = socket.socketpair(); a.sendall(b'ok'); assert b.recv(2) == b'ok'
attempt('dgram', dgram); attempt('raw', raw); attempt('pairdgram', pair_dgram); attempt('stream', stream_to)
attempt('seqpacket', seqpacket_to); attempt('pair', pair_works)
print(' '.join(out))
`;

  for (const [mode, profile] of [
    ['bwrap (workspace-write --no-network)', 'workspace-write'],
    ['no bwrap (danger-full-access --no-network)', 'danger-full-access'],
  ] as const) {
    const targets: Array<[string, string]> = [['a host datagram socket path', JSON.stringify('PATH')]];
    if (profile === 'danger-full-access') targets.push(['a host abstract datagram socket', `'\\0${abstractName}'`]);
    for (const [what, target] of targets) {
      it(`${mode}: sendmsg with an address reaches nothing at ${what}; socketpair(STREAM) works`, async () => {
        const before = received;
        const r = await py(attack(target.replace('PATH', dgramPath)), profile, { cwd: s.ws, network: false });
        expect(r.stderr).toBe('');
        // seqpacket: the kernel ignores the address on a connected socket, so the message goes to its peer.
        expect(r.stdout).toBe('dgram EPERM raw EPERM pairdgram EPERM stream EISCONN seqpacket SENT pair SENT\n');
        await new Promise((res) => setTimeout(res, 200));
        expect(received.slice(before.length)).not.toContain('GOT');
      });
    }
  }

  it('with the network on, the same datagram reaches the server (the attack is real)', async () => {
    const before = received;
    const r = await py(attack(JSON.stringify(dgramPath)), 'workspace-write', { cwd: s.ws, network: true });
    expect(r.stdout).toMatch(/^dgram SENT /);
    await new Promise((res) => setTimeout(res, 200));
    expect(received.slice(before.length)).toContain("GOT b'dgram'");
  });

  describe('tools still run under the restricted network', () => {
    const off = { network: false as const };
    it('node, npm --version, python3', async () => {
      const n = await run([process.execPath, '-e', 'console.log(require("os").hostname().length > 0)'], 'workspace-write', { cwd: s.ws, ...off });
      expect(n.stdout).toBe('true\n');
      const npm = await sh('npm --version', 'workspace-write', { cwd: s.ws, ...off, env: { ...process.env, npm_config_update_notifier: 'false' } });
      expect(npm.exitCode, npm.stderr).toBe(0);
      expect(npm.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
      const p = await py('import socket, ssl, subprocess; print(subprocess.run(["true"]).returncode)', 'workspace-write', { cwd: s.ws, ...off });
      expect(p.stdout).toBe('0\n');
    });

    it('git status', async () => {
      const repo = join(s.ws, 'repo');
      mkdirSync(repo, { recursive: true });
      spawnSync('git', ['init', '-q', repo]);
      writeFileSync(join(repo, 'a.txt'), 'a\n');
      const g = await run(['git', 'status', '--porcelain'], 'workspace-write', { cwd: repo, ...off });
      expect(g.exitCode, g.stderr).toBe(0);
      expect(g.stdout).toBe('?? a.txt\n');
    });

    it.skipIf(spawnSync('cc', ['--version']).status !== 0)('a C program calling syslog() runs to completion (the message is dropped; skipped without cc)', async () => {
      const src = join(s.ws, 'log.c');
      const bin = join(s.ws, 'log');
      writeFileSync(src, '#include <syslog.h>\n#include <stdio.h>\nint main(void){openlog("csbx",LOG_PID,LOG_USER);syslog(LOG_INFO,"hello from the sandbox");closelog();puts("done");return 0;}\n');
      const c = spawnSync('cc', ['-o', bin, src], { encoding: 'utf8' });
      expect(c.status, c.stderr).toBe(0);
      const r = await run([bin], 'workspace-write', { cwd: s.ws, ...off });
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe('done\n');
      expect(readFileSync(src, 'utf8')).toContain('syslog');
    });
  });
});

describe.skipIf(!isLinux || spawnSync('cc', ['--version']).status !== 0)('the command environment reaches only the command (skipped without cc)', () => {
  let s: Scratch;
  let so = '';
  let log = '';
  beforeAll(() => {
    s = scratch();
    // A preload library that records /proc/self/exe of every process it is loaded into.
    log = join(s.ws, 'preload.log');
    so = join(s.ws, 'record.so');
    const src = join(s.ws, 'record.c');
    writeFileSync(
      src,
      `#include <fcntl.h>\n#include <unistd.h>\n__attribute__((constructor)) static void record(void) {\n  char exe[4096];\n  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);\n  if (n < 0) n = 0;\n  exe[n] = '\\n';\n  int fd = open(${JSON.stringify(log)}, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);\n  if (fd >= 0) { (void)write(fd, exe, (size_t)n + 1); close(fd); }\n}\n`,
    );
    const c = spawnSync('cc', ['-shared', '-fPIC', '-o', so, src], { encoding: 'utf8' });
    if (c.status !== 0) throw new Error(`cc failed: ${c.stderr}`);
  });
  afterAll(() => s.cleanup());

  for (const [mode, profile] of [
    ['bwrap (workspace-write)', 'workspace-write'],
    ['no bwrap (danger-full-access --no-network)', 'danger-full-access'],
  ] as const) {
    it(`${mode}: envPolicy.set LD_PRELOAD loads into the command only, never into bwrap or the launcher`, async () => {
      rmSync(log, { force: true });
      const r = await sh('printf %s "$LD_PRELOAD"', profile, {
        cwd: s.ws,
        network: false,
        envPolicy: { inherit: 'all', set: { LD_PRELOAD: so, LD_DEBUG_OUTPUT: join(s.ws, 'ld-debug'), LD_DEBUG: 'files' } },
      });
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      // The command still sees the variable it was given.
      expect(r.stdout).toBe(so);
      const loaded = readFileSync(log, 'utf8').trim().split('\n');
      expect(loaded).toEqual([realpathSync('/bin/sh')]);
    });
  }
});

describe.skipIf(!isLinux)('the command environment arrives exactly', () => {
  let s: Scratch;
  beforeAll(() => {
    s = scratch();
  });
  afterAll(() => s.cleanup());

  const dump = `import os, sys\nfor k in sorted(os.environb):\n    if k.startswith(b'T_') or k.startswith(b'CODEX_SANDBOX_COMMAND'):\n        sys.stdout.write(k.decode() + ' ' + os.environb[k].hex() + '\\n')\n`;
  // Two values of 100 KiB (one string may not exceed 128 KiB, MAX_ARG_STRLEN): several of the inner stage's chunks.
  const big = 'x'.repeat(100 * 1024);
  const vars: Record<string, string> = { T_EMPTY: '', T_EQ: 'a=b=c', T_NL: 'line1\nline2', T_RAW: 'a\udcffb', T_UTF8: 'é✓', T_BIG1: big, T_BIG2: big + 'y' };
  const expected = Object.keys(vars)
    .sort()
    .map((k) => `${k} ${(k === 'T_RAW' ? Buffer.from([0x61, 0xff, 0x62]) : Buffer.from(vars[k] ?? '')).toString('hex')}\n`)
    .join('');

  for (const [mode, profile] of [
    ['bwrap (workspace-write)', 'workspace-write'],
    ['no bwrap (danger-full-access --no-network)', 'danger-full-access'],
  ] as const) {
    it(`${mode}: empty, '=', newline, non-UTF-8 and 2 × 100 KiB values survive byte for byte; no transport variable is left`, async () => {
      const r = await run([PY, '-c', dump], profile, { cwd: s.ws, network: false, env: { PATH: '/usr/bin:/bin', ...vars } });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(expected);
    });
  }
});

/** Real bubblewrap: processes, privileges, fds, environment, awkward paths, lifetime, parallelism. */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { encodePayload } from '../../../src/launch/payload.js';
import { bytesToPathString } from '../../../src/util/surrogate-escape.js';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PY, isLinux, py, run, sandbox, scratch, sh, viaSessions } from './helpers.js';
import type { Scratch } from './helpers.js';

describe.skipIf(!isLinux)('linux sandbox: processes and privileges (real bwrap)', () => {
  let s: Scratch;
  beforeEach(() => {
    s = scratch();
  });
  afterEach(() => s.cleanup());

  it('no_new_privs is set and no capability is left', async () => {
    const r = await sh('grep -E "^(NoNewPrivs|CapEff|CapPrm|CapBnd|CapAmb):" /proc/self/status', 'workspace-write', { cwd: s.ws });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
    expect(r.stdout).toMatch(/CapEff:\s+0+\n/);
    expect(r.stdout).toMatch(/CapPrm:\s+0+\n/);
  });

  it('runs in its own pid namespace: only sandbox processes are visible', async () => {
    const r = await sh('ls /proc | grep -E "^[0-9]+$" | wc -l; echo $$', 'workspace-write', { cwd: s.ws });
    const [count, pid] = r.stdout.trim().split('\n').map(Number);
    expect(count).toBeLessThan(8);
    expect(pid).toBeLessThan(10);
  });

  it('processes outside cannot be signalled', async () => {
    const victim = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const r = await sh(`kill -TERM ${victim.pid}`, 'workspace-write', { cwd: s.ws });
      expect(r.exitCode).not.toBe(0);
      expect(victim.exitCode).toBeNull();
      expect(victim.signalCode).toBeNull();
    } finally {
      victim.kill('SIGKILL');
    }
  });

  it('ptrace is denied', async () => {
    const r = await py('import ctypes,os\nlibc=ctypes.CDLL(None,use_errno=True)\nrc=libc.ptrace(0,0,0,0)\nprint(rc, ctypes.get_errno())', 'workspace-write', { cwd: s.ws });
    expect(r.stdout.trim()).toBe('-1 1');
  });

  it('inherited parent fds (20 and 100) do not reach the sandboxed command', async () => {
    const f = join(s.base, 'secretfd');
    writeFileSync(f, 'secret');
    const fd = openSync(f, 'r');
    try {
      const sb = await sandbox();
      const stdio = ['ignore', 'pipe', 'pipe', ...Array.from({ length: 98 }, () => 'ignore')] as unknown[];
      stdio[20] = fd;
      stdio[100] = fd;
      // execa refuses extra stdio slots for sandboxed commands, so drive the same plan through node:child_process.
      const req = sb.plan(['/bin/ls', '/proc/self/fd'], 'workspace-write', { cwd: s.ws });
      stdio[3] = 'pipe';
      const child = spawn(String(req.program), ['--payload-fd', '3'], { stdio: stdio as never, env: req.env, cwd: '/' });
      const pipe = child.stdio[3] as NodeJS.WritableStream;
      pipe.end(Buffer.from(encodePayload(req.argv)));
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
      expect(code).toBe(0);
      const fds = out.trim().split(/\s+/).map(Number).sort((a, b) => a - b);
      expect(fds.filter((n) => n > 3)).toEqual([]);
      expect(fds).not.toContain(20);
      expect(fds).not.toContain(100);
    } finally {
      closeSync(fd);
    }
  });

  it('names matching KEY, SECRET and TOKEN are stripped from the environment', async () => {
    const r = await sh('env', 'workspace-write', {
      cwd: s.ws,
      env: { ...process.env, OPENAI_API_KEY: 'sk-1', GITHUB_TOKEN: 'ghp', MY_SECRET: 's', HARMLESS: 'ok' },
    });
    expect(r.stdout).toContain('HARMLESS=ok');
    expect(r.stdout).not.toMatch(/OPENAI_API_KEY|GITHUB_TOKEN|MY_SECRET/);
    expect(r.stdout).toContain('CODEX_SANDBOX_NETWORK_DISABLED=1');
    // The launcher's own arguments travel in the environment; the command never sees them.
    expect(r.stdout).not.toContain('CODEX_SANDBOX_LAUNCHER_ARGS');
    expect(r.stdout).not.toContain('--unshare-user');
  });

  it('exit codes: the child\'s own, 127 for a missing program, 126 for a non-executable one', async () => {
    writeFileSync(join(s.ws, 'noexec.sh'), '#!/bin/sh\necho hi\n');
    expect((await sh('exit 42', 'workspace-write', { cwd: s.ws })).exitCode).toBe(42);
    expect((await run(['definitely-not-a-program-xyz'], 'workspace-write', { cwd: s.ws })).exitCode).toBe(127);
    expect((await run([join(s.ws, 'noexec.sh')], 'workspace-write', { cwd: s.ws })).exitCode).toBe(126);
  });

  it('awkward paths: spaces, quotes, newlines, a leading --, and non-UTF-8 bytes work and inject nothing', async () => {
    const names = ['with space', "quo'te\"s", 'new\nline', '--ro-bind'];
    for (const n of names) {
      const dir = join(s.base, n);
      mkdirSync(dir);
      const r = await sh('echo ok > f && pwd', 'workspace-write', { cwd: dir });
      expect(r.exitCode, n).toBe(0);
      expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('ok\n');
      expect(r.stdout.trimEnd()).toBe(dir);
    }
    const raw = Buffer.concat([Buffer.from(s.base + '/bad-'), Buffer.from([0xff, 0xfe])]);
    mkdirSync(raw);
    const r = await sh('echo ok > f', 'workspace-write', { cwd: bytesToPathString(raw) });
    expect(r.exitCode).toBe(0);
    expect(existsSync(Buffer.concat([raw, Buffer.from('/f')]))).toBe(true);
  });

  it('killing the launcher kills the whole sandbox', async () => {
    const marker = `csbx-marker-${process.pid}-${Date.now()}`;
    const sb = await sandbox();
    const sub = sb.spawn(['/bin/bash', '-c', `exec -a ${marker} sleep 60`], 'workspace-write', { cwd: s.ws, reject: false, stdin: 'ignore' });
    await waitFor(() => findProcess(marker), 10_000);
    process.kill(sub.pid as number, 'SIGKILL');
    await sub;
    await waitFor(() => !findProcess(marker), 10_000);
  });

  it('a library caller, its launcher, the watchdog and bwrap all killed at once (the whole tree, from outside): the sandbox still ends (bwrap --die-with-parent)', async () => {
    // With the caller alive, its cgroup clean-up (root) or the watchdog would end the sandbox anyway; with every
    // process outside the sandbox gone at once, only bwrap's --die-with-parent ends the namespace init.
    const marker = `csbx-tree-${process.pid}-${Date.now()}`;
    const script = `
      import { createSandbox } from ${JSON.stringify(join(process.cwd(), 'dist/src/index.js'))};
      const sb = await createSandbox();
      sb.spawn(['/bin/bash', '-c', 'exec -a "$M" sleep 60'], 'workspace-write', { cwd: ${JSON.stringify(s.ws)}, reject: false, stdin: 'ignore', env: { ...process.env, M: process.env.CSBX_MARKER } });
      setInterval(() => {}, 1000);
    `;
    const caller = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CSBX_MARKER: marker } });
    try {
      await waitFor(() => findProcess(marker), 10_000);
      const launchers = childrenOf(caller.pid as number);
      const tree = [caller.pid as number, ...launchers, ...launchers.flatMap(childrenOf)];
      // The caller, the launcher, its watchdog and bwrap: stopped first, so none of them can react to
      // another's death, then killed.
      expect(tree.length, String(tree)).toBeGreaterThanOrEqual(4);
      for (const pid of tree) process.kill(pid, 'SIGSTOP');
      for (const pid of tree) process.kill(pid, 'SIGKILL');
      await waitFor(() => !findProcess(marker), 3_000);
    } finally {
      caller.kill('SIGKILL');
      for (const pid of pidsOf(marker)) process.kill(Number(pid), 'SIGKILL');
    }
  });

  // sandbox.spawn leaves execa's `cleanup` off on Linux: the launcher's parent-death signal is what
  // ends the sandbox when its caller goes, on a normal exit as on SIGKILL.
  for (const how of ['exits normally', 'is killed (SIGKILL)'] as const) {
    it(`a library caller that ${how} takes its running sandboxes with it`, async () => {
      const marker = `csbx-caller-${how === 'exits normally' ? 'exit' : 'kill'}-${process.pid}-${Date.now()}`;
      const script = `
        import { createSandbox } from ${JSON.stringify(join(process.cwd(), 'dist/src/index.js'))};
        const sb = await createSandbox();
        sb.spawn(['/bin/bash', '-c', 'exec -a "$M" sleep 60'], 'workspace-write', { cwd: ${JSON.stringify(s.ws)}, reject: false, stdin: 'ignore', env: { ...process.env, M: process.env.CSBX_MARKER } });
        ${how === 'exits normally' ? `setTimeout(() => process.exit(0), 1500);` : 'setInterval(() => {}, 1000);'}
      `;
      // The marker reaches the caller through its environment: in its argv, the caller itself would match.
      const caller = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CSBX_MARKER: marker } });
      try {
        await waitFor(() => findProcess(marker), 10_000);
        if (how === 'is killed (SIGKILL)') caller.kill('SIGKILL');
        await new Promise((r) => caller.once('exit', r));
        await waitFor(() => !findProcess(marker), 10_000);
      } finally {
        caller.kill('SIGKILL');
      }
    });
  }

  // Skipped in the sessions pass: the caller below starts its sandbox with sandbox.spawn itself, which that pass does not change.
  it.skipIf(viaSessions)("a library caller in a terminal: the sandboxed command has no controlling terminal, so it cannot type into the caller's (TIOCSTI)", async () => {
    // sandbox.spawn keeps the caller's session (not detached): only bwrap --new-session stands between the
    // command and the caller's terminal (CVE-2017-5226), which /dev/tty opens and TIOCSTI pushes input into.
    const inside = [
      'import errno, fcntl, os, termios',
      'try:',
      "    fd = os.open('/dev/tty', os.O_RDWR)",
      "    fcntl.ioctl(fd, termios.TIOCSTI, b'#')",
      "    print('tty OK')",
      'except OSError as e:',
      "    print('tty', errno.errorcode[e.errno])",
    ].join('\n');
    const script = `
      import { closeSync, openSync } from 'node:fs';
      import { createSandbox } from ${JSON.stringify(join(process.cwd(), 'dist/src/index.js'))};
      const code = ${JSON.stringify(inside)};
      // The attack is real: the caller (and so a command in its session) can open the caller's terminal.
      closeSync(openSync('/dev/tty', 'r+'));
      process.stdout.write('caller tty OK\\n');
      const sb = await createSandbox();
      const r = await sb.spawn([${JSON.stringify(PY)}, '-c', code], 'workspace-write', { cwd: ${JSON.stringify(s.ws)}, reject: false, stdin: 'ignore' });
      process.stdout.write('sandboxed ' + r.stdout + r.stderr);
    `;
    // The caller runs as a terminal's session leader (forkpty: setsid + TIOCSCTTY), as an agent started from a shell.
    const harness = [
      'import os, sys',
      'pid, fd = os.forkpty()',
      'if pid == 0:',
      '    os.execv(sys.argv[1], sys.argv[1:])',
      "out = b''",
      'while True:',
      '    try:',
      '        b = os.read(fd, 4096)',
      '    except OSError:',
      '        break',
      '    if not b:',
      '        break',
      '    out += b',
      'os.waitpid(pid, 0)',
      'sys.stdout.write(out.decode(errors="replace"))',
    ].join('\n');
    const r = spawnSync(PY, ['-c', harness, process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stdout, r.stderr).toContain('caller tty OK');
    expect(r.stdout).toContain('sandboxed tty ENXIO');
  });

  it('timeout and kill() reach the whole sandbox; interrupt() delivers SIGINT and reports the command\'s own status', async () => {
    const sb = await sandbox();
    const t = await sb.spawn(['/bin/sh', '-c', 'sleep 30'], 'workspace-write', { cwd: s.ws, timeout: 300, reject: false, stdin: 'ignore' });
    expect(t.timedOut).toBe(true);
    const sub = sb.spawn([PY, '-c', 'import signal,sys,time\nsignal.signal(signal.SIGINT, lambda *a: sys.exit(7))\nprint("ready", flush=True)\ntime.sleep(30)'], 'workspace-write', {
      cwd: s.ws,
      reject: false,
      stdin: 'ignore',
    });
    await new Promise<void>((res) => sub.stdout?.once('data', () => res()));
    sub.interrupt();
    const r = await sub;
    expect(r.exitCode).toBe(7);
  });

  it('results and errors name the user\'s command and cwd, not the launcher', async () => {
    const sb = await sandbox();
    const failing = sb.spawn(['/bin/sh', '-c', 'echo oops >&2; exit 3', 'arg with space'], 'workspace-write', { cwd: s.ws, stdin: 'ignore' });
    const err = await failing.then(
      () => undefined,
      (e: unknown) => e as { shortMessage: string; message: string; command: string; cwd: string; exitCode: number },
    );
    expect(err?.exitCode).toBe(3);
    expect(err?.command).toBe(`/bin/sh -c 'echo oops >&2; exit 3' 'arg with space'`);
    expect(err?.cwd).toBe(s.ws);
    expect(err?.shortMessage).toBe(`Command failed with exit code 3: /bin/sh -c 'echo oops >&2; exit 3' 'arg with space' (in ${s.ws}, sandboxed)`);
    expect(err?.message).not.toContain('codex-sandbox-launcher');
    const ok = await sb.spawn(['/bin/echo', 'hi'], 'workspace-write', { cwd: s.ws, stdin: 'ignore' });
    expect([ok.command, ok.cwd, ok.stdout]).toEqual(['/bin/echo hi', s.ws, 'hi']);
    // The subprocess side is still the launcher's: pid, kill(), streams.
    const sleeper = sb.spawn(['/bin/sleep', '30'], 'workspace-write', { cwd: s.ws, stdin: 'ignore', reject: false });
    expect(typeof sleeper.pid).toBe('number');
    sleeper.kill('SIGTERM');
    const killed = await sleeper;
    expect([killed.command, killed.isTerminated]).toEqual(['/bin/sleep 30', true]);
  });

  it('40 sandboxes run in parallel', async () => {
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => sh(`echo ${i} > f${i} && cat f${i}`, 'workspace-write', { cwd: s.ws })));
    results.forEach((r, i) => {
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe(`${i}\n`);
    });
  });
});

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function findProcess(marker: string): boolean {
  for (const pid of readdirNumbers('/proc')) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) return true;
    } catch {
      /* gone */
    }
  }
  return false;
}

function pidsOf(marker: string): string[] {
  return readdirNumbers('/proc').filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
    } catch {
      return false;
    }
  });
}

/** The pids whose parent is `parent` (field 4 of /proc/PID/stat, after the command name in parentheses). */
function childrenOf(parent: number): number[] {
  return readdirNumbers('/proc')
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent;
      } catch {
        return false;
      }
    })
    .map(Number);
}

function readdirNumbers(dir: string): string[] {
  return readdirSync(dir).filter((n) => /^\d+$/.test(n));
}

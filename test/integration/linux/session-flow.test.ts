/**
 * Sessions (#22) with real bwrap: flow control (a reader that does not keep up pauses its command
 * only, and what Node holds stays bounded), `buffer: false`, and `isolation: 'none'` (still confined,
 * but sharing the session's pid namespace, as docs/sessions.md says).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxSession } from '../../../src/sandbox.js';
import { isLinux, sandbox, scratch } from './helpers.js';
import type { Scratch } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!isLinux)('session flow control, buffer: false, isolation: none (real bwrap)', () => {
  let s: Scratch;
  let session: SandboxSession;
  beforeAll(async () => {
    s = scratch('csbx-session-flow-');
    session = (await sandbox()).session('workspace-write', { cwd: s.ws });
  });
  afterAll(async () => {
    await session.close();
    s.cleanup();
  });

  // Without the PAUSE frame the supervisor keeps reading the command's pipe and Node buffers all of it
  // (readableLength and RSS grow by the whole output), and the command finishes while nobody reads.
  it.skipIf(process.env.CODEX_SANDBOX_BWRAP === 'bundled')(
    'a command writing 200 MB to a paused reader is paused alone: bounded memory, every byte in order (skipped on the bundled-bwrap pass: same supervisor)',
    async () => {
      // `seq 1 23000000` writes 199 MB; the digest of the same output, computed in the sandbox, checks order.
      const n = 23_000_000;
      const expected = session.spawn(['/bin/sh', '-c', `seq 1 ${n} | sha256sum`], { stdin: 'ignore' });
      const big = session.spawn(['seq', '1', String(n)], { stdin: 'ignore', buffer: false });
      big.stdout.pause();
      const rss0 = process.memoryUsage().rss;
      let exited = false;
      void big.then(() => (exited = true), () => (exited = true));
      // Another command of the same session runs meanwhile: the pause is per command.
      const other = await session.spawn(['/bin/echo', 'meanwhile'], { stdin: 'ignore' });
      expect(other.stdout).toBe('meanwhile');
      await sleep(1500);
      // Both sides of the PassThrough: its readable buffer and the writes queued behind it.
      const held = big.stdout.readableLength + big.stdout.writableLength;
      const grown = process.memoryUsage().rss - rss0;
      expect(exited).toBe(false);
      expect(held).toBeLessThan(4 << 20);
      expect(grown).toBeLessThan(64 << 20);
      const hash = createHash('sha256');
      let bytes = 0;
      big.stdout.on('data', (c: Buffer) => {
        hash.update(c);
        bytes += c.length;
      });
      big.stdout.resume();
      const r = await big;
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe('');
      expect(bytes).toBeGreaterThan(190_000_000);
      expect(`${hash.digest('hex')}  -`).toBe((await expected).stdout);
    },
    60_000,
  );

  // The supervisor no longer waits for a command's init to start; a SIGNAL frame that arrives first is
  // held until the init has its own process group (else kill(-pid) fails with ESRCH and the signal is lost).
  it('a signal sent before the command has started reaches it once it has', async () => {
    for (let i = 0; i < 3; i += 1) {
      const p = session.spawn(['sleep', '30'], { stdin: 'ignore', reject: false });
      p.kill('SIGTERM');
      expect(await p).toMatchObject({ signal: 'SIGTERM', exitCode: undefined });
    }
  }, 20_000);

  it('buffer: false leaves the result empty and the output on the streams', async () => {
    const sub = session.spawn(['/bin/sh', '-c', 'echo to-out; echo to-err >&2'], { stdin: 'ignore', buffer: false });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    sub.stdout.on('data', (c: Buffer) => out.push(c));
    sub.stderr.on('data', (c: Buffer) => err.push(c));
    const r = await sub;
    expect(r).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    expect(Buffer.concat(out).toString()).toBe('to-out\n');
    expect(Buffer.concat(err).toString()).toBe('to-err\n');
  });

  it("isolation: 'none' keeps the sandbox's confinement, gives the supervisor no capability, and shares the pid namespace", async () => {
    const plain = (await sandbox()).session('workspace-write', { cwd: s.ws, isolation: 'none' });
    try {
      const status = 'grep -E "^(NoNewPrivs|Seccomp|CapEff|CapPrm|CapBnd|CapAmb):" /proc/self/status; unshare -U true && echo USERNS-CREATED';
      // The shell's parent is the supervisor itself (no init in between): its capabilities are checked too.
      const r = await plain.spawn(['/bin/sh', '-c', `${status}; grep -E "^(CapEff|CapPrm):" /proc/$PPID/status | sed s/^/supervisor-/`], { stdin: 'ignore', reject: false });
      expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
      expect(r.stdout).toMatch(/Seccomp:\s+2/);
      for (const cap of ['CapEff', 'CapPrm', 'CapBnd', 'CapAmb']) expect(r.stdout).toMatch(new RegExp(`^${cap}:\\s+0+$`, 'm'));
      for (const cap of ['CapEff', 'CapPrm']) expect(r.stdout).toMatch(new RegExp(`^supervisor-${cap}:\\s+0+$`, 'm'));
      expect(r.stdout).not.toMatch(/USERNS-CREATED/);
      // What 'none' gives up: a running command is visible to the next one.
      const bg = plain.spawn(['sleep', '30'], { stdin: 'ignore', reject: false });
      await sleep(300);
      const seen = await plain.spawn(['/bin/sh', '-c', 'grep -l "^sleep$" /proc/[0-9]*/comm 2>/dev/null | wc -l'], { stdin: 'ignore' });
      expect(Number(seen.stdout)).toBe(1);
      bg.kill('SIGKILL');
      await bg;
    } finally {
      await plain.close();
    }
  });
});

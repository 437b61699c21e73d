/**
 * Real bubblewrap: the command leads its own process group inside the sandbox, so the library's
 * interrupt() and timeout reach every process of its tree, as a terminal's Ctrl-C reaches a shell's
 * foreground job.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLinux, sandbox, scratch, sh } from './helpers.js';
import type { Scratch } from './helpers.js';

/** Whether a process whose command line contains `marker` is alive (seen from the host). */
function alive(marker: string): boolean {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1').replace(/\0/g, ' ').includes(marker)) return true;
    } catch {
      // gone meanwhile
    }
  }
  return false;
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

describe.skipIf(!isLinux)('linux sandbox: signals reach the whole command (real bwrap)', () => {
  let s: Scratch;
  let n = 0;
  beforeEach(() => {
    s = scratch('csbx-sig-');
  });
  afterEach(() => s.cleanup());

  /** A `sleep` whose argument is unique, so the host can tell whether it is still running. */
  function uniqueSleep(): string {
    n += 1;
    return `29.${process.pid}${n}${Date.now() % 1000}`;
  }

  it('the command leads its own process group (pgid = pid) in a session it does not lead', async () => {
    // Fields 5 and 6 of /proc/PID/stat: pgrp and session (the comm "sh" has no spaces).
    const r = await sh('set -- $(cat /proc/$$/stat); echo "$1 $5 $6"', 'workspace-write', { cwd: s.ws });
    expect(r.exitCode, r.stderr).toBe(0);
    const [pid, pgrp, session] = r.stdout.trim().split(' ').map(Number);
    expect(pgrp).toBe(pid);
    // bwrap --new-session made the session (no controlling terminal: TIOCSTI cannot reach the caller's).
    expect(session).not.toBe(pid);
  });

  for (const shell of ['/bin/sh', '/bin/bash']) {
    it(`interrupt() stops \`${shell} -c "sleep; echo"\` and its sleep at once, with the command's 130`, async () => {
      const sb = await sandbox();
      const marker = uniqueSleep();
      const started = Date.now();
      const sub = sb.spawn([shell, '-c', `echo ready; sleep ${marker}; echo after > after`], 'workspace-write', { cwd: s.ws, reject: false, stdin: 'ignore' });
      await new Promise<void>((res) => sub.stdout?.once('data', () => res()));
      expect(await waitFor(() => alive(marker), 10_000)).toBe(true);
      sub.interrupt();
      const r = await sub;
      // Before the fix only the shell got SIGINT: it waited for its sleep, then went on ("after").
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(r.exitCode).toBe(130);
      expect(existsSync(join(s.ws, 'after'))).toBe(false);
      expect(alive(marker)).toBe(false);
    }, 40_000);
  }

  it('a timeout kills the whole `sh -c` tree', async () => {
    const sb = await sandbox();
    const marker = uniqueSleep();
    const started = Date.now();
    const r = await sb.spawn(['/bin/sh', '-c', `sleep ${marker}; echo after > after`], 'workspace-write', { cwd: s.ws, reject: false, stdin: 'ignore', timeout: 1000 });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(existsSync(join(s.ws, 'after'))).toBe(false);
    expect(await waitFor(() => !alive(marker), 5_000)).toBe(true);
  }, 40_000);

  it("SIGTSTP to the launcher stops the command's whole tree and SIGCONT resumes it (what the CLI sends on Ctrl-Z and fg)", async () => {
    const sb = await sandbox();
    const sub = sb.spawn(['/bin/sh', '-c', 'i=0; while [ $i -lt 20 ]; do echo tick $i; i=$((i+1)); sleep 0.1; done; echo done'], 'workspace-write', {
      cwd: s.ws,
      reject: false,
      stdin: 'ignore',
    });
    let out = '';
    sub.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    expect(await waitFor(() => out.includes('tick 2'), 10_000)).toBe(true);
    sub.kill('SIGTSTP');
    await new Promise((r) => setTimeout(r, 400));
    const atStop = out;
    await new Promise((r) => setTimeout(r, 1500));
    // Stopped: nothing printed for 1.5 s although the loop prints every 0.1 s.
    expect(out).toBe(atStop);
    expect(out).not.toContain('done');
    sub.kill('SIGCONT');
    const r = await sub;
    expect(r.exitCode).toBe(0);
    expect(out).toContain('tick 19');
    expect(out).toContain('done');
  }, 40_000);
});

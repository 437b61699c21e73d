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

/**
 * Whether `sleep <marker>` itself runs: argv[0] is sleep (the shell's child has exec'd). The shell's
 * own command line contains the marker too, and so does its child between fork and exec.
 */
function sleeping(marker: string): boolean {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0');
      if (argv[0]?.split('/').pop() === 'sleep' && argv.includes(marker)) return true;
    } catch {
      // gone meanwhile
    }
  }
  return false;
}

/**
 * The states (R, S, T...: /proc/PID/stat) of the processes named `names` (argv[0]'s base name) whose
 * command line contains `marker`: the command's tree, not bwrap and its init (whose argv has it too).
 */
function statesOf(marker: string, names: readonly string[]): string[] {
  const states: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'latin1');
      if (!cmdline.includes(marker) || !names.includes(cmdline.split('\0')[0]?.split('/').pop() ?? '')) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      states.push(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
    } catch {
      // gone meanwhile
    }
  }
  return states;
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
      // The sleep must have exec'd: dash's child between fork and exec still runs dash's SIGINT
      // handler, which takes the signal, and then execs sleep unharmed (outside any sandbox too:
      // killpg(SIGINT) right after `sh -c "echo ready; sleep 3"` printed ready left the sleep running
      // in 36 of 200 tries). A terminal's Ctrl-C in that window does the same.
      expect(await waitFor(() => sleeping(marker), 10_000)).toBe(true);
      sub.interrupt();
      const r = await sub;
      // Before the fix only the shell got SIGINT: it waited for its sleep, then went on ("after").
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(r.exitCode).toBe(130);
      expect(existsSync(join(s.ws, 'after'))).toBe(false);
      expect(alive(marker)).toBe(false);
    }, 40_000);
  }

  it('interrupt() during the set-up (before the command started) is not lost: the command gets it when it starts (130), never a set-up failure', async () => {
    // Before the fix the launcher sent it to bwrap's namespace init (which drops it: pid_namespaces(7))
    // or to bwrap's child before the inner stage made the command's group: `sleep` ran to its end
    // (exit 0), or the set-up "failed" with bubblewrap's 130.
    const sb = await sandbox();
    for (let i = 0; i < 4; i += 1) {
      const marker = uniqueSleep();
      const started = Date.now();
      const sub = sb.spawn(['/bin/sleep', marker], 'workspace-write', { cwd: s.ws, reject: false, stdin: 'ignore' });
      // Moments across the set-up: at once, and after a few event-loop turns / milliseconds.
      if (i > 0) await new Promise((r) => setTimeout(r, (i - 1) * 20));
      sub.interrupt();
      const r = await sub;
      // 130 from the command; a signal so early that it reached the launcher before it blocked its
      // signals (its first instructions) ends the launcher itself, before anything was set up.
      const outcome = r.exitCode === 130 || (r.exitCode === undefined && r.signal === 'SIGINT') ? 'interrupted' : `${String(r.exitCode)}/${String(r.signal)}: ${r.stderr}`;
      expect({ i, outcome }).toEqual({ i, outcome: 'interrupted' });
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(await waitFor(() => !alive(marker), 5_000)).toBe(true);
    }
  }, 60_000);

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
    // GNU sleep sums its arguments: the tiny second one marks the loop's sleeps (and the shell's script).
    n += 1;
    const marker = `0.00000${process.pid}${n}`;
    const sub = sb.spawn(['/bin/sh', '-c', `i=0; while [ $i -lt 10 ]; do echo tick $i; i=$((i+1)); sleep 0.2 ${marker}; done; echo done`], 'workspace-write', {
      cwd: s.ws,
      reject: false,
      stdin: 'ignore',
    });
    let out = '';
    sub.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    expect(await waitFor(() => out.includes('tick 2') && sleeping(marker), 10_000)).toBe(true);
    sub.kill('SIGTSTP');
    // Stopped (T): the shell and its running sleep, seen from the host, polled (the signal goes through
    // the launcher). With only the shell stopped, its sleep would run on and never show T.
    const tree = (): string[] => statesOf(marker, ['sh', 'sleep']);
    expect(await waitFor(() => tree().length > 0 && tree().every((st) => st === 'T'), 10_000), tree().join(' ')).toBe(true);
    expect(out).not.toContain('done');
    sub.kill('SIGCONT');
    const r = await sub;
    expect(r.exitCode).toBe(0);
    expect(out).toContain('tick 9');
    expect(out).toContain('done');
  }, 40_000);
});

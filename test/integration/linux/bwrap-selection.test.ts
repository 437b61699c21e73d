/**
 * Which bubblewrap runs by default, proven by the process that really runs (issue #21): on a host where the
 * system bwrap adds nothing (no AppArmor userns restriction for this caller, not setuid), the bundled static,
 * digest-verified one is chosen and the sandbox works on it; CODEX_SANDBOX_BWRAP=system and =bundled force
 * either one; the AppArmor facts (kernel.apparmor_restrict_unprivileged_userns=1 for a non-root caller) switch
 * the choice to the system one through the real host-facts code. The whole Linux suite runs on the default
 * choice, and once more on the system bwrap as the vitest project `integration-system` (system-setup.ts).
 */
import { readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { doctorBwrapReport, getHostFacts, getLinuxHostDetails } from '../../../src/host/facts.js';
import { procReaderAt } from '../../../src/host/userns.js';
import { bundledBwrapPath } from '../../../src/native.js';
import { createSandbox } from '../../../src/sandbox.js';
import { scratch } from './helpers.js';

const bundled = process.platform === 'linux' ? bundledBwrapPath() : undefined;
const RESTRICT = '/proc/sys/kernel/apparmor_restrict_unprivileged_userns';
/** The facts that would make the system bwrap win on this host (then the default test proves nothing). */
function systemAddsSomething(): string | undefined {
  let restrict: string | undefined;
  try {
    restrict = readFileSync(RESTRICT, 'utf8').trim();
  } catch {
    restrict = undefined;
  }
  if (process.getuid?.() === 0) return undefined;
  if (restrict === '1') return `${RESTRICT}=1`;
  try {
    const st = statSync('/usr/bin/bwrap');
    if (st.uid === 0 && (st.mode & 0o4000) !== 0) return '/usr/bin/bwrap is setuid root';
  } catch {
    return undefined;
  }
  return undefined;
}
const hostReason = systemAddsSomething();
const systemEnv = { ...process.env, CODEX_SANDBOX_BWRAP: 'system' };
const defaultEnv = { ...process.env, CODEX_SANDBOX_BWRAP: undefined };

/** `root` and the pids of every descendant of it (from /proc/<pid>/stat's ppid field). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(name), ppid);
    } catch {
      // exited meanwhile
    }
  }
  return [...parent.keys()].filter((pid) => {
    if (pid === root) return true;
    for (let p = parent.get(pid), hops = 0; p !== undefined && hops < 64; p = parent.get(p), hops++) if (p === root) return true;
    return false;
  });
}

/** Run a command that waits for a go file, and return the executables of the launch's process tree meanwhile. */
async function executablesOfALaunch(env: Record<string, string | undefined>, dir: string): Promise<{ exes: string[]; exitCode: number | undefined }> {
  const sb = await createSandbox({ env });
  // Fresh marker names per launch: a marker left by an earlier launch would end this one at once.
  const tag = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const ready = join(dir, `ready-${tag}`);
  const go = join(dir, `go-${tag}`);
  const sub = sb.spawn(['/bin/sh', '-c', `echo up > ${ready}; while [ ! -e ${go} ]; do sleep 0.05; done`], 'workspace-write', { cwd: dir, reject: false, stdin: 'ignore' });
  const exes = new Set<string>();
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        statSync(ready);
        break;
      } catch {
        if (Date.now() > deadline) throw new Error('the sandboxed command did not start within 30 s');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    for (const pid of descendants(sub.pid ?? -1)) {
      try {
        exes.add(readlinkSync(`/proc/${pid}/exe`));
      } catch {
        // exited, or not ours to read
      }
    }
  } finally {
    writeFileSync(go, '');
  }
  const r = await sub;
  return { exes: [...exes], exitCode: r.exitCode };
}

describe.skipIf(bundled === undefined)('bwrap selection on this host (skipped: this build has no bundled bwrap)', () => {
  const s = scratch('csbx-bwrapsel-');
  afterAll(() => s.cleanup());

  it.skipIf(hostReason !== undefined)(`by default the bundled bwrap runs the sandbox, and doctor says why (skipped when the system one adds something: ${hostReason ?? ''})`, async () => {
    const details = getLinuxHostDetails({ env: defaultEnv, cwd: s.ws });
    expect(details?.facts.bwrap?.source).toBe('bundled');
    expect(details?.facts.bwrap?.path).toBe(bundled);
    const report = details !== undefined ? doctorBwrapReport(details) : undefined;
    expect(report?.digestVerified).toBe(true);
    expect(report?.reason).toMatch(/system one adds nothing|no trusted system bwrap/);
    const { exes, exitCode } = await executablesOfALaunch(defaultEnv, s.ws);
    expect(exitCode).toBe(0);
    expect(exes).toContain(bundled);
    expect(exes.filter((e) => e.endsWith('/bwrap'))).toEqual([bundled]);
  });

  it('CODEX_SANDBOX_BWRAP=system runs the system bwrap; =bundled selects the bundled one', async () => {
    const sys = getHostFacts({ env: systemEnv, cwd: s.ws }).linux?.bwrap;
    expect(sys?.source).toBe('system');
    const { exes, exitCode } = await executablesOfALaunch(systemEnv, s.ws);
    expect(exitCode).toBe(0);
    expect(exes.length, `no executable seen in the launch's process tree`).toBeGreaterThan(0);
    expect(exes.filter((e) => e.endsWith('/bwrap')), JSON.stringify(exes)).toEqual([sys?.path]);
    const forced = getHostFacts({ env: { ...process.env, CODEX_SANDBOX_BWRAP: 'bundled' }, cwd: s.ws }).linux?.bwrap;
    expect(forced?.source).toBe('bundled');
    expect(forced?.path).toBe(bundled);
  });

  it('the AppArmor userns restriction, for a non-root caller, makes the real host-facts code choose the system bwrap', () => {
    const real = procReaderAt('/');
    const procReader = (p: string): string | undefined => (p === RESTRICT ? '1\n' : real(p));
    const restricted = getLinuxHostDetails({ env: defaultEnv, cwd: s.ws, procReader, uid: 1000 });
    expect(restricted?.facts.bwrap?.source).toBe('system');
    expect(restricted?.selectionReason).toContain('apparmor_restrict_unprivileged_userns=1');
    // Root is not subject to the restriction.
    expect(getLinuxHostDetails({ env: defaultEnv, cwd: s.ws, procReader, uid: 0 })?.facts.bwrap?.source).toBe('bundled');
  });
});

/**
 * The /proc entries a Linux sandbox covers are host facts, asked once per process (src/contracts/proc-masks.ts
 * says why no sandboxed command can change them): a plan made with those facts asks the filesystem nothing
 * under /proc, covers the same entries as one that asks, and facts made without them still ask per plan.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROC_MASKED, PROC_READ_ONLY, procMaskPaths } from '../../../src/contracts/index.js';
import type { HostFacts } from '../../../src/contracts/index.js';
import { createFsInspector } from '../../../src/host/fs-inspector.js';
import { getHostFacts } from '../../../src/host/facts.js';
import type { FsInspector } from '../../../src/permissions/fs-facts.js';
import { SandboxManager } from '../../../src/manager/transform.js';
import { PermissionProfile } from '../../../src/permissions/index.js';

const host = getHostFacts({ env: process.env });
const linux = host.linux;

/** The inspector of `facts`, with every path it is asked about written to `asked`. */
function logging(fs: FsInspector, asked: string[]): FsInspector {
  const log =
    <R>(fn: (p: string) => R) =>
    (p: string): R => {
      asked.push(p);
      return fn(p);
    };
  const lstat = fs.lstat;
  return {
    kind: log((p) => fs.kind(p)),
    ...(lstat !== undefined ? { lstat: log((p) => lstat.call(fs, p)) } : {}),
    realpath: log((p) => fs.realpath(p)),
    readlink: log((p) => fs.readlink(p)),
    readSmallFile: log((p) => fs.readSmallFile(p)),
    isEmptyDir: log((p) => fs.isEmptyDir(p)),
    fileSize: log((p) => fs.fileSize(p)),
    scanGlob: (r) => fs.scanGlob(r),
  };
}

let ws: string;
beforeEach(() => {
  ws = realpathSync(mkdtempSync(join(tmpdir(), 'csbx-procmasks-')));
});
afterEach(() => rmSync(ws, { recursive: true, force: true }));

describe.runIf(process.platform === 'linux' && linux?.bwrap !== undefined)('/proc masks from the host facts', () => {
  it('the facts hold what the filesystem answers for the /proc entries', () => {
    expect(linux?.procMasks).toEqual(procMaskPaths(createFsInspector()));
    expect(linux?.procMasks?.readOnly.every((p) => PROC_READ_ONLY.includes(p))).toBe(true);
    expect(linux?.procMasks?.masked.every((p) => PROC_MASKED.includes(p))).toBe(true);
  });

  it('a plan with them asks nothing under /proc and covers the same entries as a plan that asks', () => {
    const withFacts: string[] = [];
    const perPlan: string[] = [];
    const req = (facts: HostFacts) => ({ command: ['/bin/true'], cwd: ws, profile: PermissionProfile.workspaceWrite({ writableRoots: [ws] }), env: {}, facts });
    const a = SandboxManager.transform(req({ ...host, fs: logging(host.fs, withFacts) }));
    const { procMasks: _dropped, ...without } = linux ?? ({} as NonNullable<typeof linux>);
    const b = SandboxManager.transform(req({ ...host, linux: without, fs: logging(host.fs, perPlan) }));
    expect(withFacts.filter((p) => p.startsWith('/proc/'))).toEqual([]);
    expect(perPlan.filter((p) => p.startsWith('/proc/')).sort()).toEqual([...PROC_READ_ONLY, ...PROC_MASKED].sort());
    expect(a.argv).toEqual(b.argv);
    const covered = a.argv.filter((x): x is string => typeof x === 'string' && x.startsWith('/proc/'));
    for (const p of [...(linux?.procMasks?.readOnly ?? []), ...(linux?.procMasks?.masked ?? [])]) expect(covered).toContain(p);
  });
});

describe('procMaskPaths', () => {
  it('keeps the read-only entries that exist and the masked entries that are files', () => {
    const kinds: Record<string, 'dir' | 'file' | 'missing'> = { '/proc/bus': 'missing', '/proc/keys': 'dir', '/proc/sched_debug': 'missing' };
    const fs = { kind: (p: string) => kinds[p] ?? (PROC_MASKED.includes(p) ? 'file' : 'dir') } as unknown as FsInspector;
    expect(procMaskPaths(fs)).toEqual({
      readOnly: ['/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
      masked: ['/proc/kcore', '/proc/timer_list'],
    });
  });
});

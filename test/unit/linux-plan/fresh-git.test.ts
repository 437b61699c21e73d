/**
 * buildBwrapArgs and a missing `.git` (git: 'commit'): staged through the launcher (`--bind-fd` of the
 * staging fd at `<root>/.git`, the mount point registered) only for a pinned root that is not a sticky
 * shared directory; otherwise masked read-only as before. Host-independent: a fake FsInspector.
 */
import { describe, expect, it } from 'vitest';
import type { HostFacts } from '../../../src/contracts/index.js';
import type { FsEntryStat, FsInspector } from '../../../src/permissions/fs-facts.js';
import { oneWritableRoot } from './fixtures.js';
import { buildBwrapArgs } from '../../../src/platforms/linux/plan.js';
import type { BwrapArgs } from '../../../src/platforms/linux/plan.js';

const WS = '/work/ws';

function fakeFs(rootMode: number, gitKind: 'missing' | 'dir' = 'missing'): FsInspector {
  const stat = (p: string): FsEntryStat | undefined =>
    p === WS || p === '/' || p === '/work' ? { kind: 'dir', dev: '1', ino: p === WS ? '42' : '2', uid: 0, mode: p === WS ? rootMode : 0o755 } : undefined;
  return {
    kind: (p) => (p === `${WS}/.git` ? gitKind : (stat(p)?.kind ?? 'missing')),
    lstat: stat,
    realpath: (p) => (stat(p) !== undefined ? p : undefined),
    readlink: () => undefined,
    readSmallFile: () => undefined,
    isEmptyDir: (p) => (p === `${WS}/.git` && gitKind === 'dir' ? true : undefined),
    fileSize: () => undefined,
    scanGlob: () => ({ matches: [], truncated: false, visited: 0 }),
  };
}

function plan(fs: FsInspector, options: { pin?: boolean; git?: 'read-only' } = {}): BwrapArgs {
  const resolved = oneWritableRoot(WS, { readOnlySubpaths: [`${WS}/.git`], protectedMetadataNames: ['.git', '.agents', '.codex'] });
  const facts = { platform: 'linux', arch: 'x64', tmpdir: undefined, home: undefined, fs } as HostFacts;
  return buildBwrapArgs({
    fs: resolved,
    network: 'restricted',
    cwd: WS,
    command: ['true'],
    facts,
    launcherPath: '/opt/launcher',
    registryDir: '/run/reg',
    argv0Supported: false,
    pinRoots: options.pin ?? true,
    ...(options.git === 'read-only' ? {} : { gitCommondirSelf: '/opt/pkg/native/placeholders/git-commondir' }),
  });
}

const bindFdAt = (args: string[], p: string): string | undefined => args.find((a, i) => args[i - 1] === '--bind-fd' && args[i + 1] === p);

describe('linux plan: a missing .git is staged by the launcher', () => {
  it('a pinned project root: --bind-fd of the staging fd at .git, registered, and the launcher told which root fd', () => {
    const r = plan(fakeFs(0o755));
    expect(r.freshGit).toHaveLength(1);
    const f = r.freshGit[0]!;
    expect(f.root).toBe(WS);
    expect(r.pins.find((p) => p.path === WS)?.fd).toBe(f.rootFd);
    expect(bindFdAt(r.args, `${WS}/.git`)).toBe(String(f.stageFd));
    expect(r.args.some((a, i) => a === '--ro-bind' && r.args[i + 2] === `${WS}/.git`)).toBe(false);
    expect(r.syntheticTargets).toContain(`${WS}/.git`);
    expect(r.git).toEqual([{ gitdir: `${WS}/.git`, staged: true }]);
  });

  it("an empty .git (another run's mount point) is staged too: the plan stays the same while a run or a session lasts", () => {
    const r = plan(fakeFs(0o755, 'dir'));
    expect(r.freshGit).toHaveLength(1);
    expect(bindFdAt(r.args, `${WS}/.git`)).toBe(String(r.freshGit[0]!.stageFd));
    expect(r.git).toEqual([{ gitdir: `${WS}/.git`, staged: true }]);
  });

  it("not with git: 'read-only', without --bind-fd, nor in a sticky shared root", () => {
    for (const r of [plan(fakeFs(0o755), { git: 'read-only' }), plan(fakeFs(0o755), { pin: false }), plan(fakeFs(0o1777))]) {
      expect(r.freshGit).toEqual([]);
      expect(bindFdAt(r.args, `${WS}/.git`)).toBeUndefined();
      expect(r.syntheticTargets).toContain(`${WS}/.git`);
    }
  });
});

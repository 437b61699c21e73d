/**
 * buildBwrapArgs decisions about what the sandbox could have planted (pure; a fake FsInspector with
 * lstat): symlinked cwd/roots, pinning, DIR/**, another user's link in a sticky root, the package root,
 * the registry. The real attacks are in test/integration/linux/cross-run.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { PlanError } from '../../../src/contracts/index.js';
import type { HostFacts } from '../../../src/contracts/index.js';
import type { FsEntryKind, FsEntryStat, FsInspector } from '../../../src/permissions/fs-facts.js';
import { oneWritableRoot } from './fixtures.js';
import { buildBwrapArgs } from '../../../src/platforms/linux/plan.js';

interface Entry {
  kind: FsEntryKind;
  uid?: number;
  mode?: number;
  target?: string;
}

const BASE: Record<string, Entry> = {
  '/': { kind: 'dir', uid: 0, mode: 0o40755 },
  '/home': { kind: 'dir', uid: 0, mode: 0o40755 },
  '/home/me': { kind: 'dir', uid: 1000, mode: 0o40755 },
  '/home/me/ws': { kind: 'dir', uid: 1000, mode: 0o40755 },
  '/srv': { kind: 'dir', uid: 0, mode: 0o40755 },
  '/srv/real': { kind: 'dir', uid: 1000, mode: 0o40755 },
};

function fakeFs(extra: Record<string, Entry>): FsInspector {
  const entries: Record<string, Entry> = { ...BASE, ...extra };
  const resolve = (p: string): string | undefined => {
    let out = '';
    for (const c of p.split('/').filter(Boolean)) {
      const next = `${out}/${c}`;
      const e = entries[next];
      if (e === undefined) return undefined;
      out = e.kind === 'symlink' ? (e.target as string) : next;
    }
    return out === '' ? '/' : out;
  };
  return {
    kind: (p) => entries[p]?.kind ?? 'missing',
    lstat: (p): FsEntryStat | undefined => {
      const e = entries[p];
      return e === undefined ? undefined : { kind: e.kind, dev: '1', ino: String(p.length), uid: e.uid ?? 0, mode: e.mode ?? 0o40755 };
    },
    realpath: resolve,
    readlink: (p) => entries[p]?.target,
    readSmallFile: () => undefined,
    isEmptyDir: () => false,
    fileSize: () => 1,
    scanGlob: () => {
      throw new Error('DIR/** must not be scanned');
    },
  };
}

function plan(
  fsi: FsInspector,
  opts: { uid?: number; root?: string; cwd?: string; allow?: string[]; denyGlobs?: string[]; packageRoot?: string; registryDir?: string; metadata?: string[] } = {},
): ReturnType<typeof buildBwrapArgs> {
  const root = opts.root ?? '/home/me/ws';
  const resolved = oneWritableRoot(root, { protectedMetadataNames: opts.metadata ?? [], unreadableGlobs: opts.denyGlobs ?? [] });
  const facts = {
    platform: 'linux',
    arch: 'x64',
    tmpdir: undefined,
    home: undefined,
    fs: fsi,
    linux: { uid: opts.uid ?? 1000, packageRoot: opts.packageRoot, launcherPath: '/opt/l', syntheticRegistry: opts.registryDir ?? '/run/user/1000/reg' },
  } as unknown as HostFacts;
  return buildBwrapArgs({
    fs: resolved,
    network: 'restricted',
    cwd: opts.cwd ?? root,
    command: ['true'],
    facts,
    launcherPath: '/opt/l',
    registryDir: opts.registryDir ?? '/run/user/1000/reg',
    argv0Supported: false,
    allowSymlinkedRoots: opts.allow,
    pinRoots: true,
  });
}

const after = (args: string[], flag: string): string[] => args.flatMap((a, i) => (a === flag ? [args[i + 1] as string] : []));

describe('linux plan: symlinks in the cwd or a writable root', () => {
  const link = { '/home/me/ws/pkg': { kind: 'symlink' as const, uid: 1000, target: '/srv/real' } };

  it('a link the caller owns is refused as a usage error naming the link and the resolved path', () => {
    const run = (): unknown => plan(fakeFs(link), { root: '/home/me/ws/pkg' });
    expect(run).toThrow(PlanError);
    expect(run).toThrow(/symlink \/home\/me\/ws\/pkg \(→ \/srv\/real\).*use the resolved path \/srv\/real/);
    try {
      run();
    } catch (e) {
      expect((e as PlanError).usage).toBe(true);
    }
    expect(() => plan(fakeFs(link), { cwd: '/home/me/ws/pkg' })).toThrow(/the working directory/);
  });

  it('allowSymlinkedRoots accepts the named link; the root is bound (and pinned) at its resolved path', () => {
    const r = plan(fakeFs(link), { root: '/home/me/ws/pkg', allow: ['/home/me/ws/pkg'] });
    expect(r.pins.map((p) => p.path)).toEqual(['/srv/real']);
    expect(r.args.join(' ')).toContain(`--bind-fd ${r.pins[0]?.fd} /srv/real`);
    expect(r.expected).toContainEqual({ rw: true, path: '/srv/real', dev: '1', ino: String('/srv/real'.length) });
  });

  it('a root-owned link in a root-owned directory others cannot write is trusted for a non-root caller, not for root', () => {
    const sys = { '/srv/lnk': { kind: 'symlink' as const, uid: 0, target: '/srv/real' } };
    expect(() => plan(fakeFs(sys), { root: '/srv/lnk' })).not.toThrow();
    expect(() => plan(fakeFs(sys), { root: '/srv/lnk', uid: 0 })).toThrow(/a directory you can write/);
    const inSticky = { '/tmp': { kind: 'dir' as const, uid: 0, mode: 0o41777 }, '/tmp/lnk': { kind: 'symlink' as const, uid: 0, target: '/srv/real' } };
    expect(() => plan(fakeFs(inSticky), { root: '/tmp/lnk' })).toThrow(/a directory you can write/);
  });
});

describe('linux plan: deny globs, shared roots, package, registry', () => {
  it('DIR/** hides DIR itself without scanning', () => {
    const r = plan(fakeFs({ '/home/me/ws/secrets': { kind: 'dir', uid: 1000 } }), { denyGlobs: ['/home/me/ws/secrets/**'] });
    expect(after(r.args, '--tmpfs')).toContain('/home/me/ws/secrets');
  });

  it("another user's .git symlink in a sticky root is left alone for a non-root caller, refused for root", () => {
    const fsi = fakeFs({ '/tmp': { kind: 'dir', uid: 0, mode: 0o41777 }, '/tmp/.git': { kind: 'symlink', uid: 1001, target: '/tmp/x' } });
    const r = plan(fsi, { root: '/tmp', cwd: '/home/me/ws', metadata: ['.git'] });
    expect(r.args.join(' ')).not.toContain('/tmp/.git');
    expect(() => plan(fsi, { root: '/tmp', cwd: '/home/me/ws', metadata: ['.git'], uid: 0 })).toThrow(/crosses writable symlink \/tmp\/.git/);
  });

  it('the package root under a writable root is bound read-only, its ancestors guarded; a package root that is the root itself is not', () => {
    const fsi = fakeFs({
      '/home/me/ws/node_modules': { kind: 'dir', uid: 1000 },
      '/home/me/ws/node_modules/codex-sandbox': { kind: 'dir', uid: 1000 },
    });
    const r = plan(fsi, { packageRoot: '/home/me/ws/node_modules/codex-sandbox' });
    expect(after(r.args, '--ro-bind')).toContain('/home/me/ws/node_modules/codex-sandbox');
    expect(after(r.args, '--bind')).toContain('/home/me/ws/node_modules');
    expect(r.expected).toContainEqual({ rw: false, path: '/home/me/ws/node_modules/codex-sandbox' });
    expect(after(plan(fsi, { packageRoot: '/home/me/ws' }).args, '--ro-bind')).not.toContain('/home/me/ws');
  });

  it('a writable root that IS the package keeps what runs outside read-only (build, dist, node_modules, package.json); a root inside one of them is refused', () => {
    const fsi = fakeFs({
      '/home/me/ws/build': { kind: 'dir', uid: 1000 },
      '/home/me/ws/build/Release': { kind: 'dir', uid: 1000 },
      '/home/me/ws/dist': { kind: 'dir', uid: 1000 },
      '/home/me/ws/node_modules': { kind: 'dir', uid: 1000 },
      '/home/me/ws/package.json': { kind: 'file', uid: 1000 },
      '/home/me/ws/src': { kind: 'dir', uid: 1000 },
    });
    const ro = after(plan(fsi, { packageRoot: '/home/me/ws' }).args, '--ro-bind');
    for (const p of ['/home/me/ws/build', '/home/me/ws/dist', '/home/me/ws/node_modules', '/home/me/ws/package.json']) expect(ro).toContain(p);
    expect(ro).not.toContain('/home/me/ws/src');
    expect(ro).not.toContain('/home/me/ws/prebuilds');
    expect(() => plan(fsi, { packageRoot: '/home/me/ws', root: '/home/me/ws/build/Release' })).toThrow(PlanError);
    expect(() => plan(fsi, { packageRoot: '/home/me/ws', root: '/home/me/ws/dist' })).toThrow(/writable root \/home\/me\/ws\/dist is \/home\/me\/ws\/dist, part of codex-sandbox's own installation/);
  });

  it('the registry is masked by an empty read-only tmpfs when the sandbox can see it', () => {
    const r = plan(fakeFs({}), { registryDir: '/home/me/ws/.reg' });
    const i = r.args.findIndex((a, k) => a === '--tmpfs' && r.args[k + 1] === '/home/me/ws/.reg');
    expect(r.args.slice(i - 2, i + 4)).toEqual(['--perms', '000', '--tmpfs', '/home/me/ws/.reg', '--remount-ro', '/home/me/ws/.reg']);
  });
});

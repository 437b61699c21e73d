/**
 * PathIndex (src/platforms/linux/path-index.ts) answers the planner's containment questions without
 * scanning every writable root. Two property tests, fast-check over random paths and trees:
 * 1. each query equals the scan the planner did before (the old one-line expressions, written out
 *    below as `Scan`);
 * 2. the whole Linux plan (buildBwrapArgs: argv, placeholders, pins, expected mounts, or the error)
 *    is identical when plan.ts is loaded with `Scan` in place of PathIndex.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { HostFacts } from '../../../src/contracts/index.js';
import type { FsEntryKind, FsEntryStat, FsInspector } from '../../../src/permissions/fs-facts.js';
import type { ResolvedFileSystem } from '../../../src/permissions/resolved.js';
import { PathIndex, isWithin, pathDepth } from '../../../src/platforms/linux/path-index.js';
import type * as PathIndexModule from '../../../src/platforms/linux/path-index.js';
import type { BwrapArgsInput, BwrapArgs } from '../../../src/platforms/linux/plan.js';

/** The scans plan.ts did before PathIndex (issue #21), one per query. */
class Scan {
  private readonly list: string[] = [];
  constructor(paths: Iterable<string> = []) {
    for (const p of paths) if (!this.list.includes(p)) this.list.push(p);
  }
  add(p: string): void {
    if (!this.list.includes(p)) this.list.push(p);
  }
  has(p: string): boolean {
    return this.list.includes(p);
  }
  get size(): number {
    return this.list.length;
  }
  /** Old `deepestRoot`. */
  deepestContaining(p: string): string | undefined {
    let best: string | undefined;
    for (const t of this.list) if (isWithin(p, t) && (best === undefined || pathDepth(t) > pathDepth(best))) best = t;
    return best;
  }
  /** Old `remap` loop: the first root (in order) containing p. */
  firstContaining(p: string): string | undefined {
    return this.list.find((r) => isWithin(p, r));
  }
  /** Old guard filter: `[...carveOuts, ...unreadable].some((c) => c !== d && isWithin(d, c))`. */
  hasStrictAncestor(p: string): boolean {
    return this.list.some((c) => c !== p && isWithin(p, c));
  }
  /** Old `targets.filter((t) => t !== u && isWithin(t, u))`. */
  within(p: string): string[] {
    return this.list.filter((t) => t !== p && isWithin(t, p));
  }
  /** Old `targets.some((t) => isWithin(t, u))`. */
  anyWithin(p: string): boolean {
    return this.list.some((t) => isWithin(t, p));
  }
}

// Paths from a small alphabet so that random sets nest, repeat and share prefixes ('a' vs 'ab').
const seg = fc.constantFrom('a', 'ab', 'b', '.git', '.codex', 'a b', 'é', 'a.b');
const absPath = fc.oneof(
  { weight: 1, arbitrary: fc.constant('/') },
  { weight: 8, arbitrary: fc.array(seg, { minLength: 1, maxLength: 5 }).map((s) => '/' + s.join('/')) },
  // Text the planner never makes, to pin the string rule: '//', a trailing '/', the empty string.
  { weight: 1, arbitrary: fc.constantFrom('', '//', '/a/', '/a//b', '//a') },
);

describe('PathIndex equals the scans it replaced', () => {
  it('every query, on random sets and random probes', () => {
    fc.assert(
      fc.property(fc.array(absPath, { maxLength: 30 }), fc.array(absPath, { minLength: 1, maxLength: 20 }), (members, probes) => {
        const fast = new PathIndex(members);
        const slow = new Scan(members);
        expect(fast.size).toBe(slow.size);
        for (const p of [...probes, ...members]) {
          expect(fast.has(p)).toBe(slow.has(p));
          expect(fast.deepestContaining(p)).toBe(slow.deepestContaining(p));
          expect(fast.firstContaining(p)).toBe(slow.firstContaining(p));
          expect(fast.hasStrictAncestor(p)).toBe(slow.hasStrictAncestor(p));
          expect(fast.within(p)).toEqual(slow.within(p));
          expect(fast.anyWithin(p)).toBe(slow.anyWithin(p));
        }
      }),
      { numRuns: 400 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Whole plans over random trees

interface Entry {
  kind: FsEntryKind;
  uid: number;
  target?: string;
  empty?: boolean;
}

const BASE_TREE: Record<string, Entry> = {
  '/': { kind: 'dir', uid: 0 },
  '/bin': { kind: 'dir', uid: 0 },
  '/usr': { kind: 'dir', uid: 0 },
  '/etc': { kind: 'dir', uid: 0 },
  '/opt': { kind: 'dir', uid: 0 },
  '/opt/l': { kind: 'file', uid: 0 },
  '/run': { kind: 'dir', uid: 0 },
  '/run/user': { kind: 'dir', uid: 0 },
  '/run/user/1000': { kind: 'dir', uid: 1000 },
  '/proc': { kind: 'dir', uid: 0 },
  '/proc/sys': { kind: 'dir', uid: 0 },
  '/proc/kcore': { kind: 'file', uid: 0 },
  '/w': { kind: 'dir', uid: 1000 },
};

function fakeFs(entries: Record<string, Entry>): FsInspector {
  const at = (p: string): Entry | undefined => entries[p];
  const ids = new Map(Object.keys(entries).map((p, i) => [p, String(100 + i)]));
  const realpath = (p: string): string | undefined => {
    let out = '';
    for (const c of p.split('/').filter(Boolean)) {
      const e = at(`${out}/${c}`);
      if (e === undefined) return undefined;
      out = e.kind === 'symlink' ? (e.target as string) : `${out}/${c}`;
    }
    return out === '' ? '/' : out;
  };
  return {
    kind: (p) => at(p)?.kind ?? 'missing',
    lstat: (p): FsEntryStat | undefined => {
      const e = at(p);
      return e === undefined ? undefined : { kind: e.kind, dev: '1', ino: ids.get(p) as string, uid: e.uid, mode: e.kind === 'dir' ? 0o40755 : 0o100644 };
    },
    realpath,
    readlink: (p) => at(p)?.target,
    readSmallFile: () => undefined,
    isEmptyDir: (p) => (at(p)?.kind === 'dir' ? at(p)?.empty === true : undefined),
    fileSize: (p) => (at(p)?.kind === 'file' ? 100 : undefined),
    scanGlob: () => ({ matches: [], truncated: false, visited: 1 }),
  };
}

const wseg = fc.constantFrom('a', 'b', 'ab', 'c', '.git', '.codex', '.agents', '.env');
const wpath = fc.array(wseg, { minLength: 1, maxLength: 4 }).map((s) => '/w/' + s.join('/'));
const entryKind = fc.constantFrom<'dir' | 'file' | 'empty-dir' | 'link'>('dir', 'dir', 'dir', 'file', 'empty-dir', 'link');

const scenario = fc.record({
  tree: fc.array(fc.tuple(wpath, entryKind), { maxLength: 25 }),
  roots: fc.array(fc.oneof(wpath, fc.constant('/w')), { minLength: 1, maxLength: 6 }),
  readOnly: fc.array(wpath, { maxLength: 4 }),
  deny: fc.array(fc.oneof(wpath, fc.constant('/opt'), fc.constant('/w')), { maxLength: 5 }),
  readable: fc.array(fc.oneof(wpath, fc.constantFrom('/usr', '/etc', '/opt', '/w')), { maxLength: 4 }),
  fullDiskRead: fc.boolean(),
  platformDefaults: fc.boolean(),
  pinRoots: fc.boolean(),
  packageRoot: fc.option(wpath, { nil: undefined }),
  cwd: fc.oneof(wpath, fc.constant('/w')),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function inputFor(s: Scenario): BwrapArgsInput {
  const entries: Record<string, Entry> = { ...BASE_TREE };
  for (const [p, kind] of s.tree) {
    // Parents first: a path exists only under existing directories.
    const parts = p.split('/').filter(Boolean);
    let cur = '';
    let ok = true;
    for (const part of parts.slice(0, -1)) {
      cur += '/' + part;
      const e = entries[cur];
      if (e === undefined) entries[cur] = { kind: 'dir', uid: 1000 };
      else if (e.kind !== 'dir') ok = false;
    }
    if (!ok || entries[p] !== undefined) continue;
    entries[p] =
      kind === 'link' ? { kind: 'symlink', uid: 1000, target: '/opt' } : kind === 'empty-dir' ? { kind: 'dir', uid: 1000, empty: true } : { kind, uid: 1000 };
  }
  const names = ['.git', '.codex', '.agents'];
  const fs: ResolvedFileSystem = {
    kind: 'restricted',
    fullDiskRead: s.fullDiskRead,
    fullDiskWrite: false,
    includePlatformDefaults: s.platformDefaults,
    readableRoots: s.readable,
    writableRoots: s.roots.map((root) => ({
      root,
      readOnlySubpaths: s.readOnly.filter((r) => r !== root && isWithin(r, root)),
      protectedMetadataNames: names,
    })),
    unreadableRoots: s.deny,
    unreadableGlobs: [],
    globScanMaxDepth: undefined,
  };
  const facts = {
    platform: 'linux',
    arch: 'x64',
    tmpdir: undefined,
    home: '/w',
    fs: fakeFs(entries),
    linux: { uid: 1000, launcherPath: '/opt/l', syntheticRegistry: '/run/user/1000/reg', packageRoot: s.packageRoot },
  } as unknown as HostFacts;
  return {
    fs,
    network: 'restricted',
    cwd: s.cwd,
    command: ['true'],
    facts,
    launcherPath: '/opt/l',
    registryDir: '/run/user/1000/reg',
    argv0Supported: false,
    disableUserns: false,
    allowSymlinkedRoots: undefined,
    pinRoots: s.pinRoots,
  };
}

type Outcome = { ok: BwrapArgs } | { error: string };
function outcome(build: (i: BwrapArgsInput) => BwrapArgs, input: BwrapArgsInput): Outcome {
  try {
    return { ok: build(input) };
  } catch (e) {
    return { error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

describe('the Linux plan is the same with PathIndex as with the scans', () => {
  it('random trees, roots, carve-outs, deny masks and readable roots', async () => {
    const fast = await import('../../../src/platforms/linux/plan.js');
    vi.resetModules();
    vi.doMock('../../../src/platforms/linux/path-index.js', async (original) => ({
      ...(await original<typeof PathIndexModule>()),
      PathIndex: Scan,
    }));
    const slow = await import('../../../src/platforms/linux/plan.js');
    vi.doUnmock('../../../src/platforms/linux/path-index.js');
    expect(slow.buildBwrapArgs).not.toBe(fast.buildBwrapArgs);
    let planned = 0;
    fc.assert(
      fc.property(scenario, (s) => {
        const a = outcome(fast.buildBwrapArgs, inputFor(s));
        const b = outcome(slow.buildBwrapArgs, inputFor(s));
        if ('ok' in a) planned += 1;
        expect(a).toEqual(b);
      }),
      { numRuns: 600 },
    );
    // Most scenarios plan (the rest are refusals, compared too): the property is not vacuous.
    expect(planned).toBeGreaterThan(300);
  });
});

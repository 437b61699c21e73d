/**
 * PolicyView looks up the entries containing a path by its prefixes instead of scanning every entry
 * (issue #21). Property tests (fast-check): on random policies and paths, `resolveAccess`,
 * `metadataWriteDenial` and `canWrite` equal the scans they replaced, and `writableRoots()` (its
 * carve-outs found through the entries' ancestors) equals the roots × entries scan it replaced, on a
 * filesystem with symlinks (all written out below as they were).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PathUri } from '../../../src/path-uri/index.js';
import { accessRank, canWrite } from '../../../src/permissions/entry-ops.js';
import type { FsInspector } from '../../../src/permissions/fs-facts.js';
import { PROTECTED_METADATA_NAMES, dedupPaths, defaultReadOnlySubpaths } from '../../../src/permissions/metadata.js';
import { PolicyView } from '../../../src/permissions/resolve.js';
import type { WritableRoot } from '../../../src/permissions/resolved.js';
import type { FileSystemAccessMode, FileSystemSandboxEntry } from '../../../src/permissions/types.js';

const nothing: FsInspector = {
  kind: () => 'missing',
  realpath: () => undefined,
  readlink: () => undefined,
  readSmallFile: () => undefined,
  isEmptyDir: () => undefined,
  fileSize: () => undefined,
  scanGlob: () => ({ matches: [], truncated: false, visited: 0 }),
};

/** The scans as they were before the index. */
function scanResolveAccess(view: PolicyView, p: string): FileSystemAccessMode {
  let best: PolicyView['entries'][number] | undefined;
  for (const e of view.entries) {
    if (!view.paths.startsWith(p, e.path)) continue;
    if (best === undefined || e.depth > best.depth || (e.depth === best.depth && accessRank(e.access) > accessRank(best.access))) best = e;
  }
  return best?.access ?? 'deny';
}

function scanMetadataWriteDenial(view: PolicyView, p: string): string | undefined {
  let hit: { protectedPath: string; name: string } | undefined;
  for (const e of view.entries) {
    if (!canWrite(e.access)) continue;
    for (const name of PROTECTED_METADATA_NAMES) {
      const protectedPath = view.paths.join(e.path, name);
      if (view.paths.startsWith(p, protectedPath)) {
        hit = { protectedPath, name };
        break;
      }
    }
    if (hit !== undefined) break;
  }
  if (hit === undefined) return undefined;
  const { protectedPath, name } = hit;
  const granted = view.entries.some((e) => canWrite(e.access) && view.paths.startsWith(p, e.path) && view.paths.startsWith(e.path, protectedPath));
  return granted ? undefined : name;
}

/** PolicyView.writableRoots as it was: every non-write entry tested against every root group. */
function scanWritableRoots(view: PolicyView): WritableRoot[] {
  if (view.fullDiskWrite()) return [];
  const { paths } = view;
  const effectiveEntries = view.entries.filter((e) => canWrite(e.access) === view.canWrite(e.path)).map((e) => ({ ...e, eff: view.effective(e.path) }));
  const writable = effectiveEntries.filter((e) => canWrite(e.access));
  if (writable.length === 0) return [];
  const effCwd = view.effective(view.cwd);
  const groups = new Map<string, { effRoot: string; raw: string[] }>();
  for (const w of writable) {
    const g = groups.get(paths.key(w.eff));
    if (g === undefined) groups.set(paths.key(w.eff), { effRoot: w.eff, raw: [w.path] });
    else if (!g.raw.some((r) => paths.equals(r, w.path))) g.raw.push(w.path);
  }
  const out: WritableRoot[] = [];
  for (const { effRoot, raw } of groups.values()) {
    const root = raw[0] as string;
    const isFsRoot = paths.parent(root) === undefined;
    const explicit = (p: string): boolean => view.entries.some((e) => paths.equals(e.path, p) || paths.equals(view.effective(e.path), view.effective(p)));
    const subpaths = defaultReadOnlySubpaths(root, paths.equals(effCwd, effRoot), paths, view.ctx.fs).filter((p) => !explicit(p));
    for (const e of effectiveEntries) {
      if (canWrite(e.access)) continue;
      let carve: string | undefined;
      if (!isFsRoot) {
        if (paths.equals(e.path, root)) continue;
        if (paths.startsWith(e.path, root)) carve = e.path;
        else {
          for (const r of raw) {
            if (paths.startsWith(e.path, r) && !paths.equals(e.path, r)) {
              carve = paths.join(root, paths.components(e.path).slice(paths.components(r).length).join(paths.sep));
              break;
            }
          }
        }
      }
      if (carve === undefined) {
        if (paths.equals(e.eff, effRoot) || !paths.startsWith(e.eff, effRoot)) continue;
        const rest = paths.components(e.eff).slice(paths.components(effRoot).length);
        carve = isFsRoot ? e.eff : paths.join(root, rest.join(paths.sep));
      }
      subpaths.push(carve);
    }
    const protectedMetadataNames = PROTECTED_METADATA_NAMES.filter((name) => [root, effRoot, ...raw].every((r) => !view.canWrite(paths.join(r, name))));
    out.push({ root, readOnlySubpaths: dedupPaths(subpaths, paths), protectedMetadataNames: [...protectedMetadataNames] });
  }
  return out;
}

/** Every path exists as a directory except the given symlinks (link → target, resolved by prefix). */
function linkedFs(links: ReadonlyArray<readonly [string, string]>): FsInspector {
  const resolve = (p: string): string => {
    for (const [from, to] of links) {
      if (p === from || p.startsWith(from + '/')) return to + p.slice(from.length);
    }
    return p;
  };
  return {
    ...nothing,
    kind: (p) => (links.some(([from]) => from === p) ? 'symlink' : 'dir'),
    realpath: (p) => resolve(p),
  };
}

const seg = fc.constantFrom('a', 'ab', 'b', '.git', '.codex', '.agents', 'x y');
const absPath = fc.oneof(
  { weight: 1, arbitrary: fc.constant('/') },
  { weight: 9, arbitrary: fc.array(seg, { minLength: 1, maxLength: 5 }).map((s) => '/' + s.join('/')) },
);
const access = fc.constantFrom<FileSystemAccessMode>('read', 'write', 'deny');
const entry = fc.oneof(
  { weight: 9, arbitrary: fc.tuple(absPath, access).map(([p, a]): FileSystemSandboxEntry => ({ path: { type: 'path', path: PathUri.fromAbsPath(p, { platform: 'linux' }) }, access: a })) },
  { weight: 1, arbitrary: access.map((a): FileSystemSandboxEntry => ({ path: { type: 'special', value: { kind: 'root' } }, access: a })) },
);

describe('PolicyView entry lookup equals the scan it replaced', () => {
  it('resolveAccess, metadataWriteDenial and canWrite on random policies and paths (Linux)', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 25 }), fc.array(absPath, { minLength: 1, maxLength: 15 }), (entries, probes) => {
        const view = new PolicyView({ kind: 'restricted', entries }, { cwd: '/a', platform: 'linux', tmpdir: undefined, fs: nothing });
        for (const p of [...probes, ...view.entries.map((e) => e.path)]) {
          expect(view.resolveAccess(p)).toBe(scanResolveAccess(view, p));
          expect(view.metadataWriteDenial(p)).toBe(scanMetadataWriteDenial(view, p));
          const denial = scanMetadataWriteDenial(view, p);
          expect(view.canWrite(p)).toBe(canWrite(scanResolveAccess(view, p)) && (view.fullDiskWrite() || denial === undefined));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('writableRoots() on random policies over a filesystem with symlinks (Linux)', () => {
    const link = fc.constantFrom<readonly [string, string]>(['/ab', '/b/a'], ['/a/b', '/b'], ['/b/ab', '/a'], ['/x y', '/a/ab/.git']);
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 25 }), fc.uniqueArray(link, { maxLength: 2, selector: (l) => l[0] }), absPath, (entries, links, cwd) => {
        const fs = linkedFs(links);
        const view = new PolicyView({ kind: 'restricted', entries }, { cwd, platform: 'linux', tmpdir: undefined, fs });
        const naive = new PolicyView({ kind: 'restricted', entries }, { cwd, platform: 'linux', tmpdir: undefined, fs });
        expect(view.writableRoots()).toEqual(scanWritableRoots(naive));
      }),
      { numRuns: 500 },
    );
  });
});

/** PolicyView.effective as it was: split into components, every ancestor re-joined and normalised. */
function componentEffective(view: PolicyView, p: string): string {
  const { paths, ctx } = view;
  if (paths.normalize(p) === p && ctx.fs.kind(p) !== 'missing') {
    const real = ctx.fs.realpath(p);
    if (real !== undefined) return paths.normalize(real);
  }
  const comps = paths.components(p);
  const root = paths.root(p);
  for (let n = comps.length; n >= 0; n--) {
    const ancestor = paths.normalize(root + comps.slice(0, n).join(paths.sep));
    if (ctx.fs.kind(ancestor) === 'missing') continue;
    const real = ctx.fs.realpath(ancestor);
    if (real === undefined) continue;
    const rest = comps.slice(n);
    return rest.length === 0 ? paths.normalize(real) : paths.join(real, rest.join(paths.sep));
  }
  return p;
}

describe('PolicyView.effective (issue #21: POSIX ancestors by prefix)', () => {
  it('equals the component loop it replaced, with missing paths, links and unresolvable ones, asking the same paths', () => {
    const spelling = fc.oneof(absPath, fc.constantFrom('/a//b', '/a/./b', '/a/../b', '/a/b/', '//a', '/.git/..'));
    fc.assert(
      fc.property(
        fc.uniqueArray(absPath, { maxLength: 8 }),
        fc.uniqueArray(fc.tuple(absPath, absPath), { maxLength: 3, selector: (l) => l[0] }),
        fc.uniqueArray(absPath, { maxLength: 2 }),
        fc.array(spelling, { minLength: 1, maxLength: 10 }),
        (existing, links, unresolvable, probes) => {
          const base = linkedFs(links);
          const asked: string[] = [];
          const present = (p: string): boolean => p === '/' || existing.some((e) => e === p || e.startsWith(p + '/')) || links.some(([from]) => from === p);
          const fs: FsInspector = {
            ...nothing,
            kind: (p) => (asked.push(`k ${p}`), present(p) ? base.kind(p) : 'missing'),
            realpath: (p) => (asked.push(`r ${p}`), unresolvable.includes(p) ? undefined : base.realpath(p)),
          };
          for (const p of probes) {
            const view = new PolicyView({ kind: 'restricted', entries: [] }, { cwd: '/a', platform: 'linux', tmpdir: undefined, fs });
            asked.length = 0;
            const got = view.effective(p);
            const gotAsked = [...new Set(asked)];
            asked.length = 0;
            expect(got).toBe(componentEffective(view, p));
            expect(gotAsked).toEqual([...new Set(asked)]);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

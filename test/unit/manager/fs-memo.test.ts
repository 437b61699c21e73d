/**
 * memoizeFsInspector (src/manager/fs-memo.ts) answers `kind` from `lstat` and derives a realpath from
 * the parent's when the last component is not a symlink (issue #21: fewer system calls per root).
 * Property test on real trees (fast-check): every answer equals the host inspector's, for paths
 * through symlinks (relative, absolute, chained, dangling, to files), missing paths and odd text;
 * and the host is asked fewer questions.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createFsInspector } from '../../../src/host/fs-inspector.js';
import { memoizeFsInspector } from '../../../src/manager/fs-memo.js';
import type { FsInspector } from '../../../src/permissions/fs-facts.js';

const base = realpathSync(mkdtempSync('/tmp/fs-memo-test-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const seg = fc.constantFrom('a', 'b', 'ab', 'l', 'm', '.git', 'x y', 'é');
const rel = fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
const node = fc.record({
  rel,
  kind: fc.constantFrom('dir', 'dir', 'file', 'link-rel', 'link-abs', 'link-dangling'),
  to: fc.array(seg, { minLength: 0, maxLength: 3 }).map((s) => s.join('/')),
});

function counting(fs: FsInspector): { fs: FsInspector; calls: () => number } {
  let n = 0;
  const wrapped = Object.fromEntries(
    Object.entries(fs).map(([k, f]) => [k, (...a: unknown[]): unknown => ((n += 1), (f as (...x: unknown[]) => unknown)(...a))]),
  ) as unknown as FsInspector;
  return { fs: wrapped, calls: () => n };
}

describe('memoizeFsInspector answers as the host does', () => {
  it('kind, lstat and realpath on random trees with symlinks', () => {
    let run = 0;
    fc.assert(
      fc.property(fc.array(node, { maxLength: 12 }), fc.array(rel, { minLength: 1, maxLength: 12 }), (nodes, probes) => {
        const root = path.join(base, String(run++));
        mkdirSync(root);
        for (const n of nodes) {
          const p = path.join(root, n.rel);
          try {
            mkdirSync(path.dirname(p), { recursive: true });
            if (n.kind === 'dir') mkdirSync(p, { recursive: true });
            else if (n.kind === 'file') writeFileSync(p, '');
            else if (n.kind === 'link-rel') symlinkSync(path.relative(path.dirname(p), path.join(root, n.to)) || '.', p);
            else if (n.kind === 'link-abs') symlinkSync(path.join(root, n.to), p);
            else symlinkSync(path.join(root, 'missing', n.to), p);
          } catch {
            // A parent that is a file or a link: that node is not made (the tree stays random).
          }
        }
        const host = createFsInspector();
        const counted = counting(host);
        const memo = memoizeFsInspector(counted.fs);
        const paths = [...probes, ...nodes.map((n) => n.rel), ...nodes.map((n) => `${n.rel}/a`)].map((r) => path.join(root, r));
        // Ask in an order where parents may or may not have been asked first.
        for (const p of [...paths, ...paths.reverse(), root, '/', `${root}/a/../b`, `${root}//a`]) {
          expect(memo.kind(p)).toBe(host.kind(p));
          expect(memo.lstat?.(p)).toEqual(host.lstat?.(p));
          expect(memo.realpath(p)).toBe(host.realpath(p));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('asks the host one lstat per path, and no realpath below a resolved parent', () => {
    const root = path.join(base, 'count');
    for (let i = 0; i < 20; i += 1) mkdirSync(path.join(root, `r${i}`, '.git'), { recursive: true });
    const counted = counting(createFsInspector());
    const memo = memoizeFsInspector(counted.fs);
    for (let i = 0; i < 20; i += 1) {
      const p = path.join(root, `r${i}`, '.git');
      memo.kind(p);
      memo.lstat?.(p);
      expect(memo.realpath(p)).toBe(p);
    }
    // Per root: lstat of r<i> and r<i>/.git; shared: lstat and realpath of the ancestors (at most one each).
    expect(counted.calls()).toBeLessThanOrEqual(2 * 20 + 2 * (root.split('/').length + 1));
  });
});

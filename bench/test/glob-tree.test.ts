import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanGlob } from '../../src/host/glob-scan.js';
import { createTree, expectedMatches, expectedVisited, totalEntries, treeShape } from '../glob-tree.js';

describe('treeShape', () => {
  it('spreads exactly the requested files over 1+4+16+64+256 directories', () => {
    for (const files of [0, 1, 340, 341, 1000, 100000]) {
      const shape = treeShape(files);
      expect(shape.dirs).toHaveLength(341);
      expect(shape.dirs.reduce((n, d) => n + d.files, 0)).toBe(files);
      expect(totalEntries(shape)).toBe(files + 340);
    }
  });

  it('counts the entries a depth-bounded scan visits level by level', () => {
    const shape = treeShape(341); // one file per directory
    expect(expectedVisited(shape, 0)).toBe(0);
    expect(expectedVisited(shape, 1)).toBe(5); // root: 4 dirs + 1 file
    expect(expectedVisited(shape, 2)).toBe(5 + 4 * 5);
    expect(expectedMatches(shape, 2)).toBe(5);
  });
});

describe('createTree against the host glob scan', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('builds a tree whose scan visits and matches what the shape predicts at every depth', () => {
    dir = mkdtempSync(join(tmpdir(), 'bench-tree-'));
    const shape = treeShape(700);
    createTree(dir, shape);
    expect(readdirSync(dir)).toContain('secret.env');
    for (const maxDepth of [1, 2, 3, 4, 5]) {
      const res = scanGlob({ root: dir, pattern: `${dir}/**/*.env`, maxDepth, maxMatches: 8192 });
      expect(res.visited).toBe(expectedVisited(shape, maxDepth));
      expect(res.matches).toHaveLength(expectedMatches(shape, maxDepth));
    }
  });
});

/**
 * Synthetic file trees for the deny-read glob cost (item 8): a directory tree of fixed shape
 * (`fanout` subdirectories per directory, `dirDepth` levels) with the files spread evenly over its
 * directories, one `secret.env` in each directory that has files. Because the shape is known, the
 * number of entries a depth-bounded scan must visit is known exactly.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TreeDir {
  /** Path relative to the tree root ('' for the root). */
  rel: string;
  /** 0 for the root; its children are entries of level 1. */
  level: number;
  subdirs: number;
  files: number;
}

export interface TreeShape {
  files: number;
  fanout: number;
  dirDepth: number;
  dirs: TreeDir[];
}

export const SECRET_NAME = 'secret.env';

/** The directories of a tree in breadth-first order, with `files` spread evenly (earlier dirs get the remainder). */
export function treeShape(files: number, fanout = 4, dirDepth = 4): TreeShape {
  if (!Number.isInteger(files) || files < 0) throw new RangeError(`file count ${files} is not a non-negative integer`);
  const dirs: TreeDir[] = [];
  let frontier: TreeDir[] = [{ rel: '', level: 0, subdirs: dirDepth > 0 ? fanout : 0, files: 0 }];
  while (frontier.length > 0) {
    dirs.push(...frontier);
    const next: TreeDir[] = [];
    for (const d of frontier) {
      for (let i = 0; i < d.subdirs; i += 1) {
        const level = d.level + 1;
        next.push({ rel: d.rel === '' ? `d${i}` : `${d.rel}/d${i}`, level, subdirs: level < dirDepth ? fanout : 0, files: 0 });
      }
    }
    frontier = next;
  }
  const base = Math.floor(files / dirs.length);
  const extra = files % dirs.length;
  dirs.forEach((d, i) => {
    d.files = base + (i < extra ? 1 : 0);
  });
  return { files, fanout, dirDepth, dirs };
}

/** Entries a scan limited to `maxDepth` levels visits (every child of every directory above that depth). */
export function expectedVisited(shape: TreeShape, maxDepth: number): number {
  return shape.dirs.filter((d) => d.level < maxDepth).reduce((n, d) => n + d.subdirs + d.files, 0);
}

/** Matches of `ROOT/**\/*.env` within `maxDepth` levels. */
export function expectedMatches(shape: TreeShape, maxDepth: number): number {
  return shape.dirs.filter((d) => d.level < maxDepth && d.files > 0).length;
}

/** Total entries below the root (what an unbounded scan visits). */
export function totalEntries(shape: TreeShape): number {
  return expectedVisited(shape, Number.POSITIVE_INFINITY);
}

export function createTree(root: string, shape: TreeShape): void {
  for (const d of shape.dirs) {
    const dir = d.rel === '' ? root : join(root, d.rel);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < d.files; f += 1) writeFileSync(join(dir, f === 0 ? SECRET_NAME : `f${f}.txt`), '');
  }
}

export function removeTree(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

/**
 * Test helpers: a small real FsInspector over node:fs, and temp directory trees.
 * (The production inspector lives in src/host/; these tests do not depend on it.)
 */
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FsEntryKind, FsInspector } from '../../../src/permissions/fs-facts.js';
import { PathUri } from '../../../src/path-uri/index.js';

export const realFs: FsInspector = {
  kind(p: string): FsEntryKind {
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (st === undefined) return 'missing';
    if (st.isSymbolicLink()) return 'symlink';
    if (st.isDirectory()) return 'dir';
    if (st.isFile()) return 'file';
    return 'other';
  },
  realpath(p: string): string | undefined {
    try {
      return realpathSync.native(p);
    } catch {
      return undefined;
    }
  },
  readlink(p: string): string | undefined {
    try {
      return readlinkSync(p);
    } catch {
      return undefined;
    }
  },
  readSmallFile(p: string): string | undefined {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
  isEmptyDir(p: string): boolean | undefined {
    try {
      return readdirSync(p).length === 0;
    } catch {
      return undefined;
    }
  },
  fileSize(p: string): number | undefined {
    const st = lstatSync(p, { throwIfNoEntry: false });
    return st?.isFile() ? st.size : undefined;
  },
  scanGlob() {
    throw new Error('scanGlob is not used by the permission model');
  },
};

/** An inspector that sees nothing (every path missing): for host-independent tests. */
export const emptyFs: FsInspector = {
  kind: () => 'missing',
  realpath: () => undefined,
  readlink: () => undefined,
  readSmallFile: () => undefined,
  isEmptyDir: () => undefined,
  fileSize: () => undefined,
  scanGlob() {
    throw new Error('scanGlob is not used by the permission model');
  },
};

export type TreeSpec = Record<string, string | { dir: true } | { symlink: string }>;

/** Creates a real temp tree (canonical path, so /tmp aliases do not interfere). Returns its root. */
export function makeTree(spec: TreeSpec): string {
  const root = realpathSync.native(mkdtempSync(join(tmpdir(), 'perm-test-')));
  for (const [rel, what] of Object.entries(spec)) {
    const p = join(root, rel);
    if (typeof what === 'string') {
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, what);
    } else if ('dir' in what) {
      mkdirSync(p, { recursive: true });
    } else {
      mkdirSync(dirname(p), { recursive: true });
      symlinkSync(what.symlink, p);
    }
  }
  return root;
}

export function removeTree(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

export function uri(p: string): PathUri {
  return PathUri.fromAbsPath(p, { platform: p.startsWith('/') ? 'linux' : 'win32' });
}

import type { FsEntryKind, FsInspector } from '../../../src/permissions/fs-facts.js';
import type { ResolvedFileSystem } from '../../../src/permissions/resolved.js';

/** A restricted filesystem (full-disk read) with one writable root: the shape the Linux plan tests start from. */
export function oneWritableRoot(
  root: string,
  opts: { readOnlySubpaths?: string[]; protectedMetadataNames?: string[]; unreadableRoots?: string[]; unreadableGlobs?: ResolvedFileSystem['unreadableGlobs'] } = {},
): ResolvedFileSystem {
  return {
    kind: 'restricted',
    fullDiskRead: true,
    fullDiskWrite: false,
    includePlatformDefaults: false,
    readableRoots: [],
    writableRoots: [{ root, readOnlySubpaths: opts.readOnlySubpaths ?? [], protectedMetadataNames: opts.protectedMetadataNames ?? [] }],
    unreadableRoots: opts.unreadableRoots ?? [],
    unreadableGlobs: opts.unreadableGlobs ?? [],
    globScanMaxDepth: undefined,
  };
}

/** A fake filesystem: `root` and `/` are directories, `entries` what else exists; everything else is missing. */
export function entriesFs(root: string, entries: Record<string, { kind: FsEntryKind; empty?: boolean; size?: number }>): FsInspector {
  return {
    kind: (p) => entries[p]?.kind ?? (p === root || p === '/' ? 'dir' : 'missing'),
    realpath: (p) => (entries[p] !== undefined || p === root || p === '/' ? p : undefined),
    readlink: () => undefined,
    readSmallFile: () => undefined,
    isEmptyDir: (p) => entries[p]?.empty,
    fileSize: (p) => entries[p]?.size,
    scanGlob: () => ({ matches: [], truncated: false, visited: 0 }),
  };
}

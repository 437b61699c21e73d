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

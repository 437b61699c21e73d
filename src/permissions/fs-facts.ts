/**
 * What resolution and the platform planners may learn about the filesystem. Planners never touch
 * the host themselves: the host module passes a real implementation in (`src/host/fs-inspector.ts`),
 * tests may pass a real one over a temp dir or a fake.
 */
export type FsEntryKind = 'dir' | 'file' | 'symlink' | 'other' | 'missing';

/** What lstat says about one entry (a final symlink is not followed). */
export interface FsEntryStat {
  kind: FsEntryKind;
  /** st_dev and st_ino as decimal strings (exact: an inode number can exceed 2^53). */
  dev: string;
  ino: string;
  uid: number;
  /** st_mode (type and permission bits). */
  mode: number;
}

export interface GlobScanRequest {
  /** Absolute directory to walk (the static prefix of the pattern). */
  root: string;
  /** Absolute glob pattern (git-style: `*`,`?` within one component, `**` crosses, unclosed `[` literal). */
  pattern: string;
  /** Maximum directory depth below root to visit; undefined = unbounded. */
  maxDepth: number | undefined;
  /** Stop and report `truncated` after this many matches. */
  maxMatches: number;
}

export interface GlobScanResult {
  matches: string[];
  truncated: boolean;
  /** Entries visited, for cost accounting. */
  visited: number;
  /** Directories that could not be listed and were skipped. */
  unreadableDirs?: string[];
  /** Directories at the depth limit that were not entered (deeper entries were not looked at). */
  depthLimitedDirs?: string[];
}

export interface FsInspector {
  /** Kind of the entry at `path` without following a final symlink (lstat). */
  kind(path: string): FsEntryKind;
  /** Canonical path (realpath) or undefined when it does not resolve. */
  realpath(path: string): string | undefined;
  /**
   * Identity and owner of the entry at `path` (lstat), or undefined when it is missing. Optional for
   * fakes: without it a planner treats every symlink as untrusted and pins nothing.
   */
  lstat?(path: string): FsEntryStat | undefined;
  /** Target text of a symlink, or undefined. */
  readlink(path: string): string | undefined;
  /** Contents of a small text file (e.g. a `.git` pointer file), or undefined on any error. */
  readSmallFile(path: string): string | undefined;
  /** Whether a directory has no entries (undefined when it is not a readable directory). */
  isEmptyDir(path: string): boolean | undefined;
  /** Size of a regular file, or undefined. */
  fileSize(path: string): number | undefined;
  /** Bounded glob expansion; throws when the pattern is malformed or cannot be bounded (callers fail closed). Paths use the surrogate-escape convention. */
  scanGlob(req: GlobScanRequest): GlobScanResult;
}

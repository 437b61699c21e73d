/**
 * CONTRACT: the resolved form of a permission profile that every platform planner consumes.
 * Produced by `resolvePermissions()` (src/permissions/resolve.ts). All paths are absolute native
 * path strings for the target platform.
 */
export type NetworkPolicy = 'restricted' | 'enabled';
export type Enforcement = 'managed' | 'disabled' | 'external';

export interface WritableRoot {
  /** The root as resolved from the profile (lexically normalised; symlinks not followed). */
  root: string;
  /**
   * Paths under `root` that stay read-only: explicit non-write entries under it, and the protected
   * metadata that exists (`.git` dir or pointer file and its `gitdir:` target, `.agents`, `.codex`).
   */
  readOnlySubpaths: string[];
  /**
   * Metadata names (`.git`, `.agents`, `.codex`) that may not be created or written directly under
   * `root`, whether or not they exist now.
   */
  protectedMetadataNames: string[];
}

export interface ResolvedFileSystem {
  /** `external`: someone else enforces the filesystem. */
  kind: 'restricted' | 'unrestricted' | 'external';
  fullDiskRead: boolean;
  fullDiskWrite: boolean;
  /** `:minimal` is readable: planners add the platform's default system read roots. */
  includePlatformDefaults: boolean;
  /** Readable roots when not fullDiskRead (writable roots are readable too and are not repeated). */
  readableRoots: string[];
  writableRoots: WritableRoot[];
  /** Exact deny-read paths (files or directories), excluding `/` itself. */
  unreadableRoots: string[];
  /** Absolute deny-read glob patterns, sorted and de-duplicated. */
  unreadableGlobs: string[];
  /** Cap on glob expansion depth (undefined: the planner's default bound). */
  globScanMaxDepth: number | undefined;
}

export interface ResolvedPermissions {
  enforcement: Enforcement;
  fileSystem: ResolvedFileSystem;
  network: NetworkPolicy;
  /** Non-fatal notes (unknown special paths ignored, skipped missing entries, ...). */
  warnings: string[];
}

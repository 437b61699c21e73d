/**
 * CONTRACT: the Windows unelevated restricted-token plan: what `src/platforms/win32/plan.ts` computes,
 * src/launch/windows.ts applies (directories, stubs, ACLs) and the native launcher (`native/win/`) runs. Plain JSON data, so `--dry-run --platform win32` prints
 * exactly what a Windows host would do.
 */

/** A writable root after canonicalisation; the write grant lands on `canonicalPath`. */
export interface WindowsWritableRoot {
  /** The root as the profile resolved it (lexical). */
  path: string;
  /** The real directory (junctions and symlinks followed); equals `path` when realpath failed. */
  canonicalPath: string;
  /** `canonicalPath` in extended-length form (`\\?\C:\…`, `\\?\UNC\server\share\…`) for Win32 file APIs. */
  apiPath: string;
  /** The per-root capability SID that receives the write grant (deterministic per canonical path). */
  sid: string;
  /** False when the root does not exist: no grant is made (nothing can be created there either). */
  exists: boolean;
}

/** A path that stays unwritable inside a writable root (deny-write ACE, applied to the entry itself). */
export interface WindowsDenyWritePath {
  path: string;
  /** Extended-length form of `path` for Win32 file APIs. */
  apiPath: string;
  /** The capability SIDs the deny ACE names: the active root SIDs whose roots contain `path`. */
  sids: string[];
}

/** The `native` part of a `windows-token` LaunchRequest: what the launch does before the launcher runs. */
export interface WindowsTokenPlan {
  platform: 'win32';
  backend: 'restricted-token';
  /** `readonly`: no writable roots, a single read-only capability SID; `writable-roots`: one SID per root. */
  tokenMode: 'readonly' | 'writable-roots';
  /** The capability SIDs put first in the restricting-SID list, in order. */
  capabilitySids: string[];
  /**
   * CreateRestrictedToken flags and restricting-SID order, spelled out for `--dry-run`:
   * capability SIDs, then the logon SID of the caller's token, then Everyone (S-1-1-0).
   */
  tokenFlags: ['DISABLE_MAX_PRIVILEGE', 'LUA_TOKEN', 'WRITE_RESTRICTED'];
  restrictingSids: string[];
  writableRoots: WindowsWritableRoot[];
  denyWritePaths: WindowsDenyWritePath[];
  /** Deny paths that do not exist yet: created as empty directories before the ACE is applied. */
  createMissingDenyDirs: string[];
  /** Grant the capability SIDs read/write on `\\.\NUL` (best effort); only for an elevated caller (machine-wide DACL). */
  nulDevice: boolean;
  /** Per-user directory where the launch records what it changes (`codex-sandbox cleanup`); unknown when planned on another OS. */
  stateDir?: string;
  /**
   * `enforced-env-shim-only`: network is restricted by environment variables and PATH stubs only;
   * the OS does NOT block sockets on this backend. `enabled`: no network restriction.
   */
  network: 'enforced-env-shim-only' | 'enabled';
  /** Directory of failing `ssh`/`scp` stubs that launch creates and prepends to PATH (network shim). */
  denyBinDir: string | undefined;
  denyBinStubs: string[];
  /** The job object has JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: the whole tree dies with its launcher. */
  jobKillOnClose: true;
  /** Desktop handed to the child (`lpDesktop`); empty: the caller's own window station and desktop. */
  desktop: string;
  /** Working directory for CreateProcessAsUserW. */
  cwd: string;
}

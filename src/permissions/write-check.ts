/**
 * "May the command write this path under this plan, and what would let it?" — the pure check behind the
 * refusal report (src/launch/refusals.ts). It reads only the resolved plan, never the filesystem, and it
 * widens nothing: it only decides whether a refusal the command reported is one the plan explains.
 */
import path from 'node:path';
import { isUnder } from '../util/path-within.js';
import type { ResolvedFileSystem } from './resolved.js';

/** Why a write is not allowed by the plan. */
export type WriteRefusalReason =
  /** Outside every writable root (mounted read-only, or not at all). */
  | 'read-only'
  /** Under a writable root, but kept read-only: protected metadata (`.git`, `.codex`, `.agents`) or a read-only entry. */
  | 'protected'
  /** Under a deny-read path. */
  | 'denied';

export interface WriteVerdict {
  writable: boolean;
  reason?: WriteRefusalReason;
  /** The read-only path under a writable root that covers it (reason `protected`). */
  protectedPath?: string;
}

/** Whether the plan lets the command write `p` (absolute, normalised). Lexical, as the plan's roots are. */
export function planWriteVerdict(fs: ResolvedFileSystem, p: string): WriteVerdict {
  if (fs.kind !== 'restricted' || fs.fullDiskWrite) return { writable: true };
  if (fs.unreadableRoots.some((d) => isUnder(p, d))) return { writable: false, reason: 'denied' };
  // The deepest mount over `p` decides, as in the sandbox's mount table: a writable root's read-only
  // carve-out (.git under the cwd) is mounted over every root containing it, so an ancestor root (/tmp
  // under workspace-write) does not make it writable; a root at or under the carve-out re-opens it.
  let deepestRoot: string | undefined;
  let protectedPath: string | undefined;
  for (const root of fs.writableRoots) {
    if (!isUnder(p, root.root)) continue;
    if (deepestRoot === undefined || root.root.length > deepestRoot.length) deepestRoot = root.root;
    const ro = root.readOnlySubpaths.filter((d) => isUnder(p, d)).sort((a, b) => b.length - a.length)[0];
    const first = path.relative(root.root, p).split(path.sep)[0] ?? '';
    const metadata = first !== '' && root.protectedMetadataNames.includes(first) ? path.join(root.root, first) : undefined;
    for (const blocking of [ro, metadata]) {
      if (blocking !== undefined && (protectedPath === undefined || blocking.length > protectedPath.length)) protectedPath = blocking;
    }
  }
  if (deepestRoot === undefined) return { writable: false, reason: 'read-only' };
  if (protectedPath === undefined || deepestRoot.length >= protectedPath.length) return { writable: true };
  return { writable: false, reason: 'protected', protectedPath };
}

/**
 * The writable root to suggest for a refused write of `p`: under `home`, its first component there
 * (`~/.npm` for `~/.npm/_cacache/x` and for `~/.npm` itself: tools keep their caches in one folder);
 * elsewhere the parent directory (the path itself may be what is being created; `mkdir -p` names the
 * first missing one, whose parent exists).
 */
export function suggestedWritableRoot(p: string, home: string | undefined): string {
  if (home !== undefined && path.isAbsolute(home) && path.dirname(home) !== home && isUnder(p, home) && p !== home) {
    // Never home itself: the folder or file directly under it (one the caller may have to create first).
    return path.join(home, path.relative(home, p).split(path.sep)[0] ?? '');
  }
  return path.dirname(p);
}

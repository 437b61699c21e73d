/**
 * Path spellings Seatbelt actually compares. Seatbelt matches path filters against the resolved
 * (symlink-free) path of the vnode, so a rule on `/tmp/x` never matches anything on a Mac: `/tmp`
 * is a symlink to `/private/tmp`. Every path we hand to sandbox-exec is therefore canonicalised.
 */
import { posix } from 'node:path';
import type { FsInspector } from '../../permissions/fs-facts.js';

/** macOS's top-level symlinks into /private. */
const TOP_LEVEL_ALIASES = ['/tmp', '/var', '/etc'] as const;

/** `/tmp/x` → `/private/tmp/x` (likewise `/var`, `/etc`); other paths unchanged. */
export function withPrivateAlias(path: string): string {
  for (const alias of TOP_LEVEL_ALIASES) {
    if (path === alias || path.startsWith(alias + '/')) return '/private' + path;
  }
  return path;
}

/**
 * The canonical spelling of an absolute path: the realpath of its deepest existing ancestor with
 * the missing remainder appended, then the top-level alias applied. The alias step matters when the
 * plan is made on another OS (`--dry-run --platform darwin` on Linux, where `/tmp` is a real
 * directory) so the plan is still right for a Mac; on a Mac realpath already returns `/private/...`.
 */
export function canonicalPath(fs: FsInspector, path: string): string {
  const normal = posix.normalize(path);
  const trimmed = normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
  let head = trimmed;
  const missing: string[] = [];
  for (;;) {
    const real = fs.realpath(head);
    if (real !== undefined) return withPrivateAlias(missing.length === 0 ? real : posix.join(real, ...missing.reverse()));
    if (head === '/') return withPrivateAlias(trimmed);
    missing.push(posix.basename(head));
    head = posix.dirname(head);
  }
}

/**
 * Both spellings Seatbelt may see for a protected path: the entry itself inside its canonical
 * parent (what unlink/rename of a symlink checks) and its fully resolved target (what writes
 * through the link check). One element when they agree.
 */
export function protectedSpellings(fs: FsInspector, path: string): string[] {
  const parent = canonicalPath(fs, posix.dirname(path));
  const inParent = posix.join(parent, posix.basename(path));
  const resolved = canonicalPath(fs, path);
  return resolved === inParent ? [inParent] : [inParent, resolved];
}

/** Whether `path` is `dir` or below it (component-wise). */
export function isAtOrBelow(path: string, dir: string): boolean {
  if (dir === '/') return path.startsWith('/');
  return path === dir || path.startsWith(dir + '/');
}

/** Directories strictly between `root` and `path` (both canonical, `path` below `root`), outermost first. */
export function dirsBetween(root: string, path: string): string[] {
  const out: string[] = [];
  let cur = posix.dirname(path);
  while (cur !== root && isAtOrBelow(cur, root) && cur !== '/') {
    out.unshift(cur);
    cur = posix.dirname(cur);
  }
  return out;
}

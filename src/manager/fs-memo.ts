/**
 * One transform asks the filesystem the same questions many times (resolution, then the planner);
 * this wrapper answers each once per call. It lives only for that call, so nothing goes stale.
 *
 * It also answers some questions from others already asked, so that planning costs a few system
 * calls per writable root rather than dozens (issue #21): `kind` is the kind `lstat` reports (one
 * lstat per path, not an lstat for each), and the realpath of a path whose last component is not a
 * symlink is its parent's realpath plus that name — realpath(3) itself resolves every component in
 * turn, so the answer is the same, but a parent's answer is shared by all its children.
 */
import type { FsEntryStat, FsInspector } from '../permissions/fs-facts.js';

/** An absolute path in normal form (no `.`/`..`, no `//`, no trailing `/`) and not `/`. */
const NORMAL_CHILD = /^(?:\/[^/]+)+$/;
/** Components that are not plain text (the surrogate-escape convention, or U+FFFD): asked of the host as they are. */
const ODD_TEXT = /[\ud800-\udfff\ufffd]|(?:^|\/)\.\.?(?:\/|$)/;

/** A remembered `undefined` answer. */
const NONE: unique symbol = Symbol('no answer');

export function memoizeFsInspector(fs: FsInspector): FsInspector {
  const memo = <T>(fn: (p: string) => T): ((p: string) => T) => {
    // An undefined answer (a missing path: most protected names of most roots) is stored as NONE, so
    // every question is one Map lookup, not a get and then a has (issue #21).
    const cache = new Map<string, T | typeof NONE>();
    return (p: string): T => {
      const hit = cache.get(p);
      if (hit !== undefined) return (hit === NONE ? undefined : hit) as T;
      const v = fn(p);
      cache.set(p, v === undefined ? NONE : v);
      return v;
    };
  };
  const lstatOf = fs.lstat?.bind(fs);
  const lstat = lstatOf !== undefined ? memo((p: string): FsEntryStat | undefined => lstatOf(p)) : undefined;
  const hostRealpath = (p: string): string | undefined => fs.realpath(p);
  const realpath: (p: string) => string | undefined = memo((p: string): string | undefined => {
    if (lstat === undefined || !NORMAL_CHILD.test(p) || ODD_TEXT.test(p)) return hostRealpath(p);
    const k = lstat(p)?.kind;
    // A symlink (or something gone) is resolved by the host; anything else is its own last component.
    if (k === undefined || k === 'symlink') return hostRealpath(p);
    const slash = p.lastIndexOf('/');
    const parent = realpath(slash === 0 ? '/' : p.slice(0, slash));
    if (parent === undefined) return hostRealpath(p);
    return (parent === '/' ? '' : parent) + p.slice(slash);
  });
  return {
    kind: lstat !== undefined ? (p) => lstat(p)?.kind ?? 'missing' : memo((p) => fs.kind(p)),
    ...(lstat !== undefined ? { lstat } : {}),
    realpath,
    readlink: memo((p) => fs.readlink(p)),
    readSmallFile: memo((p) => fs.readSmallFile(p)),
    isEmptyDir: memo((p) => fs.isEmptyDir(p)),
    fileSize: memo((p) => fs.fileSize(p)),
    scanGlob: (req) => fs.scanGlob(req),
  };
}

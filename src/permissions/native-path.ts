/**
 * Lexical operations on native absolute path strings of a target platform (never touch the host).
 * Resolution works on these strings because `ResolvedPermissions` is expressed in them.
 */
import path from 'node:path';
import type { Platform } from '../path-uri/index.js';

export interface NativePaths {
  readonly platform: Platform;
  readonly sep: string;
  isAbsolute(p: string): boolean;
  /** Lexically normalised (`.`/`..` folded, separators collapsed, no trailing separator except at a root). */
  normalize(p: string): string;
  /** `rel` against `base`; an absolute `rel` replaces `base`. */
  join(base: string, rel: string): string;
  /** The root of an absolute path (`/`, `C:\`, `\\server\share\`). */
  root(p: string): string;
  /** Components below the root. */
  components(p: string): string[];
  /** Component-wise prefix test (`/a/bc` is not under `/a/b`); ASCII-case-insensitive on win32 (as Codex's `PathUri` equality). */
  startsWith(p: string, base: string): boolean;
  equals(a: string, b: string): boolean;
  /** Identity used for de-duplication (case-folded on win32). */
  key(p: string): string;
  parent(p: string): string | undefined;
  basename(p: string): string;
}

function make(platform: Platform): NativePaths {
  const lib = platform === 'win32' ? path.win32 : path.posix;
  const caseFold = platform === 'win32';
  const fold = (s: string): string => (caseFold ? s.replace(/[A-Z]/g, (c) => c.toLowerCase()) : s);
  // Already-normal POSIX paths (the common case) skip the parse: no `//`, no `.`/`..` component,
  // no trailing separator.
  const posixNormal = /\/\/|\/\.\.?(?:\/|$)|.\/$/;
  const normalize = (p: string): string => {
    if (!caseFold && p.startsWith('/') && !posixNormal.test(p)) return p;
    let n = lib.normalize(p);
    const r = lib.parse(n).root;
    while (n.length > r.length && (n.endsWith('/') || n.endsWith(lib.sep))) n = n.slice(0, -1);
    return n;
  };
  const root = (p: string): string => (!caseFold && p.startsWith('/') ? '/' : lib.parse(normalize(p)).root);
  const components = (p: string): string[] => {
    const n = normalize(p);
    const rest = n.slice(root(n).length);
    return rest === '' ? [] : rest.split(lib.sep).filter((c) => c !== '');
  };
  const key = (p: string): string => fold(normalize(p));
  return {
    platform,
    sep: lib.sep,
    isAbsolute: (p) => (platform === 'win32' ? /^([A-Za-z]:[\\/]|[\\/]{2}[^\\/])/.test(p) : p.startsWith('/')),
    normalize,
    // POSIX fast path: an absolute base makes `resolve` a plain concatenation, which normalize folds.
    join: (base, rel) =>
      !caseFold && base.startsWith('/') ? normalize(rel.startsWith('/') ? rel : `${base}/${rel}`) : normalize(lib.resolve(base, rel)),
    root,
    components,
    startsWith: (p, base) => {
      // The same text is under itself on every platform: no normalising (asked ~10 times per writable root; #21).
      if (p === base) return true;
      if (!caseFold) {
        const a = normalize(p);
        const b = normalize(base);
        return a === b || b === '/' || a.startsWith(b + '/');
      }
      if (fold(root(p)) !== fold(root(base))) return false;
      const a = components(p);
      const b = components(base);
      if (b.length > a.length) return false;
      return b.every((c, i) => fold(c) === fold(a[i] ?? ''));
    },
    equals: (a, b) => a === b || key(a) === key(b),
    key,
    parent: (p) => {
      const n = normalize(p);
      if (n === root(n)) return undefined;
      return normalize(lib.dirname(n));
    },
    basename: (p) => lib.basename(normalize(p)),
  };
}

const posixPaths = make('linux');
const darwinPaths = make('darwin');
const winPaths = make('win32');

export function nativePaths(platform: Platform): NativePaths {
  return platform === 'win32' ? winPaths : platform === 'darwin' ? darwinPaths : posixPaths;
}

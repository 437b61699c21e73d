/**
 * The glob front-end: whether a path text is a glob, how literal path text is escaped, and the literal
 * directory a glob starts with. One answer for the CLI's `--deny-read`, the library's `denyRead`,
 * configuration files, the Linux planner and glob scan, and the Seatbelt compiler; the pattern
 * language itself is compiled in glob-match.ts.
 */

/**
 * A path text holding any of these is a glob pattern: Codex's set (`contains_glob_chars` in
 * codex-rs/core/src/config/permissions.rs: `* ? [ ]`) plus the braces of `{a,b}` alternation, which the
 * dialect also gives a meaning. A literal one is written escaped (`\*`), which keeps the text a glob.
 */
const GLOB_SYNTAX = /[*?[\]{}]/;

/** Characters that start a wildcard (an escaped one is literal). */
const WILDCARD_START = new Set(['*', '?', '[', '{']);

/** Whether a deny path text is a glob pattern rather than a literal path (see GLOB_SYNTAX). */
export function isGlobPattern(text: string): boolean {
  return GLOB_SYNTAX.test(text);
}

/** Escapes literal path text so the glob dialect reads it back unchanged. */
export function escapeGlobLiteral(text: string): string {
  return text.replace(/[*?[\]{}\\,]/g, (c) => `\\${c}`);
}

/** Whether the pattern has a wildcard once escapes are read (`/x/a\*b` has none: it is one path). */
export function hasWildcard(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      i++;
      continue;
    }
    if (WILDCARD_START.has(c)) return true;
  }
  return false;
}

export interface GlobPrefix {
  /**
   * The literal directory (escapes removed) before the first component with a wildcard; for a
   * pattern without wildcards, the literal parent of its last component. `/` at the top.
   */
  dir: string;
  /** The pattern after `dir`, unchanged (escapes kept), starting with `/`. */
  rest: string;
  /** For a pattern without wildcards: the one path it names (escapes removed). */
  literalPath: string | undefined;
}

/** Splits an absolute pattern at its static directory; undefined for a pattern that is not absolute. */
export function globStaticPrefix(pattern: string): GlobPrefix | undefined {
  if (!pattern.startsWith('/')) return undefined;
  let literal = '';
  let lastSlashLiteral = 0;
  let lastSlashRaw = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && i + 1 < pattern.length) {
      literal += pattern[i + 1] as string;
      i++;
      continue;
    }
    if (WILDCARD_START.has(c)) {
      return { dir: trimSlashes(literal.slice(0, lastSlashLiteral)), rest: pattern.slice(lastSlashRaw), literalPath: undefined };
    }
    if (c === '/') {
      lastSlashLiteral = literal.length;
      lastSlashRaw = i;
    }
    literal += c;
  }
  return { dir: trimSlashes(literal.slice(0, lastSlashLiteral)), rest: pattern.slice(lastSlashRaw), literalPath: literal };
}

/** `''` and `/` → `/`; a doubled `//` at the end of a directory is dropped. */
function trimSlashes(dir: string): string {
  let d = dir;
  while (d.length > 1 && d.endsWith('/')) d = d.slice(0, -1);
  return d === '' ? '/' : d;
}

/** Rebuilds a pattern from a (possibly re-spelled) static directory and the rest. */
export function joinGlob(dir: string, rest: string): string {
  return (dir === '/' ? '' : escapeGlobLiteral(dir)) + rest;
}

/**
 * Deny-read glob → Seatbelt regex (as Codex's codex-rs/sandboxing/src/seatbelt.rs does). Seatbelt cannot
 * expand globs, so each pattern
 * becomes an anchored regex evaluated by the kernel on every access, which also covers files created
 * after launch.
 *
 * The glob dialect is the one every platform uses (src/permissions/glob-match.ts parses it; this file
 * only supplies how Seatbelt spells literals and classes), so a pattern denies the same names here as
 * on Linux and in `createReadDenyMatcher`. One difference on purpose: a pattern without wildcards
 * also matches everything below it (on Linux such a match is a directory that gets masked whole).
 *
 * The emitted regex never contains a backslash or a double quote: literal metacharacters are written
 * as one-character bracket classes (`[.]`, `[(]`), so the result does not depend on how SBPL's
 * `#"..."` reader treats escapes, and nothing in a pattern can end the literal early. What cannot be
 * written that way (`"`, `\`, `^`, control characters, awkward class members) is widened to "any
 * character of a component": for a deny rule a wider match fails closed. Seatbelt matches bytes, so
 * "one character" (`?`, a negated or non-ASCII class) is written as one to four non-`/` bytes: a
 * UTF-8 character of any length is covered.
 *
 * Letters match in either case (`env` → `[eE][nN][vV]`): macOS volumes are case-insensitive by
 * default and a Seatbelt `regex` compares bytes, so `cat .ENV` would otherwise open `.env` past a
 * deny glob for `.env` files. On a case-sensitive volume this only denies a few more names (fails closed).
 */
import { globToRegExpSource } from '../../permissions/glob-match.js';
import type { RegexDialect } from '../../permissions/glob-match.js';
import { escapeGlobLiteral, hasWildcard } from '../../permissions/glob-syntax.js';

/** Any one UTF-8 character of a component, as bytes (wider for ASCII: up to four characters). */
const ANY_CHAR = '[^/][^/]?[^/]?[^/]?';

/** Class members written as themselves inside `[...]` in every regex dialect. */
function plainClassChar(code: number): boolean {
  return code > 0x20 && code < 0x7f && !']\\"^-[/'.includes(String.fromCharCode(code));
}

const SEATBELT_DIALECT: RegexDialect = {
  anyChar: ANY_CHAR,
  literal: literalChar,
  charClass(negated, ranges) {
    if (!ranges.every(([a, b]) => b - a < 0x80 && b < 0x80)) return ANY_CHAR;
    const members = new Set<number>();
    for (const [a, b] of ranges) for (let c = a; c <= b; c++) members.add(c);
    if (negated) {
      // Excluding fewer characters widens the match (fails closed): drop members that cannot be
      // written plainly and letters whose other case is not excluded too (`[!a]` must still deny
      // `a` typed for a file named `A`).
      const excluded = [...members].filter((c) => plainClassChar(c) && members.has(otherCase(c)));
      // A negated class may match the first byte of a multi-byte character: take the rest with it.
      return `[^/${classBody(excluded)}][^/]?[^/]?[^/]?`;
    }
    for (const c of [...members]) members.add(otherCase(c));
    // Narrowing a positive class would fail open: widen it instead.
    if (members.size === 0 || ![...members].every(plainClassChar)) return ANY_CHAR;
    return `[${classBody([...members])}]`;
  },
};

/** The other case of an ASCII letter; any other code unchanged. */
function otherCase(c: number): number {
  if (c >= 0x41 && c <= 0x5a) return c + 0x20;
  if (c >= 0x61 && c <= 0x7a) return c - 0x20;
  return c;
}

/** Sorted class members with runs of three or more written as ranges (all members plain). */
function classBody(codes: number[]): string {
  const sorted = [...new Set(codes)].sort((x, y) => x - y);
  let out = '';
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    const a = String.fromCharCode(sorted[i]!);
    const b = String.fromCharCode(sorted[j]!);
    out += j - i >= 2 ? `${a}-${b}` : j === i ? a : a + b;
    i = j + 1;
  }
  return out;
}

/** Throws GlobPatternError (from the shared compiler) for a malformed pattern. */
export function globToSeatbeltRegex(pattern: string): string {
  const source = globToRegExpSource(pattern, SEATBELT_DIALECT);
  return hasWildcard(pattern) ? source : `${source.slice(0, -1)}(/.*)?$`;
}

/**
 * Expands `{a,b}` alternations (bounded) so the static directories of every alternative can be
 * protected; alternatives may contain `/` (`{a/b,c}`).
 */
export function expandBraces(pattern: string, limit = 64): string[] {
  const span = findBrace(pattern, 0);
  if (span === undefined) return [pattern];
  const out: string[] = [];
  for (const alt of span.alternatives) {
    for (const tail of expandBraces(pattern.slice(span.end + 1), limit)) {
      for (const e of expandBraces(alt, limit)) {
        out.push(pattern.slice(0, span.start) + e + tail);
        if (out.length >= limit) return out;
      }
    }
  }
  return out;
}

interface BraceSpan {
  start: number;
  end: number;
  alternatives: string[];
}

/** First closed `{...}` at or after `from`. */
function findBrace(pattern: string, from: number): BraceSpan | undefined {
  for (let i = from; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      const cls = parseClass(pattern, i);
      if (cls !== undefined) i = cls.end;
      continue;
    }
    if (c !== '{') continue;
    let depth = 0;
    let partStart = i + 1;
    const alternatives: string[] = [];
    for (let j = i + 1; j < pattern.length; j++) {
      const d = pattern[j]!;
      if (d === '\\') {
        j++;
        continue;
      }
      if (d === '{') depth++;
      else if (d === '}' && depth > 0) depth--;
      else if (d === ',' && depth === 0) {
        alternatives.push(pattern.slice(partStart, j));
        partStart = j + 1;
      } else if (d === '}' && depth === 0) {
        // `{x}` is a group of one, as the shared compiler reads it.
        alternatives.push(pattern.slice(partStart, j));
        return { start: i, end: j, alternatives };
      }
    }
  }
  return undefined;
}

interface ClassSpan {
  end: number;
  negated: boolean;
  members: string;
}

/** A closed `[...]` class starting at `start`, or undefined (unclosed `[` is a literal). */
function parseClass(pattern: string, start: number): ClassSpan | undefined {
  let j = start + 1;
  let negated = false;
  if (pattern[j] === '!' || pattern[j] === '^') {
    negated = true;
    j++;
  }
  const membersStart = j;
  if (pattern[j] === ']') j++; // `]` first is a member
  for (; j < pattern.length; j++) {
    if (pattern[j] === ']') return { end: j, negated, members: pattern.slice(membersStart, j) };
  }
  return undefined;
}

/** A literal character as regex text without backslashes or quotes. */
function literalChar(c: string): string {
  if (c === '"' || c === '\\' || c === '^' || c.charCodeAt(0) < 0x20 || c === '\x7f') return '[^/]';
  if ('.$|()[{}*+?'.includes(c)) return `[${c}]`;
  // A lone `]` is an ordinary character in POSIX and JavaScript regexes alike.
  if (c === ']') return ']';
  if (/^[A-Za-z]$/.test(c)) return `[${c.toLowerCase()}${c.toUpperCase()}]`;
  // Other letters with a one-character other case (é/É): either spelling.
  const variants = [...new Set([c, c.toLowerCase(), c.toUpperCase()])].filter((v) => Array.from(v).length === 1);
  return variants.length > 1 ? `(${variants.join('|')})` : c;
}


/**
 * One literal path as a Seatbelt regex that ignores the case of letters: the path itself and, unless
 * `exact`, everything below it. Used next to the exact-path parameters for every deny (protected
 * metadata, read-only carve-outs, deny-read paths, rename guards): APFS and HFS+ are case-insensitive
 * by default, so `.ENV`, `.Git` or `SECRETS` name the same file as the denied spelling, while SBPL's
 * `literal`/`subpath` compare bytes. On a case-sensitive volume this only denies a few more names
 * (fails closed). Like a deny glob, the path text is written into the policy, but only as bracket
 * classes: no quote or backslash can reach it (see `literalChar`).
 */
export function caseInsensitivePathRegex(path: string, exact = false): string {
  const below = globToSeatbeltRegex(escapeGlobLiteral(path));
  return exact ? `${below.slice(0, -'(/.*)?$'.length)}$` : below;
}

/**
 * Git-style glob patterns for deny-read entries (Codex codex-rs/protocol/src/permissions.rs glob entries and
 * `ReadDenyMatcher`; codex-rs/sandboxing/src/seatbelt.rs turns the same patterns into regexes).
 *
 * Semantics (Codex compiles these with globset `literal_separator(true)` + `allow_unclosed_class(true)`
 * on Linux/Windows, and with `seatbelt_regex_for_glob` on macOS):
 * - `*` matches any run of characters within one path component, `?` exactly one; neither crosses `/`.
 * - `**` as a whole component (`/**` + `/`, leading `**` + `/`, trailing `/**`) matches zero or more
 *   directories (a trailing `/**` also matches the directory itself); a `**` inside a component is an
 *   ordinary `*`.
 * - `[...]` is a character class (ranges `a-z`, negation with a leading `!` or `^`, a leading `]` is a
 *   member); classes never match `/`. An unclosed `[` is a literal `[`.
 * - `\x` matches `x` literally. `{a,b}` is alternation (alternatives may nest and may contain `/`).
 * - Everything else is literal; a leading `.` is not special (`*.env` matches `.env`).
 *
 * The compiled form is one anchored regular expression over the whole path, using only constructs that
 * JavaScript (`u` flag) and Seatbelt's regex dialect share: `^ $ ( | ) ( )? .* [^/]* [^/] [...]` and
 * backslash escapes of metacharacters. In JavaScript compile it with GLOB_REGEXP_FLAGS (`.` must match
 * a newline too, since file names may contain one).
 */
import { globStaticPrefix } from './glob-syntax.js';
import { SandboxError } from '../errors.js';

/** A glob pattern that cannot be compiled; the message names the pattern and the problem. */
export class GlobPatternError extends SandboxError {
  readonly pattern: string;
  constructor(pattern: string, problem: string) {
    super('InvalidGlob', `invalid glob pattern \`${pattern}\`: ${problem}; fix or remove this deny-read glob`);
    this.name = 'GlobPatternError';
    this.pattern = pattern;
  }
}

export interface CompiledGlob {
  /** The pattern as given. */
  readonly pattern: string;
  /** Whether the whole `path` matches the pattern (`/` is the separator). */
  match(path: string): boolean;
  /** The literal directory the pattern starts with (glob-syntax.ts `globStaticPrefix`): where a scan starts. */
  readonly staticPrefix: string;
  /**
   * Deepest number of components below `staticPrefix` a match can have, or undefined when unbounded
   * (the rest of the pattern has `**`, or has both a brace group and a `/`, which may hide a separator).
   * Lets a walker stop descending early.
   */
  readonly maxComponentsBelowPrefix: number | undefined;
}

/** Flags for `new RegExp(globToRegExpSource(p), GLOB_REGEXP_FLAGS)`. */
export const GLOB_REGEXP_FLAGS = 'su';

/** Characters that must be escaped in the generated regex (outside a class). */
const REGEX_SYNTAX = new Set(['^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|']);

function escapeRegexChar(ch: string): string {
  return REGEX_SYNTAX.has(ch) ? `\\${ch}` : ch;
}

/** Escape a character for use inside a regex `[...]` (valid with the `u` flag). */
function escapeClassChar(ch: string): string {
  return ch === '\\' || ch === ']' || ch === '[' || ch === '^' || ch === '-' ? `\\${ch}` : ch;
}

const SLASH = 0x2f;

/**
 * How the compiled regex spells literal characters and character classes. Everything else the
 * compiler emits (`^ $ ( | ) ( )? .* [^/]* [^/]`) is common to JavaScript and Seatbelt's regex
 * dialect, so one parser serves both (src/platforms/darwin/glob-regex.ts supplies Seatbelt's).
 */
export interface RegexDialect {
  /** One character of a component (`?`). */
  anyChar: string;
  /** One literal character. */
  literal(ch: string): string;
  /**
   * A class over inclusive code-point ranges that never contain `/` (the compiler has removed it).
   * A negated class must not match `/` either. A positive class with no ranges matches nothing.
   */
  charClass(negated: boolean, ranges: ReadonlyArray<readonly [number, number]>): string;
}

/** JavaScript (`u` flag): backslash escapes. */
export const JS_REGEX_DIALECT: RegexDialect = {
  anyChar: '[^/]',
  literal: escapeRegexChar,
  charClass(negated, ranges) {
    const parts = ranges.map(([a, b]) => {
      const ca = escapeClassChar(String.fromCodePoint(a));
      return a === b ? ca : `${ca}-${escapeClassChar(String.fromCodePoint(b))}`;
    });
    if (negated) return `[^/${parts.join('')}]`;
    return parts.length === 0 ? '[^\\s\\S]' : `[${parts.join('')}]`;
  },
};

type ClassParse =
  | { kind: 'class'; negated: boolean; ranges: Array<[number, number]>; next: number }
  | { kind: 'unclosed' }
  | { kind: 'reversed-range'; lo: string; hi: string };

/**
 * Parse `[...]` starting just after the `[` at `start`: the class and the index after `]`, or
 * `unclosed` (the caller then emits a literal `[`), or the reversed range that makes it invalid.
 */
function parseClass(chars: string[], start: number): ClassParse {
  let i = start;
  let negated = false;
  if (chars[i] === '!' || chars[i] === '^') {
    negated = true;
    i += 1;
  }
  const members: Array<[number, number]> = [];
  let first = true;
  for (;;) {
    const ch = chars[i];
    if (ch === undefined) return { kind: 'unclosed' };
    if (ch === ']' && !first) {
      i += 1;
      break;
    }
    first = false;
    const lo = ch.codePointAt(0) ?? 0;
    const dash = chars[i + 1];
    const hiCh = chars[i + 2];
    if (dash === '-' && hiCh !== undefined && hiCh !== ']') {
      const hi = hiCh.codePointAt(0) ?? 0;
      if (hi < lo) return { kind: 'reversed-range', lo: ch, hi: hiCh };
      members.push([lo, hi]);
      i += 3;
    } else {
      members.push([lo, lo]);
      i += 1;
    }
  }
  // Classes never match the separator: drop `/` from positive members and add it to negated ones,
  // so `[!a]` cannot be used to reach into another directory.
  const ranges: Array<[number, number]> = [];
  for (const [lo, hi] of members) {
    const split: Array<[number, number]> =
      lo <= SLASH && SLASH <= hi
        ? [
            [lo, SLASH - 1],
            [SLASH + 1, hi],
          ]
        : [[lo, hi]];
    for (const [a, b] of split) if (a <= b) ranges.push([a, b]);
  }
  return { kind: 'class', negated, ranges, next: i };
}

/** Translate a glob into the source of an anchored regex (`^...$`). Throws GlobPatternError. */
export function globToRegExpSource(pattern: string, dialect: RegexDialect = JS_REGEX_DIALECT): string {
  if (pattern.length === 0) throw new GlobPatternError(pattern, 'the pattern is empty');
  const chars = Array.from(pattern);
  let out = '^';
  let braceDepth = 0;
  let i = 0;
  // Whether the previous emitted token ended a component (start of pattern or after `/`).
  const atComponentStart = (idx: number): boolean => idx === 0 || chars[idx - 1] === '/';
  while (i < chars.length) {
    const ch = chars[i] as string;
    switch (ch) {
      case '*': {
        if (chars[i + 1] === '*') {
          let j = i + 2;
          while (chars[j] === '*') j += 1;
          const startsComponent = atComponentStart(i);
          const next = chars[j];
          if (startsComponent && next === '/') {
            // `**/`: zero or more whole directories.
            out += '(.*/)?';
            i = j + 1;
            break;
          }
          if (startsComponent && next === undefined) {
            // trailing `/**`: the directory itself and everything below it, as Codex's read-deny
            // matcher has it (`globstar_patterns_deny_root_and_nested_matches`); a bare `**`: everything.
            if (out.endsWith('/')) out = `${out.slice(0, -1)}(/.*)?`;
            else out += '.*';
            i = j;
            break;
          }
          // `**` inside a component is a plain `*`.
          out += '[^/]*';
          i = j;
          break;
        }
        out += '[^/]*';
        i += 1;
        break;
      }
      case '?':
        out += dialect.anyChar;
        i += 1;
        break;
      case '\\': {
        const escaped = chars[i + 1];
        if (escaped === undefined) {
          throw new GlobPatternError(pattern, 'it ends with a dangling `\\` escape');
        }
        out += dialect.literal(escaped);
        i += 2;
        break;
      }
      case '[': {
        const cls = parseClass(chars, i + 1);
        if (cls.kind === 'unclosed') {
          // allow_unclosed_class: an unclosed `[` is a literal.
          out += dialect.literal('[');
          i += 1;
        } else if (cls.kind === 'reversed-range') {
          throw new GlobPatternError(pattern, `the character class range \`${cls.lo}-${cls.hi}\` is reversed`);
        } else {
          out += dialect.charClass(cls.negated, cls.ranges);
          i = cls.next;
        }
        break;
      }
      case '{':
        braceDepth += 1;
        out += '(';
        i += 1;
        break;
      case '}':
        if (braceDepth === 0) {
          throw new GlobPatternError(pattern, 'it has a `}` without a matching `{` (escape it as `\\}`)');
        }
        braceDepth -= 1;
        out += ')';
        i += 1;
        break;
      case ',':
        out += braceDepth > 0 ? '|' : dialect.literal(',');
        i += 1;
        break;
      default:
        out += dialect.literal(ch);
        i += 1;
    }
  }
  if (braceDepth > 0) {
    throw new GlobPatternError(pattern, 'it has a `{` without a closing `}` (escape it as `\\{`)');
  }
  return `${out}$`;
}

function maxComponents(rest: string): number | undefined {
  if (rest.includes('**')) return undefined;
  // A brace group may hide a `/`; be conservative and treat braces with a `/` as unbounded.
  if (rest.includes('{') && rest.includes('/')) return undefined;
  return rest.split('/').filter((c) => c.length > 0).length;
}

/** Compile an absolute glob. Throws GlobPatternError for a malformed pattern (callers fail closed on it). */
export function compileGlob(pattern: string): CompiledGlob {
  // `s`: `.` must also match a newline, or a file named "a\nb" would slip past a `**` deny.
  const regex = new RegExp(globToRegExpSource(pattern), GLOB_REGEXP_FLAGS);
  const split = globStaticPrefix(pattern);
  if (split === undefined) throw new GlobPatternError(pattern, 'it is not an absolute path');
  return {
    pattern,
    match: (path: string) => regex.test(path),
    staticPrefix: split.dir,
    // `rest` starts with the `/` after the prefix.
    maxComponentsBelowPrefix: maxComponents(split.rest.slice(1)),
  };
}

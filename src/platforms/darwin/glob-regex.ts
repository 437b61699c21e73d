/**
 * Deny-read glob → Seatbelt regex (reference §5.6). Seatbelt cannot expand globs, so each pattern
 * becomes an anchored regex evaluated by the kernel on every access, which also covers files created
 * after launch.
 *
 * Glob dialect (git-style, as the permission model defines it): `*` and `?` stay within one path
 * component, `**` crosses components (`**\/` matches zero or more directories), `[abc]`/`[!abc]`
 * classes, `{a,b}` alternation, `\x` makes x literal, an unclosed `[` or `{` is literal, and a
 * pattern without wildcards also matches everything below it.
 *
 * The emitted regex never contains a backslash or a double quote: literal metacharacters are written
 * as one-character bracket classes (`[.]`, `[(]`), so the result does not depend on how SBPL's
 * `#"..."` reader treats escapes, and nothing in a pattern can end the literal early. The few
 * characters that cannot be written that way (`"`, `\`, `^`, control characters) become `[^/]`
 * (any one character of a component, newline included): a wider match, which for a deny rule fails
 * closed.
 */

/** Characters that have a meaning in the glob dialect. */
const GLOB_META = new Set(['*', '?', '[', '{']);

export function globToSeatbeltRegex(pattern: string): string {
  const body = convert(pattern);
  return `^${body.source}${body.sawGlob ? '' : '(/.*)?'}$`;
}

/** Whether the pattern has any wildcard (after escapes). */
export function hasGlobMeta(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (GLOB_META.has(c)) return true;
  }
  return false;
}

/**
 * The literal directory a pattern starts with (escapes removed) and the raw rest of the pattern,
 * which starts with `/` (or is empty for a pattern without wildcards, whose `dir` is the whole
 * path). Undefined for a pattern that is not absolute.
 */
export function globStaticPrefix(pattern: string): { dir: string; rest: string } | undefined {
  if (!pattern.startsWith('/')) return undefined;
  let literal = '';
  let lastSlashLiteral = 0;
  let lastSlashRaw = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      literal += pattern[i + 1]!;
      i++;
      continue;
    }
    if (GLOB_META.has(c)) {
      return { dir: lastSlashLiteral === 0 ? '/' : literal.slice(0, lastSlashLiteral), rest: pattern.slice(lastSlashRaw) };
    }
    if (c === '/') {
      lastSlashLiteral = literal.length;
      lastSlashRaw = i;
    }
    literal += c;
  }
  return { dir: literal, rest: '' };
}

/** Rebuilds a pattern from a (possibly re-spelled) static directory and the rest. */
export function joinGlob(dir: string, rest: string): string {
  return (dir === '/' && rest !== '' ? '' : escapeGlobLiteral(dir)) + rest;
}

/** Escapes literal path text so that the glob dialect reads it back unchanged. */
export function escapeGlobLiteral(text: string): string {
  return text.replace(/[*?[\]{}\\]/g, (c) => '\\' + c);
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

/** First closed `{...}` with at least one top-level comma, at or after `from`. */
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
        if (alternatives.length === 0) break; // `{x}` is literal
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
  if (pattern[j] === '!') {
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
  return c;
}

function classRegex(cls: ClassSpan): string {
  const members = cls.members;
  // Members we cannot write the same way in every regex dialect (a `]` member needs POSIX's
  // "first in the class" rule; quotes and backslashes see the file comment): widen to one
  // component character.
  if ([...members].some((c) => c === ']' || c === '"' || c === '\\' || c.charCodeAt(0) < 0x20)) return '[^/]';
  let body = members;
  // `^` first would negate the class.
  if (!cls.negated && body.startsWith('^')) body = body.slice(1) + '^';
  if (body === '' || body === '^') return '[^/]';
  return cls.negated ? `[^${body}/]` : `[${body}]`;
}

function convert(pattern: string): { source: string; sawGlob: boolean } {
  let out = '';
  let sawGlob = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      if (i + 1 < pattern.length) {
        out += literalChar(pattern[i + 1]!);
        i++;
      } else out += literalChar('\\');
      continue;
    }
    if (c === '*') {
      sawGlob = true;
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          out += '(.*/)?';
        } else out += '.*';
      } else out += '[^/]*';
      continue;
    }
    if (c === '?') {
      sawGlob = true;
      out += '[^/]';
      continue;
    }
    if (c === '[') {
      const cls = parseClass(pattern, i);
      if (cls === undefined) {
        out += literalChar('[');
        continue;
      }
      sawGlob = true;
      out += classRegex(cls);
      i = cls.end;
      continue;
    }
    if (c === '{') {
      const span = findBrace(pattern, i);
      if (span !== undefined && span.start === i) {
        sawGlob = true;
        out += '(' + span.alternatives.map((a) => convert(a).source).join('|') + ')';
        i = span.end;
        continue;
      }
    }
    out += literalChar(c);
  }
  return { source: out, sawGlob };
}

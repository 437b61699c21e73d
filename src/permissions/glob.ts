/**
 * Git-style glob matching as Codex configures globset (reference §2.3, §2.6): `*` and `?` stay within
 * one path component, `**` crosses components, `[...]` is a class (`[!...]` negated), an unclosed `[`
 * is a literal. POSIX: `\` escapes the next character, case-sensitive. Windows: `\` is a separator,
 * ASCII case-insensitive.
 */
import type { Platform } from '../path-uri/index.js';

function escapeRe(ch: string): string {
  return /[\\^$.*+?()[\]{}|]/.test(ch) ? `\\${ch}` : ch;
}

export function globToRegExp(pattern: string, platform: Platform): RegExp {
  const win = platform === 'win32';
  const p = win ? pattern.replace(/\\/g, '/') : pattern;
  let re = '';
  let i = 0;
  while (i < p.length) {
    const ch = p[i] as string;
    if (ch === '*') {
      if (p[i + 1] === '*') {
        const atStart = i === 0 || p[i - 1] === '/';
        const atEnd = i + 2 === p.length || p[i + 2] === '/';
        if (atStart && atEnd) {
          if (i + 2 === p.length) {
            // `…/**` matches the directory itself and everything below it.
            re = re.endsWith('/') ? `${re.slice(0, -1)}(?:/.*)?` : `${re}.*`;
            i += 2;
          } else {
            // `**/` matches zero or more whole components.
            re += '(?:[^/]*/)*';
            i += 3;
          }
          continue;
        }
      }
      re += '[^/]*';
      i += 1;
    } else if (ch === '?') {
      re += '[^/]';
      i += 1;
    } else if (ch === '[') {
      const close = p.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        i += 1;
        continue;
      }
      let body = p.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^/' : ''}${body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]')}]`;
      i = close + 1;
    } else if (ch === '\\' && !win && i + 1 < p.length) {
      re += escapeRe(p[i + 1] as string);
      i += 2;
    } else {
      re += escapeRe(ch);
      i += 1;
    }
  }
  return new RegExp(`^${re}$`, win ? 'i' : '');
}

export function globMatches(pattern: string, path: string, platform: Platform): boolean {
  const candidate = platform === 'win32' ? path.replace(/\\/g, '/') : path;
  return globToRegExp(pattern, platform).test(candidate);
}

/**
 * Deny-read glob matching for a platform (Codex `ReadDenyMatcher`, codex-rs/protocol/src/permissions.rs).
 * One dialect everywhere: the compiler
 * in glob-match.ts, which the Linux glob scan also uses, so what `createReadDenyMatcher` and overlays
 * call denied is what the sandbox denies. Windows: `\` is a separator (never an escape) and matching
 * ignores case.
 */
import type { Platform } from '../path-uri/index.js';
import { GLOB_REGEXP_FLAGS, globToRegExpSource } from './glob-match.js';

function forPlatform(text: string, platform: Platform): string {
  return platform === 'win32' ? text.replace(/\\/g, '/') : text;
}

/** Compiles `pattern` for `platform`. Throws GlobPatternError for a malformed pattern. */
export function globToRegExp(pattern: string, platform: Platform): RegExp {
  const flags = platform === 'win32' ? `${GLOB_REGEXP_FLAGS}i` : GLOB_REGEXP_FLAGS;
  return new RegExp(globToRegExpSource(forPlatform(pattern, platform)), flags);
}

/**
 * Whether `path` matches `pattern`. A malformed pattern matches everything: these are deny patterns,
 * and a typo must not turn into "deny nothing".
 */
export function globMatches(pattern: string, path: string, platform: Platform): boolean {
  let re: RegExp;
  try {
    re = globToRegExp(pattern, platform);
  } catch {
    return true;
  }
  return re.test(forPlatform(path, platform));
}

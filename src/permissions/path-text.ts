/**
 * Permission-entry paths travel as native path strings on the wire (Codex `LegacyAppPathString`,
 * codex-rs/utils/path-uri/src/api_path_string.rs) and as `PathUri` at runtime. The convention is inferred
 * from the spelling, never from the host,
 * so a Windows profile read on Linux keeps its meaning.
 */
import { PathUri } from '../path-uri/index.js';
import type { PathConvention, Platform } from '../path-uri/index.js';

/** `X:\`/`X:/` or a leading `\\` → Windows; a leading `/` → POSIX; anything else is not absolute. */
export function inferConvention(text: string): PathConvention | undefined {
  if (/^[A-Za-z]:[\\/]/.test(text) || text.startsWith('\\\\')) return 'windows';
  if (text.startsWith('/')) return 'posix';
  return undefined;
}

export function platformFor(convention: PathConvention): Platform {
  return convention === 'windows' ? 'win32' : 'linux';
}

/** Native absolute path text → PathUri; undefined when the text is not an absolute path of either convention. */
export function pathUriFromNative(text: string): PathUri | undefined {
  const convention = inferConvention(text);
  if (convention === undefined) return undefined;
  try {
    return PathUri.fromAbsPath(text, { platform: platformFor(convention) });
  } catch {
    return undefined;
  }
}

/**
 * PathUri → the native string Codex writes (`inferred_native_path_string`), or undefined when that
 * string would not parse back to the same URI (Codex: "permission path cannot be represented losslessly").
 */
export function nativeFromPathUri(uri: PathUri): string | undefined {
  const convention = uri.convention();
  if (convention === undefined) return undefined;
  let text: string;
  try {
    const p = uri.toAbsPath({ platform: platformFor(convention) });
    if (typeof p !== 'string') return undefined;
    text = p;
  } catch {
    return undefined;
  }
  const back = pathUriFromNative(text);
  return back !== undefined && back.equals(uri) ? text : undefined;
}

/**
 * The lossless opaque fallback `file:///%00/bad/path/<base64url>` (Codex codex-rs/utils/path-uri/src/lib.rs).
 * The encoded NUL makes the namespace impossible for a real path, so a real file literally named
 * `/bad/path/...` (URI `file:///bad/path/...`) can never collide with a fallback.
 */
import type { PathConvention } from './convention.js';

export const BAD_PATH_URI_PREFIX = 'file:///%00/bad/path/';

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The fallback URI text for raw native bytes (Unix bytes or Windows UTF-16LE units). */
export function encodeFallback(bytes: Uint8Array): string {
  return BAD_PATH_URI_PREFIX + Buffer.from(bytes).toString('base64url');
}

export type FallbackDecode = { ok: true; bytes: Buffer } | { ok: false; reason: string };

/**
 * Decodes a canonical fallback URI; undefined when `href` does not start with the prefix.
 * The payload must re-encode to exactly the same text, since Buffer's base64url decoder is lenient
 * (padding, stray characters, non-zero trailing bits): one path must have exactly one fallback URI.
 */
export function decodeFallback(href: string): FallbackDecode | undefined {
  if (!href.startsWith(BAD_PATH_URI_PREFIX)) return undefined;
  const payload = href.slice(BAD_PATH_URI_PREFIX.length);
  if (payload === '') return { ok: false, reason: 'the fallback payload is empty' };
  if (payload.includes('/')) return { ok: false, reason: 'the fallback payload must be a single path segment' };
  if (!BASE64URL.test(payload)) {
    return { ok: false, reason: 'the fallback payload is not unpadded base64url (A-Z a-z 0-9 - _)' };
  }
  const bytes = Buffer.from(payload, 'base64url');
  if (bytes.toString('base64url') !== payload) {
    return { ok: false, reason: 'the fallback payload is not canonical base64url (its trailing bits must be zero)' };
  }
  return { ok: true, bytes };
}

/** Convention of a fallback payload: `/` first → POSIX; UTF-16LE `X:` or `\\` first → Windows. */
export function inferFallbackConvention(bytes: Uint8Array): PathConvention | undefined {
  if (bytes[0] === 0x2f) return 'posix';
  if (bytes.length % 2 !== 0 || bytes.length < 4) return undefined;
  const first = bytes[0]! | (bytes[1]! << 8);
  const second = bytes[2]! | (bytes[3]! << 8);
  const isLetter = (first >= 0x41 && first <= 0x5a) || (first >= 0x61 && first <= 0x7a);
  if (isLetter && second === 0x3a) return 'windows';
  if (first === 0x5c && second === 0x5c) return 'windows';
  return undefined;
}

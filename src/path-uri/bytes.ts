/** Byte-level helpers for PathUri: percent-encoding, UTF-8 / WTF-8 / UTF-16LE codecs. */

const HEX = '0123456789ABCDEF';

/**
 * The url crate's SPECIAL_PATH_SEGMENT set (used by Codex `PathUri::from_abs_path`): C0 controls, 0x7F,
 * every byte >= 0x80,
 * space " # % / < > ? \ ` { }. Encoding `%`, `/`, `\`, `?` and `#` stops a file name from being read
 * back as an escape, a separator, a query or a fragment.
 */
function mustEncode(b: number): boolean {
  if (b <= 0x20 || b >= 0x7f) return true;
  switch (b) {
    case 0x22: // "
    case 0x23: // #
    case 0x25: // %
    case 0x2f: // /
    case 0x3c: // <
    case 0x3e: // >
    case 0x3f: // ?
    case 0x5c: // \
    case 0x60: // `
    case 0x7b: // {
    case 0x7d: // }
      return true;
    default:
      return false;
  }
}

/** Percent-encodes one path segment's raw bytes with uppercase hex. */
export function percentEncodeSegment(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    out += mustEncode(b) ? '%' + HEX[b >> 4]! + HEX[b & 15]! : String.fromCharCode(b);
  }
  return out;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** True when some `%` is not followed by two hex digits. */
export function hasMalformedPercent(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== 0x25) continue;
    if (hexValue(text.charCodeAt(i + 1)) < 0 || hexValue(text.charCodeAt(i + 2)) < 0) return true;
    i += 2;
  }
  return false;
}

/** Percent-decodes URI text to raw bytes (non-escape characters contribute their UTF-8 bytes). */
export function percentDecode(text: string): Buffer {
  const src = Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    if (b === 0x25) {
      const hi = hexValue(src[i + 1] ?? -1);
      const lo = hexValue(src[i + 2] ?? -1);
      if (hi >= 0 && lo >= 0) {
        out[n++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    out[n++] = b;
  }
  return out.subarray(0, n);
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes strict UTF-8, or undefined when the bytes are not UTF-8. */
export function utf8Decode(bytes: Uint8Array): string | undefined {
  try {
    return utf8Fatal.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Percent-decoded segment text when it is UTF-8, else the encoded spelling (Codex `decode_uri_path`). */
export function decodeSegmentText(segment: string): string {
  return utf8Decode(percentDecode(segment)) ?? segment;
}

/** True when a JS string holds an unpaired UTF-16 surrogate (it then has no UTF-8 form). */
export function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
      return true;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

/** WTF-8: UTF-8 that also encodes unpaired surrogates as 3-byte sequences (ED A0..BF xx). */
export function wtf8Encode(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return Buffer.from(out);
}

/** Inverse of wtf8Encode; undefined unless the bytes are exactly what wtf8Encode produces for some string. */
export function wtf8Decode(bytes: Uint8Array): string | undefined {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let cp: number;
    let len: number;
    if (b < 0x80) {
      cp = b;
      len = 1;
    } else if (b >= 0xc2 && b <= 0xdf) {
      cp = b & 31;
      len = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      cp = b & 15;
      len = 3;
    } else if (b >= 0xf0 && b <= 0xf4) {
      cp = b & 7;
      len = 4;
    } else return undefined;
    if (i + len > bytes.length) return undefined;
    for (let k = 1; k < len; k++) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) return undefined;
      cp = (cp << 6) | (c & 63);
    }
    const min = len === 1 ? 0 : len === 2 ? 0x80 : len === 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10ffff) return undefined;
    out += String.fromCodePoint(cp);
    i += len;
  }
  // A surrogate pair written as two 3-byte sequences is not what wtf8Encode emits: reject it.
  return wtf8Encode(out).equals(bytes) ? out : undefined;
}

/** UTF-16 code units, little-endian (Windows `encode_wide` → `to_le_bytes`). */
export function utf16leEncode(s: string): Buffer {
  const out = Buffer.allocUnsafe(s.length * 2);
  for (let i = 0; i < s.length; i++) out.writeUInt16LE(s.charCodeAt(i), i * 2);
  return out;
}

/** Inverse of utf16leEncode (keeps lone surrogates); undefined for an odd byte count. */
export function utf16leDecode(bytes: Uint8Array): string | undefined {
  if (bytes.length % 2 !== 0) return undefined;
  let out = '';
  for (let i = 0; i < bytes.length; i += 2) out += String.fromCharCode(bytes[i]! | (bytes[i + 1]! << 8));
  return out;
}

/** ASCII-only case fold of raw bytes (non-ASCII bytes are left alone, as Codex does). */
export function asciiLowerBytes(bytes: Uint8Array): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const b = out[i]!;
    if (b >= 0x41 && b <= 0x5a) out[i] = b + 32;
  }
  return out;
}

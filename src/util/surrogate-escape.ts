/**
 * Unix paths are bytes; JavaScript strings are UTF-16. Inside the planners a native Unix path is a
 * string in which every byte that is not part of valid UTF-8 is carried as a lone surrogate
 * U+DC80..U+DCFF (Python's "surrogateescape"). This is lossless for every byte path, keeps ordinary
 * paths ordinary strings, and the argv boundary turns such strings back into their exact bytes.
 */
/** An argv element: a string, or raw bytes (base64) for a non-UTF-8 Unix path (the contract's ArgvItem). */
type ArgvItem = string | { bytes: string };

const ESCAPE_BASE = 0xdc00;

/** Raw bytes → path string (valid UTF-8 runs decoded, other bytes escaped). */
export function bytesToPathString(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoded = buf.toString('utf8');
  // Fast path: the bytes were valid UTF-8 if re-encoding gives them back.
  if (Buffer.byteLength(decoded, 'utf8') === buf.length && Buffer.from(decoded, 'utf8').equals(buf)) return decoded;
  let out = '';
  let i = 0;
  while (i < buf.length) {
    const len = utf8SequenceLength(buf, i);
    if (len > 0) {
      out += buf.subarray(i, i + len).toString('utf8');
      i += len;
    } else {
      out += String.fromCharCode(ESCAPE_BASE + (buf[i] as number));
      i += 1;
    }
  }
  return out;
}

/** Length of the valid UTF-8 sequence starting at i, or 0 when the byte there starts none. */
function utf8SequenceLength(b: Buffer, i: number): number {
  const c = b[i] as number;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const v = b[i + k];
    return v !== undefined && v >= lo && v <= hi;
  };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0; // no encoded surrogates
  if (c >= 0xe1 && c <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** Path string → its exact bytes. */
export function pathStringToBytes(s: string): Buffer {
  if (!hasEscapedBytes(s)) return Buffer.from(s, 'utf8');
  const parts: Buffer[] = [];
  let run = '';
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code >= 0xdc80 && code <= 0xdcff && !isLowSurrogateOfPair(s, i)) {
      if (run) parts.push(Buffer.from(run, 'utf8'));
      run = '';
      parts.push(Buffer.from([code - ESCAPE_BASE]));
    } else {
      run += s[i];
    }
  }
  if (run) parts.push(Buffer.from(run, 'utf8'));
  return Buffer.concat(parts);
}

function isLowSurrogateOfPair(s: string, i: number): boolean {
  if (i === 0) return false;
  const prev = s.charCodeAt(i - 1);
  return prev >= 0xd800 && prev <= 0xdbff;
}

/** Whether the string carries escaped (non-UTF-8) bytes. */
export function hasEscapedBytes(s: string): boolean {
  return /[\udc80-\udcff]/.test(s) && [...s].some((ch) => ch.length === 1 && ch.charCodeAt(0) >= 0xdc80 && ch.charCodeAt(0) <= 0xdcff);
}

/** A path string as an argv element: plain when it is UTF-8, raw bytes otherwise. */
export function toArgvItem(s: string): ArgvItem {
  return hasEscapedBytes(s) ? { bytes: pathStringToBytes(s).toString('base64') } : s;
}

/** The exact bytes of an argv element. */
export function argvItemBytes(item: ArgvItem): Buffer {
  return typeof item === 'string' ? pathStringToBytes(item) : Buffer.from(item.bytes, 'base64');
}

/** A printable form of an argv element (for messages and dry-run text). */
export function argvItemText(item: ArgvItem): string {
  return typeof item === 'string' ? item : bytesToPathString(Buffer.from(item.bytes, 'base64'));
}

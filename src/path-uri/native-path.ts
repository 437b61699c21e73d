/**
 * Native absolute paths ⇄ URI parts, for both conventions on every host (Codex `from_abs_path`,
 * `to_abs_path`, `from_absolute_native_path`; codex-rs/utils/path-uri/src/absolute_path_normalization.rs).
 * Pure string/byte work: nothing here touches the filesystem.
 */
import { hasLoneSurrogate, percentDecode, percentEncodeSegment, utf16leEncode, utf8Decode } from './bytes.js';
import { isDriveSegment, pathSegments } from './uri-text.js';

/**
 * What a native path maps to: ordinary URI parts (plus the fallback payload to use if the caller's
 * post-checks reject them), or the opaque fallback payload.
 */
export type NativeForm =
  | { readonly kind: 'ordinary'; readonly host: string; readonly path: string; readonly fallback: Buffer }
  | { readonly kind: 'opaque'; readonly bytes: Buffer };

const SLASH = 0x2f;

function opaque(bytes: Buffer): NativeForm {
  return { kind: 'opaque', bytes };
}

/** Resolves `.`/`..`/empty components lexically; `..` never climbs above the anchor. */
function normalizeComponents<T>(parts: readonly T[], isDot: (p: T) => boolean, isDotDot: (p: T) => boolean, isEmpty: (p: T) => boolean): T[] {
  const out: T[] = [];
  for (const p of parts) {
    if (isEmpty(p) || isDot(p)) continue;
    if (isDotDot(p)) out.pop();
    else out.push(p);
  }
  return out;
}

function normalizeStrings(parts: readonly string[]): string[] {
  return normalizeComponents(parts, (p) => p === '.', (p) => p === '..', (p) => p === '');
}

function encodeText(component: string): string {
  return percentEncodeSegment(Buffer.from(component, 'utf8'));
}

/** `X:` or `X|` as a whole component: the WHATWG parser reads both as a Windows drive letter. */
function isDriveShapedBytes(c: Uint8Array): boolean {
  const a = c[0] ?? 0;
  return c.length === 2 && ((a >= 0x41 && a <= 0x5a) || (a >= 0x61 && a <= 0x7a)) && (c[1] === 0x3a || c[1] === 0x7c);
}

// ---------------------------------------------------------------------------------------------
// POSIX

/**
 * An absolute POSIX path's raw bytes → URI parts (`from_abs_path` on Unix). Components are normalised
 * lexically first (repeated `/`, `.`, trailing `/` and `..`), as Codex's AbsolutePathBuf does.
 * `forceOpaque` is for JS strings with lone surrogates, which have no byte form (see PathUri.fromAbsPath).
 */
export function posixAbsForm(bytes: Buffer, forceOpaque = false): NativeForm {
  const raw: Buffer[] = [];
  let start = 1;
  for (let i = 1; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === SLASH) {
      raw.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  const comps = normalizeComponents(
    raw,
    (c) => c.length === 1 && c[0] === 0x2e,
    (c) => c.length === 2 && c[0] === 0x2e && c[1] === 0x2e,
    (c) => c.length === 0,
  );
  const normalized = Buffer.concat(comps.length === 0 ? [Buffer.from('/')] : comps.flatMap((c) => [Buffer.from('/'), c]));
  // NUL has no URI form; a drive-shaped first component would read back as a Windows drive.
  if (forceOpaque || comps.some((c) => c.includes(0)) || (comps[0] !== undefined && isDriveShapedBytes(comps[0]))) {
    return opaque(normalized);
  }
  return { kind: 'ordinary', host: '', path: '/' + comps.map((c) => percentEncodeSegment(c)).join('/'), fallback: normalized };
}

/** Absolute POSIX path text as `join` reads it (Codex `from_absolute_native_path`): keeps a trailing separator; undefined if relative. */
export function posixNativeTextForm(text: string): NativeForm | undefined {
  if (!text.startsWith('/')) return undefined;
  const raw = Buffer.from(text, 'utf8');
  if (text.includes('\0')) return opaque(raw);
  const parts = text.slice(1).split('/');
  const comps = normalizeStrings(parts);
  const trailing = parts[parts.length - 1] === '' && comps.length > 0;
  return { kind: 'ordinary', host: '', path: '/' + comps.map(encodeText).join('/') + (trailing ? '/' : ''), fallback: raw };
}

// ---------------------------------------------------------------------------------------------
// Windows

const SEP = /[\\/]/;
const NAMESPACE = /^[\\/]{2}[.?][\\/]/;
const DRIVE_ABS = /^[A-Za-z]:[\\/]/;

/**
 * `\\?\UNC\s\sh` and `\\.\UNC\s\sh` → `\\s\sh`; `\\?\C:\…` and `\\.\C:\…` → `C:\…` (Codex
 * `normalize_windows_device_path`, applied once). Other namespace paths stay as they are.
 */
export function normalizeWindowsDevicePath(path: string): string {
  if (!NAMESPACE.test(path)) return path;
  const rest = path.slice(4);
  if (/^UNC[\\/]/i.test(rest)) return '\\\\' + rest.slice(4);
  if (DRIVE_ABS.test(rest)) return rest;
  return path;
}

/** True when `server` is a URL host that serialises to itself (ASCII case aside) and is not `localhost`. */
function isPlainUncHost(server: string): string | undefined {
  let host: string;
  try {
    host = new URL(`file://${server}/`).host;
  } catch {
    return undefined;
  }
  // The WHATWG host parser percent-decodes, punycodes and rewrites numeric IPv4 forms: any change
  // means the URI would name a different server than the path did, so use the fallback instead.
  if (host === '' || host === 'localhost' || host !== server.replace(/[A-Z]/g, (c) => c.toLowerCase())) return undefined;
  return host;
}

/** Namespace paths keep their spelling, with a canonical `\\X\` prefix and a `\` after a bare device name. */
function namespacePayload(raw: string): Buffer {
  let s = '\\\\' + raw[2]! + '\\' + raw.slice(4);
  if (!SEP.test(raw.slice(4))) s += '\\';
  return utf16leEncode(s);
}

/**
 * An absolute Windows path → URI parts (`from_abs_path` on Windows); undefined when not absolute
 * (relative, `\root-relative` or `C:drive-relative`). Device and verbatim namespaces that are not plain
 * drive or UNC paths, NUL, lone surrogates and unusable UNC servers go to the UTF-16LE fallback.
 */
export function windowsAbsForm(raw: string): NativeForm | undefined {
  const s = normalizeWindowsDevicePath(raw);
  if (NAMESPACE.test(s)) return opaque(namespacePayload(raw));
  if (DRIVE_ABS.test(s)) {
    const comps = normalizeStrings(s.slice(3).split(SEP));
    const normalized = s.slice(0, 2) + '\\' + comps.join('\\');
    const fallback = utf16leEncode(normalized);
    if (normalized.includes('\0') || hasLoneSurrogate(normalized)) return opaque(fallback);
    return { kind: 'ordinary', host: '', path: '/' + s[0]!.toUpperCase() + ':/' + comps.map(encodeText).join('/'), fallback };
  }
  if (/^[\\/]{2}/.test(s)) {
    const parts = s.slice(2).split(SEP);
    const server = parts[0] ?? '';
    const share = parts[1] ?? '';
    if (server === '' || share === '' || server === '.' || server === '..' || share === '.' || share === '..') {
      return opaque(utf16leEncode('\\\\' + s.slice(2).replace(/\//g, '\\')));
    }
    const comps = normalizeStrings(parts.slice(2));
    const normalized = `\\\\${server}\\${share}` + comps.map((c) => '\\' + c).join('');
    const fallback = utf16leEncode(normalized);
    if (normalized.includes('\0') || hasLoneSurrogate(normalized)) return opaque(fallback);
    const host = isPlainUncHost(server);
    if (host === undefined) return opaque(fallback);
    return { kind: 'ordinary', host, path: '/' + encodeText(share) + comps.map((c) => '/' + encodeText(c)).join(''), fallback };
  }
  return undefined;
}

/** Absolute Windows path text as `join` reads it (Codex `from_absolute_native_path`): keeps a trailing separator; undefined if not absolute. */
export function windowsNativeTextForm(text: string): NativeForm | undefined {
  const raw = utf16leEncode(text);
  const s = normalizeWindowsDevicePath(text);
  if (NAMESPACE.test(s)) return opaque(raw);
  const isDrive = DRIVE_ABS.test(s);
  const isUnc = !isDrive && /^[\\/]{2}/.test(s);
  if (!isDrive && !isUnc) return undefined;
  if (text.includes('\0')) return opaque(raw);
  if (isDrive) {
    const parts = s.slice(3).split(SEP);
    const comps = normalizeStrings(parts);
    const trailing = parts[parts.length - 1] === '' && comps.length > 0;
    return { kind: 'ordinary', host: '', path: '/' + s[0]!.toUpperCase() + ':/' + comps.map(encodeText).join('/') + (trailing ? '/' : ''), fallback: raw };
  }
  const parts = s.slice(2).split(SEP);
  const server = parts[0] ?? '';
  const share = parts[1] ?? '';
  if (server === '' || share === '' || server === '.' || server === '..' || share === '.' || share === '..') return opaque(raw);
  const host = isPlainUncHost(server);
  if (host === undefined) return opaque(raw);
  const rest = parts.slice(2);
  const comps = normalizeStrings(rest);
  const trailing = rest.length > 0 && rest[rest.length - 1] === '';
  return {
    kind: 'ordinary',
    host,
    path: '/' + encodeText(share) + comps.map((c) => '/' + encodeText(c)).join('') + (trailing ? '/' : ''),
    fallback: raw,
  };
}

// ---------------------------------------------------------------------------------------------
// URI parts → native path

export type NativeResult = { ok: true; path: string | Buffer } | { ok: false; reason: string };

/** A `%` escape or a non-ASCII character: the text is not its own decoding. */
const NOT_PLAIN = /[%\u0080-\uffff]/;
const DRIVE_TEXT = /^[A-Za-z][:|]$/;
const DRIVE_SHAPED_REASON = 'its first segment decodes to a drive-shaped name, whose only URI is the fallback form';

/** Ordinary POSIX URI parts → raw path bytes (a string when UTF-8). Caller has checked the convention. */
export function toPosixNative(path: string): NativeResult {
  // ASCII without `%` (the usual URI): every segment decodes to itself, so the path is the text —
  // no Buffer per segment (planning converts one URI per profile entry: 256 roots, #21).
  if (path.startsWith('/') && !NOT_PLAIN.test(path)) {
    let at = 1;
    while (path.charCodeAt(at) === SLASH) at += 1;
    const end = path.indexOf('/', at);
    if ((end === -1 ? path.length : end) - at === 2 && DRIVE_TEXT.test(path.slice(at, at + 2))) {
      return { ok: false, reason: DRIVE_SHAPED_REASON };
    }
    return { ok: true, path };
  }
  const segs = pathSegments(path).map((s) => percentDecode(s));
  // A decoded '/' would split one URI segment into several path components, so lexical checks on
  // the URI would no longer describe the path a syscall sees.
  if (segs.some((s) => s.includes(SLASH))) {
    return { ok: false, reason: "a path segment contains an encoded '/' (%2F), which no POSIX file name can hold" };
  }
  const first = segs.find((s) => s.length > 0);
  if (first !== undefined && isDriveShapedBytes(first)) {
    // `/C:/x` has exactly one URI, the fallback; an escaped spelling like `%43:` must not alias it.
    return { ok: false, reason: DRIVE_SHAPED_REASON };
  }
  const bytes = Buffer.concat(segs.flatMap((s) => [Buffer.from('/'), s]));
  return { ok: true, path: utf8Decode(bytes) ?? bytes };
}

/** Ordinary Windows URI parts → `C:\…` or `\\server\share\…`. Caller has checked the convention. */
export function toWindowsNative(host: string, path: string): NativeResult {
  const segs = pathSegments(path);
  const decoded: string[] = [];
  for (const seg of segs) {
    const text = utf8Decode(percentDecode(seg));
    if (text === undefined) return { ok: false, reason: `segment '${seg}' is not UTF-8, which Windows paths require` };
    // An encoded separator would become a real one in the native path (`a%5C..%5Cb` → `a\..\b`).
    if (SEP.test(text)) return { ok: false, reason: `segment '${seg}' contains an encoded path separator ('\\' or '/')` };
    decoded.push(text);
  }
  if (host !== '') {
    const [share, ...rest] = decoded;
    if (share === undefined || share === '') return { ok: false, reason: 'a UNC path needs a share name after the server' };
    return { ok: true, path: `\\\\${host}\\${share}` + rest.map((c) => '\\' + c).join('') };
  }
  const at = segs.findIndex((s) => s !== '');
  if (at !== 0 || !isDriveSegment(segs[0])) return { ok: false, reason: 'a Windows path must start with a drive letter or a UNC server' };
  return { ok: true, path: decoded[0]! + '\\' + decoded.slice(1).join('\\') };
}

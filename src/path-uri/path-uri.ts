/**
 * PathUri: lossless `file:` URIs for absolute paths (Codex's `PathUri`, codex-rs/utils/path-uri/src/lib.rs).
 * Immutable; the canonical text is the identity for POSIX and fallback URIs, while Windows URIs compare
 * by decoded, ASCII-case-folded path (as Codex's `PartialEq`/`Hash` for `PathUri`).
 */
import {
  asciiLowerBytes,
  decodeSegmentText,
  hasLoneSurrogate,
  percentDecode,
  percentEncodeSegment,
  utf16leDecode,
  utf8Decode,
  wtf8Decode,
  wtf8Encode,
} from './bytes.js';
import { conventionOf } from './convention.js';
import type { PathConvention, Platform } from './convention.js';
import { PathUriError } from './errors.js';
import { decodeFallback, encodeFallback, inferFallbackConvention } from './fallback.js';
import {
  posixAbsForm,
  posixNativeTextForm,
  toPosixNative,
  toWindowsNative,
  windowsAbsForm,
  windowsNativeTextForm,
} from './native-path.js';
import type { NativeForm } from './native-path.js';
import { firstNonEmptySegment, isDriveSegment, parseUriText, pathSegments } from './uri-text.js';

const UTF8 = new TextDecoder('utf-8');

export class PathUri {
  private identity: string | undefined;

  private constructor(
    private readonly text: string,
    private readonly host: string,
    private readonly path: string,
    /** Decoded fallback payload; undefined for an ordinary URI. */
    private readonly opaque: Buffer | undefined,
  ) {}

  private static fromParts(host: string, path: string): PathUri {
    const text = `file://${host}${path}`;
    const fb = decodeFallback(text);
    return new PathUri(text, host, path, fb?.ok ? fb.bytes : undefined);
  }

  private static fromOpaqueBytes(bytes: Buffer): PathUri {
    const text = encodeFallback(bytes);
    return new PathUri(text, '', text.slice('file://'.length), bytes);
  }

  /**
   * Ordinary parts are accepted only if they survive the three post-checks of Codex's `from_abs_path`:
   * the text re-parses to itself, the host is not empty when a UNC host was meant, and the inferred
   * convention is the one the path was written in. Otherwise the path gets the lossless fallback.
   */
  private static fromForm(form: NativeForm, convention: PathConvention): PathUri {
    if (form.kind === 'opaque') return PathUri.fromOpaqueBytes(form.bytes);
    const text = `file://${form.host}${form.path}`;
    try {
      const parts = parseUriText(text);
      if (`file://${parts.host}${parts.path}` === text) {
        const uri = PathUri.fromParts(parts.host, parts.path);
        if (uri.opaque === undefined && uri.convention() === convention) return uri;
      }
    } catch {
      // fall through to the fallback
    }
    return PathUri.fromOpaqueBytes(form.fallback);
  }

  /**
   * Never throws for an absolute path; relative input throws PathUriError('NotAbsolute').
   *
   * - POSIX (`linux`, `darwin`): a Buffer is the raw path bytes. A string is encoded as UTF-8, except
   *   that a string with lone surrogates has no byte form at all (Node would silently write U+FFFD):
   *   it becomes the fallback over its WTF-8 bytes, and toAbsPath gives the same string back. Only
   *   when such a string also contains NUL or a drive-shaped first component does its fallback
   *   coincide with a Buffer path's, and then toAbsPath returns the Buffer (bytes win).
   * - Windows (`win32`): a string is UTF-16 (lone surrogates allowed, via the fallback). A Buffer is
   *   read as UTF-8, as Node does for Buffer paths on Windows.
   * `.` and `..` are resolved lexically (like Codex's AbsolutePathBuf); resolve symlinks first if
   * that matters.
   */
  static fromAbsPath(path: string | Buffer, opts: { platform: Platform }): PathUri {
    const convention = conventionOf(opts.platform);
    if (convention === 'posix') {
      const isString = typeof path === 'string';
      const lone = isString && hasLoneSurrogate(path);
      const bytes = isString ? (lone ? wtf8Encode(path) : Buffer.from(path, 'utf8')) : path;
      if (bytes[0] !== 0x2f) throw notAbsolute(path, opts.platform);
      return PathUri.fromForm(posixAbsForm(bytes, lone), 'posix');
    }
    const text = typeof path === 'string' ? path : path.toString('utf8');
    const form = windowsAbsForm(text);
    if (form === undefined) throw notAbsolute(text, opts.platform);
    return PathUri.fromForm(form, 'windows');
  }

  /** Parses and canonicalises URI text; throws PathUriError naming the problem. */
  static parse(text: string): PathUri {
    const { host, path } = parseUriText(text);
    return PathUri.fromParts(host, path);
  }

  /** True when `value` is a PathUri instance. */
  static isPathUri(value: unknown): value is PathUri {
    return value instanceof PathUri;
  }

  /** The native absolute path: a string, or a Buffer when the raw Unix bytes are not UTF-8. */
  toAbsPath(opts: { platform: Platform }): string | Buffer {
    const native = conventionOf(opts.platform);
    const inferred = this.convention();
    if (inferred !== native) {
      const what = inferred === undefined ? 'a fallback URI whose payload is neither a POSIX nor a Windows absolute path' : `a ${inferred === 'posix' ? 'POSIX' : 'Windows'} path URI`;
      throw new PathUriError(
        'NotNative',
        `'${this.text}' is invalid on '${opts.platform}': it is ${what}; convert it on a host that uses that convention`,
      );
    }
    if (this.opaque !== undefined) return this.decodeOpaque(opts.platform);
    const result = native === 'posix' ? toPosixNative(this.path) : toWindowsNative(this.host, this.path);
    if (!result.ok) throw new PathUriError('InvalidFileUriPath', `'${this.text}' is invalid on '${opts.platform}': ${result.reason}`);
    return result.path;
  }

  /**
   * The fallback payload must decode to an absolute path whose own URI is exactly this one (Codex
   * `to_abs_path`): a hand-written payload that would re-encode differently names no path and is refused.
   */
  private decodeOpaque(platform: Platform): string | Buffer {
    const bytes = this.opaque!;
    const candidates: (string | Buffer)[] = [];
    if (conventionOf(platform) === 'posix') {
      candidates.push(utf8Decode(bytes) ?? bytes);
      const wtf = wtf8Decode(bytes);
      if (wtf !== undefined && hasLoneSurrogate(wtf)) candidates.push(wtf);
    } else {
      const wide = utf16leDecode(bytes);
      if (wide !== undefined) candidates.push(wide);
    }
    for (const candidate of candidates) {
      try {
        if (PathUri.fromAbsPath(candidate, { platform }).text === this.text) return candidate;
      } catch {
        // not absolute: try the next reading
      }
    }
    throw new PathUriError(
      'InvalidFileUriPath',
      `'${this.text}' is invalid on '${platform}': its fallback payload does not decode to an absolute path that encodes back to this URI`,
    );
  }

  /** Like toAbsPath but throws PathUriError('NotNative') when the path is not representable as a JS string. */
  toAbsPathString(opts: { platform: Platform }): string {
    const p = this.toAbsPath(opts);
    if (typeof p !== 'string') throw new PathUriError('NotNative', `'${this.text}' is not valid UTF-8 on '${opts.platform}'; use toAbsPath to get the raw bytes`);
    return p;
  }

  /** Inferred convention; undefined for an opaque fallback whose payload has none. */
  convention(): PathConvention | undefined {
    if (this.opaque !== undefined) return inferFallbackConvention(this.opaque);
    if (this.host !== '') return 'windows';
    return isDriveSegment(firstNonEmptySegment(this.path)) ? 'windows' : 'posix';
  }

  isOpaque(): boolean {
    return this.opaque !== undefined;
  }

  /** The percent-encoded URI path, without the authority (Codex `encoded_path`). */
  encodedPath(): string {
    return this.path;
  }

  /**
   * Lexically resolves native path text against this URI, in this URI's convention (Codex `PathUri::join`):
   * an absolute path replaces it; `..` never climbs above `/`, the drive or the UNC share.
   */
  join(relative: string): PathUri {
    if (relative.includes('\0')) throw joinError(relative, this, 'the path contains a NUL byte');
    if (relative === '') return this;
    if (hasLoneSurrogate(relative)) throw joinError(relative, this, 'the path contains a lone UTF-16 surrogate, which has no UTF-8 form');
    const convention = this.convention();
    if (convention === undefined) throw joinError(relative, this, 'the base is a fallback URI with no path convention');
    const absolute = convention === 'posix' ? posixNativeTextForm(relative) : windowsNativeTextForm(relative);
    if (absolute !== undefined) return PathUri.fromForm(absolute, convention);
    let rel = relative;
    if (convention === 'windows' && /^[A-Za-z]:/.test(rel)) {
      const first = pathSegments(this.path).find((s) => s !== '');
      if (this.host !== '' || !isDriveSegment(first) || first![0]!.toUpperCase() !== rel[0]!.toUpperCase()) {
        throw joinError(relative, this, `'${rel.slice(0, 2)}' is relative to another drive's current directory, which a URI cannot know`);
      }
      rel = rel.slice(2);
    }
    if (this.opaque !== undefined) throw joinError(relative, this, 'fallback URIs are opaque to lexical operations');
    const anchor = convention === 'windows' ? 1 : 0;
    let segs = pathSegments(this.path).filter((s) => s !== '');
    if (convention === 'windows' && /^[\\/](?![\\/])/.test(rel)) segs = segs.slice(0, anchor);
    for (const comp of convention === 'windows' ? rel.split(/[\\/]/) : rel.split('/')) {
      if (comp === '' || comp === '.') continue;
      if (comp === '..') {
        if (segs.length > anchor) segs.pop();
      } else segs.push(percentEncodeSegment(Buffer.from(comp, 'utf8')));
    }
    return this.derive(segs, convention, relative);
  }

  /**
   * Joins native bytes (Codex `join_native_bytes`, codex-rs/utils/path-uri/src/native_path_bytes.rs): UTF-8
   * goes through join; other bytes only
   * onto an ordinary POSIX base, each component byte-percent-encoded.
   */
  joinNativeBytes(bytes: Buffer): PathUri {
    const asText = utf8Decode(bytes);
    if (asText !== undefined) return this.join(asText);
    const shown = bytes.toString('latin1');
    if (this.opaque !== undefined || this.convention() !== 'posix') throw joinError(shown, this, 'non-UTF-8 bytes can only be joined onto an ordinary POSIX URI');
    if (bytes.includes(0)) throw joinError(shown, this, 'the path contains a NUL byte');
    let segs = bytes[0] === 0x2f ? [] : pathSegments(this.path).filter((s) => s !== '');
    let start = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i < bytes.length && bytes[i] !== 0x2f) continue;
      const comp = bytes.subarray(start, i);
      start = i + 1;
      const c = comp.toString('latin1');
      if (c === '' || c === '.') continue;
      if (c === '..') segs.pop();
      else segs.push(percentEncodeSegment(comp));
    }
    segs = segs.slice();
    return this.derive(segs, 'posix', shown);
  }

  /** Rebuilds a URI from encoded segments and re-validates it, refusing a change of convention. */
  private derive(segs: readonly string[], convention: PathConvention, input: string): PathUri {
    let uri: PathUri;
    try {
      uri = PathUri.parse(`file://${this.host}/${segs.join('/')}`);
    } catch (e) {
      throw joinError(input, this, e instanceof Error ? e.message : String(e));
    }
    // e.g. `file:///` + `C:` would turn a POSIX path into a Windows drive.
    if (uri.convention() !== convention || uri.opaque !== undefined) {
      throw joinError(input, this, `the result '${uri.text}' would no longer be a ${convention === 'posix' ? 'POSIX' : 'Windows'} path`);
    }
    return uri;
  }

  /** The lexical parent; undefined at `/`, a drive root, a UNC share root, or for a fallback URI. */
  parent(): PathUri | undefined {
    if (this.opaque !== undefined) return undefined;
    const convention = this.convention();
    const anchor = convention === 'windows' ? 1 : 0;
    const segs = pathSegments(this.path);
    if (segs.filter((s) => s !== '').length <= anchor) return undefined;
    if (segs[segs.length - 1] === '' && segs.length > 1) segs.pop();
    segs.pop();
    return PathUri.parse(`file://${this.host}/${segs.join('/')}`);
  }

  /** Decoded last non-empty segment (encoded spelling if not UTF-8); undefined at the root or for a fallback. */
  basename(): string | undefined {
    if (this.opaque !== undefined) return undefined;
    const last = pathSegments(this.path).filter((s) => s !== '').pop();
    return last === undefined ? undefined : decodeSegmentText(last);
  }

  /**
   * Lexical containment on decoded segments (Codex `PathUri::starts_with`): same host and convention; POSIX
   * compares
   * bytes exactly, Windows ignores ASCII case only. A segment holding an encoded separator fails
   * closed, because the native path would split it. Fallback URIs contain only themselves.
   */
  startsWith(base: PathUri): boolean {
    return this.relativeSegments(base) !== undefined;
  }

  /** Relative path from base (decoded segments joined by the convention's separator), or undefined. */
  relativeFrom(base: PathUri): string | undefined {
    const rest = this.relativeSegments(base);
    if (rest === undefined) return undefined;
    return rest.map(decodeSegmentText).join(this.convention() === 'windows' ? '\\' : '/');
  }

  private relativeSegments(base: PathUri): string[] | undefined {
    if (this.equals(base)) return [];
    if (this.opaque !== undefined || base.opaque !== undefined) return undefined;
    if (this.host !== base.host) return undefined;
    const convention = this.convention();
    if (convention === undefined || convention !== base.convention()) return undefined;
    const mine = containmentSegments(this.path, convention);
    const theirs = containmentSegments(base.path, convention);
    if (mine === undefined || theirs === undefined || mine.length < theirs.length) return undefined;
    for (let i = 0; i < theirs.length; i++) {
      if (!mine[i]!.key.equals(theirs[i]!.key)) return undefined;
    }
    return mine.slice(theirs.length).map((s) => s.raw);
  }

  /**
   * Identity used by equals (Codex's `PartialEq`/`Hash` for `PathUri`): the text for POSIX and fallback
   * URIs; for Windows URIs
   * without encoded separators, the host plus the decoded, ASCII-folded path. Usable as a Map key.
   */
  identityKey(): string {
    if (this.identity === undefined) {
      let key = this.text;
      if (this.opaque === undefined && this.convention() === 'windows') {
        const segs = containmentSegments(this.path, 'windows');
        if (segs !== undefined) key = `windows:${this.host}:${asciiLowerBytes(percentDecode(this.path)).toString('latin1')}`;
      }
      this.identity = key;
    }
    return this.identity;
  }

  equals(other: PathUri): boolean {
    return this.text === other.text || this.identityKey() === other.identityKey();
  }

  toString(): string {
    return this.text;
  }

  toJSON(): string {
    return this.text;
  }
}

/** Non-empty segments with their comparison keys; undefined if one decodes to a native separator. */
function containmentSegments(path: string, convention: PathConvention): { raw: string; key: Buffer }[] | undefined {
  const out: { raw: string; key: Buffer }[] = [];
  for (const raw of pathSegments(path)) {
    if (raw === '') continue;
    const bytes = percentDecode(raw);
    if (bytes.includes(0x2f) || (convention === 'windows' && bytes.includes(0x5c))) return undefined;
    out.push({ raw, key: convention === 'windows' ? asciiLowerBytes(bytes) : bytes });
  }
  return out;
}

function notAbsolute(path: string | Buffer, platform: Platform): PathUriError {
  const shown = typeof path === 'string' ? path : UTF8.decode(path);
  const hint = conventionOf(platform) === 'posix' ? "start it with '/'" : "start it with a drive like 'C:\\' or a UNC prefix '\\\\server\\share'";
  return new PathUriError('NotAbsolute', `path '${shown}' is not absolute on '${platform}'; ${hint} (resolve it against a cwd first)`);
}

function joinError(path: string, base: PathUri, reason: string): PathUriError {
  return new PathUriError('JoinError', `cannot join '${path}' onto '${base.toString()}': ${reason}`);
}

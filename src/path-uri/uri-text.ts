/**
 * URI text → validated, canonical parts (Codex `PathUri::parse` / `TryFrom<Url>`). Node's WHATWG `URL` does
 * the parsing (same
 * spec as the url crate); this module adds the PathUri rules on top.
 */
import { hasMalformedPercent, percentDecode } from './bytes.js';
import { PathUriError } from './errors.js';
import { decodeFallback } from './fallback.js';

/** Canonical pieces: the URI text is exactly `file://${host}${path}`. */
export interface UriParts {
  readonly host: string;
  readonly path: string;
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** WHATWG strips leading/trailing C0 controls and spaces and removes tabs and newlines anywhere. */
function whatwgPreprocess(input: string): string {
  let a = 0;
  let b = input.length;
  while (a < b && input.charCodeAt(a) <= 0x20) a++;
  while (b > a && input.charCodeAt(b - 1) <= 0x20) b--;
  return input.slice(a, b).replace(/[\t\n\r]/g, '');
}

/** Explains why `new URL` refused a string, with a specific code where the cause is recognisable. */
function classifyUnparsable(input: string, cause: string): PathUriError {
  const text = whatwgPreprocess(input);
  if (!SCHEME.test(text)) {
    return new PathUriError(
      'InvalidUri',
      `invalid URI '${input}': relative URL without a base; a path URI is absolute, like 'file:///workspace/src' (use PathUri.fromAbsPath for a native path)`,
    );
  }
  const m = /^file:[/\\]{2}([^/\\?#]*)/i.exec(text);
  if (m) {
    const authority = m[1]!;
    if (authority.includes('@')) {
      return new PathUriError(
        'CredentialsNotAllowed',
        `credentials are not allowed in path URIs: '${input}' has a user or password before the host; remove it`,
      );
    }
    const hostPort = authority.startsWith('[') ? authority.slice(authority.indexOf(']') + 1) : authority;
    if (hostPort.includes(':') && !/^[A-Za-z][:|]$/.test(authority)) {
      return new PathUriError(
        'PortNotAllowed',
        `ports are not allowed in path URIs: '${input}' has a port after the host; remove it`,
      );
    }
  }
  return new PathUriError('InvalidUri', `invalid URI '${input}': ${cause} (check the host name and the percent escapes)`);
}

/** True when the first non-empty segment is a drive letter `X:` (Codex `infer_path_convention`). */
export function isDriveSegment(segment: string | undefined): boolean {
  return segment !== undefined && segment.length === 2 && segment[1] === ':' && /^[A-Za-z]$/.test(segment[0]!);
}

/**
 * `pathSegments(path).find((s) => s !== '')` without splitting the whole path: asked for every path
 * entry of a profile each time it is resolved (convention, toAbsPath; issue #21).
 */
export function firstNonEmptySegment(path: string): string | undefined {
  let at = 1;
  while (at < path.length && path.charCodeAt(at) === 0x2f) at += 1;
  if (at >= path.length) return undefined;
  const end = path.indexOf('/', at);
  return path.slice(at, end === -1 ? path.length : end);
}

/** Path segments as the url crate yields them: `/a/b/` → ['a', 'b', '']. */
export function pathSegments(path: string): string[] {
  return path.slice(1).split('/');
}

/** Parses URI text into canonical parts, or throws a PathUriError naming the problem. */
export function parseUriText(input: string): UriParts {
  let url: URL;
  try {
    url = new URL(input);
  } catch (e) {
    throw classifyUnparsable(input, e instanceof Error ? e.message : String(e));
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'file') {
    throw new PathUriError(
      'UnsupportedScheme',
      `unsupported path URI scheme \`${scheme}\` in '${input}'; only file: URIs name paths`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new PathUriError('CredentialsNotAllowed', `credentials are not allowed in path URIs: '${input}'; remove them`);
  }
  if (url.port !== '') {
    throw new PathUriError('PortNotAllowed', `ports are not allowed in path URIs: '${input}'; remove the port`);
  }
  // `?` and `#` can only appear unescaped in the serialization as query/fragment delimiters; checking
  // the text (not url.search/url.hash) also catches an empty `?` or `#`, which the URL API reports as ''.
  const href = url.href;
  const hashAt = href.indexOf('#');
  const beforeHash = hashAt < 0 ? href : href.slice(0, hashAt);
  if (beforeHash.includes('?')) {
    throw new PathUriError(
      'QueryNotAllowed',
      `query parameters are not allowed in path URIs: '${input}'; write a literal '?' in a file name as %3F`,
    );
  }
  if (hashAt >= 0) {
    throw new PathUriError(
      'FragmentNotAllowed',
      `fragments are not allowed in path URIs: '${input}'; write a literal '#' in a file name as %23`,
    );
  }
  let host = url.host;
  let path = url.pathname;
  // A bare '%' would make decoding ambiguous (two spellings of one file name): reject it.
  if (hasMalformedPercent(path)) {
    throw new PathUriError(
      'InvalidFileUriPath',
      `'${href}' is invalid: a '%' in the path must start a two-digit hex escape; write a literal '%' as %25`,
    );
  }
  // Native path APIs treat NUL as a terminator, so a decoded NUL could truncate the path a syscall
  // sees; the only URI allowed to carry %00 is the canonical fallback, whose NUL is never decoded.
  if (percentDecode(path).includes(0)) {
    const fallback = decodeFallback(href);
    if (fallback === undefined) {
      throw new PathUriError(
        'InvalidFileUriPath',
        `'${href}' is invalid: the path contains an encoded NUL byte (%00), which no native path can hold; only a canonical fallback 'file:///%00/bad/path/<base64url>' may contain %00`,
      );
    }
    if (!fallback.ok) {
      throw new PathUriError('InvalidFileUriPath', `'${href}' is invalid: malformed fallback URI: ${fallback.reason}`);
    }
  }
  if (host === 'localhost') host = '';
  if (host === '') {
    const segs = pathSegments(path);
    const at = segs.findIndex((s) => s !== '');
    if (at >= 0 && isDriveSegment(segs[at]) && segs[at] !== segs[at]!.toUpperCase()) {
      segs[at] = segs[at]!.toUpperCase();
      path = '/' + segs.join('/');
    }
  }
  return { host, path };
}

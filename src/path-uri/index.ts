/**
 * PathUri: lossless `file:` URIs for absolute paths (Codex's `PathUri`, reference §1).
 *
 * CONTRACT SKELETON — the public surface below is fixed (other modules code against it); the
 * implementation here is a naive POSIX-only placeholder that the PathUri work replaces.
 */

export type Platform = 'linux' | 'darwin' | 'win32';
export type PathConvention = 'posix' | 'windows';

export const BAD_PATH_URI_PREFIX = 'file:///%00/bad/path/';

export type PathUriErrorCode =
  | 'InvalidUri'
  | 'UnsupportedScheme'
  | 'InvalidFileUriPath'
  | 'CredentialsNotAllowed'
  | 'PortNotAllowed'
  | 'QueryNotAllowed'
  | 'FragmentNotAllowed'
  | 'NotAbsolute'
  | 'NotNative'
  | 'JoinError';

export class PathUriError extends Error {
  constructor(
    readonly code: PathUriErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PathUriError';
  }
}

/** The path convention native to a platform. */
export function conventionOf(platform: Platform): PathConvention {
  return platform === 'win32' ? 'windows' : 'posix';
}

export class PathUri {
  private constructor(private readonly text: string) {}

  /** Never throws for an absolute path; relative input throws PathUriError('NotAbsolute'). */
  static fromAbsPath(path: string | Buffer, opts: { platform: Platform }): PathUri {
    void opts;
    const s = typeof path === 'string' ? path : path.toString('utf8');
    if (!s.startsWith('/')) throw new PathUriError('NotAbsolute', `path '${s}' is not absolute`);
    const segs = s.split('/').filter((x) => x !== '' && x !== '.');
    return new PathUri('file:///' + segs.map((x) => encodeURIComponent(x)).join('/'));
  }

  /** Parses and canonicalises URI text; throws PathUriError naming the problem. */
  static parse(text: string): PathUri {
    const u = new URL(text);
    if (u.protocol !== 'file:') throw new PathUriError('UnsupportedScheme', `unsupported path URI scheme \`${u.protocol.slice(0, -1)}\``);
    return new PathUri(u.href);
  }

  /** True when `value` is a PathUri instance. */
  static isPathUri(value: unknown): value is PathUri {
    return value instanceof PathUri;
  }

  /** The native absolute path: a string, or a Buffer when the raw Unix bytes are not UTF-8. */
  toAbsPath(opts: { platform: Platform }): string | Buffer {
    void opts;
    return decodeURIComponent(new URL(this.text).pathname);
  }

  /** Like toAbsPath but throws PathUriError('NotNative') when the path is not representable as a JS string. */
  toAbsPathString(opts: { platform: Platform }): string {
    const p = this.toAbsPath(opts);
    if (typeof p !== 'string') throw new PathUriError('NotNative', `'${this.text}' is not valid UTF-8 on '${opts.platform}'`);
    return p;
  }

  /** Inferred convention; undefined for an opaque fallback whose payload has none. */
  convention(): PathConvention | undefined {
    return 'posix';
  }

  isOpaque(): boolean {
    return this.text.startsWith(BAD_PATH_URI_PREFIX);
  }

  join(relative: string): PathUri {
    return PathUri.fromAbsPath(this.toAbsPathString({ platform: 'linux' }) + '/' + relative, { platform: 'linux' });
  }

  parent(): PathUri | undefined {
    const p = this.toAbsPathString({ platform: 'linux' });
    if (p === '/') return undefined;
    return PathUri.fromAbsPath(p.slice(0, p.lastIndexOf('/')) || '/', { platform: 'linux' });
  }

  basename(): string | undefined {
    const p = this.toAbsPathString({ platform: 'linux' });
    return p === '/' ? undefined : p.slice(p.lastIndexOf('/') + 1);
  }

  startsWith(base: PathUri): boolean {
    return this.text === base.text || this.text.startsWith(base.text.endsWith('/') ? base.text : base.text + '/');
  }

  /** Relative path from base (decoded segments joined by the convention's separator), or undefined. */
  relativeFrom(base: PathUri): string | undefined {
    if (!this.startsWith(base)) return undefined;
    return decodeURIComponent(this.text.slice(base.text.length).replace(/^\//, ''));
  }

  equals(other: PathUri): boolean {
    return this.text === other.text;
  }

  toString(): string {
    return this.text;
  }

  toJSON(): string {
    return this.text;
  }
}

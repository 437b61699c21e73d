/** Property tests: lossless round trips for any Unix byte path and any Windows UTF-16 path. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BAD_PATH_URI_PREFIX, PathUri } from '../../../src/path-uri/index.js';

const LINUX = { platform: 'linux' } as const;
const WIN = { platform: 'win32' } as const;
const RUNS = { numRuns: 2000 };

/** Lexical normal form of an absolute POSIX byte path (what fromAbsPath documents it keeps). */
function normalizePosix(bytes: Buffer): Buffer {
  const out: Buffer[] = [];
  let start = 1;
  for (let i = 1; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x2f) continue;
    const c = bytes.subarray(start, i);
    start = i + 1;
    const s = c.toString('latin1');
    if (s === '' || s === '.') continue;
    if (s === '..') out.pop();
    else out.push(c);
  }
  return out.length === 0 ? Buffer.from('/') : Buffer.concat(out.flatMap((c) => [Buffer.from('/'), c]));
}

const asBytes = (p: string | Buffer): Buffer => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p);

// Components biased towards the interesting bytes: NUL, '%', '\', '.', ':', '|', letters, high bytes.
const byteComponent = fc.uint8Array({
  minLength: 0,
  maxLength: 6,
}).map((a) => Buffer.from(a));
const biasedComponent = fc.oneof(
  byteComponent,
  fc.constantFrom('.', '..', 'C:', 'c|', '%2e', '%00', 'a\\b', '?#', 'bad', 'path', '\0', '\xff').map((s) => Buffer.from(s, 'latin1')),
);
const unixPath = fc
  .array(biasedComponent, { maxLength: 6 })
  .map((cs) => (cs.length === 0 ? Buffer.from('/') : Buffer.concat(cs.flatMap((c) => [Buffer.from('/'), c]))));

describe('PathUri properties', () => {
  it('any Unix byte path round-trips through fromAbsPath → toString → parse → toAbsPath', () => {
    fc.assert(
      fc.property(unixPath, (raw) => {
        const text = PathUri.fromAbsPath(raw, LINUX).toString();
        const back = PathUri.parse(text);
        expect(back.toString()).toBe(text);
        expect(asBytes(back.toAbsPath(LINUX)).equals(normalizePosix(raw))).toBe(true);
      }),
      RUNS,
    );
  });

  it('ordinary Unix paths (no NUL, no drive-shaped first component) give the ordinary URI form', () => {
    fc.assert(
      fc.property(unixPath, (raw) => {
        const norm = normalizePosix(raw);
        const first = norm.subarray(1).toString('latin1').split('/')[0]!;
        fc.pre(!norm.includes(0) && !/^[A-Za-z][:|]$/.test(first));
        const uri = PathUri.fromAbsPath(raw, LINUX);
        expect(uri.isOpaque()).toBe(false);
        expect(uri.toString().startsWith('file:///')).toBe(true);
        expect(uri.toString()).not.toContain('%00');
      }),
      RUNS,
    );
  });

  it('fallback and real-path URIs never collide (a real /bad/path/<payload> stays ordinary)', () => {
    fc.assert(
      fc.property(unixPath, (raw) => {
        const uri = PathUri.fromAbsPath(raw, LINUX);
        const payload = uri.toString().startsWith(BAD_PATH_URI_PREFIX) ? uri.toString().slice(BAD_PATH_URI_PREFIX.length) : 'YQ';
        const lookalike = PathUri.fromAbsPath(`/bad/path/${payload}`, LINUX);
        expect(lookalike.isOpaque()).toBe(false);
        expect(lookalike.equals(uri)).toBe(false);
        expect(lookalike.toAbsPath(LINUX)).toBe(`/bad/path/${payload}`);
      }),
      RUNS,
    );
  });

  it('distinct normalised Unix byte paths get distinct URIs', () => {
    fc.assert(
      fc.property(unixPath, unixPath, (a, b) => {
        fc.pre(!normalizePosix(a).equals(normalizePosix(b)));
        expect(PathUri.fromAbsPath(a, LINUX).toString()).not.toBe(PathUri.fromAbsPath(b, LINUX).toString());
      }),
      RUNS,
    );
  });

  it('Unix strings with lone surrogates (no NUL, no drive-shaped first component) round-trip as strings', () => {
    const comp = fc.oneof(fc.string({ unit: 'binary', maxLength: 5 }), fc.constantFrom('\ud800', '\udfff', 'a\udc00b'));
    fc.assert(
      fc.property(fc.array(comp, { minLength: 1, maxLength: 4 }), (cs) => {
        const comps = cs.map((c) => c.replace(/[/\0]/g, '_')).filter((c) => c !== '' && c !== '.' && c !== '..');
        fc.pre(comps.length > 0 && !/^[A-Za-z][:|]$/.test(comps[0]!));
        const path = '/' + comps.join('/');
        const back = PathUri.parse(PathUri.fromAbsPath(path, LINUX).toString()).toAbsPath(LINUX);
        expect(back).toBe(path);
      }),
      RUNS,
    );
  });

  // Any UTF-16 text (including lone surrogates and NUL) in drive, UNC and namespace shapes.
  const wchar = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 4 }),
    fc.constantFrom('\ud800', '\0', '%', '.', '..', ' ', '?', '#', 'ǈ', 'server', 'x'),
  );
  const winComp = wchar.map((c) => c.replace(/[\\/]/g, '_'));
  const winPath = fc.oneof(
    fc.tuple(fc.constantFrom('C', 'd', 'Z'), fc.array(winComp, { maxLength: 5 })).map(([d, cs]) => `${d}:\\` + cs.join('\\')),
    fc.tuple(winComp, winComp, fc.array(winComp, { maxLength: 4 })).map(([s, sh, cs]) => `\\\\${s}\\${sh}` + cs.map((c) => '\\' + c).join('')),
    fc.tuple(fc.constantFrom('\\\\.\\', '\\\\?\\'), fc.array(winComp, { minLength: 1, maxLength: 4 })).map(([pre, cs]) => pre + cs.join('\\')),
  );

  it('any Windows UTF-16 path round-trips, and its result is a fixed point of fromAbsPath', () => {
    fc.assert(
      fc.property(winPath, (raw) => {
        const uri = PathUri.fromAbsPath(raw, WIN);
        const back = PathUri.parse(uri.toString());
        expect(back.toString()).toBe(uri.toString());
        const native = back.toAbsPath(WIN);
        expect(typeof native).toBe('string');
        expect(PathUri.fromAbsPath(native, WIN).toString()).toBe(uri.toString());
      }),
      RUNS,
    );
  });

  it('normalised Windows drive paths round-trip exactly', () => {
    const plain = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 5 }).map((c) => c.replace(/[\\/\0]/g, '_'));
    fc.assert(
      fc.property(fc.constantFrom('C', 'D'), fc.array(plain, { maxLength: 5 }), (d, cs) => {
        const comps = cs.filter((c) => c !== '.' && c !== '..' && c !== '');
        const path = `${d}:\\` + comps.join('\\');
        expect(PathUri.parse(PathUri.fromAbsPath(path, WIN).toString()).toAbsPath(WIN)).toBe(path);
      }),
      RUNS,
    );
  });
});

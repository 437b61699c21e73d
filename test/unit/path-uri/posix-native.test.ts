/**
 * toPosixNative's shortcut for plain ASCII URI paths (no `%`, issue #21) gives exactly what the
 * segment-by-segment decoding gives, written out below as it was: on random URI path text mixing
 * plain names, escapes, drive-shaped first segments, non-ASCII and lone surrogates.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { percentDecode, utf8Decode } from '../../../src/path-uri/bytes.js';
import { toPosixNative } from '../../../src/path-uri/native-path.js';
import type { NativeResult } from '../../../src/path-uri/native-path.js';
import { firstNonEmptySegment, pathSegments } from '../../../src/path-uri/uri-text.js';

/** toPosixNative before the shortcut. */
function decodeEverySegment(path: string): NativeResult {
  const segs = path
    .slice(1)
    .split('/')
    .map((s) => percentDecode(s));
  if (segs.some((s) => s.includes(0x2f))) return { ok: false, reason: "a path segment contains an encoded '/' (%2F), which no POSIX file name can hold" };
  const first = segs.find((s) => s.length > 0);
  const a = first?.[0] ?? 0;
  if (first !== undefined && first.length === 2 && ((a >= 0x41 && a <= 0x5a) || (a >= 0x61 && a <= 0x7a)) && (first[1] === 0x3a || first[1] === 0x7c)) {
    return { ok: false, reason: 'its first segment decodes to a drive-shaped name, whose only URI is the fallback form' };
  }
  const bytes = Buffer.concat(segs.flatMap((s) => [Buffer.from('/'), s]));
  return { ok: true, path: utf8Decode(bytes) ?? bytes };
}

const piece = fc.oneof(
  fc.constantFrom('a', 'work', '.git', '', 'C:', 'c|', 'z:', '%41', '%2F', '%2f', '%ff', '%c3%a9', '%', '%4', 'é', '\ud800', ' ', '\0', '1:', 'ab:'),
  fc.string({ maxLength: 4 }),
);
const uriPath = fc.array(piece, { maxLength: 6 }).map((p) => '/' + p.join('/'));

describe('toPosixNative', () => {
  it('gives what decoding every segment gives (plain ASCII takes the shortcut)', () => {
    fc.assert(
      fc.property(uriPath, (p) => {
        expect(toPosixNative(p)).toEqual(decodeEverySegment(p));
      }),
      { numRuns: 3000 },
    );
    for (const p of ['/', '//', '/C:', '//C:/x', '/C:x', '/a/C:', '/var/tmp/r0/work/.env']) expect(toPosixNative(p)).toEqual(decodeEverySegment(p));
  });
});

describe('firstNonEmptySegment (issue #21: convention() without splitting the path)', () => {
  it('equals the first non-empty of pathSegments on random URI paths', () => {
    const part = fc.constantFrom('', '/', '//', 'a', 'C:', 'c|', '%2F', 'é', 'ab', 'C:x', ':');
    fc.assert(
      fc.property(fc.array(part, { maxLength: 8 }), (parts) => {
        for (const path of [parts.join(''), '/' + parts.join(''), parts.join('/')]) {
          expect(firstNonEmptySegment(path)).toBe(pathSegments(path).find((s) => s !== ''));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

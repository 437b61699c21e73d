/**
 * Deny-glob → Seatbelt regex. The emitted regexes use only bracket classes, groups, `|`, `?`, `*`
 * and anchors, which mean the same in JavaScript, so matching is checked with RegExp.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileGlob } from '../../../src/permissions/glob-match.js';
import { globStaticPrefix, joinGlob } from '../../../src/permissions/glob-syntax.js';
import { expandBraces, globToSeatbeltRegex } from '../../../src/platforms/darwin/glob-regex.js';

function matcher(glob: string): (p: string) => boolean {
  const re = new RegExp(globToSeatbeltRegex(glob));
  return (p) => re.test(p);
}

describe('globToSeatbeltRegex', () => {
  it('unreadable_globstar_slash_matches_zero_or_more_directories', () => {
    const m = matcher('/w/**/*.pem');
    expect(m('/w/a.pem')).toBe(true);
    expect(m('/w/x/y/a.pem')).toBe(true);
    expect(m('/wx/a.pem')).toBe(false);
  });

  it('unreadable_globs_use_git_style_component_matching', () => {
    const m = matcher('/w/*.env');
    expect(m('/w/.env')).toBe(true);
    expect(m('/w/prod.env')).toBe(true);
    expect(m('/w/sub/prod.env')).toBe(false);
    const q = matcher('/w/key?');
    expect(q('/w/key1')).toBe(true);
    expect(q('/w/key/')).toBe(false);
  });

  it('unreadable_globs_support_brace_alternation', () => {
    const m = matcher('/w/{a,b/c}/k');
    expect(m('/w/a/k')).toBe(true);
    expect(m('/w/b/c/k')).toBe(true);
    expect(m('/w/b/k')).toBe(false);
    // `{x}` is a group of one alternative (the shared dialect), not literal braces.
    expect(matcher('/w/{x}')('/w/x')).toBe(true);
    expect(matcher('/w/{x}')('/w/{x}')).toBe(false);
  });

  it('unreadable_globs_support_backslash_escapes', () => {
    const m = matcher('/w/\\*literal');
    expect(m('/w/*literal')).toBe(true);
    expect(m('/w/xliteral')).toBe(false);
  });

  it('unreadable_globs_treat_unclosed_character_classes_as_literals', () => {
    const m = matcher('/w/[abc');
    expect(m('/w/[abc')).toBe(true);
    expect(m('/w/a')).toBe(false);
  });

  it('character classes and negated classes stay within one component', () => {
    const m = matcher('/w/[!aA]x');
    expect(m('/w/bx')).toBe(true);
    expect(m('/w/ax')).toBe(false);
    expect(m('/w/Ax')).toBe(false);
    expect(m('/w//x')).toBe(false);
    // `[!a]` matches the file `Ax`, which a case-insensitive volume also opens as `ax`.
    expect(matcher('/w/[!a]x')('/w/ax')).toBe(true);
    expect(matcher('/w/[a-c]')('/w/b')).toBe(true);
  });

  it('a pattern without wildcards matches the path and everything below it', () => {
    const m = matcher('/w/secret.txt');
    expect(m('/w/secret.txt')).toBe(true);
    expect(m('/w/secret.txt/x')).toBe(true);
    expect(m('/w/secretxtxt')).toBe(false);
  });

  it('property: the regex has no quote or backslash and matches the literal text of any glob-free path', () => {
    const component = fc.string({ minLength: 1, maxLength: 8, unit: fc.constantFrom('a', 'B', '.', '(', ')', '+', '$', '|', '^', '"', ' ', '#', ';', '\n', ',', ']') });
    fc.assert(
      fc.property(fc.array(component, { minLength: 1, maxLength: 4 }), (parts) => {
        const path = '/' + parts.join('/');
        const regex = globToSeatbeltRegex(path);
        expect(regex.includes('"')).toBe(false);
        expect(regex.includes('\\')).toBe(false);
        expect(new RegExp(regex).test(path)).toBe(true);
      }),
    );
  });
});

describe('case-insensitive volumes (macOS default)', () => {
  it('a deny glob matches every case spelling of the names it covers', () => {
    const m = matcher('/Users/dev/proj/**/.env');
    expect(m('/Users/dev/proj/a/.ENV')).toBe(true);
    expect(m('/users/DEV/Proj/.Env')).toBe(true);
    expect(m('/Users/dev/proj/a/.envx')).toBe(false);
    expect(matcher('/w/[a-c].key')('/W/B.KEY')).toBe(true);
    expect(matcher('/w/é/secret')('/w/É/SECRET/x')).toBe(true);
  });

  it('property: if the shared compiler matches a path, the Seatbelt regex matches every ASCII case spelling of it', () => {
    const globPart = fc.constantFrom('a', 'B', 'ab', '*', '?', '**', '[ab]', '[!a]', '[A-C]', '[!A-C]', '{a,B}', 'a*', '*.A');
    const pathPart = fc.constantFrom('a', 'A', 'b', 'B', 'ab', 'aB', 'c', 'x.a', 'X.A');
    const flips = fc.array(fc.boolean(), { minLength: 40, maxLength: 40 });
    fc.assert(
      fc.property(fc.array(globPart, { minLength: 1, maxLength: 4 }), fc.array(pathPart, { minLength: 1, maxLength: 4 }), flips, (globParts, pathParts, flip) => {
        const pattern = `/${globParts.join('/')}`;
        const path = `/${pathParts.join('/')}`;
        if (!compileGlob(pattern).match(path)) return;
        const variant = Array.from(path, (ch, i) => (flip[i % flip.length] ? (ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase()) : ch)).join('');
        expect(new RegExp(globToSeatbeltRegex(pattern), 's').test(variant)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('Seatbelt regexes and the shared glob dialect', () => {
  it('property: every path the shared compiler (Linux scan, read-deny matcher) matches, the Seatbelt regex denies too', () => {
    const globPart = fc.constantFrom('a', 'b', '.', 'é', '*', '?', '**', '[ab]', '[!a]', '[^.]', '{a,b}', '{a/b,c}', '{x}', 'a*', '*.a', 'é?');
    const pathPart = fc.constantFrom('a', 'b', '.', 'ab', 'ba', 'x.a', 'é', 'éa', 'c', 'x');
    fc.assert(
      fc.property(fc.array(globPart, { minLength: 1, maxLength: 4 }), fc.array(pathPart, { minLength: 1, maxLength: 5 }), (globParts, pathParts) => {
        const pattern = `/${globParts.join('/')}`;
        const path = `/${pathParts.join('/')}`;
        if (!compileGlob(pattern).match(path)) return;
        expect(new RegExp(globToSeatbeltRegex(pattern), 's').test(path)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('a negated class or `?` covers a multi-byte UTF-8 character (Seatbelt matches bytes)', () => {
    const bytes = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');
    for (const [pattern, path] of [
      ['/w/key?.txt', '/w/keyé.txt'],
      ['/w/[!a].txt', '/w/ü.txt'],
      ['/w/[^a]x', '/w/€x'],
    ] as const) {
      expect(new RegExp(globToSeatbeltRegex(pattern), 's').test(bytes(path))).toBe(true);
    }
  });
});

describe('glob helpers', () => {
  it('globStaticPrefix splits at the first wildcard component', () => {
    expect(globStaticPrefix('/w/a/**/*.pem')).toEqual({ dir: '/w/a', rest: '/**/*.pem', literalPath: undefined });
    expect(globStaticPrefix('/*.pem')).toEqual({ dir: '/', rest: '/*.pem', literalPath: undefined });
    expect(globStaticPrefix('/w/lit')).toEqual({ dir: '/w', rest: '/lit', literalPath: '/w/lit' });
    expect(globStaticPrefix('/w/\\*x/*')).toEqual({ dir: '/w/*x', rest: '/*', literalPath: undefined });
  });

  it('joinGlob re-escapes a literal directory', () => {
    expect(joinGlob('/p/*x', '/*')).toBe('/p/\\*x/*');
    expect(joinGlob('/', '/*.pem')).toBe('/*.pem');
  });

  it('expandBraces expands nested and sequential alternations', () => {
    expect(expandBraces('/w/{a,b/c}/k')).toEqual(['/w/a/k', '/w/b/c/k']);
    expect(expandBraces('/{a,b}/{c,d}').sort()).toEqual(['/a/c', '/a/d', '/b/c', '/b/d']);
    expect(expandBraces('/{a,{b,c}}')).toEqual(['/a', '/b', '/c']);
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileGlob, globToRegExpSource, GlobPatternError, GLOB_REGEXP_FLAGS } from '../../../src/permissions/glob-match.js';
import { escapeGlobLiteral, globStaticPrefix } from '../../../src/permissions/glob-syntax.js';

const T = '/tmp/repo';

describe('glob matching (ported from Codex ReadDenyMatcher / seatbelt tests)', () => {
  it('glob_patterns_do_not_cross_path_separators', () => {
    const g = compileGlob(`${T}/*/file[0-9]?.txt`);
    expect(g.match(`${T}/app/file42.txt`)).toBe(true);
    expect(g.match(`${T}/app/nested/file42.txt`)).toBe(false);
    expect(g.match(`${T}/app/file4.txt`)).toBe(false);
    expect(g.match(`${T}/app/fileab.txt`)).toBe(false);
  });

  it('globstar_patterns_deny_root_and_nested_matches', () => {
    const g = compileGlob(`${T}/**/*.env`);
    expect(g.match(`${T}/.env`)).toBe(true);
    expect(g.match(`${T}/app/.env`)).toBe(true);
    expect(g.match(`${T}/app/config.env`)).toBe(true);
    expect(g.match(`${T}/a/b/c/config.env`)).toBe(true);
    expect(g.match(`${T}/app/notes.txt`)).toBe(false);
    expect(g.match(`${T}/app/config.toml`)).toBe(false);
  });

  it('unclosed_character_classes_match_literal_brackets', () => {
    const g = compileGlob(`${T}/[`);
    expect(g.match(`${T}/[`)).toBe(true);
    expect(g.match(`${T}/notes.txt`)).toBe(false);
    const h = compileGlob(`${T}/[*.env`);
    expect(h.match(`${T}/[local.env`)).toBe(true);
    expect(h.match(`${T}/[.env`)).toBe(true);
    expect(h.match(`${T}/local.env`)).toBe(false);
  });

  it('unreadable_globs_support_brace_alternation', () => {
    const g = compileGlob(`${T}/{.env,secrets.yml}`);
    expect(g.match(`${T}/.env`)).toBe(true);
    expect(g.match(`${T}/secrets.yml`)).toBe(true);
    expect(g.match(`${T}/notes.txt`)).toBe(false);
    expect(globToRegExpSource(`${T}/{.env,secrets.yml}`)).toBe(String.raw`^/tmp/repo/(\.env|secrets\.yml)$`);
  });

  it('unreadable_globs_support_backslash_escapes', () => {
    const g = compileGlob(String.raw`${T}/config\?.env`);
    expect(g.match(`${T}/config?.env`)).toBe(true);
    expect(g.match(`${T}/config1.env`)).toBe(false);
  });

  it('produces the same regex text as Codex for its seatbelt examples', () => {
    expect(globToRegExpSource(`${T}/**/*.env`)).toBe(String.raw`^/tmp/repo/(.*/)?[^/]*\.env$`);
    expect(globToRegExpSource(`${T}/[*.env`)).toBe(String.raw`^/tmp/repo/\[[^/]*\.env$`);
  });
});

describe('glob matching details', () => {
  it('`?` matches exactly one character and never `/`', () => {
    const g = compileGlob('/a/?');
    expect(g.match('/a/x')).toBe(true);
    expect(g.match('/a/xy')).toBe(false);
    expect(g.match('/a//')).toBe(false);
  });

  it('`**` inside a component is a plain `*`', () => {
    const g = compileGlob('/a/x**y');
    expect(g.match('/a/xzzy')).toBe(true);
    expect(g.match('/a/x/y')).toBe(false);
  });

  it('trailing `/**` matches the directory itself and everything below it (Codex: globstar_patterns_deny_root_and_nested_matches)', () => {
    const g = compileGlob('/a/b/**');
    expect(g.match('/a/b/c')).toBe(true);
    expect(g.match('/a/b/c/d/e')).toBe(true);
    expect(g.match('/a/b')).toBe(true);
    expect(g.match('/a/b/')).toBe(true);
    expect(g.match('/a/bc')).toBe(false);
  });

  it('`/**/` in the middle matches zero or more directories', () => {
    const g = compileGlob('/a/**/b');
    expect(g.match('/a/b')).toBe(true);
    expect(g.match('/a/x/b')).toBe(true);
    expect(g.match('/a/x/y/b')).toBe(true);
    expect(g.match('/a/xb')).toBe(false);
  });

  it('character classes: ranges, `!` and `^` negation, leading `]` member, never `/`', () => {
    expect(compileGlob('/a/[a-c]').match('/a/b')).toBe(true);
    expect(compileGlob('/a/[a-c]').match('/a/d')).toBe(false);
    expect(compileGlob('/a/[!a-c]').match('/a/d')).toBe(true);
    expect(compileGlob('/a/[!a-c]').match('/a/b')).toBe(false);
    expect(compileGlob('/a/[^a-c]').match('/a/d')).toBe(true);
    expect(compileGlob('/a/[]x]').match('/a/]')).toBe(true);
    expect(compileGlob('/a[!x]b').match('/a/b')).toBe(false);
    expect(compileGlob('/a[/]b').match('/a/b')).toBe(false);
    expect(compileGlob('/a[+-0]b').match('/a/b')).toBe(false);
    expect(compileGlob('/a[+-0]b').match('/a.b')).toBe(true);
  });

  it('nested brace groups and groups containing `/`', () => {
    const g = compileGlob('/r/{a,b{1,2}}/x');
    expect(g.match('/r/a/x')).toBe(true);
    expect(g.match('/r/b2/x')).toBe(true);
    expect(g.match('/r/b3/x')).toBe(false);
    const h = compileGlob('/r/{private/nested,other}');
    expect(h.match('/r/private/nested')).toBe(true);
    expect(h.match('/r/other')).toBe(true);
    expect(h.match('/r/private')).toBe(false);
  });

  it('a comma outside braces and regex metacharacters are literal', () => {
    const g = compileGlob('/r/a,b+(c)|d$^.e');
    expect(g.match('/r/a,b+(c)|d$^.e')).toBe(true);
    expect(g.match('/r/a,bb(c)|d$^.e')).toBe(false);
  });

  it('`*` and `**` match file names containing a newline', () => {
    expect(compileGlob('/r/**').match('/r/a\nb/c')).toBe(true);
    expect(compileGlob('/r/*').match('/r/a\nb')).toBe(true);
  });

  it('matches names carrying escaped non-UTF-8 bytes (lone surrogates)', () => {
    const name = `x${String.fromCharCode(0xdcff)}.env`;
    expect(compileGlob('/r/*.env').match(`/r/${name}`)).toBe(true);
    expect(compileGlob('/r/?.env').match(`/r/${String.fromCharCode(0xdc80)}.env`)).toBe(true);
  });

  it.each([
    ['/r/{a,b', 'without a closing'],
    ['/r/a}', 'without a matching'],
    ['/r/a\\', 'dangling'],
    ['/r/[z-a]', 'reversed'],
    ['', 'empty'],
  ])('rejects the malformed pattern %j', (pattern, problem) => {
    expect(() => compileGlob(pattern)).toThrow(GlobPatternError);
    expect(() => compileGlob(pattern)).toThrow(problem);
  });

  it('every generated source compiles with the exported flags', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '/', '*', '?', '[', ']', '!', '-', '\\', '.', '{', '}', ',') }), (p) => {
        let src: string;
        try {
          src = globToRegExpSource(p);
        } catch (e) {
          expect(e).toBeInstanceOf(GlobPatternError);
          return;
        }
        expect(() => new RegExp(src, GLOB_REGEXP_FLAGS)).not.toThrow();
      }),
    );
  });

  it('an escaped literal path matches only itself', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b', '*', '?', '[', ']', '{', '}', ',', '\\', '.', '!') }), (name) => {
        const path = `/r/${name}`;
        const g = compileGlob(escapeGlobLiteral(path));
        expect(g.match(path)).toBe(true);
        expect(g.match(`${path}x`)).toBe(false);
      }),
    );
  });
});

describe('static prefix', () => {
  it.each([
    ['/tmp/repo/**/*.env', '/tmp/repo', '/**/*.env', undefined],
    ['/tmp/repo/*/file[0-9]?.txt', '/tmp/repo', '/*/file[0-9]?.txt', undefined],
    ['/tmp/repo/{a,b}/x', '/tmp/repo', '/{a,b}/x', undefined],
    ['/tmp/repo/config\\?.env', '/tmp/repo', '/config\\?.env', '/tmp/repo/config?.env'],
    ['/tmp/a\\*b/*.env', '/tmp/a*b', '/*.env', undefined],
    ['/tmp/a]b/*.env', '/tmp/a]b', '/*.env', undefined],
    ['/tmp/repo/a.env', '/tmp/repo', '/a.env', '/tmp/repo/a.env'],
    ['/*.env', '/', '/*.env', undefined],
    ['/**', '/', '/**', undefined],
    ['/etc', '/', '/etc', '/etc'],
  ])('%j → dir %j, rest %j', (pattern, dir, rest, literalPath) => {
    expect(globStaticPrefix(pattern)).toEqual({ dir, rest, literalPath });
    expect(compileGlob(pattern).staticPrefix).toBe(dir);
  });

  it('a relative pattern has no static directory (and is not compiled for a scan)', () => {
    expect(globStaticPrefix('src/*.ts')).toBeUndefined();
    expect(() => compileGlob('*.env')).toThrow(GlobPatternError);
  });

  it('bounds the depth below the prefix when the pattern allows it', () => {
    expect(compileGlob('/r/*/x/*.env').maxComponentsBelowPrefix).toBe(3);
    expect(compileGlob('/r/a.env').maxComponentsBelowPrefix).toBe(1);
    expect(compileGlob('/r/**/x').maxComponentsBelowPrefix).toBeUndefined();
    expect(compileGlob('/r/{a/b,c}').maxComponentsBelowPrefix).toBeUndefined();
  });
});

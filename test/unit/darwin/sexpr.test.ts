import { describe, expect, it } from 'vitest';
import { SexprError, parseSexprs, printSexpr } from '../../helpers/sexpr.js';

describe('SBPL S-expression reader (test helper)', () => {
  it('reads lists, symbols, strings with escapes, regex literals, booleans, numbers, comments', () => {
    const forms = parseSexprs('(version 1) ; comment\n(allow file-read* (literal "a\\"b\\\\c\\n") (regex #"^/x[.]y\\.z$") #t #f -3)');
    expect(forms.map(printSexpr)).toEqual(['(version 1)', '(allow file-read* (literal "a\\"b\\\\c\\n") (regex #"^/x[.]y\\.z$") #t #f -3)']);
    const allow = forms[1];
    if (allow?.type !== 'list') throw new Error('list expected');
    const lit = allow.items[2];
    if (lit?.type !== 'list' || lit.items[1]?.type !== 'string') throw new Error('string expected');
    expect(lit.items[1].value).toBe('a"b\\c\n');
  });

  it('rejects unbalanced parentheses and unterminated strings', () => {
    expect(() => parseSexprs('(allow (literal "x")')).toThrow(SexprError);
    expect(() => parseSexprs('(allow))')).toThrow(/unexpected \)/);
    expect(() => parseSexprs('(literal "x)')).toThrow(/unterminated string/);
    expect(() => parseSexprs('(regex #"x)')).toThrow(/unterminated string/);
    expect(() => parseSexprs('#q')).toThrow(/unknown #/);
  });
});

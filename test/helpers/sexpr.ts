/**
 * A small reader for SBPL (Seatbelt's Scheme dialect), for tests: it checks that a generated policy
 * is well-formed and lets tests look at its atoms. Supports lists `( )`, symbols, strings with
 * backslash escapes, `#"..."` regex literals, `#t`/`#f`, integers, and `;` line comments.
 * Throws SexprError with the offset on anything else (unbalanced parentheses, unterminated strings).
 */

export type Sexpr =
  | { type: 'list'; items: Sexpr[]; offset: number }
  | { type: 'symbol'; value: string; offset: number }
  | { type: 'string'; value: string; offset: number }
  | { type: 'regex'; value: string; offset: number }
  | { type: 'bool'; value: boolean; offset: number }
  | { type: 'number'; value: number; offset: number };

export class SexprError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
    this.name = 'SexprError';
  }
}

const DELIMITERS = new Set(['(', ')', '"', ';', ' ', '\t', '\n', '\r', '\f']);

/** Parses every top-level form of `text`. */
export function parseSexprs(text: string): Sexpr[] {
  let pos = 0;

  const skipSpaceAndComments = (): void => {
    while (pos < text.length) {
      const c = text[pos]!;
      if (c === ';') {
        while (pos < text.length && text[pos] !== '\n') pos++;
      } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') pos++;
      else return;
    }
  };

  /** Reads a string body starting after the opening quote; `raw` keeps backslashes (regex literals). */
  const readString = (start: number, raw: boolean): string => {
    let out = '';
    for (;;) {
      if (pos >= text.length) throw new SexprError('unterminated string', start);
      const c = text[pos++]!;
      if (c === '"') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      if (pos >= text.length) throw new SexprError('unterminated string', start);
      const e = text[pos++]!;
      if (raw) {
        out += e === '"' ? '"' : '\\' + e;
        continue;
      }
      if (e === 'n') out += '\n';
      else if (e === 't') out += '\t';
      else if (e === 'r') out += '\r';
      else if (e === '"' || e === '\\') out += e;
      else if (e === 'x') {
        const m = /^([0-9a-fA-F]{1,2});?/.exec(text.slice(pos));
        if (m === null) throw new SexprError('bad \\x escape', pos - 2);
        out += String.fromCharCode(parseInt(m[1]!, 16));
        pos += m[0].length;
      } else throw new SexprError(`unknown escape \\${e}`, pos - 2);
    }
  };

  const readForm = (): Sexpr => {
    skipSpaceAndComments();
    if (pos >= text.length) throw new SexprError('unexpected end of input', pos);
    const start = pos;
    const c = text[pos]!;
    if (c === '(') {
      pos++;
      const items: Sexpr[] = [];
      for (;;) {
        skipSpaceAndComments();
        if (pos >= text.length) throw new SexprError('unclosed list', start);
        if (text[pos] === ')') {
          pos++;
          return { type: 'list', items, offset: start };
        }
        items.push(readForm());
      }
    }
    if (c === ')') throw new SexprError('unexpected )', pos);
    if (c === '"') {
      pos++;
      return { type: 'string', value: readString(start, false), offset: start };
    }
    if (c === '#') {
      const next = text[pos + 1];
      if (next === '"') {
        pos += 2;
        return { type: 'regex', value: readString(start, true), offset: start };
      }
      if ((next === 't' || next === 'f') && (pos + 2 >= text.length || DELIMITERS.has(text[pos + 2]!))) {
        pos += 2;
        return { type: 'bool', value: next === 't', offset: start };
      }
      throw new SexprError(`unknown # syntax #${next ?? ''}`, pos);
    }
    let token = '';
    while (pos < text.length && !DELIMITERS.has(text[pos]!)) token += text[pos++]!;
    if (/^[+-]?\d+$/.test(token)) return { type: 'number', value: Number(token), offset: start };
    return { type: 'symbol', value: token, offset: start };
  };

  const forms: Sexpr[] = [];
  for (;;) {
    skipSpaceAndComments();
    if (pos >= text.length) return forms;
    forms.push(readForm());
  }
}

/** Every node of the forms, depth first. */
export function* walkSexprs(forms: Sexpr[]): Generator<Sexpr> {
  for (const f of forms) {
    yield f;
    if (f.type === 'list') yield* walkSexprs(f.items);
  }
}

/** The head symbol of a list, or undefined. */
export function head(form: Sexpr): string | undefined {
  if (form.type !== 'list') return undefined;
  const first = form.items[0];
  return first?.type === 'symbol' ? first.value : undefined;
}

/** Compact printed form, for readable assertions. */
export function printSexpr(form: Sexpr): string {
  switch (form.type) {
    case 'list':
      return `(${form.items.map(printSexpr).join(' ')})`;
    case 'symbol':
      return form.value;
    case 'string':
      return JSON.stringify(form.value);
    case 'regex':
      return `#"${form.value}"`;
    case 'bool':
      return form.value ? '#t' : '#f';
    case 'number':
      return String(form.value);
  }
}

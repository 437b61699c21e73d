/**
 * Where each key of a TOML document is written. smol-toml gives values, not positions, so this small
 * scanner walks the text once and records the 1-based line of every key path it sees: table headers
 * (`[a.b]`, `[[a.b]]`), dotted keys (`a.b = 1`), keys inside inline tables (`a = { b = 1 }`) and array
 * elements (`a = [1, 2]` records `a.0`, `a.1`). It is only for error messages: on text it does not
 * understand it stops recording, never throws (smol-toml reports real syntax errors).
 */

/** A key path; array elements are their index as a string. */
export type KeyPath = readonly string[];

const SEP = '\u0000';

export class KeyLines {
  private readonly lines = new Map<string, number>();

  constructor(text: string) {
    try {
      new Scanner(text, this.lines).document();
    } catch {
      // Best effort: keep what was recorded before the scanner got lost.
    }
  }

  /**
   * The line where `path` is written; else the first line of anything under it (a table only
   * implied by `[a.b.c]`); else the line of its nearest written parent; else 1.
   */
  lineOf(path: KeyPath): number {
    for (let n = path.length; n > 0; n--) {
      const prefix = path.slice(0, n).join(SEP);
      const exact = this.lines.get(prefix);
      if (exact !== undefined) return exact;
      let first: number | undefined;
      for (const [k, line] of this.lines) {
        if (k.startsWith(prefix + SEP) && (first === undefined || line < first)) first = line;
      }
      if (first !== undefined) return first;
    }
    return 1;
  }
}

/** A key path written the way TOML would (`profiles.dev.filesystem.":root"`), array indices as `[n]`. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const seg of path) {
    if (/^\d+$/.test(seg) && out !== '') out += `[${seg}]`;
    else {
      const quoted = /^[A-Za-z0-9_-]+$/.test(seg) ? seg : JSON.stringify(seg);
      out += out === '' ? quoted : `.${quoted}`;
    }
  }
  return out === '' ? '(document)' : out;
}

class Scanner {
  private pos = 0;
  private line = 1;
  private table: string[] = [];
  private readonly arrayCounts = new Map<string, number>();

  constructor(
    private readonly text: string,
    private readonly out: Map<string, number>,
  ) {}

  private record(path: readonly string[], line: number): void {
    const k = path.join(SEP);
    if (!this.out.has(k)) this.out.set(k, line);
  }

  private peek(offset = 0): string {
    return this.text[this.pos + offset] ?? '';
  }

  private advance(n = 1): void {
    for (let i = 0; i < n && this.pos < this.text.length; i++) {
      if (this.text[this.pos] === '\n') this.line++;
      this.pos++;
    }
  }

  private skipInline(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.advance();
    if (this.peek() === '#') while (this.pos < this.text.length && this.peek() !== '\n') this.advance();
  }

  /** Whitespace, newlines and comments. */
  private skipAll(): void {
    for (;;) {
      this.skipInline();
      if (this.peek() === '\n' || this.peek() === '\r') this.advance();
      else return;
    }
  }

  document(): void {
    for (;;) {
      this.skipAll();
      if (this.pos >= this.text.length) return;
      if (this.peek() === '[') this.header();
      else this.keyValue(this.table);
    }
  }

  private header(): void {
    const line = this.line;
    const arrayTable = this.peek(1) === '[';
    this.advance(arrayTable ? 2 : 1);
    const key = this.key();
    this.skipInline();
    this.advance(arrayTable ? 2 : 1);
    if (arrayTable) {
      const k = key.join(SEP);
      const index = this.arrayCounts.get(k) ?? 0;
      this.arrayCounts.set(k, index + 1);
      this.record(key, line);
      this.table = [...key, String(index)];
    } else {
      this.table = key;
    }
    this.record(this.table, line);
  }

  private key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skipInline();
      const c = this.peek();
      if (c === '"' || c === "'") parts.push(this.string());
      else {
        let bare = '';
        while (/[A-Za-z0-9_-]/.test(this.peek())) {
          bare += this.peek();
          this.advance();
        }
        if (bare === '') throw new Error('not a key');
        parts.push(bare);
      }
      this.skipInline();
      if (this.peek() !== '.') return parts;
      this.advance();
    }
  }

  private keyValue(prefix: readonly string[]): void {
    const line = this.line;
    const path = [...prefix, ...this.key()];
    this.record(path, line);
    this.skipInline();
    if (this.peek() !== '=') throw new Error('expected =');
    this.advance();
    this.skipInline();
    this.value(path);
  }

  private value(path: readonly string[]): void {
    const c = this.peek();
    if (c === '"' || c === "'") {
      this.string();
    } else if (c === '{') {
      this.advance();
      for (;;) {
        this.skipAll();
        if (this.peek() === '}') {
          this.advance();
          return;
        }
        this.keyValue(path);
        this.skipAll();
        if (this.peek() === ',') this.advance();
      }
    } else if (c === '[') {
      this.advance();
      for (let i = 0; ; i++) {
        this.skipAll();
        if (this.peek() === ']') {
          this.advance();
          return;
        }
        const elem = [...path, String(i)];
        this.record(elem, this.line);
        this.value(elem);
        this.skipAll();
        if (this.peek() === ',') this.advance();
      }
    } else {
      // Numbers, booleans, dates: up to the next delimiter.
      let n = 0;
      while (this.pos < this.text.length && !/[,\]}\n#\r]/.test(this.peek())) {
        this.advance();
        n++;
      }
      if (n === 0) throw new Error('empty value');
    }
  }

  /** A basic, literal or multi-line string; returns its (approximately unescaped) text. */
  private string(): string {
    const q = this.peek();
    const multi = this.peek(1) === q && this.peek(2) === q;
    const delim = multi ? q.repeat(3) : q;
    this.advance(delim.length);
    let s = '';
    for (;;) {
      if (this.pos >= this.text.length) throw new Error('unterminated string');
      if (this.text.startsWith(delim, this.pos)) {
        this.advance(delim.length);
        // Multi-line strings may end with up to two extra quotes.
        while (multi && this.peek() === q) {
          s += q;
          this.advance();
        }
        return s;
      }
      const c = this.peek();
      if (c === '\\' && q === '"') {
        const e = this.peek(1);
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '"': '"', '\\': '\\' };
        if (e === 'u' || e === 'U') {
          const len = e === 'u' ? 4 : 8;
          s += String.fromCodePoint(parseInt(this.text.slice(this.pos + 2, this.pos + 2 + len), 16));
          this.advance(2 + len);
        } else {
          s += simple[e] ?? e;
          this.advance(2);
        }
      } else {
        s += c;
        this.advance();
      }
    }
  }
}

/**
 * A parsed TOML file plus what error messages need: its name and the line of every key. The
 * `read*` helpers validate one value each and throw a ConfigError naming file, line and key.
 */
import { createRequire } from 'node:module';
import type * as SmolToml from 'smol-toml';
import { ConfigError } from './errors.js';
import { KeyLines, formatKeyPath } from './key-lines.js';
import type { KeyPath } from './key-lines.js';
import type { Origin } from './origin.js';

export type TomlTable = Record<string, unknown>;

const require = createRequire(import.meta.url);
let toml: typeof SmolToml | undefined;

/** smol-toml, loaded on first use: most commands find no config file and never parse TOML. */
function smolToml(): typeof SmolToml {
  return (toml ??= require('smol-toml') as typeof SmolToml);
}

export class TomlDoc {
  readonly root: TomlTable;
  private readonly lines: KeyLines;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    try {
      this.root = smolToml().parse(text) as TomlTable;
    } catch (e) {
      if (e instanceof smolToml().TomlError) {
        const first = e.message.split('\n')[0] ?? e.message;
        throw new ConfigError(file, e.line, [], `not valid TOML: ${first}`);
      }
      throw e;
    }
    this.lines = new KeyLines(text);
  }

  lineOf(path: KeyPath): number {
    return this.lines.lineOf(path);
  }

  origin(path: KeyPath): Origin & { kind: 'config' } {
    return { kind: 'config', file: this.file, line: this.lineOf(path), key: formatKeyPath(path) };
  }

  error(path: KeyPath, detail: string): ConfigError {
    return new ConfigError(this.file, this.lineOf(path), path, detail);
  }
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return isTable(value) ? 'a table' : 'a date';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}`;
  return `${typeof value === 'number' ? 'the number' : 'the boolean'} ${String(value)}`;
}

export function isTable(value: unknown): value is TomlTable {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

export function readTable(doc: TomlDoc, value: unknown, path: KeyPath): TomlTable {
  if (!isTable(value)) throw doc.error(path, `expected a table, got ${describe(value)}`);
  return value;
}

export function readString(doc: TomlDoc, value: unknown, path: KeyPath): string {
  if (typeof value !== 'string') throw doc.error(path, `expected a string, got ${describe(value)}`);
  return value;
}

export function readBool(doc: TomlDoc, value: unknown, path: KeyPath): boolean {
  if (typeof value !== 'boolean') throw doc.error(path, `expected true or false, got ${describe(value)}`);
  return value;
}

export function readStringArray(doc: TomlDoc, value: unknown, path: KeyPath): string[] {
  if (!Array.isArray(value)) throw doc.error(path, `expected an array of strings, got ${describe(value)}`);
  return value.map((v, i) => readString(doc, v, [...path, String(i)]));
}

export function readEnum<T extends string>(doc: TomlDoc, value: unknown, path: KeyPath, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw doc.error(path, `expected ${quoteAlternatives(allowed)}, got ${describe(value)}`);
  }
  return value as T;
}

/** An integer ≥ 1 (Codex's `NonZeroUsize`). */
export function readPositiveInt(doc: TomlDoc, value: unknown, path: KeyPath): number {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw doc.error(path, `expected an integer of at least 1, got ${describe(value)}`);
  if (n < 1) throw doc.error(path, `must be at least 1, got ${n}`);
  return n;
}

export function readStringMap(doc: TomlDoc, value: unknown, path: KeyPath): Record<string, string> {
  const t = readTable(doc, value, path);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(t)) out[k] = readString(doc, v, [...path, k]);
  return out;
}

/** Rejects keys outside `known` (a typo must not silently drop a restriction). */
export function rejectUnknownKeys(doc: TomlDoc, table: TomlTable, path: KeyPath, known: readonly string[]): void {
  for (const k of Object.keys(table)) {
    if (!known.includes(k)) throw doc.error([...path, k], `unknown key; expected one of ${known.join(', ')}`);
  }
}

export function quoteAlternatives(values: readonly string[]): string {
  const q = values.map((v) => JSON.stringify(v));
  if (q.length <= 2) return q.join(' or ');
  return `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

/**
 * Hand-written JSON validation helpers: every failure is a `ProfileError` naming the JSON path of the
 * offending value, what was expected, and what was found.
 */
import { ProfileError } from './errors.js';

export type JsonObject = Record<string, unknown>;

/** `$.a.b[2]`; keys that are not plain identifiers are quoted: `$["odd key"]`. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** A short rendering of a found value for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function fail(path: string, expected: string, got: unknown): never {
  throw new ProfileError(path, `expected ${expected}; got ${describe(got)}`);
}

export function quoteList(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

/**
 * Parses JSON text, or passes an already-parsed value through. Duplicate object keys are refused:
 * `JSON.parse` keeps the last one, so `{"access":"deny","access":"write"}` would read as a grant to
 * anyone but us (Codex's serde rejects duplicates too).
 */
export function toJsonValue(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  let value: unknown;
  try {
    value = JSON.parse(input) as unknown;
  } catch (err) {
    throw new ProfileError('$', `expected valid JSON; ${(err as Error).message}`);
  }
  const dup = findDuplicateKey(input);
  if (dup !== undefined) throw new ProfileError(dup, 'duplicate field: each field may appear once');
  return value;
}

/** JSON path of the first repeated object key in (already valid) JSON text, if any. */
export function findDuplicateKey(text: string): string | undefined {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const str = (): string => {
    const start = i;
    i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string): string | undefined => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') {
        i++;
        return undefined;
      }
      for (;;) {
        ws();
        const key = str();
        const keyPath = childPath(path, key);
        if (seen.has(key)) return keyPath;
        seen.add(key);
        ws();
        i++; // ':'
        const found = value(keyPath);
        if (found !== undefined) return found;
        ws();
        if (text[i++] === '}') return undefined;
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return undefined;
      }
      for (let n = 0; ; n++) {
        const found = value(childPath(path, n));
        if (found !== undefined) return found;
        ws();
        if (text[i++] === ']') return undefined;
      }
    }
    if (c === '"') {
      str();
      return undefined;
    }
    while (i < text.length && !',]} \t\n\r'.includes(text[i] as string)) i++;
    return undefined;
  };
  return value('$');
}

export function expectObject(value: unknown, path: string, what = 'an object'): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, what, value);
  return value as JsonObject;
}

export function expectArray(value: unknown, path: string, what = 'an array'): unknown[] {
  if (!Array.isArray(value)) fail(path, what, value);
  return value;
}

export function expectString(value: unknown, path: string, what = 'a string'): string {
  if (typeof value !== 'string') fail(path, what, value);
  return value;
}

export function expectBool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, 'a boolean (true or false)', value);
  return value;
}

export function expectEnum<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(path, `one of ${quoteList(allowed)}`, value);
  }
  return value as T;
}

/** A positive integer (Codex's `NonZeroUsize`). */
export function expectNonZeroInt(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    fail(path, 'a non-zero positive integer', value);
  }
  return value;
}

/** Rejects fields the shape does not declare: an ignored field could be a misspelt restriction. */
export function rejectUnknownFields(obj: JsonObject, path: string, allowed: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw new ProfileError(
        childPath(path, key),
        allowed.length === 0 ? 'unknown field: expected no other fields' : `unknown field: expected only ${quoteList(allowed)}`,
      );
    }
  }
}

export function requireField(obj: JsonObject, key: string, path: string, what: string): unknown {
  if (!Object.prototype.hasOwnProperty.call(obj, key)) {
    throw new ProfileError(childPath(path, key), `missing field: expected ${what}`);
  }
  return obj[key];
}

/** Value of an optional field; `null` counts as absent (serde `Option`). */
export function optionalField(obj: JsonObject, key: string): unknown {
  const v = Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
  return v === null ? undefined : v;
}

/**
 * Params decoding with serde's rules and messages (Codex decodes params with serde_json, camelCase
 * fields): unknown fields are ignored, optional fields may be absent or null, a required field that is
 * missing gives ``missing field `name` `` and a wrong type ``invalid type: …, expected …`` (-32602).
 */
import { invalidParams } from './jsonrpc.js';
import type { RpcError } from './jsonrpc.js';

/** serde's `Unexpected` wording for a JSON value. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return `boolean \`${String(v)}\``;
  // Codex's serde_json keeps arbitrary-precision numbers, which serde reports as just "number".
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (Array.isArray(v)) return 'sequence';
  return 'map';
}

const typeError = (v: unknown, expected: string): RpcError => invalidParams(`invalid type: ${describeValue(v)}, expected ${expected}`);

/** A params object being read field by field. */
export class Fields {
  private constructor(private readonly obj: Record<string, unknown>) {}

  /** `params` must be an object (absent/null → ``invalid type: null, expected struct <name>``). */
  static of(params: unknown, struct: string): Fields {
    if (typeof params !== 'object' || params === null || Array.isArray(params)) throw typeError(params, `struct ${struct}`);
    return new Fields(params as Record<string, unknown>);
  }

  private raw(name: string, required: boolean): unknown {
    const v = this.obj[name];
    if (v === undefined || (v === null && !required)) {
      if (required) throw invalidParams(`missing field \`${name}\``);
      return undefined;
    }
    return v;
  }

  string(name: string): string {
    return asString(this.raw(name, true));
  }
  optString(name: string): string | undefined {
    const v = this.raw(name, false);
    return v === undefined ? undefined : asString(v);
  }
  bool(name: string): boolean {
    return asBool(this.raw(name, true));
  }
  optBool(name: string): boolean | undefined {
    const v = this.raw(name, false);
    return v === undefined ? undefined : asBool(v);
  }
  optUint(name: string, what = 'u64'): number | undefined {
    const v = this.raw(name, false);
    return v === undefined ? undefined : asUint(v, what);
  }
  uint(name: string, what = 'u64'): number {
    return asUint(this.raw(name, true), what);
  }
  stringArray(name: string): string[] {
    const v = this.raw(name, true);
    if (!Array.isArray(v)) throw typeError(v, 'a sequence');
    return v.map(asString);
  }
  optStringArray(name: string): string[] | undefined {
    const v = this.raw(name, false);
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) throw typeError(v, 'a sequence');
    return v.map(asString);
  }
  stringMap(name: string): Record<string, string> {
    return asStringMap(this.raw(name, true));
  }
  optStringMap(name: string): Record<string, string> | undefined {
    const v = this.raw(name, false);
    return v === undefined ? undefined : asStringMap(v);
  }
  optObject(name: string, struct: string): Fields | undefined {
    const v = this.raw(name, false);
    return v === undefined ? undefined : Fields.of(v, struct);
  }
  /** The raw value (for nested decoders with their own messages), undefined when absent or null. */
  optRaw(name: string): unknown {
    return this.raw(name, false);
  }
  rawRequired(name: string): unknown {
    return this.raw(name, true);
  }
  /** One of `variants` (serde's ``unknown variant `x`, expected `a` or `b` ``). */
  enumValue<T extends string>(name: string, variants: readonly T[]): T {
    const v = this.string(name);
    if ((variants as readonly string[]).includes(v)) return v as T;
    throw invalidParams(`unknown variant \`${v}\`, expected ${variantList(variants)}`);
  }
}

function variantList(variants: readonly string[]): string {
  const quoted = variants.map((v) => `\`${v}\``);
  if (quoted.length === 1) return quoted[0] ?? '';
  if (quoted.length === 2) return `${quoted[0] ?? ''} or ${quoted[1] ?? ''}`;
  return `one of ${quoted.join(', ')}`;
}

function asUint(v: unknown, what: string): number {
  if (typeof v !== 'number') throw typeError(v, what);
  // serde_json with arbitrary_precision: a negative or fractional number for an unsigned field.
  if (!Number.isSafeInteger(v) || v < 0) throw invalidParams('invalid number');
  return v;
}

function asString(v: unknown): string {
  if (typeof v !== 'string') throw typeError(v, 'a string');
  return v;
}

function asBool(v: unknown): boolean {
  if (typeof v !== 'boolean') throw typeError(v, 'a boolean');
  return v;
}

function asStringMap(v: unknown): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw typeError(v, 'a map');
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(v as Record<string, unknown>)) out[k] = asString(value);
  return out;
}

/**
 * Standard base64 with padding (RFC 4648 §4), as Codex's ByteChunk, with the base64 crate's error
 * texts; anything else is refused.
 */
export function decodeByteChunk(text: string): Buffer {
  const bad = /[^A-Za-z0-9+/=]/.exec(text);
  if (bad) throw invalidParams(`Invalid symbol ${bad[0].charCodeAt(0)}, offset ${bad.index}.`);
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw invalidParams('Invalid padding');
  return Buffer.from(text, 'base64');
}

/**
 * Decoding one JSON-RPC message's text with the limits Codex's exec-server applies
 * (exec-server-protocol/src/rpc.rs): duplicate object keys are refused (`JSON.parse` would keep the
 * last one silently, so a proxy that checks the first `processId` and a server that uses the last
 * could disagree), and a message may hold at most MAX_JSONRPC_VALUE_NODES values (a compact
 * `[[],[],…]` costs the parser far more memory than its bytes).
 */

export const MAX_JSONRPC_VALUE_NODES = 256 * 1024;

export class JsonTextError extends Error {
  override readonly name = 'JsonTextError';
}

/** Parses `text` or throws JsonTextError with a serde-like reason. */
export function parseJsonText(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new JsonTextError(e instanceof Error ? e.message : String(e));
  }
  if (typeof value === 'object' && value !== null) checkStructure(text);
  return value;
}

interface ObjectFrame {
  keys: Set<string>;
  expectKey: boolean;
}

/** Walks text that JSON.parse accepted: counts values and finds duplicate keys. */
function checkStructure(text: string): void {
  const stack: Array<ObjectFrame | null> = [];
  let nodes = 0;
  const countValue = (): void => {
    nodes += 1;
    if (nodes > MAX_JSONRPC_VALUE_NODES) {
      throw new JsonTextError(`JSON-RPC message has more than ${MAX_JSONRPC_VALUE_NODES} JSON values`);
    }
  };
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = stringEnd(text, i);
      const top = stack.length > 0 ? stack[stack.length - 1] : null;
      if (top && top.expectKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        if (top.keys.has(key)) throw new JsonTextError(`duplicate JSON object key \`${key}\``);
        top.keys.add(key);
        top.expectKey = false;
      } else {
        countValue();
      }
      i = end + 1;
      continue;
    }
    if (c === 0x7b /* { */) {
      countValue();
      stack.push({ keys: new Set(), expectKey: true });
    } else if (c === 0x5b /* [ */) {
      countValue();
      stack.push(null);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top) top.expectKey = true;
    } else if (c === 0x74 /* t */ || c === 0x66 /* f */ || c === 0x6e /* n */ || c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      countValue();
      while (i + 1 < n && !isDelimiter(text.charCodeAt(i + 1))) i += 1;
    }
    i += 1;
  }
}

function isDelimiter(c: number): boolean {
  return c === 0x2c || c === 0x5d || c === 0x7d || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Index of the quote closing the string that starts at `start` (text is valid JSON). */
function stringEnd(text: string, start: number): number {
  let j = start + 1;
  for (;;) {
    const q = text.indexOf('"', j);
    if (q < 0) return text.length - 1;
    let backslashes = 0;
    for (let k = q - 1; k > start && text.charCodeAt(k) === 0x5c; k -= 1) backslashes += 1;
    if (backslashes % 2 === 0) return q;
    j = q + 1;
  }
}

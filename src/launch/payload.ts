/** The launcher's argument payload: NUL-terminated byte strings on fd 3 (non-UTF-8 paths survive). */
import type { ArgvItem } from '../contracts/index.js';
import { argvItemBytes, argvItemText } from '../util/surrogate-escape.js';

export const PAYLOAD_FD = 3;

export function encodePayload(items: readonly ArgvItem[]): Uint8Array {
  const parts: Buffer[] = [];
  for (const item of items) {
    const bytes = argvItemBytes(item);
    if (bytes.includes(0)) {
      throw new TypeError(`argument ${JSON.stringify(argvItemText(item))} contains a NUL byte, which no program argument can hold`);
    }
    parts.push(bytes, Buffer.from([0]));
  }
  return new Uint8Array(Buffer.concat(parts));
}

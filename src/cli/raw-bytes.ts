/**
 * Linux: Node decodes argv and the environment as UTF-8 and turns every byte that is not valid UTF-8
 * into U+FFFD, so `codex-sandbox run -- cat $'\xff'` would open another file than the library would
 * (the library takes such bytes as surrogate-escaped strings, src/util/surrogate-escape.ts). The kernel
 * keeps the exact bytes in /proc/self/cmdline and /proc/self/environ (proc(5)); an item that Node
 * decoded with a U+FFFD is taken from there instead — only when the lossy decoding of the raw item is
 * exactly what Node gave, so a mismatch (another layout) keeps Node's text. Nothing is read otherwise.
 */
import { readFileSync } from 'node:fs';
import { bytesToPathString } from '../util/surrogate-escape.js';

const REPLACEMENT = '\ufffd';

function nulSeparated(read: () => Buffer): Buffer[] | undefined {
  let buf: Buffer;
  try {
    buf = read();
  } catch {
    return undefined;
  }
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0) {
      out.push(buf.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < buf.length) out.push(buf.subarray(start));
  return out;
}

/** `argv` (process.argv) with each lossily decoded user argument replaced by its exact bytes (escaped). */
export function rawArgv(argv: readonly string[], read: () => Buffer = () => readFileSync('/proc/self/cmdline')): string[] {
  const user = argv.slice(2);
  if (process.platform !== 'linux' || !user.some((a) => a.includes(REPLACEMENT))) return [...argv];
  const raw = nulSeparated(read);
  // cmdline is node, its own options, the script, then the user's arguments: align on the end.
  if (!raw || raw.length < user.length) return [...argv];
  const tail = raw.slice(raw.length - user.length);
  if (!tail.every((b, i) => b.toString('utf8') === user[i])) return [...argv];
  return [...argv.slice(0, 2), ...tail.map((b, i) => (user[i]?.includes(REPLACEMENT) ? bytesToPathString(b) : (user[i] ?? '')))];
}

/** `env` (process.env) with each lossily decoded name or value replaced by its exact bytes (escaped). */
export function rawEnv(env: Record<string, string | undefined>, read: () => Buffer = () => readFileSync('/proc/self/environ')): Record<string, string | undefined> {
  if (process.platform !== 'linux' || !Object.entries(env).some(([k, v]) => k.includes(REPLACEMENT) || v?.includes(REPLACEMENT) === true)) return env;
  const raw = nulSeparated(read);
  if (!raw) return env;
  const out: Record<string, string | undefined> = { ...env };
  for (const entry of raw) {
    const eq = entry.indexOf(0x3d);
    if (eq <= 0) continue;
    const name = entry.subarray(0, eq);
    const value = entry.subarray(eq + 1);
    const lossyName = name.toString('utf8');
    const lossyValue = value.toString('utf8');
    // Still what this process holds (not changed since exec), and something was lost in decoding.
    if (env[lossyName] !== lossyValue || !(lossyName + lossyValue).includes(REPLACEMENT)) continue;
    delete out[lossyName];
    out[bytesToPathString(name)] = bytesToPathString(value);
  }
  return out;
}

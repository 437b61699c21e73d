/** How a LaunchRequest becomes one process: the file, its argv, and the launcher payload for fd 3. */
import type { ArgvItem, LaunchRequest } from '../manager/types.js';
import { argvItemBytes, argvItemText, hasEscapedBytes } from '../util/surrogate-escape.js';
import { PAYLOAD_FD, encodePayload } from './payload.js';

export interface ProcessSpec {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Bytes for fd 3 when the launcher's arguments cannot travel as argv. */
  payload: Uint8Array | undefined;
}

/**
 * Beyond this many bytes of arguments the launcher reads them from fd 3 (the kernel refuses an argv
 * element over 128 KiB and an argv+envp over ARG_MAX; the payload has its own, larger cap).
 */
const DIRECT_ARGV_MAX_BYTES = 64 * 1024;

/** The launcher's arguments as plain argv strings, when Node would pass every one byte for byte. */
function directArgs(argv: readonly ArgvItem[]): string[] | undefined {
  // The launcher reads argv[1] == --inner / --payload-fd as a stage switch, never as a plan option.
  if (argv[0] === '--inner' || argv[0] === '--payload-fd') return undefined;
  const out: string[] = [];
  let bytes = 0;
  for (const item of argv) {
    // Escaped (non-UTF-8) bytes would reach the launcher as U+FFFD; a NUL cannot be in argv at all
    // (encodePayload names the argument).
    if (typeof item !== 'string' || item.includes('\0') || hasEscapedBytes(item)) return undefined;
    bytes += item.length * 3 + 1; // an upper bound of the UTF-8 length, without encoding it
    if (bytes > DIRECT_ARGV_MAX_BYTES) return undefined;
    out.push(item);
  }
  return out;
}

export function processSpec(req: LaunchRequest): ProcessSpec {
  const file = argvItemText(req.program);
  const cwd = typeof req.cwd === 'string' ? req.cwd : argvItemBytes(req.cwd).toString('utf8');
  if (req.native.platform === 'linux') {
    // Plain argv when it is exact: a pipe on fd 3 costs execa a stream and the launcher a read.
    const direct = directArgs(req.argv);
    if (direct !== undefined) return { file, args: direct, cwd, env: req.env, payload: undefined };
    // Otherwise the arguments travel as bytes on fd 3, so non-UTF-8 paths survive.
    return { file, args: ['--payload-fd', String(PAYLOAD_FD)], cwd, env: req.env, payload: encodePayload(req.argv) };
  }
  const args = req.argv.map((a) => {
    if (typeof a !== 'string') {
      throw new TypeError(`argument ${argvItemText(a)} is not valid UTF-8 and this launch (${req.kind}) cannot pass raw bytes`);
    }
    return a;
  });
  return { file, args, cwd, env: req.env, payload: undefined };
}

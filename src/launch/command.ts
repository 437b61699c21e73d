/** How a LaunchRequest becomes one process: the file, its argv, and the launcher payload for fd 3. */
import type { LaunchRequest } from '../manager/types.js';
import { argvItemBytes, argvItemText } from '../util/surrogate-escape.js';
import { PAYLOAD_FD, encodePayload } from './payload.js';

export interface ProcessSpec {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Bytes for fd 3 when the program is the native launcher. */
  payload: Uint8Array | undefined;
}

export function processSpec(req: LaunchRequest): ProcessSpec {
  const file = argvItemText(req.program);
  const cwd = typeof req.cwd === 'string' ? req.cwd : argvItemBytes(req.cwd).toString('utf8');
  if (req.native.platform === 'linux') {
    // Launcher arguments travel as bytes on fd 3, so non-UTF-8 paths survive.
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

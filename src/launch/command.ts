/** How a LaunchRequest becomes one process: the file, its argv and environment, and the launcher payload for fd 3. */
import type { ArgvItem, LaunchRequest } from '../contracts/index.js';
import { argvItemBytes, argvItemText, hasEscapedBytes } from '../util/surrogate-escape.js';
import { PAYLOAD_FD, encodePayload } from './payload.js';

export interface ProcessSpec {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Bytes for fd 3 when the launcher's arguments cannot travel in its environment. */
  payload: Uint8Array | undefined;
  /** The child fd on which the launcher reports a set-up failure (setup-status.ts), if it does. */
  statusFd: number | undefined;
}

/** The launcher reads its arguments from this variable with `--env-args` (and removes it). */
export const LAUNCHER_ARGS_ENV = 'CODEX_SANDBOX_LAUNCHER_ARGS';

/**
 * Beyond this many bytes the launcher reads its arguments from fd 3 instead (the kernel refuses an
 * environment string over 128 KiB; the payload has its own, larger cap).
 */
const ENV_ARGS_MAX_BYTES = 64 * 1024;

/**
 * The launcher's arguments as `<length>:<text>` records for LAUNCHER_ARGS_ENV, when the environment
 * carries every one byte for byte: UTF-8 text without NUL, and not too long. Neither argv nor a pipe:
 * argv would put the whole bwrap plan into every execa error message, and the pipe on fd 3 costs
 * execa a stream and the launcher a read on every command.
 */
function envArgs(argv: readonly ArgvItem[]): string | undefined {
  // One join of the records at the end (no string rebuilt per argument), with the byte count kept
  // as it goes: the plan's argv is thousands of items for a large plan, on every command.
  const parts: string[] = [];
  let bytes = 0;
  for (const item of argv) {
    // Escaped (non-UTF-8) bytes would reach the launcher as U+FFFD; a NUL cannot be in the
    // environment at all (encodePayload names the argument).
    if (typeof item !== 'string' || item.includes('\0') || hasEscapedBytes(item)) return undefined;
    const length = Buffer.byteLength(item, 'utf8');
    const prefix = `${length}:`;
    bytes += prefix.length + length;
    if (bytes > ENV_ARGS_MAX_BYTES) return undefined;
    parts.push(prefix, item);
  }
  return parts.join('');
}

/**
 * The Linux launcher's arguments: the command's environment as `--command-env --env NAME=VALUE`
 * records, then the plan's. The launcher itself, and bwrap, run with an empty environment (apart from
 * how the launcher receives its arguments): LD_PRELOAD, LD_LIBRARY_PATH or LD_DEBUG_OUTPUT meant for the
 * command must not act on programs that run outside the sandbox (ld.so(8)); only the command gets them.
 */
export function linuxLauncherArgv(req: LaunchRequest): ArgvItem[] {
  const env: ArgvItem[] = ['--command-env'];
  for (const [name, value] of Object.entries(req.env)) env.push('--env', `${name}=${value}`);
  return [...env, ...req.argv];
}

export function processSpec(req: LaunchRequest): ProcessSpec {
  const file = argvItemText(req.program);
  const cwd = typeof req.cwd === 'string' ? req.cwd : argvItemBytes(req.cwd).toString('utf8');
  if (req.native.platform === 'linux') {
    const argv = linuxLauncherArgv(req);
    const packed = envArgs(argv);
    // The status pipe is the one fd every launch gets: the fd after the payload's, if there is one.
    if (packed !== undefined) {
      const statusFd = PAYLOAD_FD;
      return { file, args: ['--status-fd', String(statusFd), '--env-args'], cwd, env: { [LAUNCHER_ARGS_ENV]: packed }, payload: undefined, statusFd };
    }
    // Otherwise the arguments travel as bytes on fd 3, so non-UTF-8 paths and values survive.
    const statusFd = PAYLOAD_FD + 1;
    return { file, args: ['--status-fd', String(statusFd), '--payload-fd', String(PAYLOAD_FD)], cwd, env: {}, payload: encodePayload(argv), statusFd };
  }
  const args = req.argv.map((a) => {
    if (typeof a !== 'string') {
      throw new TypeError(`argument ${argvItemText(a)} is not valid UTF-8 and this launch (${req.kind}) cannot pass raw bytes`);
    }
    return a;
  });
  return { file, args, cwd, env: req.env, payload: undefined, statusFd: undefined };
}

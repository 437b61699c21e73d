/**
 * Runs a LaunchRequest with the caller's own stdin/stdout/stderr (the CLI's `run`). Plain
 * node:child_process: the CLI needs none of execa's stream handling, and skipping it saves its
 * start-up cost on every command.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { LaunchRequest } from '../contracts/index.js';
import { prepareProcess } from './prepare.js';

export function spawnInherit(req: LaunchRequest, opts: { detached: boolean }): ChildProcess {
  const spec = prepareProcess(req);
  const child = spawn(spec.file, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    detached: opts.detached,
    stdio: spec.payload ? ['inherit', 'inherit', 'inherit', 'pipe'] : 'inherit',
  });
  if (spec.payload) {
    const pipe = child.stdio[3];
    if (pipe && 'end' in pipe) {
      // The launcher may fail before reading; an EPIPE here is reported through its exit status.
      pipe.on('error', () => undefined);
      pipe.end(Buffer.from(spec.payload));
    }
  }
  return child;
}

/**
 * Runs a LaunchRequest with the caller's own stdin/stdout/stderr (the CLI's `run`). Plain
 * node:child_process: the CLI needs none of execa's stream handling, and skipping it saves its
 * start-up cost on every command.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { LaunchRequest } from '../contracts/index.js';
import type { SandboxSetupError } from '../errors.js';
import { prepareProcess } from './prepare.js';
import { containInProcessGroup } from './process-group.js';
import { readSetupStatus } from './setup-status.js';

export interface InheritedLaunch {
  child: ChildProcess;
  /** Settles once the launcher exited or the command started: the set-up failure it reported, if any. */
  setupStatus: Promise<SandboxSetupError | undefined>;
}

export function spawnInherit(req: LaunchRequest, opts: { detached: boolean }): InheritedLaunch {
  const spec = prepareProcess(req);
  const stdio: Array<'inherit' | 'pipe'> = ['inherit', 'inherit', 'inherit'];
  if (spec.payload) stdio.push('pipe');
  if (spec.statusFd !== undefined) stdio.push('pipe');
  // macOS: the command (sandbox-exec execs it) leads its own process group and is signalled as a group (process-group.ts).
  const grouped = req.kind === 'macos-seatbelt';
  const child = spawn(spec.file, spec.args, { cwd: spec.cwd, env: spec.env, detached: grouped || opts.detached, stdio });
  if (grouped) containInProcessGroup(child, { forceKillAfterDelay: false });
  if (spec.payload) {
    const pipe = child.stdio[3];
    if (pipe && 'end' in pipe) {
      // The launcher may fail before reading; an EPIPE here is reported through its exit status.
      pipe.on('error', () => undefined);
      pipe.end(Buffer.from(spec.payload));
    }
  }
  const status = spec.statusFd !== undefined ? (child.stdio[spec.statusFd] as Readable | null) : null;
  return { child, setupStatus: readSetupStatus(status) };
}

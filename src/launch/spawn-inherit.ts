/**
 * Runs a LaunchRequest with the caller's own stdin/stdout/stderr (the CLI's `run`). No execa: the CLI
 * needs none of its stream handling, and skipping it saves its start-up cost on every command. On
 * Linux the launcher is started by the addon's clone(CLONE_VM | CLONE_VFORK) + pidfd spawner
 * (native-child.ts), as sandbox.spawn does: node:child_process forks the whole Node process, about a
 * tenth of `codex-sandbox run`'s CPU (issue #21). Anything that spawner does not do goes to
 * node:child_process.
 */
import type * as ChildProcessModule from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { LaunchRequest } from '../contracts/index.js';
import type { SandboxSetupError } from '../errors.js';
import { spawnViaPidfd } from './native-child.js';
import { prepareProcess } from './prepare.js';
import { containInProcessGroup } from './process-group.js';
import { REFUSAL_SCAN_BYTES } from './refusals.js';
import { readSetupStatus } from './setup-status.js';
import { pidfdSpawner } from './spawn-hook.js';

// node:child_process only for the fallback: loading it is a dozen internal modules on every command,
// and the addon's spawner starts the launcher without it (issue #21).
const lazyRequire = createRequire(import.meta.url);
const nodeSpawn = (file: string, args: readonly string[], options: SpawnOptions): ChildProcess =>
  (lazyRequire('node:child_process') as typeof ChildProcessModule).spawn(file, args, options);

/**
 * How long after the launcher's exit the relay waits for the command's stderr to end. It ends at once
 * when the sandbox had its own pid namespace (bwrap: every process dies with it); a background process
 * of an unnamespaced launch that keeps stderr open delays the caller this long. Not shorter: on a busy
 * machine the last chunk can be read well after the exit is seen.
 */
const STDERR_DRAIN_MS = 2000;

export interface InheritedLaunch {
  child: ChildProcess;
  /** Settles once the launcher exited or the command started: the set-up failure it reported, if any. */
  setupStatus: Promise<SandboxSetupError | undefined>;
  /**
   * With `relayStderr`: settles after the launcher exited and its stderr ended (or STDERR_DRAIN_MS
   * later): the last REFUSAL_SCAN_BYTES of it. Otherwise undefined.
   */
  stderrTail: Promise<string | undefined>;
}

/**
 * `relayStderr`: the command's stderr goes through a pipe this process copies to its own stderr, keeping
 * the end of it for the refusal report (src/launch/refusals.ts); otherwise it is inherited as is.
 * `ttyFd`: the command's stdin, stdout and stderr are this fd instead (the slave of the CLI's pty
 * relay, src/cli/pty-relay.ts); `relayStderr` is then ignored.
 */
export function spawnInherit(req: LaunchRequest, opts: { detached: boolean; relayStderr?: boolean; ttyFd?: number }): InheritedLaunch {
  const spec = prepareProcess(req);
  const tty = opts.ttyFd;
  const relay = opts.relayStderr === true && tty === undefined;
  const stdio: Array<'inherit' | 'pipe' | number> = tty !== undefined ? [tty, tty, tty] : ['inherit', 'inherit', relay ? 'pipe' : 'inherit'];
  if (spec.payload) stdio.push('pipe');
  if (spec.statusFd !== undefined) stdio.push('pipe');
  // macOS: the command (sandbox-exec execs it) leads its own process group and is signalled as a group (process-group.ts).
  const grouped = req.kind === 'macos-seatbelt';
  const options: SpawnOptions = { cwd: spec.cwd, env: spec.env, detached: grouped || opts.detached, stdio };
  const spawner = pidfdSpawner();
  const child = (spawner && spawnViaPidfd(spawner, spec.file, spec.args, options)) ?? nodeSpawn(spec.file, spec.args, options);
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
  return { child, setupStatus: readSetupStatus(status), stderrTail: relay ? relayAndKeepTail(child) : Promise.resolve(undefined) };
}

let stderrErrorsIgnored = false;

function relayAndKeepTail(child: ChildProcess): Promise<string | undefined> {
  const stream = child.stderr as Socket | null;
  if (!stream) return Promise.resolve(undefined);
  let chunks: Buffer[] = [];
  let kept = 0;
  // A reader of our stderr that went away must not crash the CLI (the command sees EPIPE as before).
  if (!stderrErrorsIgnored) process.stderr.on('error', () => undefined);
  stderrErrorsIgnored = true;
  stream.pipe(process.stderr, { end: false });
  stream.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    kept += chunk.length;
    if (kept > 2 * REFUSAL_SCAN_BYTES) {
      const all = Buffer.concat(chunks);
      chunks = [all.subarray(all.length - REFUSAL_SCAN_BYTES)];
      kept = REFUSAL_SCAN_BYTES;
    }
  });
  const ended = new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  return exited.then(async () => {
    // A background process of the command may hold the pipe open: stop waiting (and let this process
    // exit) after a moment; the relay goes on while this process lives.
    let timer: NodeJS.Timeout | undefined;
    // setImmediate: a timer that expired while the loop was blocked runs before that iteration's poll
    // phase reads the pipe; the check phase comes after it (Node's event-loop phases).
    await Promise.race([ended, new Promise<void>((resolve) => (timer = setTimeout(() => setImmediate(resolve), STDERR_DRAIN_MS)))]);
    clearTimeout(timer);
    stream.unref();
    const all = Buffer.concat(chunks);
    return all.subarray(Math.max(0, all.length - REFUSAL_SCAN_BYTES)).toString('utf8');
  });
}

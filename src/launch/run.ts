/**
 * Runs a LaunchRequest as an execa subprocess (the library's `sandbox.spawn`): on Linux and Windows
 * the subprocess is the native launcher (prepare.ts), on macOS sandbox-exec.
 */
import { closeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import type { Options, ResultPromise } from 'execa';
import type { LaunchRequest } from '../contracts/index.js';
import type { LaunchOptions } from './options.js';
import { SandboxSetupError } from '../errors.js';
import { loadNative } from '../native.js';
import { prepareProcess } from './prepare.js';
import { containInProcessGroup } from './process-group.js';
import { execaEvidence, tailText } from './refusals.js';
import { readSetupStatus, takeSetupStatus } from './setup-status.js';
import { sealedBwrapFd } from './sealed-bwrap.js';
import { pidfdSpawner, withPidfdSpawn } from './spawn-hook.js';

export type { LaunchOptions } from './options.js';

function stdioTriple(opts: LaunchOptions): unknown[] {
  const stdio = opts.stdio;
  if (Array.isArray(stdio)) {
    if (stdio.length > 3) {
      throw new TypeError('sandbox.spawn: only stdin, stdout and stderr can be passed to a sandboxed command (extra fds would be closed by the launcher anyway)');
    }
    return [stdio[0] ?? opts.stdin ?? 'pipe', stdio[1] ?? opts.stdout ?? 'pipe', stdio[2] ?? opts.stderr ?? 'pipe'];
  }
  if (typeof stdio === 'string') return [stdio, stdio, stdio];
  return [opts.stdin ?? 'pipe', opts.stdout ?? 'pipe', opts.stderr ?? 'pipe'];
}

/**
 * Makes the subprocess's promise reject with the launcher's SandboxSetupError when the sandbox could
 * not be set up (whatever execa decided: a set-up failure is never a command's result, not even with
 * `reject: false`); the execa result or error is its `cause`. Everything else is execa's as it was.
 */
function rejectOnSetupFailure(sub: ResultPromise, setup: (exitCode: number | undefined) => Promise<SandboxSetupError | undefined>): ResultPromise {
  const checked = sub.then(
    async (result) => {
      const failure = await setup(result.exitCode);
      if (failure) throw withCause(failure, result);
      return result;
    },
    async (error: unknown) => {
      const failure = await setup(exitCodeOf(error));
      throw failure ? withCause(failure, error) : error;
    },
  );
  // execa merges its promise into the subprocess the same way (a bound then/catch/finally).
  for (const method of ['then', 'catch', 'finally'] as const) {
    const descriptor = Reflect.getOwnPropertyDescriptor(Promise.prototype, method);
    if (!descriptor) continue;
    const value = (descriptor.value as (...args: unknown[]) => unknown).bind(checked);
    Reflect.defineProperty(sub, method, { ...descriptor, value });
  }
  return sub;
}

/** An execa error's exitCode (undefined for a signal, a failed start, or anything else thrown). */
function exitCodeOf(error: unknown): number | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { exitCode?: unknown }).exitCode : undefined;
  return typeof code === 'number' ? code : undefined;
}

/** A socket pair for the launcher's status fd (caller's end non-blocking); undefined without the addon's. */
function statusSocketPair(): [number, number] | undefined {
  if (process.platform !== 'linux') return undefined;
  const pair = loadNative().stdioSocketPair;
  return pair ? pair(true) : undefined;
}

function withCause(failure: SandboxSetupError, cause: unknown): SandboxSetupError {
  const said = failure.step === 'bubblewrap' ? bwrapSaid(cause) : undefined;
  // The launcher says bwrap's message is "above" (where the CLI's stderr shows it); a library caller
  // that captured stderr gets it in the error itself.
  const detail = said !== undefined ? failure.detail.replace('(its message is above)', `(${said})`) : failure.detail;
  return new SandboxSetupError(failure.step, failure.path, failure.errno, detail, { cause });
}

/** bubblewrap's last `bwrap: ...` line in a captured stderr (execa's result or error), at most 300 characters. */
function bwrapSaid(cause: unknown): string | undefined {
  const line = tailText(execaEvidence(cause).stderr)
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('bwrap: '));
  return line === undefined ? undefined : line.trim().slice(0, 300);
}

/** The Linux plan's bundled bwrap (`--bwrap-verified -- PATH`): its sealed copy's fd, if one could be made. */
function sealedBwrapOf(req: LaunchRequest): number | undefined {
  if (req.native.platform !== 'linux') return undefined;
  const at = req.argv.indexOf('--bwrap-verified');
  const path = at >= 0 && req.argv[at + 1] === '--' ? req.argv[at + 2] : undefined;
  return typeof path === 'string' ? sealedBwrapFd(path) : undefined;
}

/** `--status-fd S MODE...` → `--status-fd S --sealed-bwrap-fd F MODE...` (the launcher takes it in that place). */
function withSealedBwrap(args: readonly string[], fd: number): string[] {
  if (args[0] !== '--status-fd') throw new Error(`internal: the launcher's arguments start with ${String(args[0])}, not --status-fd`);
  return [...args.slice(0, 2), '--sealed-bwrap-fd', String(fd), ...args.slice(2)];
}

export function launch(req: LaunchRequest, opts: LaunchOptions = {}): ResultPromise {
  const spec = prepareProcess(req);
  const { stdio: _stdio, stdin: _stdin, stdout: _stdout, stderr: _stderr, ...rest } = opts;
  const stdio: unknown[] = stdioTriple(opts);
  if (spec.payload) stdio.push(spec.payload);
  // The status fd: on Linux a socket whose caller's end is read once the launcher has exited
  // (setup-status.ts takeSetupStatus), not a 'pipe' that execa would make a stream of and collect.
  const statusPair = spec.statusFd !== undefined ? statusSocketPair() : undefined;
  if (spec.statusFd !== undefined) stdio.push(statusPair ? statusPair[1] : 'pipe');
  // The bundled bwrap as a sealed copy checked once per process (sealed-bwrap.ts), in the slot after
  // the status fd: the launcher execs it instead of hashing the file on every launch.
  const sealed = spec.statusFd !== undefined ? sealedBwrapOf(req) : undefined;
  const args = sealed !== undefined ? withSealedBwrap(spec.args, stdio.length) : spec.args;
  if (sealed !== undefined) stdio.push(sealed);
  // The Linux launcher already dies with its caller (prctl(2) PR_SET_PDEATHSIG, set before bwrap
  // starts; bwrap --die-with-parent below it), on a normal exit and on SIGKILL alike, so execa's
  // `cleanup` handler adds nothing there but its cost: it installs and removes signal-exit's
  // handlers for every signal around each command. Elsewhere (sandbox-exec, the Windows launcher)
  // it stays on. A caller's own `cleanup` wins.
  const cleanup = rest.cleanup ?? req.native.platform !== 'linux';
  // macOS: sandbox-exec execs the command, so the command itself leads a process group of its own
  // and every signal goes to that group (process-group.ts); the Linux and Windows launchers contain
  // their trees themselves.
  const grouped = req.kind === 'macos-seatbelt';
  const detached = grouped ? true : rest.detached;
  const options: Options = { ...rest, detached, cleanup, env: spec.env, extendEnv: false, cwd: spec.cwd, stdio: stdio as unknown as Options['stdio'] };
  // Linux: the launcher is started by the addon's clone(CLONE_VM | CLONE_VFORK), not by fork()ing Node (spawn-hook.ts).
  const spawner = req.native.platform === 'linux' ? pidfdSpawner() : undefined;
  let sub: ResultPromise;
  try {
    sub = spawner ? withPidfdSpawn(spawner, () => execa(spec.file, args, options)) : execa(spec.file, args, options);
  } catch (e) {
    if (statusPair) for (const fd of statusPair) closeSync(fd);
    throw e;
  }
  // execa has spawned (or failed to) synchronously: the launcher holds its own copy of the status end.
  if (statusPair) closeSync(statusPair[1]);
  if (grouped) containInProcessGroup(sub, { killSignal: rest.killSignal, forceKillAfterDelay: rest.forceKillAfterDelay });
  if (spec.statusFd === undefined) return sub;
  if (statusPair) {
    const parentEnd = statusPair[0];
    // execa settles after the launcher's exit (or a failed start), when the record is all there.
    let taken: SandboxSetupError | undefined | null = null;
    return rejectOnSetupFailure(sub, (exitCode) => Promise.resolve(taken === null ? (taken = takeSetupStatus(parentEnd, exitCode)) : taken));
  }
  const setup = readSetupStatus(sub.stdio[spec.statusFd] as Readable | null | undefined);
  return rejectOnSetupFailure(sub, () => setup);
}

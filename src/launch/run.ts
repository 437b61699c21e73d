/**
 * Runs a LaunchRequest as an execa subprocess (the library's `sandbox.spawn`): on Linux and Windows
 * the subprocess is the native launcher (prepare.ts), on macOS sandbox-exec.
 */
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import type { Options, ResultPromise } from 'execa';
import type { LaunchRequest } from '../contracts/index.js';
import type { LaunchOptions } from './options.js';
import { SandboxSetupError } from '../errors.js';
import { prepareProcess } from './prepare.js';
import { containInProcessGroup } from './process-group.js';
import { readSetupStatus } from './setup-status.js';
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
function rejectOnSetupFailure(sub: ResultPromise, status: Readable | null | undefined): ResultPromise {
  const setup = readSetupStatus(status);
  const checked = sub.then(
    async (result) => {
      const failure = await setup;
      if (failure) throw withCause(failure, result);
      return result;
    },
    async (error: unknown) => {
      const failure = await setup;
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

function withCause(failure: SandboxSetupError, cause: unknown): SandboxSetupError {
  return new SandboxSetupError(failure.step, failure.path, failure.errno, failure.detail, { cause });
}

export function launch(req: LaunchRequest, opts: LaunchOptions = {}): ResultPromise {
  const spec = prepareProcess(req);
  const { stdio: _stdio, stdin: _stdin, stdout: _stdout, stderr: _stderr, ...rest } = opts;
  const stdio: unknown[] = stdioTriple(opts);
  if (spec.payload) stdio.push(spec.payload);
  if (spec.statusFd !== undefined) stdio.push('pipe');
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
  const sub = spawner ? withPidfdSpawn(spawner, () => execa(spec.file, spec.args, options)) : execa(spec.file, spec.args, options);
  if (grouped) containInProcessGroup(sub, { killSignal: rest.killSignal, forceKillAfterDelay: rest.forceKillAfterDelay });
  if (spec.statusFd === undefined) return sub;
  return rejectOnSetupFailure(sub, sub.stdio[spec.statusFd] as Readable | null | undefined);
}

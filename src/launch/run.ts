/**
 * Runs a LaunchRequest as an execa subprocess (the library's `sandbox.spawn`): on Linux and Windows
 * the subprocess is the native launcher (prepare.ts), on macOS sandbox-exec.
 */
import { execa } from 'execa';
import type { Options, ResultPromise } from 'execa';
import type { LaunchRequest } from '../contracts/index.js';
import { prepareProcess } from './prepare.js';

/** execa options a caller may set; the launch owns env, cwd, argv0 and fds ≥ 3. */
export type LaunchOptions = Omit<Options, 'env' | 'extendEnv' | 'cwd' | 'argv0' | 'shell' | 'ipc' | 'serialization' | 'uid' | 'gid'>;

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

export function launch(req: LaunchRequest, opts: LaunchOptions = {}): ResultPromise {
  const spec = prepareProcess(req);
  const { stdio: _stdio, stdin: _stdin, stdout: _stdout, stderr: _stderr, ...rest } = opts;
  const triple = stdioTriple(opts);
  const stdio = spec.payload ? [...triple, spec.payload] : triple;
  // The Linux launcher already dies with its caller (prctl(2) PR_SET_PDEATHSIG, set before bwrap
  // starts; bwrap --die-with-parent below it), on a normal exit and on SIGKILL alike, so execa's
  // `cleanup` handler adds nothing there but its cost: it installs and removes signal-exit's
  // handlers for every signal around each command. Elsewhere (sandbox-exec, the Windows launcher)
  // it stays on. A caller's own `cleanup` wins.
  const cleanup = rest.cleanup ?? req.native.platform !== 'linux';
  return execa(spec.file, spec.args, { ...rest, cleanup, env: spec.env, extendEnv: false, cwd: spec.cwd, stdio: stdio as unknown as Options['stdio'] });
}

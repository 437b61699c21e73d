/**
 * Runs a LaunchRequest: the only place that spawns. Launches through the native launcher pass the
 * launcher's arguments as a payload on fd 3; everything else is a plain execa call.
 */
import { execa } from 'execa';
import type { Options, ResultPromise } from 'execa';
import type { LaunchRequest } from '../manager/types.js';
import { argvItemBytes, argvItemText } from '../util/surrogate-escape.js';
import { PAYLOAD_FD, encodePayload } from './payload.js';

/** execa options a caller may set; the launch owns env, cwd, argv0 and fds ≥ 3. */
export type LaunchOptions = Omit<Options, 'env' | 'extendEnv' | 'cwd' | 'argv0' | 'shell' | 'ipc' | 'serialization' | 'uid' | 'gid'>;

export type StdioSlot = NonNullable<Options['stdin']>;

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
  const program = argvItemText(req.program);
  const cwd = typeof req.cwd === 'string' ? req.cwd : argvItemBytes(req.cwd).toString('utf8');
  const usesLauncher = req.native.platform === 'linux';
  const { stdio: _stdio, stdin: _stdin, stdout: _stdout, stderr: _stderr, ...rest } = opts;
  const triple = stdioTriple(opts);
  if (usesLauncher) {
    const payload = encodePayload(req.argv);
    return execa(program, ['--payload-fd', String(PAYLOAD_FD)], {
      ...rest,
      env: req.env,
      extendEnv: false,
      cwd,
      stdio: [...triple, payload] as unknown as Options['stdio'],
    });
  }
  const args = req.argv.map((a) => {
    if (typeof a !== 'string') {
      throw new TypeError(`argument ${argvItemText(a)} is not valid UTF-8 and this launch (${req.kind}) cannot pass raw bytes`);
    }
    return a;
  });
  return execa(program, args, { ...rest, env: req.env, extendEnv: false, cwd, stdio: triple as unknown as Options['stdio'] });
}

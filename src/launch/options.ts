/**
 * The execa options a caller of `sandbox.spawn` may set: a whitelist, so an option nobody reviewed
 * (or a sandbox option with a new name) never reaches execa. The launch itself owns the program, its
 * argv, env, cwd and fds ≥ 3.
 */
import type { Options } from 'execa';

/**
 * execa options a caller may set on `sandbox.spawn` / `sandbox.launch`. Left out on purpose: `shell`
 * (the launcher would be started through a shell), `node`/`nodePath`/`nodeOptions` (it would be run as
 * a Node script), `preferLocal`/`localDir` (PATH of the launcher),
 * `env`/`extendEnv`/`cwd`/`argv0`/`uid`/`gid` (the plan decides them), `ipc`/`serialization`/
 * `ipcInput`/`gracefulCancel` (an extra fd the launcher closes), `windowsVerbatimArguments` (the
 * launcher's argv must reach it unchanged).
 */
export type LaunchOptions = Pick<
  Options,
  | 'stdin'
  | 'stdout'
  | 'stderr'
  | 'stdio'
  | 'all'
  | 'input'
  | 'inputFile'
  | 'encoding'
  | 'lines'
  | 'stripFinalNewline'
  | 'buffer'
  | 'maxBuffer'
  | 'verbose'
  | 'reject'
  | 'timeout'
  | 'cancelSignal'
  | 'killSignal'
  | 'forceKillAfterDelay'
  | 'detached'
  | 'cleanup'
  | 'windowsHide'
>;

/** The keys of LaunchOptions, at run time (the compiler checks that none is missing). */
export const LAUNCH_OPTION_KEYS: Record<keyof LaunchOptions, true> = {
  stdin: true,
  stdout: true,
  stderr: true,
  stdio: true,
  all: true,
  input: true,
  inputFile: true,
  encoding: true,
  lines: true,
  stripFinalNewline: true,
  buffer: true,
  maxBuffer: true,
  verbose: true,
  reject: true,
  timeout: true,
  cancelSignal: true,
  killSignal: true,
  forceKillAfterDelay: true,
  detached: true,
  cleanup: true,
  windowsHide: true,
};

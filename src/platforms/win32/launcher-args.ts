/**
 * How the Windows plan starts its command (pure): the program CreateProcess will run, found through
 * the injected filesystem view, and the arguments of codex-sandbox-launcher.exe
 * (native/win/launcher_main.cc). The planner puts both in the LaunchRequest, so `--dry-run
 * --platform win32` shows exactly what runs and the launch only performs the plan's side effects.
 */
import path from 'node:path';
import { PlanError } from '../../contracts/index.js';
import type { FsInspector } from '../../permissions/fs-facts.js';
import { MAX_COMMAND_LINE, hasLoneSurrogate, libuvCommandLine } from './cmdline.js';

const win = path.win32;

/** Whether `p` is a regular file, a final link followed (CreateProcess follows it too). */
export function isFileIn(fsi: FsInspector): (p: string) => boolean {
  return (p) => {
    const kind = fsi.kind(p);
    if (kind === 'file') return true;
    if (kind !== 'symlink') return false;
    const real = fsi.realpath(p);
    return real !== undefined && fsi.kind(real) === 'file';
  };
}

function findEnv(env: Record<string, string>, name: string): string | undefined {
  const k = Object.keys(env).find((x) => x.toLowerCase() === name.toLowerCase());
  return k === undefined ? undefined : env[k];
}

/**
 * Finds the executable CreateProcess should start. A name without a directory is searched on the
 * sandbox's PATH only — never in the working directory, where the command (or whoever wrote the
 * workspace) could plant a same-named program. Each directory is tried with .com, .exe, .bat and
 * .cmd (the default PATHEXT order), so npm, npx, yarn and node_modules\.bin shims are found; the
 * planner runs a batch file through cmd.exe with its own quoting (batch.ts).
 */
export function resolveWindowsProgram(
  program: string,
  env: Record<string, string>,
  cwd: string,
  isFile: (p: string) => boolean,
): string {
  const exts = ['.com', '.exe', '.bat', '.cmd'];
  const hasDir = /[\\/]/.test(program) || /^[A-Za-z]:/.test(program);
  const candidates = (base: string): string[] => (win.extname(base) !== '' ? [base, ...exts.map((e) => base + e)] : exts.map((e) => base + e));
  const tryDir = (base: string): string | undefined => candidates(base).find((c) => isFile(c));
  let found: string | undefined;
  if (hasDir) {
    found = tryDir(win.resolve(cwd, program));
  } else {
    for (const dir of (findEnv(env, 'PATH') ?? '').split(';')) {
      const d = dir.replace(/^"(.*)"$/, '$1');
      if (d === '' || !win.isAbsolute(d)) continue;
      found = tryDir(win.join(d, program));
      if (found !== undefined) break;
    }
  }
  if (found === undefined) {
    throw new PlanError('ProgramNotFound', `program '${program}' not found (searched ${hasDir ? 'the given path' : "the sandbox's PATH"} for .com/.exe/.bat/.cmd); give its full path`);
  }
  return found;
}

/**
 * Variables libuv copies from Node's own environment into every child's when the given env lacks
 * them (`required_vars` in deps/uv/src/win/process.c). The launcher gets them that way whatever
 * the plan says, so each one the plan does not have is named with --unset-env and removed again.
 */
export const LIBUV_ADDED_ENV = ['HOMEDRIVE', 'HOMEPATH', 'LOGONSERVER', 'PATH', 'SYSTEMDRIVE', 'SYSTEMROOT', 'TEMP', 'USERDOMAIN', 'USERNAME', 'USERPROFILE', 'WINDIR'] as const;

/** What the launcher is told (native/win/launcher_main.cc's options). */
export interface LauncherArgsInput {
  application: string;
  cwd: string;
  desktop: string;
  capabilitySids: readonly string[];
  /** The command's planned environment (the launcher's own, once libuv's additions are removed). */
  env: Record<string, string>;
  commandLine: string;
}

/**
 * The launcher's argv. Node quotes it into one command line for CreateProcess (libuv's rules, which
 * the launcher's CRT undoes exactly); that line, which repeats the command line with its quotes
 * escaped once more, must itself fit CreateProcess's limit, or the spawn would fail with a bare
 * ENAMETOOLONG naming no cause.
 */
export function launcherArgs(launcherExe: string, input: LauncherArgsInput): string[] {
  for (const [what, value] of [['program path', input.application], ['working directory', input.cwd]] as const) {
    if (hasLoneSurrogate(value)) throw new PlanError('WindowsArgvNotRepresentable', `the ${what} ${JSON.stringify(value)} contains a lone UTF-16 surrogate, which cannot reach the launcher unchanged`);
  }
  if (input.commandLine.length > MAX_COMMAND_LINE) {
    throw new PlanError('CommandLineTooLong', `the command line is ${input.commandLine.length} characters; Windows allows ${MAX_COMMAND_LINE}`);
  }
  const args = ['--application', input.application, '--cwd', input.cwd];
  if (input.desktop !== '') args.push('--desktop', input.desktop);
  for (const sid of input.capabilitySids) args.push('--capability-sid', sid);
  const have = new Set(Object.keys(input.env).map((k) => k.toUpperCase()));
  for (const name of LIBUV_ADDED_ENV) if (!have.has(name)) args.push('--unset-env', name);
  args.push('--command-line', input.commandLine);
  const outer = libuvCommandLine([launcherExe, ...args]).length;
  if (outer > MAX_COMMAND_LINE) {
    throw new PlanError(
      'CommandLineTooLong',
      `the command line is ${input.commandLine.length} characters, and ${outer} once quoted for the launcher (its quotes and the backslashes before them are escaped again); Windows allows ${MAX_COMMAND_LINE}: pass fewer or shorter arguments`,
    );
  }
  return args;
}


/**
 * Prepares a `windows-token` LaunchRequest on Windows: the side effects that must happen before the
 * command starts, and the invocation of the native launcher (`codex-sandbox-launcher.exe`,
 * native/win/launcher_main.cc) that starts it. Runs only on Windows; planners never import this file.
 *
 * Order (Codex codex-rs/windows-sandbox-rs/src/lib.rs
 * `run_windows_sandbox_capture_with_filesystem_overrides`): missing deny dirs created → offline-shim stubs written → ACL grants and
 * deny ACEs applied (this process, through the addon) → the launcher, spawned by execa with the
 * planned environment and the caller's stdio: restricted token + kill-on-close job + process
 * (suspended, assigned, resumed) → wait → whatever the command left in the job is terminated, and
 * the launcher exits with the command's exit code. Killing the launcher (execa's kill or timeout)
 * closes its job handle, so the whole tree dies with it and nothing is printed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LaunchRequest } from '../../manager/types.js';
import { MAX_COMMAND_LINE, buildCommandLine, hasLoneSurrogate, libuvCommandLine } from './cmdline.js';
import { DENY_BIN_STUB_TEXT, environmentBlockEntries } from './env.js';
import type { WindowsTokenPlan } from './types.js';

const win = path.win32;

/** The typed surface of the addon's Windows functions (native/win/win_addon.cc). */
export interface WindowsNativeBinding {
  winSelfTest(): { openToken: boolean; createRestrictedToken: boolean; logonSid: string | null; jobObject: boolean; tokenError?: string };
  winApplyAcls(opts: {
    grants: Array<{ path: string; sid: string }>;
    denies: Array<{ path: string; sids: string[] }>;
    nulSids: string[] | null;
  }): { changed: number; warnings: string[] };
}

/** What to spawn: the launcher, its arguments, and the command's environment and directory. */
export interface WindowsLauncherInvocation {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Non-fatal problems met while preparing (e.g. the NUL device grant could not be made). */
  warnings: string[];
}

export class WindowsLaunchError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'WindowsLaunchError';
  }
}

function findEnv(env: Record<string, string>, name: string): string | undefined {
  const k = Object.keys(env).find((x) => x.toLowerCase() === name.toLowerCase());
  return k === undefined ? undefined : env[k];
}

/**
 * Finds the executable CreateProcess should start. A name without a directory is searched on the
 * sandbox's PATH only — never in the working directory, where the command (or whoever wrote the
 * workspace) could plant a same-named program. Batch files need cmd.exe and its own quoting rules,
 * so they are refused with a hint rather than run with argv that cmd could re-interpret.
 */
export function resolveWindowsProgram(
  program: string,
  env: Record<string, string>,
  cwd: string,
  isFile: (p: string) => boolean,
): string {
  const exts = ['.com', '.exe'];
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
    throw new WindowsLaunchError('ENOENT', `program '${program}' not found (searched ${hasDir ? 'the given path' : "the sandbox's PATH"} for .com/.exe); give its full path`);
  }
  const ext = win.extname(found).toLowerCase();
  if (ext === '.bat' || ext === '.cmd') {
    throw new WindowsLaunchError('EBATCH', `'${found}' is a batch file; run it through the shell explicitly: cmd.exe /d /s /c ${program} …`);
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
    if (hasLoneSurrogate(value)) throw new WindowsLaunchError('EARGV', `the ${what} ${JSON.stringify(value)} contains a lone UTF-16 surrogate, which cannot reach the launcher unchanged`);
  }
  if (input.commandLine.length > MAX_COMMAND_LINE) {
    throw new WindowsLaunchError('E2BIG', `the command line is ${input.commandLine.length} characters; Windows allows ${MAX_COMMAND_LINE}`);
  }
  const args = ['--application', input.application, '--cwd', input.cwd];
  if (input.desktop !== '') args.push('--desktop', input.desktop);
  for (const sid of input.capabilitySids) args.push('--capability-sid', sid);
  const have = new Set(Object.keys(input.env).map((k) => k.toUpperCase()));
  for (const name of LIBUV_ADDED_ENV) if (!have.has(name)) args.push('--unset-env', name);
  args.push('--command-line', input.commandLine);
  const outer = libuvCommandLine([launcherExe, ...args]).length;
  if (outer > MAX_COMMAND_LINE) {
    throw new WindowsLaunchError(
      'E2BIG',
      `the command line is ${input.commandLine.length} characters, and ${outer} once quoted for the launcher (its quotes and the backslashes before them are escaped again); Windows allows ${MAX_COMMAND_LINE}: pass fewer or shorter arguments`,
    );
  }
  return args;
}

function prepareFilesystem(plan: WindowsTokenPlan): void {
  for (const dir of plan.createMissingDenyDirs) fs.mkdirSync(dir, { recursive: true });
  if (plan.denyBinDir !== undefined) {
    fs.mkdirSync(plan.denyBinDir, { recursive: true });
    for (const stub of plan.denyBinStubs) {
      const p = win.join(plan.denyBinDir, stub);
      if (!fs.existsSync(p)) fs.writeFileSync(p, DENY_BIN_STUB_TEXT);
    }
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Applies the plan's filesystem side (deny dirs, shim stubs, ACLs) and returns the launcher
 * invocation that starts the command. Throws WindowsLaunchError when the program cannot be started
 * (ENOENT: not found; EBATCH: a batch file), before anything was changed on disk.
 */
export function prepareWindowsLaunch(req: LaunchRequest, binding: WindowsNativeBinding, launcherExe: string): WindowsLauncherInvocation {
  if (process.platform !== 'win32') throw new WindowsLaunchError('EPLATFORM', 'the Windows restricted-token backend runs only on Windows; use --dry-run to inspect the plan elsewhere');
  const plan = req.native as WindowsTokenPlan;
  if (req.kind !== 'windows-token' || plan.platform !== 'win32' || plan.backend !== 'restricted-token') {
    throw new WindowsLaunchError('EPLAN', `prepareWindowsLaunch got a '${req.kind}' request; it runs only 'windows-token' plans`);
  }
  const program = req.program;
  if (typeof program !== 'string' || req.argv.some((a) => typeof a !== 'string')) {
    throw new WindowsLaunchError('EARGV', 'a Windows command line carries text only; the request has raw-byte arguments');
  }
  const application = resolveWindowsProgram(program, req.env, plan.cwd, isFile);
  let commandLine: string;
  try {
    commandLine = buildCommandLine([program, ...(req.argv as string[])]);
  } catch (e) {
    throw new WindowsLaunchError('EARGV', e instanceof Error ? e.message : String(e));
  }
  // Fails on a name or value no Windows environment block can hold, before anything is changed.
  environmentBlockEntries(req.env);
  // The restricting-SID list must not be empty: the launcher refuses it, and so does this check.
  if (plan.capabilitySids.length === 0) throw new WindowsLaunchError('EPLAN', 'the plan has no capability SID for the restricted token');
  // Computed (and its limits checked) before anything is changed on disk.
  const args = launcherArgs(launcherExe, { application, cwd: plan.cwd, desktop: plan.desktop, capabilitySids: plan.capabilitySids, env: req.env, commandLine });

  prepareFilesystem(plan);
  const applied = binding.winApplyAcls({
    grants: plan.writableRoots.filter((r) => r.exists).map((r) => ({ path: r.apiPath, sid: r.sid })),
    denies: plan.denyWritePaths.map((d) => ({ path: d.apiPath, sids: d.sids })),
    nulSids: plan.nulDevice ? plan.capabilitySids : null,
  });
  return { file: launcherExe, args, cwd: plan.cwd, env: req.env, warnings: applied.warnings };
}

/**
 * Runs a `windows-token` LaunchRequest on Windows through the native layer (native/win/). Runs only
 * on Windows; planners never import this file.
 *
 * Order (reference §6.5): missing deny dirs created → offline-shim stubs written → ACL grants and
 * deny ACEs applied → stdio named pipes served by this process → restricted token + job + process
 * (suspended, assigned, resumed) → wait; timeout or kill terminates the whole job; when the exit
 * code is known the job is terminated (descendants still running die: nothing outlives the
 * command), the launch waits until the job is empty, and closes it.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { LaunchRequest } from '../../manager/types.js';
import { buildCommandLine } from './cmdline.js';
import { DENY_BIN_STUB_TEXT, environmentBlockEntries } from './env.js';
import type { WindowsTokenPlan } from './types.js';

const win = path.win32;

/** Exit code reported when the job is terminated on timeout (Codex's elevated runner uses 128+64). */
export const TIMEOUT_EXIT_CODE = 192;
/** Exit code used when the caller kills the tree. */
export const KILLED_EXIT_CODE = 1;

export type WinStdioSpec = 'inherit' | 'ignore' | { pipe: string };

/** The typed surface of the addon's Windows functions (native/win/win_addon.cc). */
export interface WindowsNativeBinding {
  winSelfTest(): { openToken: boolean; createRestrictedToken: boolean; logonSid: string | null; jobObject: boolean; tokenError?: string };
  winApplyAcls(opts: {
    grants: Array<{ path: string; sid: string }>;
    denies: Array<{ path: string; sids: string[] }>;
    nulSids: string[] | null;
  }): { changed: number; warnings: string[] };
  winSpawn(opts: {
    application: string;
    commandLine: string;
    cwd: string;
    env: string[];
    desktop: string;
    capabilitySids: string[];
    stdio: [WinStdioSpec, WinStdioSpec, WinStdioSpec];
  }): { id: number; pid: number };
  winWait(id: number): Promise<number>;
  winTerminate(id: number, exitCode: number): void;
  winActiveProcesses(id: number): number;
  winRelease(id: number): void;
}

export type WindowsStdio = 'pipe' | 'inherit' | 'ignore';

export interface WindowsLaunchOptions {
  stdio?: [WindowsStdio, WindowsStdio, WindowsStdio];
  /** Kill the whole tree after this many milliseconds. */
  timeoutMs?: number;
  /** Abort kills the whole tree. */
  signal?: AbortSignal;
}

export interface WindowsExit {
  exitCode: number;
  timedOut: boolean;
  killed: boolean;
}

export interface WindowsChild {
  pid: number;
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  /** Settles once the command exited and every descendant is gone. */
  exited: Promise<WindowsExit>;
  /** Terminates the command and all its descendants (TerminateJobObject; prints nothing). */
  kill(exitCode?: number): void;
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

interface PipeServer {
  name: string;
  server: net.Server;
  sockets: net.Socket[];
}

async function servePipe(index: number): Promise<PipeServer> {
  const name = `\\\\.\\pipe\\codex-sandbox-${process.pid}-${randomBytes(12).toString('hex')}-${index}`;
  const p: PipeServer = { name, server: net.createServer(), sockets: [] };
  p.server.on('connection', (s) => p.sockets.push(s));
  await new Promise<void>((resolve, reject) => {
    p.server.once('error', reject);
    p.server.listen(name, () => resolve());
  });
  return p;
}

/** Waits for the addon's connection, stops listening, and insists on exactly one client. */
async function acceptOne(p: PipeServer): Promise<net.Socket> {
  if (p.sockets.length === 0) await new Promise((r) => p.server.once('connection', r));
  await new Promise<void>((r) => p.server.close(() => r()));
  // A second client means someone else connected to our stdio pipe: its data would be mixed in.
  if (p.sockets.length !== 1) {
    for (const s of p.sockets) s.destroy();
    throw new WindowsLaunchError('EPIPESQUAT', `stdio pipe ${p.name} had ${p.sockets.length} clients; refusing to wire the command's stdio to it`);
  }
  const s = p.sockets[0];
  if (s === undefined) throw new WindowsLaunchError('EPIPE', `stdio pipe ${p.name} lost its client`);
  return s;
}

const JOB_DRAIN_POLL_MS = 10;
const JOB_DRAIN_MAX_POLLS = 1000;

/**
 * Terminates whatever is left in the job and waits (bounded) until TerminateJobObject has finished
 * — it only starts the terminations — so "exited" means the whole tree is gone. Then closes the job
 * (kill-on-close is the backstop if the wait gave up).
 */
async function endJob(binding: WindowsNativeBinding, id: number, exitCode: number): Promise<void> {
  try {
    binding.winTerminate(id, exitCode);
    for (let i = 0; i < JOB_DRAIN_MAX_POLLS && binding.winActiveProcesses(id) > 0; i++) {
      await new Promise((r) => setTimeout(r, JOB_DRAIN_POLL_MS));
    }
  } catch {
    // The exit code is already known; closing the job below still ends the tree (kill-on-close).
  } finally {
    binding.winRelease(id);
  }
}

export async function launchWindows(req: LaunchRequest, binding: WindowsNativeBinding, opts: WindowsLaunchOptions = {}): Promise<WindowsChild> {
  if (process.platform !== 'win32') throw new WindowsLaunchError('EPLATFORM', 'the Windows restricted-token backend runs only on Windows; use --dry-run to inspect the plan elsewhere');
  const plan = req.native as WindowsTokenPlan;
  if (req.kind !== 'windows-token' || plan.platform !== 'win32' || plan.backend !== 'restricted-token') {
    throw new WindowsLaunchError('EPLAN', `launchWindows got a '${req.kind}' request; it runs only 'windows-token' plans`);
  }
  const program = req.program;
  if (typeof program !== 'string' || req.argv.some((a) => typeof a !== 'string')) {
    throw new WindowsLaunchError('EARGV', 'a Windows command line carries text only; the request has raw-byte arguments');
  }
  const argv = req.argv as string[];
  const application = resolveWindowsProgram(program, req.env, plan.cwd, (p) => {
    try {
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  });
  const commandLine = buildCommandLine([program, ...argv]);
  const envBlock = environmentBlockEntries(req.env);

  prepareFilesystem(plan);
  const applied = binding.winApplyAcls({
    grants: plan.writableRoots.filter((r) => r.exists).map((r) => ({ path: r.apiPath, sid: r.sid })),
    denies: plan.denyWritePaths.map((d) => ({ path: d.apiPath, sids: d.sids })),
    nulSids: plan.nulDevice ? plan.capabilitySids : null,
  });

  const stdio = opts.stdio ?? ['pipe', 'pipe', 'pipe'];
  const servers: Array<PipeServer | undefined> = [];
  try {
    for (let i = 0; i < 3; i++) servers.push(stdio[i] === 'pipe' ? await servePipe(i) : undefined);
  } catch (e) {
    for (const s of servers) s?.server.close();
    throw e;
  }
  const spec = (i: number): WinStdioSpec => {
    const s = servers[i];
    return s !== undefined ? { pipe: s.name } : stdio[i] === 'inherit' ? 'inherit' : 'ignore';
  };

  let spawned: { id: number; pid: number };
  try {
    spawned = binding.winSpawn({
      application,
      commandLine,
      cwd: plan.cwd,
      env: envBlock,
      desktop: plan.desktop,
      capabilitySids: plan.capabilitySids,
      stdio: [spec(0), spec(1), spec(2)],
    });
  } catch (e) {
    for (const s of servers) s?.server.close();
    throw e;
  }
  const { id, pid } = spawned;

  let timedOut = false;
  let killed = false;
  const kill = (code = KILLED_EXIT_CODE): void => {
    killed = true;
    binding.winTerminate(id, code);
  };

  let sockets: Array<net.Socket | undefined>;
  try {
    sockets = await Promise.all(servers.map((s) => (s === undefined ? Promise.resolve(undefined) : acceptOne(s))));
  } catch (e) {
    binding.winTerminate(id, KILLED_EXIT_CODE);
    await binding.winWait(id).catch(() => undefined);
    binding.winRelease(id);
    throw e;
  }
  const stdinSock = sockets[0];
  // The child sees EOF on stdin only when our end of the pipe is closed, not on a half-close.
  stdinSock?.on('finish', () => stdinSock.destroy());
  stdinSock?.on('error', () => undefined); // EPIPE when the command exits without reading stdin

  const timer =
    opts.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          binding.winTerminate(id, TIMEOUT_EXIT_CODE);
        }, opts.timeoutMs)
      : undefined;
  const onAbort = (): void => kill();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted === true) kill();

  const exited = binding.winWait(id).then(
    async (exitCode) => {
      if (timer !== undefined) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      // A descendant left running (started in the background, or racing a timeout) must not
      // outlive the command: it could keep writing inside the writable roots after we report done.
      await endJob(binding, id, exitCode);
      return { exitCode, timedOut, killed: killed && !timedOut };
    },
    (e: unknown) => {
      if (timer !== undefined) clearTimeout(timer);
      binding.winRelease(id);
      throw e;
    },
  );

  return {
    pid,
    stdin: stdinSock ?? null,
    stdout: sockets[1] ?? null,
    stderr: sockets[2] ?? null,
    exited,
    kill,
    warnings: applied.warnings,
  };
}

/** Shared set-up for the real-sandbox Linux tests: workspaces outside /tmp (which workspace-write makes writable). */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createSandbox } from '../../../src/sandbox.js';
import type { ProfileInput, Sandbox, SandboxSession, SpawnOptions } from '../../../src/sandbox.js';
import { splitSpawnOptions } from '../../../src/launch/spawn-options.js';

export const PY = '/usr/bin/python3';
export const isLinux = process.platform === 'linux';

let sandboxPromise: Promise<Sandbox> | undefined;
export function sandbox(): Promise<Sandbox> {
  sandboxPromise ??= createSandbox();
  return sandboxPromise;
}

export interface Scratch {
  base: string;
  ws: string;
  outside: string;
  cleanup(): void;
}

/** A workspace and an "outside" directory, both under /var/tmp (not writable in the sandbox). */
export function scratch(prefix = 'csbx-'): Scratch {
  const base = mkdtempSync(join('/var/tmp', prefix));
  const ws = join(base, 'ws');
  const outside = join(base, 'outside');
  mkdirSync(ws);
  mkdirSync(outside);
  return { base, ws, outside, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

export interface RunResult {
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
}

/**
 * CODEX_SANDBOX_TEST_SESSIONS=1: `run` (and `sh`, `py`) start the command in a session, one per profile and
 * sandbox options (docs/sessions.md), instead of a fresh sandbox — the suite run once through sessions.
 * Options a session command does not take (stdio inheritance, ...) still go through `spawn`. Not part of `npm test`.
 */
const viaSessions = process.env.CODEX_SANDBOX_TEST_SESSIONS === '1';
const sessions = new Map<string, SandboxSession>();
const SESSION_LAUNCH_KEYS = new Set(['reject', 'stdin', 'stripFinalNewline', 'timeout', 'input', 'killSignal']);

async function runInSession(command: string[], profile: ProfileInput, options: SpawnOptions): Promise<RunResult | undefined> {
  const { sandbox: planning, launch } = splitSpawnOptions(options);
  if (Object.keys(launch).some((k) => !SESSION_LAUNCH_KEYS.has(k)) || (launch.stdin !== undefined && launch.stdin !== 'ignore' && launch.stdin !== 'pipe')) return undefined;
  let key: string;
  try {
    key = JSON.stringify([profile, planning]);
  } catch {
    return undefined;
  }
  let session = sessions.get(key);
  if (!session) {
    session = (await sandbox()).session(profile, planning);
    sessions.set(key, session);
    const s = session;
    void s.ended.then(() => sessions.delete(key));
  }
  const r = await session.spawn(command, {
    reject: false,
    stdin: (launch.stdin as 'ignore' | 'pipe' | undefined) ?? 'ignore',
    stripFinalNewline: typeof launch.stripFinalNewline === 'boolean' ? launch.stripFinalNewline : false,
    ...(typeof launch.timeout === 'number' ? { timeout: launch.timeout } : {}),
    ...(typeof launch.input === 'string' || Buffer.isBuffer(launch.input) ? { input: launch.input } : {}),
    ...(typeof launch.killSignal === 'string' ? { killSignal: launch.killSignal } : {}),
  });
  return { exitCode: r.exitCode, signal: r.signal, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export async function run(command: string[], profile: ProfileInput, options: SpawnOptions = {}): Promise<RunResult> {
  if (viaSessions) {
    const r = await runInSession(command, profile, options);
    if (r) return r;
  }
  const sb = await sandbox();
  const r = await sb.spawn(command, profile, { reject: false, stdin: 'ignore', stripFinalNewline: false, ...options });
  return {
    exitCode: r.exitCode,
    signal: r.signal,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
  };
}

/** `/bin/sh -c script` in the sandbox. */
export function sh(script: string, profile: ProfileInput, options: SpawnOptions = {}): Promise<RunResult> {
  return run(['/bin/sh', '-c', script], profile, options);
}

/** Python snippet in the sandbox (system python, not a user shim). */
export function py(code: string, profile: ProfileInput, options: SpawnOptions = {}): Promise<RunResult> {
  return run([PY, '-c', code], profile, options);
}

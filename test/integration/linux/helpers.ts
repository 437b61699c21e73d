/** Shared set-up for the real-sandbox Linux tests: workspaces outside /tmp (which workspace-write makes writable). */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createSandbox } from '../../../src/sandbox.js';
import type { ProfileInput, Sandbox, SpawnOptions } from '../../../src/sandbox.js';
import { splitSpawnOptions } from '../../../src/launch/spawn-options.js';
import type { SandboxOptions } from '../../../src/launch/spawn-options.js';
import { SessionPool } from '../../../src/session/pool.js';
import type { SessionSpawnOptions } from '../../../src/session/command.js';

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
 * CODEX_SANDBOX_TEST_SESSIONS=1 (the `integration-sessions` project): `run` (and `sh`, `py`) start the
 * command in a sandbox session instead of a fresh sandbox — the suite run once through sessions. As a
 * caller of `createSandbox({ sessions })` would: a pool keyed by the plan made again for every command
 * (src/session/pool.ts), so a changed filesystem, profile or option opens another session and commands of
 * the same plan share one. The pool is closed after each test (`settle`), so no session outlives its test.
 * What cannot go through a session stays on `sandbox.spawn`, named at the call: `route: { spawn: reason }`.
 */
export const viaSessions = process.env.CODEX_SANDBOX_TEST_SESSIONS === '1';
let pool: SessionPool | undefined;
const SESSION_LAUNCH_KEYS = new Set(['reject', 'stdin', 'stripFinalNewline', 'timeout', 'input', 'killSignal']);

/**
 * How a command goes when the suite runs through sessions: the pooled session for its plan (default),
 * a session of its own, opened for it and closed after it (`freshSession`: a test that repeats the
 * set-up itself, e.g. racing it), or `sandbox.spawn` with the reason a session cannot do it.
 */
export type Route = { spawn: string } | { freshSession: true };

/**
 * Ends the sessions the suite opened (their placeholders go with them: docs/sessions.md "What a session
 * cannot change after it starts"). A test that checks the host after its commands calls it first, as the
 * owner of a session closes it before relying on the host state it leaves; nothing without the flag.
 */
export async function settle(): Promise<void> {
  const p = pool;
  pool = undefined;
  await p?.close();
}
if (viaSessions) afterEach(settle);

/** The session options of a `run`, or undefined when a session command cannot take them. */
function sessionCommandOptions(options: SpawnOptions): { planning: SandboxOptions; command: SessionSpawnOptions } | undefined {
  const { sandbox: planning, launch } = splitSpawnOptions(options);
  if (Object.keys(launch).some((k) => !SESSION_LAUNCH_KEYS.has(k)) || (launch.stdin !== undefined && launch.stdin !== 'ignore' && launch.stdin !== 'pipe')) return undefined;
  return {
    planning,
    command: {
      reject: false,
      stdin: (launch.stdin as 'ignore' | 'pipe' | undefined) ?? 'ignore',
      stripFinalNewline: typeof launch.stripFinalNewline === 'boolean' ? launch.stripFinalNewline : false,
      ...(typeof launch.timeout === 'number' ? { timeout: launch.timeout } : {}),
      ...(typeof launch.input === 'string' || Buffer.isBuffer(launch.input) ? { input: launch.input } : {}),
      ...(typeof launch.killSignal === 'string' ? { killSignal: launch.killSignal as NodeJS.Signals } : {}),
    },
  };
}

async function runInSession(command: string[], profile: ProfileInput, options: SpawnOptions, fresh: boolean): Promise<RunResult | undefined> {
  const o = sessionCommandOptions(options);
  if (!o) return undefined;
  const sb = await sandbox();
  let r;
  // A denial callback is the caller's own: not part of a pooled session's key (sandbox.spawnPooled refuses it).
  if (fresh || o.planning.onNetworkDenial !== undefined) {
    const session = sb.session(profile, o.planning);
    try {
      r = await session.spawn(command, o.command);
    } finally {
      await session.close();
    }
  } else {
    pool ??= new SessionPool();
    r = await sb.spawnInPool(pool, command, profile, o.planning, o.command);
  }
  return { exitCode: r.exitCode, signal: r.signal, stdout: String(r.stdout), stderr: String(r.stderr) };
}

export async function run(command: string[], profile: ProfileInput, options: SpawnOptions = {}, route?: Route): Promise<RunResult> {
  if (viaSessions && !(route && 'spawn' in route)) {
    const r = await runInSession(command, profile, options, route !== undefined && 'freshSession' in route);
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
export function sh(script: string, profile: ProfileInput, options: SpawnOptions = {}, route?: Route): Promise<RunResult> {
  return run(['/bin/sh', '-c', script], profile, options, route);
}

/** Python snippet in the sandbox (system python, not a user shim). */
export function py(code: string, profile: ProfileInput, options: SpawnOptions = {}, route?: Route): Promise<RunResult> {
  return run([PY, '-c', code], profile, options, route);
}

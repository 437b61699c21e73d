/** Shared set-up for the real-sandbox Linux tests: workspaces outside /tmp (which workspace-write makes writable). */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createSandbox } from '../../../src/sandbox.js';
import type { ProfileInput, Sandbox, SpawnOptions } from '../../../src/sandbox.js';

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

export async function run(command: string[], profile: ProfileInput, options: SpawnOptions = {}): Promise<RunResult> {
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

/**
 * The floor of session throughput: bench/spawn-floor.c, a C loop that starts /bin/true with posix_spawn
 * and waits, nothing else, run inside the same sandbox as a session's commands. No session can start
 * /bin/true faster than that, so session / floor says how much of the session's time is its own, and
 * floor / sandbox.spawn is the highest session / sandbox.spawn ratio this machine allows.
 * Built with the C compiler the native build uses (`cc`, or $CC) when the bench starts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sandbox } from '../src/sandbox.js';

export type SpawnFloor = { bin: string; dispose: () => void } | { skipped: string };

/** Compiles the floor program into a fresh temporary directory (dist/bench/ → bench/spawn-floor.c). */
export function buildSpawnFloor(): SpawnFloor {
  const source = fileURLToPath(new URL('../../bench/spawn-floor.c', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'codex-sandbox-spawn-floor-'));
  const bin = join(dir, 'spawn-floor');
  try {
    execFileSync(process.env.CC ?? 'cc', ['-O2', '-o', bin, source], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    return { skipped: `could not compile ${source}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
  return { bin, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** /bin/true per second from the floor program at `concurrency`, run by sandbox.spawn in `cwd`. */
export async function floorRate(sb: Sandbox, bin: string, commands: number, concurrency: number, cwd: string, timeoutMs: number): Promise<number> {
  const r = await sb.spawn([bin, String(commands), String(concurrency)], 'workspace-write', { cwd, stdin: 'ignore', reject: false, timeout: timeoutMs });
  const text = String(r.stdout);
  if (r.exitCode !== 0) throw new Error(`spawn-floor exited ${String(r.exitCode)}: ${String(r.stderr)}`);
  const parsed: unknown = JSON.parse(text);
  const perS = typeof parsed === 'object' && parsed !== null && 'per_s' in parsed ? parsed.per_s : undefined;
  if (typeof perS !== 'number') throw new Error(`spawn-floor printed ${JSON.stringify(text)}`);
  return perS;
}

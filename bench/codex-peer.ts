/**
 * The Codex CLI's own `codex sandbox` (npm `@openai/codex`), a bench-only peer for issue #21's
 * "CLI ≤ 1.0x codex sandbox": the same `/bin/true` under workspace-write, one whole process per command.
 * Never a dependency: install it outside the repo (docs/benchmarks.md) and point CODEX_SANDBOX_BENCH_CODEX
 * at its `codex` executable, or have `codex` on PATH. Skipped with the reason when absent or not working.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import which from 'which';
import { spawnAndWait } from './spawn-wait.js';

export const CODEX_PEER_ENV = 'CODEX_SANDBOX_BENCH_CODEX';

export interface CodexPeer {
  /** `codex --version`'s output, e.g. `codex-cli 0.63.0`. */
  version: string;
  /** One `codex sandbox -c 'sandbox_mode="workspace-write"' -- /bin/true` process. */
  run(): Promise<void>;
}

/** The arguments of one command under the closest mode to our workspace-write. */
export const CODEX_SANDBOX_ARGS = ['sandbox', '-c', 'sandbox_mode="workspace-write"', '--', '/bin/true'] as const;

/**
 * Finds `codex` and checks that `codex sandbox` runs /bin/true here, or returns why not. Its
 * configuration home is $CODEX_HOME when set, else an empty one under `workDir` (never the user's ~/.codex).
 */
export function findCodexPeer(opts: { cwd: string; workDir: string; timeoutMs: number; env: NodeJS.ProcessEnv }): CodexPeer | string {
  const configured = opts.env[CODEX_PEER_ENV];
  const bin = configured !== undefined && configured !== '' ? configured : which.sync('codex', { nothrow: true });
  if (bin === null) return `codex is not installed (npm i @openai/codex outside the repo, then ${CODEX_PEER_ENV}=…/node_modules/.bin/codex)`;
  let home = opts.env['CODEX_HOME'];
  if (home === undefined || home === '') {
    home = join(opts.workDir, 'codex-home');
    mkdirSync(home, { recursive: true });
  }
  const env = { ...opts.env, CODEX_HOME: home };
  const version = spawnSync(bin, ['--version'], { env, encoding: 'utf8', timeout: opts.timeoutMs });
  if (version.status !== 0) return `${bin} --version failed (${String(version.status ?? version.signal)}): ${(version.error?.message ?? version.stderr).trim()}`;
  const probe = spawnSync(bin, [...CODEX_SANDBOX_ARGS], { cwd: opts.cwd, env, encoding: 'utf8', timeout: opts.timeoutMs });
  if (probe.status !== 0) return `${bin} ${CODEX_SANDBOX_ARGS.join(' ')} failed here (${String(probe.status ?? probe.signal)}): ${probe.stderr.trim().slice(0, 300)}`;
  return {
    version: version.stdout.trim(),
    run: () => spawnAndWait(bin, [...CODEX_SANDBOX_ARGS], { cwd: opts.cwd, env, timeoutMs: opts.timeoutMs }),
  };
}

/**
 * `npm run bench:compare -- DIR...`: `sandbox.spawn(['/bin/true'], 'workspace-write')` of several built
 * checkouts of codex-sandbox (each DIR has its own dist/ and build/), alternated round by round in one
 * process, so that the machine's load falls on every build alike. The first DIR is the baseline: each
 * line gives the median and its ratio to the baseline's. Used for "cost per command within N% of an
 * earlier commit" (issue #15): build the earlier commit in a git worktree, then compare it with this one.
 *
 * Options: --rounds N (default 40), --git (the workspace is a git repository; default: no .git).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { summarise } from './stats.js';

const median = (xs: readonly number[]): number => summarise(xs).median;

interface Spawner {
  spawn(command: string[], profile: string, options: { cwd: string }): Promise<unknown>;
}

interface Args {
  dirs: string[];
  rounds: number;
  git: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const out: Args = { dirs: [], rounds: 40, git: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--git') out.git = true;
    else if (a === '--rounds') out.rounds = Number(argv[++i]);
    else out.dirs.push(path.resolve(a));
  }
  if (out.dirs.length === 0 || !Number.isInteger(out.rounds) || out.rounds < 1) {
    throw new Error('usage: npm run bench:compare -- [--rounds N] [--git] DIR... (each DIR a built codex-sandbox checkout; the first is the baseline)');
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const sandboxes: Spawner[] = [];
  for (const d of args.dirs) {
    const mod = (await import(pathToFileURL(path.join(d, 'dist/src/index.js')).href)) as { createSandbox: () => Promise<Spawner> };
    sandboxes.push(await mod.createSandbox());
  }
  const work = mkdtempSync(path.join(process.env['BENCH_TMPDIR'] ?? (tmpdir() === '/tmp' ? '/var/tmp' : tmpdir()), 'codex-sandbox-compare-'));
  try {
    if (args.git) execFileSync('git', ['init', '-q'], { cwd: work });
    const run = (sb: Spawner): Promise<unknown> => sb.spawn(['/bin/true'], 'workspace-write', { cwd: work });
    for (let i = 0; i < 3; i++) for (const sb of sandboxes) await run(sb);
    const times: number[][] = sandboxes.map(() => []);
    for (let r = 0; r < args.rounds; r++) {
      for (let j = 0; j < sandboxes.length; j++) {
        const t0 = process.hrtime.bigint();
        await run(sandboxes[j]!);
        times[j]!.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }
    const base = median(times[0]!);
    console.log(`sandbox.spawn(['/bin/true'], 'workspace-write'), ${args.rounds} alternated rounds, workspace ${args.git ? 'with' : 'without'} .git`);
    args.dirs.forEach((d, j) => {
      const m = median(times[j]!);
      console.log(`  ${d.padEnd(40)} ${m.toFixed(2).padStart(8)} ms  ${(m / base).toFixed(3)}x`);
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});

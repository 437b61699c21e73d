/**
 * `npm run bench:compare -- DIR...`: `sandbox.spawn(['/bin/true'], 'workspace-write')` of several built
 * checkouts of codex-sandbox (each DIR has its own dist/ and build/), alternated round by round in one
 * process, so that the machine's load falls on every build alike. The first DIR is the baseline: each
 * line gives the median and its ratio to the baseline's. Used for "cost per command within N% of an
 * earlier commit" (issue #15): build the earlier commit in a git worktree, then compare it with this one.
 *
 * Each line gives wall time (median) and CPU time per command: the whole reaped child tree's user+sys (this
 * process's cutime+cstime from /proc/self/stat, in clock ticks, summed per build over the rounds, so a tick's
 * rounding averages out) plus this process's own (process.cpuUsage: planning, spawning). Wall time on a loaded
 * machine is noise; compare the CPU columns, and say the load average printed with them.
 *
 * Options: --rounds N (default 40), --git (the workspace is a git repository; default: no .git).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { summarise } from './stats.js';

const median = (xs: readonly number[]): number => summarise(xs).median;

/** Clock ticks per second for /proc's times (USER_HZ; 100 on every Linux ABI Node supports). */
const USER_HZ = 100;

/** CPU ms of this process's reaped children (cutime + cstime of /proc/self/stat). */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of proc(5) are cutime and cstime; f[0] is field 3.
  return ((Number(f[13]) + Number(f[14])) * 1000) / USER_HZ;
}

/** CPU ms of this process itself. */
function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

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
    const childCpu = sandboxes.map(() => 0);
    const ownCpu = sandboxes.map(() => 0);
    for (let r = 0; r < args.rounds; r++) {
      for (let j = 0; j < sandboxes.length; j++) {
        const c0 = childrenCpuMs();
        const s0 = selfCpuMs();
        const t0 = process.hrtime.bigint();
        await run(sandboxes[j]!);
        times[j]!.push(Number(process.hrtime.bigint() - t0) / 1e6);
        ownCpu[j]! += selfCpuMs() - s0;
        childCpu[j]! += childrenCpuMs() - c0;
      }
    }
    const base = median(times[0]!);
    const cpuOf = (j: number): { child: number; own: number } => ({ child: childCpu[j]! / args.rounds, own: ownCpu[j]! / args.rounds });
    const baseCpu = cpuOf(0).child + cpuOf(0).own;
    console.log(`sandbox.spawn(['/bin/true'], 'workspace-write'), ${args.rounds} alternated rounds, workspace ${args.git ? 'with' : 'without'} .git, load average ${loadavg()[0]!.toFixed(1)}`);
    console.log(`  ${'build'.padEnd(40)} ${'wall median'.padStart(14)}  ratio   ${'CPU/command (children + node)'.padStart(30)}  ratio`);
    args.dirs.forEach((d, j) => {
      const m = median(times[j]!);
      const c = cpuOf(j);
      const cpu = `${(c.child + c.own).toFixed(2)} ms (${c.child.toFixed(2)} + ${c.own.toFixed(2)})`;
      console.log(`  ${d.padEnd(40)} ${`${m.toFixed(2)} ms`.padStart(14)}  ${(m / base).toFixed(3)}x  ${cpu.padStart(30)}  ${((c.child + c.own) / baseCpu).toFixed(3)}x`);
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});

/**
 * `npm run bench:spawn-path [-- --concurrency N] [-- --rounds N]` (issue #21): what starting the launcher
 * without fork()ing Node saves. Five cases, interleaved in one process holding ~100 MB of heap like a real
 * caller (fork's cost grows with it): raw bwrap with the plan's argv + inner stage (node:child_process, the
 * floor), `sandbox.spawn` through the addon's clone+pidfd spawner, `sandbox.spawn` with
 * CODEX_SANDBOX_SPAWN=node (execa + libuv's fork), with the opt-in CODEX_SANDBOX_SEALED_BWRAP=1 (the launcher
 * execs a sealed copy of the bundled bwrap instead of hashing it), and the naive launcher (execa + bwrap). CPU per command
 * is this process's (process.cpuUsage) plus every reaped descendant's (cutime + cstime of /proc/self/stat);
 * wall per command is the batch's wall over its commands (at concurrency N: the inverse of throughput).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadNative } from '../src/native.js';
import { createSandbox } from '../src/sandbox.js';
import { watchPlaceholders } from './placeholders.js';
import { extractBwrapInvocation, launcherSyntheticTargets, rawBwrapRunner } from './raw-bwrap.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer (got ${String(process.argv[i + 1])})`);
  return v;
}

const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
/** CPU ms of reaped descendants: cutime + cstime (clock ticks, 100 per second on Linux). */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

async function main(): Promise<void> {
  if (process.platform !== 'linux') throw new Error('bench:spawn-path measures the Linux spawn path only');
  const concurrency = flag('--concurrency', 1);
  const rounds = flag('--rounds', 6);
  const perBatch = Math.max(8, concurrency);
  // Heap like a real caller's: fork() copies page tables in proportion to it.
  const ballast: string[] = [];
  for (let i = 0; i < 300_000; i++) ballast.push(`${'x'.repeat(200)}${i}`);
  const base = mkdtempSync('/var/tmp/csbx-spawn-path-');
  const ws = join(base, 'ws');
  const work = join(base, 'work');
  mkdirSync(ws);
  mkdirSync(work);
  const sb = await createSandbox();
  const plan = sb.plan(['/bin/true'], 'workspace-write', { cwd: ws });
  const guard = watchPlaceholders(launcherSyntheticTargets(plan), sb.facts.linux?.syntheticRegistry);
  const inv = extractBwrapInvocation(plan);
  const bpf = inv.seccompMode === undefined ? undefined : loadNative().seccompFilter(inv.seccompMode);
  const common = { bpf, workDir: work, cwd: ws, env: plan.env, timeoutMs: 60_000 };
  const raw = rawBwrapRunner(inv, { ...common, keepInner: true });
  const naive = rawBwrapRunner(inv, { ...common, keepInner: true, via: 'execa' });
  const sealedBefore = process.env.CODEX_SANDBOX_SEALED_BWRAP;
  const library = async (via: 'addon' | 'node' | 'sealed'): Promise<void> => {
    if (via === 'node') process.env.CODEX_SANDBOX_SPAWN = 'node';
    // The opt-in sealed bwrap copy (src/launch/sealed-bwrap.ts), read when the launch starts.
    process.env.CODEX_SANDBOX_SEALED_BWRAP = via === 'sealed' ? '1' : '0';
    try {
      await sb.spawn(['/bin/true'], 'workspace-write', { cwd: ws });
    } finally {
      delete process.env.CODEX_SANDBOX_SPAWN;
      if (sealedBefore === undefined) delete process.env.CODEX_SANDBOX_SEALED_BWRAP;
      else process.env.CODEX_SANDBOX_SEALED_BWRAP = sealedBefore;
    }
  };
  const cases: Record<string, () => Promise<void>> = {
    'raw bwrap, planner argv + inner stage': () => raw.run(),
    'sandbox.spawn (addon clone + pidfd)': () => library('addon'),
    'sandbox.spawn (CODEX_SANDBOX_SPAWN=node)': () => library('node'),
    'sandbox.spawn (CODEX_SANDBOX_SEALED_BWRAP=1)': () => library('sealed'),
    'naive launcher (execa + bwrap)': () => naive.run(),
  };
  const names = Object.keys(cases);
  const totals = new Map(names.map((n) => [n, { self: 0, children: 0, wall: 0 }]));
  try {
    for (const run of Object.values(cases)) await run();
    const loadBefore = loadavg();
    for (let r = 0; r < rounds; r++) {
      for (const name of r % 2 === 0 ? names : [...names].reverse()) {
        const run = cases[name] as () => Promise<void>;
        const c0 = process.cpuUsage();
        const k0 = childrenCpuMs();
        const t0 = performance.now();
        for (let i = 0; i < perBatch; i += concurrency) await Promise.all(Array.from({ length: Math.min(concurrency, perBatch - i) }, run));
        const c = process.cpuUsage(c0);
        const t = totals.get(name) as { self: number; children: number; wall: number };
        t.self += (c.user + c.system) / 1000;
        t.children += childrenCpuMs() - k0;
        t.wall += performance.now() - t0;
      }
    }
    const n = perBatch * rounds;
    const floor = totals.get(names[0] as string) as { self: number; children: number; wall: number };
    console.log(`bench:spawn-path — ${n} commands per case, concurrency ${concurrency}, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB, load ${loadBefore} -> ${loadavg()}`);
    for (const [name, t] of totals) {
      const cpu = (t.self + t.children) / n;
      console.log(
        `${name.padEnd(46)} CPU/cmd ${cpu.toFixed(1)} ms (node ${(t.self / n).toFixed(1)} + children ${(t.children / n).toFixed(1)}), ` +
          `wall/cmd ${(t.wall / n).toFixed(1)} ms; vs raw: CPU ${(cpu / ((floor.self + floor.children) / n)).toFixed(2)}x, wall ${(t.wall / floor.wall).toFixed(2)}x`,
      );
    }
    void ballast.length;
  } finally {
    raw.close();
    naive.close();
    await guard.cleanup();
    rmSync(base, { recursive: true, force: true });
  }
}

await main();

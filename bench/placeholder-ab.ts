/**
 * `node dist/bench/placeholder-ab.js [ROUNDS]`: the cost of the two ways the Linux planner builds
 * placeholders, in ONE process, interleaved round by round (so load on a shared box lands on both):
 * "tmpfs" = the plan without prepared sources (`--perms 555 --tmpfs P --remount-ro P`, `--ro-bind-data`),
 * "bind" = the plan with them (`--ro-bind SRC P`, src/host/placeholder-sources.ts). Both as raw bwrap
 * with the planner's argv + inner stage, and through `sandbox.spawn`. The workspace has a `.git`, so
 * the git placeholders are in the plan too. Default 60 rounds.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LaunchRequest } from '../src/contracts/index.js';
import { getHostFacts } from '../src/host/facts.js';
import { launch } from '../src/launch/run.js';
import { loadNative } from '../src/native.js';
import { Sandbox } from '../src/sandbox.js';
import { watchPlaceholders } from './placeholders.js';
import { extractBwrapInvocation, launcherSyntheticTargets, rawBwrapRunner } from './raw-bwrap.js';
import type { RawBwrapRunner } from './raw-bwrap.js';
import { runInterleaved } from './sampler.js';
import { defined, ratio, summarise } from './stats.js';

const rounds = Number(process.argv[2] ?? 60);
const timeoutMs = 15_000;

async function main(): Promise<void> {
  const facts = getHostFacts();
  const linux = facts.linux;
  if (linux === undefined || linux.placeholderSources?.emptyDir === undefined) {
    throw new Error('needs Linux with the prepared placeholder sources (see src/host/placeholder-sources.ts)');
  }
  const workDir = mkdtempSync('/var/tmp/codex-sandbox-bench-ph-');
  const ws = join(workDir, 'ws');
  mkdirSync(join(ws, '.git', 'objects'), { recursive: true });
  writeFileSync(join(ws, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  writeFileSync(join(ws, '.git', 'config'), '[core]\n');
  const runners: RawBwrapRunner[] = [];
  const guards: Array<() => Promise<string[]>> = [];
  try {
    const withSources = new Sandbox(facts, process.env, launch);
    const without = new Sandbox({ ...facts, linux: { ...linux, placeholderSources: {} } }, process.env, launch);
    const variants = { bind: withSources, tmpfs: without };
    const cases = [];
    const counts: Record<string, string> = {};
    for (const [name, sb] of Object.entries(variants)) {
      const plan: LaunchRequest = sb.plan(['/bin/true'], 'workspace-write', { cwd: ws });
      const argv = plan.argv.map(String);
      counts[name] = `${argv.filter((a) => a === '--tmpfs').length} --tmpfs, ${argv.filter((a) => a === '--ro-bind').length} --ro-bind, ${argv.filter((a) => a === '--ro-bind-data').length} --ro-bind-data`;
      const guard = watchPlaceholders(launcherSyntheticTargets(plan), linux.syntheticRegistry);
      guards.push(() => guard.cleanup());
      const inv = extractBwrapInvocation(plan);
      const bpf = inv.seccompMode === undefined ? undefined : loadNative().seccompFilter(inv.seccompMode);
      const raw = rawBwrapRunner(inv, { bpf, workDir, cwd: ws, env: plan.env, keepInner: true, timeoutMs });
      runners.push(raw);
      cases.push({ name: `raw bwrap (${name})`, run: raw.run });
      cases.push({
        name: `sandbox.spawn (${name})`,
        run: async () => {
          const r = await sb.spawn(['/bin/true'], 'workspace-write', { cwd: ws, reject: false, stdin: 'ignore', timeout: timeoutMs });
          if (r.exitCode !== 0) throw new Error(`sandbox.spawn (${name}): exit ${String(r.exitCode)}: ${String(r.stderr).slice(0, 300)}`);
        },
      });
    }
    const res = await runInterleaved(cases, { rounds, warmup: 3 });
    const out = (s: string): boolean => process.stdout.write(`${s}\n`);
    out(`placeholder-ab: ${rounds} rounds, load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} at the end`);
    for (const [name, c] of Object.entries(counts)) out(`  plan "${name}": ${c}`);
    for (const c of cases) {
      const s = summarise(defined(res.samples[c.name] ?? []));
      const fails = res.failures[c.name] ?? [];
      out(`  ${c.name.padEnd(24)} median ${s.median.toFixed(2)} ms  p10–p90 ${s.p10.toFixed(2)}–${s.p90.toFixed(2)}  min ${s.min.toFixed(2)}${fails.length ? `  FAILED: ${fails.join('; ')}` : ''}`);
    }
    for (const what of ['raw bwrap', 'sandbox.spawn']) {
      const r = ratio(res.samples[`${what} (bind)`] ?? [], res.samples[`${what} (tmpfs)`] ?? []);
      if (r) out(`  ${what}: bind / tmpfs = ${r.value.toFixed(3)}x (paired p10–p90 ${r.pairedP10.toFixed(3)}–${r.pairedP90.toFixed(3)})`);
    }
  } finally {
    for (const r of runners) r.close();
    for (const g of guards) await g();
    rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`placeholder-ab: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});

/** The bench's result document (`--json`) and its rendering as tables. */
import type { TreeCost } from './glob-cost.js';
import type { MachineFacts } from './machine.js';
import type { RegistryScaleRow } from './registry-scale.js';
import { linearFit } from './stats.js';
import type { Ratio, Summary } from './stats.js';
import type { ThroughputResult } from './throughput.js';
import type { RootScalingCost, TransformCost } from './transform-cost.js';

export interface CaseResult {
  /** Human label, e.g. `library sandbox.spawn(['/bin/true'], 'workspace-write')`. */
  label: string;
  ms: Summary | undefined;
  /** Why some or all runs failed (empty when none did). */
  failures: string[];
  /** Why the case was not run at all. */
  skipped?: string;
}

export interface Target {
  name: string;
  goal: string;
  value: number | boolean | undefined;
  met: boolean | undefined;
}

export interface BenchReport {
  schema: 1;
  command: string;
  quick: boolean;
  machine: MachineFacts;
  startedAt: string;
  durationS: number;
  hostProbe: { firstMs: number; repeatMicros: number; sameFactsObject: boolean };
  /** In-process per-command group (one interleaved run). */
  perCommand: Record<string, CaseResult>;
  /** Whole-process group (one interleaved run). */
  perProcess: Record<string, CaseResult>;
  ratios: {
    libraryOverRawBwrap: Ratio | undefined;
    libraryOverRawBwrapNoInner: Ratio | undefined;
    rawBwrapOverBare: Ratio | undefined;
    libraryOverBare: Ratio | undefined;
    /** sandbox.spawn with the default limits over the same without them (the per-sandbox cgroup). */
    defaultLimitsCost: Ratio | undefined;
    /** CLI over (`node -e 0` + raw bwrap), paired per round. */
    cliOverFloor: Ratio | undefined;
    /** srt's library (wrap + shell spawn) per command over ours. */
    srtOverLibrary: Ratio | undefined;
    /** `srt /bin/true` over `codex-sandbox run -- /bin/true`. */
    srtCliOverCli: Ratio | undefined;
    /** srt's library over raw bwrap with the plan's argv: the most srtOverLibrary can be while the sandbox is bwrap's. */
    srtOverRawBwrap?: Ratio | undefined;
    /** `srt /bin/true` over (`node -e 0` + raw bwrap): the most srtCliOverCli can be for a Node CLI that runs bwrap. */
    srtCliOverFloor?: Ratio | undefined;
    /** `codex-sandbox run -- /bin/true` over Codex's `codex sandbox` of the same (absent: not installed). */
    cliOverCodex?: Ratio | undefined;
    /** Raw bwrap (same argv, inner stage) with the bundled static bwrap over the same with the system one. */
    rawBundledOverRawSystem?: Ratio | undefined;
    /** sandbox.spawn over raw bwrap with the bundled bwrap. */
    libraryOverRawBwrapBundled?: Ratio | undefined;
  };
  throughput: ThroughputResult[];
  /** The naive launcher (execa + bwrap with the plan's argv, no launcher) at the same concurrencies. */
  naiveThroughput?: ThroughputResult[];
  transform: TransformCost[];
  /** transform() of workspace-write against the number of writable roots (each with metadata and a deny). */
  rootScaling?: RootScalingCost[];
  /** Issue #21: one launch against the number of live sandboxes in the placeholder registry (registry-scale.ts). */
  registryScale?: RegistryScaleRow[];
  globScan: TreeCost[];
  targets: Target[];
  notes: string[];
}

const f = (n: number | undefined, digits = 1): string => (n === undefined ? '—' : n.toFixed(digits));

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function caseRows(cases: Record<string, CaseResult>, floor: Summary | undefined): string[][] {
  return Object.values(cases).map((c) => [
    c.label,
    f(c.ms?.median, 2),
    c.ms ? `${f(c.ms.p10, 2)}–${f(c.ms.p90, 2)}` : '—',
    f(c.ms?.min, 2),
    c.ms ? String(c.ms.n) : '0',
    c.ms && floor ? `${f(c.ms.median / floor.median, 2)}x` : '—',
    c.skipped ?? (c.failures.length > 0 ? `failures: ${c.failures[0] ?? ''}` : ''),
  ]);
}

const ratioText = (r: Ratio | undefined): string => (r === undefined ? '—' : `${f(r.value, 2)}x (paired p10–p90 ${f(r.pairedP10, 2)}–${f(r.pairedP90, 2)})`);

export function renderReport(r: BenchReport): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(`codex-sandbox bench — ${r.command}`);
  out.push(`${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB; ${m.os}, kernel ${m.kernel}; Node ${m.node}; ${m.bwrap ?? 'no bwrap'}; commit ${m.commit ?? '?'}${m.dirty ? ' (dirty)' : ''}; load ${m.loadAvg1m}`);
  out.push(`host probe: first ${f(r.hostProbe.firstMs, 1)} ms, cached ${f(r.hostProbe.repeatMicros, 1)} µs, same facts object: ${r.hostProbe.sameFactsObject}`);
  const header = ['case', 'median ms', 'p10–p90', 'min', 'n', 'vs floor', 'note'];
  out.push('', 'Per command, in one process (alternating order; floor = bare /bin/true):');
  out.push(table(header, caseRows(r.perCommand, r.perCommand['bare']?.ms)));
  out.push('', 'Whole process per command (alternating order; floor = node -e 0 + raw bwrap):');
  const pp = r.perProcess;
  const floor = pp['nodeE0']?.ms && pp['rawBwrap']?.ms ? { ...pp['nodeE0'].ms, median: pp['nodeE0'].ms.median + pp['rawBwrap'].ms.median } : undefined;
  out.push(table(header, caseRows(pp, floor)));
  out.push('', 'Ratios (ratio of medians; spread of per-round ratios):');
  for (const [k, v] of Object.entries(r.ratios)) out.push(`  ${k.padEnd(28)} ${ratioText(v)}`);
  out.push('', 'Throughput (/bin/true): sandbox.spawn, and the naive launcher (execa + bwrap with the same argv, no launcher):');
  out.push(
    table(
      ['who', 'concurrency', 'commands', 'failed', 'wall s', 'cmds/s', 'ms/cmd', 'latency median', 'latency p90'],
      [...r.throughput.map((t) => ['library', t] as const), ...(r.naiveThroughput ?? []).map((t) => ['naive', t] as const)].map(([who, t]) => [
        who,
        String(t.concurrency),
        String(t.commands),
        String(t.failed),
        f(t.wallMs / 1000, 2),
        f(t.commandsPerSecond, 0),
        f(t.msPerCommand, 2),
        f(t.latency?.median, 1),
        f(t.latency?.p90, 1),
      ]),
    ),
  );
  out.push('', 'SandboxManager.transform() alone (µs per call, host facts cached):');
  out.push(
    table(
      ['preset', 'plan kind', 'median µs', 'p10–p90'],
      r.transform.map((t) => [t.preset, t.kind, f(t.microsPerCall.median, 1), `${f(t.microsPerCall.p10, 1)}–${f(t.microsPerCall.p90, 1)}`]),
    ),
  );
  if (r.rootScaling !== undefined && r.rootScaling.length > 0) {
    out.push('', 'transform() against writable roots (each with .git/.codex/.agents carve-outs and a deny-read file):');
    out.push(
      table(
        ['roots', 'median ms', 'p10–p90', 'ms per root', 'bwrap args', 'fs questions', 'fs alone ms'],
        r.rootScaling.map((x) => [String(x.roots), f(x.ms.median, 2), `${f(x.ms.p10, 2)}–${f(x.ms.p90, 2)}`, f(x.ms.median / x.roots, 3), String(x.argc), String(x.fsCalls), f(x.fsMs.median, 2)]),
      ),
    );
  }
  if (r.registryScale !== undefined && r.registryScale.length > 0) {
    out.push('', 'One launch (launcher + bwrap + /bin/true, workspace-write plan) against live sandboxes in the placeholder registry (CPU = launcher and what it waited for):');
    out.push(
      table(
        ['live', 'their targets', 'wall ms', 'wall over none', 'CPU ms', 'CPU over none', 'paired p10–p90 (CPU)'],
        r.registryScale.map((x) => [
          String(x.live),
          x.shared ? 'ours' : 'elsewhere',
          `${f(x.ms.median, 2)} (${f(x.ms.p10, 2)}–${f(x.ms.p90, 2)})`,
          x.overNone === undefined ? '—' : `${f(x.overNone.value, 3)}x`,
          `${f(x.cpuMs.median, 2)} (${f(x.cpuMs.p10, 2)}–${f(x.cpuMs.p90, 2)})`,
          x.cpuOverNone === undefined ? '—' : `${f(x.cpuOverNone.value, 3)}x`,
          x.cpuOverNone === undefined ? '—' : `${f(x.cpuOverNone.pairedP10, 3)}–${f(x.cpuOverNone.pairedP90, 3)}`,
        ]),
      ),
    );
  }
  out.push('', 'Deny-read glob `TREE/**/*.env`: host scan by glob_scan_max_depth, and transform() at the default depth:');
  const rows: string[][] = [];
  for (const t of r.globScan) {
    for (const p of t.points) {
      rows.push([
        String(t.files),
        String(p.maxDepth),
        `${p.visited}${p.visited === p.expectedVisited ? '' : ` (expected ${p.expectedVisited})`}`,
        String(p.matches),
        f(p.scanMs.median, 2),
        f(p.nsPerVisited, 0),
      ]);
    }
    rows.push([String(t.files), 'transform()', String(t.entries), '', t.transformMs ? f(t.transformMs.median, 2) : `error: ${t.transformError ?? ''}`, '']);
  }
  out.push(table(['files', 'max depth', 'visited', 'matches', 'median ms', 'ns/visited'], rows));
  const fit = linearFit(r.globScan.flatMap((t) => t.points.map((p) => [p.visited, p.scanMs.median] as const)));
  if (fit) out.push(`scan time ≈ ${f(fit.intercept * 1000, 0)} µs + ${f(fit.slope * 1e6, 0)} ns × visited (R² ${f(fit.r2, 3)}, ${fit.n} points)`);
  out.push('', 'Targets:');
  for (const t of r.targets) {
    const v = typeof t.value === 'number' ? f(t.value, 2) : String(t.value);
    out.push(`  ${t.met === undefined ? 'n/a ' : t.met ? 'met ' : 'MISS'}  ${t.name.padEnd(34)} ${v.padEnd(8)} goal ${t.goal}`);
  }
  if (r.notes.length > 0) out.push('', 'Notes:', ...r.notes.map((n) => `  - ${n}`));
  out.push('', `total ${f(r.durationS, 1)} s`);
  return out.join('\n');
}

/**
 * `npm run bench [-- --quick] [-- --json]`: what one sandboxed command costs against the floor (bare
 * /bin/true), raw bwrap with the planner's own argv, the CLI, and the peer srt; throughput; transform()
 * alone; deny-read glob cost growth. Every spawn is bounded by a timeout, so the bench never hangs.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { getHostFacts } from '../src/host/facts.js';
import { bundledBwrapPath, loadNative, packageRoot } from '../src/native.js';
import { createSandbox } from '../src/sandbox.js';
import type { Sandbox } from '../src/sandbox.js';
import type { ResourceLimits } from '../src/contracts/index.js';
import { USAGE, benchConfig, parseBenchArgs } from './args.js';
import type { BenchConfig } from './args.js';
import { measureTree } from './glob-cost.js';
import type { TreeCost } from './glob-cost.js';
import { machineFacts } from './machine.js';
import { watchPlaceholders } from './placeholders.js';
import { measureRegistryScale, type RegistryScaleRow } from './registry-scale.js';
import { extractBwrapInvocation, launcherSyntheticTargets, rawBwrapRunner } from './raw-bwrap.js';
import type { RawBwrapRunner } from './raw-bwrap.js';
import { renderReport } from './report.js';
import type { BenchReport, CaseResult } from './report.js';
import { runInterleaved } from './sampler.js';
import type { BenchCase, InterleavedResult } from './sampler.js';
import { spawnAndWait } from './spawn-wait.js';
import { loadSrtPeer } from './srt-peer.js';
import { findCodexPeer } from './codex-peer.js';
import type { SrtPeer } from './srt-peer.js';
import { addRounds, ratio, summarise, defined } from './stats.js';
import { measureThroughput } from './throughput.js';
import type { ThroughputResult } from './throughput.js';
import { measureRootScaling, measureTransform } from './transform-cost.js';
import { evaluateTargets } from './targets.js';
import { benchSessions, renderSessionReport } from './session.js';
import type { SessionBenchReport } from './session.js';

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function caseResult(label: string, res: InterleavedResult, name: string, skipped?: string): CaseResult {
  const samples = defined(res.samples[name] ?? []);
  return { label, ms: samples.length > 0 ? summarise(samples) : undefined, failures: res.failures[name] ?? [], ...(skipped ? { skipped } : {}) };
}

function libraryRunner(sb: Sandbox, cwd: string, timeoutMs: number, limits?: ResourceLimits): () => Promise<void> {
  return async () => {
    const r = await sb.spawn(['/bin/true'], 'workspace-write', { cwd, reject: false, stdin: 'ignore', timeout: timeoutMs, ...(limits ? { limits } : {}) });
    if (r.timedOut) throw new Error(`sandbox.spawn: killed after the ${timeoutMs} ms timeout (hung?)`);
    if (r.exitCode !== 0) throw new Error(`sandbox.spawn: exit ${String(r.exitCode)}${r.signal ? ` (${r.signal})` : ''}: ${String(r.stderr).trim().slice(0, 300)}`);
  };
}

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const cfg: BenchConfig = benchConfig(args.quick);
  const started = Date.now();
  const notes: string[] = [];
  const repo = packageRoot();
  const workDir = mkdtempSync('/var/tmp/codex-sandbox-bench-');
  const ws = join(workDir, 'ws');
  mkdirSync(ws);
  // Every spawn and srt's own scans see the same small, empty workspace (not the repo).
  const originalCwd = process.cwd();
  process.chdir(ws);
  let srt: SrtPeer | undefined;
  let raw: RawBwrapRunner | undefined;
  let rawNoInner: RawBwrapRunner | undefined;
  // Issue #21: the same argv with the bundled static bwrap, and the naive launcher (execa + bwrap, no launcher).
  let rawBundled: RawBwrapRunner | undefined;
  let naive: RawBwrapRunner | undefined;
  const cleanups: Array<() => void | Promise<void>> = [];
  const cleanupAll = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c();
      } catch {
        // Best effort: a cleanup failure must not hide the results.
      }
    }
    process.chdir(originalCwd);
    rmSync(workDir, { recursive: true, force: true });
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    void cleanupAll().finally(() => process.kill(process.pid, sig));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    // The host is probed once per process: the first access probes, later ones hit the cache.
    const p0 = process.hrtime.bigint();
    const facts = getHostFacts();
    const linux = facts.linux;
    const firstMs = Number(process.hrtime.bigint() - p0) / 1e6;
    const p1 = process.hrtime.bigint();
    const again = getHostFacts();
    void again.linux;
    const repeatMicros = Number(process.hrtime.bigint() - p1) / 1e3;
    const sb = await createSandbox();
    const hostProbe = { firstMs, repeatMicros, sameFactsObject: again === facts && sb.facts === facts };
    const machine = machineFacts(linux?.bwrap?.path, repo);
    log(`bench: ${args.quick ? 'quick' : 'full'} run in ${ws}; host probe ${firstMs.toFixed(1)} ms`);

    // Raw bwrap: exactly the bwrap argv of the workspace-write plan.
    const plan = sb.plan(['/bin/true'], 'workspace-write', { cwd: ws });
    let rawSkip: string | undefined;
    // Raw bwrap bypasses the launcher's registry, so the placeholders it creates stay until removed
    // here; removed again before transform() is timed, which would otherwise inspect them.
    let removeRawPlaceholders = async (): Promise<void> => {};
    if (plan.native.platform === 'linux') {
      const guard = watchPlaceholders(launcherSyntheticTargets(plan), linux?.syntheticRegistry);
      removeRawPlaceholders = async (): Promise<void> => {
        const removed = await guard.cleanup();
        if (removed.length > 0) log(`bench: removed raw-bwrap placeholders ${removed.join(', ')}`);
      };
      cleanups.push(removeRawPlaceholders);
      try {
        const inv = extractBwrapInvocation(plan);
        const mode = inv.seccompMode;
        const bpf = mode === undefined ? undefined : loadNative().seccompFilter(mode);
        const common = { bpf, workDir, cwd: ws, env: plan.env, timeoutMs: cfg.timeoutMs };
        raw = rawBwrapRunner(inv, { ...common, keepInner: true });
        rawNoInner = rawBwrapRunner(inv, { ...common, keepInner: false });
        const r = raw;
        const rn = rawNoInner;
        cleanups.push(() => r.close(), () => rn.close());
        naive = rawBwrapRunner(inv, { ...common, keepInner: true, via: 'execa' });
        const nv = naive;
        cleanups.push(() => nv.close());
        const bundledPath = bundledBwrapPath();
        if (bundledPath !== undefined && bundledPath !== inv.bwrapPath) {
          rawBundled = rawBwrapRunner(inv, { ...common, keepInner: true, bwrapPath: bundledPath });
          const rb = rawBundled;
          cleanups.push(() => rb.close());
        }
      } catch (e) {
        rawSkip = e instanceof Error ? e.message : String(e);
      }
    } else {
      rawSkip = `the plan is ${plan.kind}: raw bwrap needs Linux`;
    }

    const srtOrWhy = await loadSrtPeer({ cwd: ws, workDir, timeoutMs: cfg.timeoutMs });
    if (typeof srtOrWhy === 'string') {
      notes.push(`srt not measured: ${srtOrWhy}`);
      log(`bench: ${srtOrWhy}`);
    } else {
      srt = srtOrWhy;
      notes.push(`peer: @anthropic-ai/sandbox-runtime ${srt.version} (settings: allowWrite [cwd], no network)`);
    }

    const env = process.env;
    const bare = (): Promise<void> => spawnAndWait('/bin/true', [], { cwd: ws, env, timeoutMs: cfg.timeoutMs });
    const library = libraryRunner(sb, ws, cfg.timeoutMs);
    // The default process limit costs a cgroup per command where one holds it (root, delegated v2).
    const libraryNoLimits = libraryRunner(sb, ws, cfg.timeoutMs, { pids: 'unlimited' });

    // Group A: per command inside one process.
    const groupA: BenchCase[] = [{ name: 'bare', run: bare }];
    if (raw && rawNoInner) {
      groupA.push({ name: 'rawBwrap', run: raw.run }, { name: 'rawBwrapNoInner', run: rawNoInner.run });
    }
    if (rawBundled) groupA.push({ name: 'rawBwrapBundled', run: rawBundled.run });
    groupA.push({ name: 'library', run: library }, { name: 'libraryNoLimits', run: libraryNoLimits });
    if (srt) groupA.push({ name: 'srtLibrary', run: srt.runLibrary });
    log(`bench: per-command group, ${cfg.spawnRounds} rounds of ${groupA.map((c) => c.name).join(', ')}`);
    const a = await runInterleaved(groupA, { rounds: cfg.spawnRounds, warmup: cfg.warmup });

    // Group B: whole processes.
    // package.json's bin: what `codex-sandbox` runs.
    const cliMain = join(repo, 'dist', 'cli', 'main.cjs');
    const groupB: BenchCase[] = [{ name: 'nodeE0', run: () => spawnAndWait(process.execPath, ['-e', '0'], { cwd: ws, env, timeoutMs: cfg.timeoutMs }) }];
    if (raw) groupB.push({ name: 'rawBwrap', run: raw.run });
    const cliSkip = existsSync(cliMain) ? undefined : `${cliMain} is missing: run npm run build:ts`;
    if (!cliSkip) {
      groupB.push({ name: 'cli', run: () => spawnAndWait(process.execPath, [cliMain, 'run', '--', '/bin/true'], { cwd: ws, env, timeoutMs: cfg.timeoutMs }) });
    }
    if (srt) groupB.push({ name: 'srtCli', run: srt.runCli });
    // Issue #21: Codex's own `codex sandbox`, when installed (bench/codex-peer.ts).
    const codex = findCodexPeer({ cwd: ws, workDir, timeoutMs: cfg.timeoutMs, env });
    const codexSkip = typeof codex === 'string' ? codex : undefined;
    if (typeof codex === 'string') {
      notes.push(`codex sandbox not measured: ${codex}`);
      log(`bench: ${codex}`);
    } else {
      notes.push(`peer: ${codex.version} (codex sandbox -c 'sandbox_mode="workspace-write"')`);
      groupB.push({ name: 'codexCli', run: codex.run });
    }
    log(`bench: whole-process group, ${cfg.processRounds} rounds of ${groupB.map((c) => c.name).join(', ')}`);
    const b = await runInterleaved(groupB, { rounds: cfg.processRounds, warmup: Math.min(cfg.warmup, 2) });

    const srtSkip = srt ? undefined : (notes.find((n) => n.startsWith('srt not measured')) ?? 'srt not available');
    const perCommand: Record<string, CaseResult> = {
      bare: caseResult('bare spawn /bin/true (floor)', a, 'bare'),
      rawBwrap: caseResult('raw bwrap, planner argv + inner stage', a, 'rawBwrap', rawSkip),
      rawBwrapNoInner: caseResult('raw bwrap, planner argv, command direct', a, 'rawBwrapNoInner', rawSkip),
      rawBwrapBundled: caseResult('raw bwrap (bundled static), planner argv + inner stage', a, 'rawBwrapBundled', rawSkip ?? (rawBundled ? undefined : bundledBwrapPath() === undefined ? 'no bundled bwrap in this build' : 'the plan already runs the bundled bwrap (the default): the rows above are it; its argv (e.g. --argv0) is not one the system bwrap takes')),
      library: caseResult("sandbox.spawn(['/bin/true'], 'workspace-write')", a, 'library'),
      libraryNoLimits: caseResult("the same with limits: { pids: 'unlimited' } (no cgroup)", a, 'libraryNoLimits'),
      srtLibrary: caseResult('srt wrapWithSandbox + sh -c', a, 'srtLibrary', srtSkip),
    };
    const perProcess: Record<string, CaseResult> = {
      nodeE0: caseResult('node -e 0', b, 'nodeE0'),
      rawBwrap: caseResult('raw bwrap, planner argv + inner stage', b, 'rawBwrap', rawSkip),
      cli: caseResult('codex-sandbox run -- /bin/true', b, 'cli', cliSkip),
      srtCli: caseResult('srt --settings s.json /bin/true', b, 'srtCli', srtSkip),
      codexCli: caseResult("codex sandbox -c 'sandbox_mode=\"workspace-write\"' -- /bin/true", b, 'codexCli', codexSkip),
    };
    const sa = a.samples;
    const sbm = b.samples;
    const none: Array<number | undefined> = [];
    const ratios: BenchReport['ratios'] = {
      libraryOverRawBwrap: ratio(sa['library'] ?? none, sa['rawBwrap'] ?? none),
      libraryOverRawBwrapNoInner: ratio(sa['library'] ?? none, sa['rawBwrapNoInner'] ?? none),
      rawBwrapOverBare: ratio(sa['rawBwrap'] ?? none, sa['bare'] ?? none),
      libraryOverBare: ratio(sa['library'] ?? none, sa['bare'] ?? none),
      defaultLimitsCost: ratio(sa['library'] ?? none, sa['libraryNoLimits'] ?? none),
      cliOverFloor: ratio(sbm['cli'] ?? none, addRounds(sbm['nodeE0'] ?? none, sbm['rawBwrap'] ?? none)),
      srtOverLibrary: ratio(sa['srtLibrary'] ?? none, sa['library'] ?? none),
      srtCliOverCli: ratio(sbm['srtCli'] ?? none, sbm['cli'] ?? none),
      srtOverRawBwrap: ratio(sa['srtLibrary'] ?? none, sa['rawBwrap'] ?? none),
      srtCliOverFloor: ratio(sbm['srtCli'] ?? none, addRounds(sbm['nodeE0'] ?? none, sbm['rawBwrap'] ?? none)),
      cliOverCodex: ratio(sbm['cli'] ?? none, sbm['codexCli'] ?? none),
      rawBundledOverRawSystem: rawBundled ? ratio(sa['rawBwrapBundled'] ?? none, sa['rawBwrap'] ?? none) : undefined,
      libraryOverRawBwrapBundled: rawBundled ? ratio(sa['library'] ?? none, sa['rawBwrapBundled'] ?? none) : undefined,
    };

    // srt's proxy and bridges would keep running during the remaining sections: stop them now.
    if (srt) {
      await srt.close();
      srt = undefined;
    }

    const throughput: ThroughputResult[] = [];
    for (const c of cfg.concurrency) {
      log(`bench: throughput, ${cfg.throughputCommands} commands at concurrency ${c}`);
      throughput.push(await measureThroughput(library, cfg.throughputCommands, c));
    }
    const naiveThroughput: ThroughputResult[] = [];
    for (const c of naive ? cfg.concurrency : []) {
      log(`bench: naive launcher throughput, ${cfg.throughputCommands} commands at concurrency ${c}`);
      if (naive) naiveThroughput.push(await measureThroughput(naive.run, cfg.throughputCommands, c));
    }

    // Sessions (#22): bench/session.ts, reported after the main report.
    let sessions: SessionBenchReport | undefined;
    if (plan.native.platform === 'linux') sessions = await benchSessions({ sb, cwd: ws, bare, library, rawBwrap: raw?.run, quick: args.quick, timeoutMs: cfg.timeoutMs, log });

    await removeRawPlaceholders();
    log('bench: transform() per preset');
    const transform = measureTransform(facts, ws, cfg.transformBatches, cfg.transformBatch);
    log('bench: transform() against the number of writable roots');
    const rootsDir = join(workDir, 'roots');
    mkdirSync(rootsDir);
    const rootScaling = measureRootScaling(facts, rootsDir, args.quick ? [1, 16, 64] : [1, 16, 64, 256], args.quick ? 5 : 15);
    let registryScale: RegistryScaleRow[] | undefined;
    if (plan.native.platform === 'linux') {
      log('bench: launch cost against live sandboxes in the placeholder registry');
      try {
        registryScale = await measureRegistryScale({ plan, counts: args.quick ? [0, 1000] : [0, 10, 100, 1000], rounds: args.quick ? 8 : 20, timeoutMs: cfg.timeoutMs, workDir, log });
      } catch (e) {
        log(`bench: registry section skipped: ${(e as Error).message}`);
      }
    }

    const globScan: TreeCost[] = [];
    for (const files of cfg.treeSizes) {
      log(`bench: deny-read glob over ${files} files`);
      globScan.push(measureTree(facts, workDir, ws, files, cfg.scanDepths, cfg.scanRepeats, log));
    }

    notes.push(
      'raw bwrap = bubblewrap spawned from Node with the exact bwrap argv of the plan; the bench supplies the fds the launcher would ' +
        '(the seccomp BPF from the addon in a file on the --seccomp fd, a pipe on --info-fd, /dev/null on --ro-bind-data fds). ' +
        '"+ inner stage" keeps `codex-sandbox-launcher --inner -- /bin/true` as the sandboxed program; "command direct" runs /bin/true in its place.',
    );
    const partial = {
      ratios,
      transform,
      globScan,
      hostProbe,
      rootScaling,
      throughput,
      naiveThroughput,
      registryScale,
    };
    const report: BenchReport = {
      schema: 1,
      command: `npm run bench${args.quick || args.json ? ' --' : ''}${args.quick ? ' --quick' : ''}${args.json ? ' --json' : ''}`,
      quick: args.quick,
      machine,
      startedAt: new Date(started).toISOString(),
      durationS: (Date.now() - started) / 1000,
      hostProbe,
      perCommand,
      perProcess,
      ratios,
      throughput,
      naiveThroughput,
      transform,
      rootScaling,
      registryScale,
      globScan,
      targets: evaluateTargets(partial),
      notes,
    };
    process.stdout.write(args.json ? `${JSON.stringify({ ...report, sessions }, null, 2)}\n` : `${renderReport(report)}\n${sessions ? renderSessionReport(sessions) : ''}`);
  } finally {
    if (srt) await srt.close();
    await cleanupAll();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

main().then(
  () => {
    // srt's library leaves handles (proxy servers, signal handlers) behind; do not wait for them.
    process.exit(process.exitCode ?? 0);
  },
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);

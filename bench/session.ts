/**
 * Sessions (#22) against their baselines, all in the same run: per-command latency and CPU of a
 * session command, a bare spawn of /bin/true, sandbox.spawn and raw bwrap; throughput of session
 * commands and of sandbox.spawn at concurrency 1/8/32. CPU per command = (this process's CPU + its
 * reaped children's, /proc/self/stat utime+stime+cutime+cstime) over a batch, divided by the batch:
 * a session's batch includes opening and closing its session (its supervisor and every command are
 * reaped by then), so the set-up is amortised over the batch, not left out.
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { Sandbox } from '../src/sandbox.js';
import type { SandboxSession } from '../src/session/session.js';
import { ratio } from './stats.js';
import type { Ratio } from './stats.js';
import { buildSpawnFloor, floorRate } from './spawn-floor.js';
import { measureThroughput } from './throughput.js';
import type { ThroughputResult } from './throughput.js';

export interface SessionBenchInput {
  sb: Sandbox;
  cwd: string;
  bare: () => Promise<void>;
  library: () => Promise<void>;
  rawBwrap: (() => Promise<void>) | undefined;
  quick: boolean;
  timeoutMs: number;
  log: (line: string) => void;
}

export interface SessionBatch {
  label: string;
  commands: number;
  wallMsPerCommand: number;
  cpuMsPerCommand: number;
}

export interface SessionBenchReport {
  batches: SessionBatch[];
  /**
   * Throughput runs, each with the whole machine's CPU per command (/proc/stat, all processes) and, for
   * sessions, the supervisor tree's (the supervisor, its inits and their commands; not the other load).
   */
  throughput: Array<{
    label: string;
    result: ThroughputResult;
    machineCpuMsPerCommand?: number;
    sessionCpuMsPerCommand?: number;
    /** This Node process's own CPU (all its threads, process.cpuUsage; not its children), per command. */
    callerCpuMsPerCommand?: number;
  }>;
  ratios: {
    sessionOverBare: number;
    sessionCpuOverBareCpu: number;
    /** isolation: 'none' (no per-command namespaces) over a bare spawn. */
    plainSessionOverBare: number;
    sessionThroughputOverSpawnAt32: number | undefined;
    /** The same with isolation: 'none' sessions. */
    plainSessionThroughputOverSpawnAt32: number | undefined;
    /**
     * The same two ratios from alternating rounds at concurrency 32 (session, session 'none', sandbox.spawn
     * in each round): ratio of the medians, and the spread of the per-round ratios. The targets use these:
     * the single runs above are seconds apart, so a load change between them moves their ratio.
     */
    pairedAt32: {
      rounds: number;
      session: Ratio | undefined;
      plain: Ratio | undefined;
      /** bench/spawn-floor.c in the same sandbox, in the same rounds: over sandbox.spawn, and the session over it. */
      floorOverSpawn: Ratio | undefined;
      sessionOverFloor: Ratio | undefined;
      floorSkipped?: string;
    };
  };
}

const TICK_MS = 10; // USER_HZ = 100 on Linux (proc(5), /proc/pid/stat)

/** CPU time all processes spent so far (/proc/stat's first line: user nice system irq softirq), in ms. */
function machineBusyMs(): number {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  return [0, 1, 2, 5, 6].reduce((sum, i) => sum + (f[i] ?? 0), 0) * TICK_MS;
}

/**
 * A throughput run with the machine's CPU per command beside it (what bounds throughput on a busy box).
 * Timed from the steady state a long-lived caller sees: `concurrency` untimed commands at that
 * concurrency first, so a session's pool of idle inits has grown to it (once per session: an isolated
 * command's init is reused, docs/sessions.md) and sandbox.spawn's plan cache is warm.
 */
async function throughputWithCpu(label: string, run: () => Promise<void>, commands: number, concurrency: number, supervisor?: number): Promise<SessionBenchReport['throughput'][number]> {
  await measureThroughput(run, concurrency, concurrency);
  const before = machineBusyMs();
  const caller = process.cpuUsage();
  const tree = supervisor !== undefined ? treeCpuMs(supervisor) : undefined;
  const result = await measureThroughput(run, commands, concurrency);
  const after = supervisor !== undefined ? treeCpuMs(supervisor) : undefined;
  const callerUsed = process.cpuUsage(caller);
  return {
    label,
    result,
    machineCpuMsPerCommand: (machineBusyMs() - before) / commands,
    ...(tree !== undefined && after !== undefined ? { sessionCpuMsPerCommand: (after - tree) / commands } : {}),
    callerCpuMsPerCommand: (callerUsed.user + callerUsed.system) / 1000 / commands,
  };
}

/**
 * A process's CPU plus its reaped children's (proc(5) /proc/pid/stat utime stime cutime cstime), and the
 * same of its live children, in ms: the supervisor keeps idle inits for the next commands, and a live
 * init's commands are counted in its own cutime/cstime, not yet in the supervisor's.
 */
function treeCpuMs(pid: number): number | undefined {
  const own = (p: number): number => {
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) * TICK_MS;
  };
  try {
    let total = own(pid);
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean)) {
      try {
        total += own(Number(child));
      } catch {
        // reaped meanwhile: counted in the supervisor's cutime/cstime from now on
      }
    }
    return total;
  } catch {
    return undefined;
  }
}

/**
 * This process's one descendant running the session supervisor (comm cut to 15 characters), or
 * undefined. The supervisor reaps every init and each init its commands, so its tree CPU (with its
 * live inits') is the session's whole work outside Node, apart from the other load a busy machine carries.
 */
function sessionSupervisorPid(): number | undefined {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const queue = [process.pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.pop() ?? 0) ?? []) {
      queue.push(child);
      try {
        if (readFileSync(`/proc/${child}/comm`, 'utf8').trim() === 'codex-sandbox-s') found.push(child);
      } catch {
        // gone meanwhile
      }
    }
  }
  return found.length === 1 ? found[0] : undefined;
}

function cpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14-17 of proc(5) are utime stime cutime cstime; here index 11..14 (state is field 3).
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) * TICK_MS;
}

async function batch(label: string, commands: number, run: () => Promise<void>, around?: { open(): void; close(): Promise<void> }): Promise<SessionBatch> {
  const cpu0 = cpuMs();
  const t0 = process.hrtime.bigint();
  around?.open();
  for (let i = 0; i < commands; i += 1) await run();
  await around?.close();
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  return { label, commands, wallMsPerCommand: wall / commands, cpuMsPerCommand: (cpuMs() - cpu0) / commands };
}

/** One `/bin/true` in `session`; throws unless it exited 0. */
async function trueIn(session: SandboxSession, timeoutMs: number): Promise<void> {
  const r = await session.spawn(['/bin/true'], { stdin: 'ignore', reject: false, timeout: timeoutMs });
  if (r.exitCode !== 0) throw new Error(`session command: exit ${String(r.exitCode)} ${String(r.signal ?? '')} ${String(r.stderr)}`);
}

export async function benchSessions(input: SessionBenchInput): Promise<SessionBenchReport> {
  const { sb, cwd, log } = input;
  const n = input.quick ? 100 : 300;
  const slow = input.quick ? 20 : 60;
  // Session throughput rows: 300 commands at ~550/s took ~0.5 s, where one GC or the kdamond thread moved a row by 5 %.
  const many = input.quick ? 100 : 1000;
  let isolation: 'namespaces' | 'none' = 'namespaces';
  let session = sb.session('workspace-write', { cwd, isolation });
  const around = {
    open: (): void => {
      session = sb.session('workspace-write', { cwd, isolation });
    },
    close: (): Promise<void> => session.close(),
  };
  const sessionRun = (): Promise<void> => trueIn(session, input.timeoutMs);
  const plainAround = {
    open: (): void => {
      isolation = 'none';
      around.open();
    },
    close: async (): Promise<void> => {
      await around.close();
      isolation = 'namespaces';
    },
  };
  // Warm-up: page cache, the supervisor binary, Node's JIT.
  for (let i = 0; i < 20; i += 1) await sessionRun();
  await session.close();
  log(`bench: sessions, ${n} commands per cheap case, ${slow} per sandbox.spawn / raw bwrap`);
  const batches: SessionBatch[] = [];
  batches.push(await batch('bare spawn /bin/true', n, input.bare));
  // Every session command runs under an init of its own at a time (pid and mount namespaces, /proc and
  // masks, kept for the session's next command) in a fresh IPC namespace (docs/sessions.md).
  batches.push(await batch('session.spawn(/bin/true), own namespaces (open+close incl.)', n, sessionRun, around));
  // isolation: 'none': started by the supervisor directly, sharing the session's pid namespace.
  batches.push(await batch("session.spawn(/bin/true), isolation: 'none' (open+close incl.)", n, sessionRun, plainAround));
  batches.push(await batch("sandbox.spawn(['/bin/true'], 'workspace-write')", slow, input.library));
  if (input.rawBwrap) batches.push(await batch('raw bwrap, planner argv + inner stage', slow, input.rawBwrap));
  const throughput: SessionBenchReport['throughput'] = [];
  around.open();
  try {
    await sessionRun(); // the supervisor is running (and found) from here on
    const supervisor = sessionSupervisorPid();
    for (const c of [1, 8, 32]) {
      log(`bench: sessions, throughput at concurrency ${c}`);
      throughput.push(await throughputWithCpu('session', sessionRun, many, c, supervisor));
    }
  } finally {
    await session.close();
  }
  plainAround.open();
  try {
    await sessionRun();
    const supervisor = sessionSupervisorPid();
    for (const c of [1, 8, 32]) {
      log(`bench: sessions (isolation: 'none'), throughput at concurrency ${c}`);
      throughput.push(await throughputWithCpu("session 'none'", sessionRun, many, c, supervisor));
    }
  } finally {
    await plainAround.close();
  }
  // sandbox.spawn's rows: 60 commands at c32 took ~1 s and moved ±10 % from run to run (52–63/s in four runs).
  const slowMany = input.quick ? 20 : 200;
  for (const c of [1, 8, 32]) throughput.push(await throughputWithCpu('sandbox.spawn', input.library, slowMany, c));
  const pairedAt32 = await pairedRoundsAt32(input, (iso) => sb.session('workspace-write', { cwd, isolation: iso }));
  const [bare, sess, plain] = batches;
  const at32 = (label: string): number | undefined => throughput.find((t) => t.label === label && t.result.concurrency === 32)?.result.commandsPerSecond;
  const s32 = at32('session');
  const p32 = at32("session 'none'");
  const l32 = at32('sandbox.spawn');
  return {
    batches,
    throughput,
    ratios: {
      sessionOverBare: (sess?.wallMsPerCommand ?? NaN) / (bare?.wallMsPerCommand ?? NaN),
      sessionCpuOverBareCpu: (sess?.cpuMsPerCommand ?? NaN) / (bare?.cpuMsPerCommand ?? NaN),
      plainSessionOverBare: (plain?.wallMsPerCommand ?? NaN) / (bare?.wallMsPerCommand ?? NaN),
      sessionThroughputOverSpawnAt32: s32 !== undefined && l32 !== undefined ? s32 / l32 : undefined,
      plainSessionThroughputOverSpawnAt32: p32 !== undefined && l32 !== undefined ? p32 / l32 : undefined,
      pairedAt32,
    },
  };
}

/**
 * Throughput at concurrency 32 in alternating rounds: a session with per-command namespaces, one with
 * isolation 'none' (both opened once and warmed to 32 inits, as a long-lived caller has them), the
 * spawn floor (bench/spawn-floor.ts) and sandbox.spawn, each round in that order, so all four see the
 * same machine within seconds.
 */
async function pairedRoundsAt32(
  input: SessionBenchInput,
  open: (isolation: 'namespaces' | 'none') => SandboxSession,
): Promise<SessionBenchReport['ratios']['pairedAt32']> {
  const rounds = input.quick ? 2 : 5;
  // sandbox.spawn: 160 commands (~2.5 s, five waves of 32) so the last, partly filled wave is a small part of a round.
  const [perSession, perSpawn] = input.quick ? [100, 40] : [400, 160];
  const sessions = { namespaces: open('namespaces'), none: open('none') };
  const runs = { namespaces: () => trueIn(sessions.namespaces, input.timeoutMs), none: () => trueIn(sessions.none, input.timeoutMs) };
  const rate = async (run: () => Promise<void>, n: number): Promise<number | undefined> => {
    const r = await measureThroughput(run, n, 32);
    return r.failed === 0 ? r.commandsPerSecond : undefined;
  };
  const iso: Array<number | undefined> = [];
  const plain: Array<number | undefined> = [];
  const spawn: Array<number | undefined> = [];
  const floor: Array<number | undefined> = [];
  const floorBuild = buildSpawnFloor();
  let floorSkipped = 'skipped' in floorBuild ? floorBuild.skipped : undefined;
  const floorRound = async (): Promise<number | undefined> => {
    if ('skipped' in floorBuild || floorSkipped !== undefined) return undefined;
    try {
      return await floorRate(input.sb, floorBuild.bin, perSession, 32, input.cwd, input.timeoutMs);
    } catch (e) {
      floorSkipped = e instanceof Error ? e.message : String(e);
      return undefined;
    }
  };
  try {
    await measureThroughput(runs.namespaces, 32, 32);
    await measureThroughput(runs.none, 32, 32);
    for (let round = 0; round < rounds; round += 1) {
      input.log(`bench: sessions, paired throughput round ${round + 1}/${rounds} at concurrency 32`);
      iso.push(await rate(runs.namespaces, perSession));
      plain.push(await rate(runs.none, perSession));
      floor.push(await floorRound());
      spawn.push(await rate(input.library, perSpawn));
    }
  } finally {
    await Promise.all([sessions.namespaces.close(), sessions.none.close()]);
    if (!('skipped' in floorBuild)) floorBuild.dispose();
  }
  return {
    rounds,
    session: ratio(iso, spawn),
    plain: ratio(plain, spawn),
    floorOverSpawn: ratio(floor, spawn),
    sessionOverFloor: ratio(iso, floor),
    ...(floorSkipped !== undefined ? { floorSkipped } : {}),
  };
}

export function renderSessionReport(r: SessionBenchReport): string {
  const lines = ['', 'Sessions (#22): per command, sequential batches (wall and CPU incl. children)'];
  for (const b of r.batches) lines.push(`  ${b.label.padEnd(58)} ${b.wallMsPerCommand.toFixed(2).padStart(8)} ms  ${b.cpuMsPerCommand.toFixed(2).padStart(7)} ms CPU  (${b.commands} commands)`);
  lines.push('  throughput (commands/s, timed after as many untimed commands as the concurrency; machine CPU = all processes, /proc/stat, per command; session tree = the supervisor, its inits and commands; caller = this Node process alone):');
  for (const t of r.throughput) {
    lines.push(`    ${t.label.padEnd(15)} concurrency ${String(t.result.concurrency).padStart(2)}: ${t.result.commandsPerSecond.toFixed(1).padStart(8)}/s  ${t.machineCpuMsPerCommand !== undefined ? `  machine CPU ${t.machineCpuMsPerCommand.toFixed(1).padStart(5)} ms` : ''}${t.sessionCpuMsPerCommand !== undefined ? `  session tree CPU ${t.sessionCpuMsPerCommand.toFixed(1).padStart(5)} ms` : ''}${t.callerCpuMsPerCommand !== undefined ? `  caller (Node) CPU ${t.callerCpuMsPerCommand.toFixed(2).padStart(5)} ms` : ''}  (${t.result.commands} commands, ${t.result.failed} failed${t.result.firstFailure ? `: ${t.result.firstFailure}` : ''})`);
  }
  const x = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? 'n/a' : `${v.toFixed(2)}x`);
  const mark = (v: number | undefined, ok: (v: number) => boolean): string => (v === undefined || Number.isNaN(v) ? 'n/a ' : ok(v) ? 'met ' : 'MISS');
  const { sessionOverBare: iso, plainSessionOverBare: plain, sessionThroughputOverSpawnAt32: tp, plainSessionThroughputOverSpawnAt32: ptp } = r.ratios;
  lines.push(`  ${mark(iso, (v) => v <= 1.0)}  session command (per-command pid/IPC/mount namespaces) / bare spawn: ${x(iso)} wall (target <= 1.0x), ${x(r.ratios.sessionCpuOverBareCpu)} CPU`);
  lines.push(`  ${mark(plain, (v) => v <= 0.5)}  session command, isolation: 'none' / bare spawn: ${x(plain)} wall (target <= 0.5x)`);
  // The targets' figure: alternating rounds (ratio of medians, spread of the per-round ratios); the single runs above in brackets.
  const paired = r.ratios.pairedAt32;
  const spread = (q: Ratio | undefined): string => (q === undefined ? '' : `, per-round ${q.pairedP10.toFixed(2)}–${q.pairedP90.toFixed(2)}`);
  lines.push(`  ${mark(paired.plain?.value, (v) => v >= 10)}  session throughput, isolation: 'none' / sandbox.spawn throughput at concurrency 32, ${paired.rounds} alternating rounds: ${x(paired.plain?.value)}${spread(paired.plain)} (target >= 10x; single runs above: ${x(ptp)})`);
  lines.push(`  ${mark(paired.session?.value, (v) => v >= 10)}  session throughput, per-command namespaces / sandbox.spawn throughput at concurrency 32, ${paired.rounds} alternating rounds: ${x(paired.session?.value)}${spread(paired.session)} (target >= 10x; single runs above: ${x(tp)})`);
  // Not a target: what the machine allows. A session at about 1x this floor adds nothing measurable to its commands'
  // own cost. Under other load the loop's one process gets a smaller share of the CPUs than a session's many.
  if (paired.floorSkipped !== undefined) lines.push(`  floor: skipped (${paired.floorSkipped})`);
  else {
    lines.push(`  floor: bench/spawn-floor.c (posix_spawn /bin/true + wait, 32 at a time, in the same sandbox) / sandbox.spawn at concurrency 32, same rounds: ${x(paired.floorOverSpawn?.value)}${spread(paired.floorOverSpawn)} (a starter that does nothing else; its parent waits out each child's exec, 32 inits do not)`);
    lines.push(`  session (per-command namespaces) / that floor: ${x(paired.sessionOverFloor?.value)}${spread(paired.sessionOverFloor)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Where the library's per-command time goes, one layer at a time, on the same plan:
 * bare spawn; raw bwrap with the plan's argv (with and without the inner stage); the native launcher
 * (with its status fd, as every launch has one; without the per-command cgroup) through
 * node:child_process, through the addon's clone+pidfd spawner alone, through that spawner under execa
 * (what `sandbox.spawn` starts), and through execa with node:child_process; sandbox.spawn; and the seccomp
 * program build that the launcher repeats per launch. Interleaved rounds: median wall per case and this
 * process's mean CPU per case (process.cpuUsage: Node's own threads, the children not included).
 * Every case must exit 0: a launcher that fails at once would otherwise be timed as a fast one.
 * Run: `npm run build:ts && node dist/bench/breakdown.js [rounds]`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { closeSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Options } from 'execa';
import { processSpec } from '../src/launch/command.js';
import { spawnViaPidfd } from '../src/launch/native-child.js';
import { encodePayload } from '../src/launch/payload.js';
import { pidfdSpawner, withPidfdSpawn } from '../src/launch/spawn-hook.js';
import { loadNative } from '../src/native.js';
import { createSandbox } from '../src/sandbox.js';
import { watchPlaceholders } from './placeholders.js';
import { extractBwrapInvocation, launcherSyntheticTargets, rawBwrapRunner } from './raw-bwrap.js';

const rounds = Number(process.argv[2] ?? 60);
const ws = mkdtempSync(join('/var/tmp', 'csbx-breakdown-'));
const sb = await createSandbox();
const req = sb.plan(['/bin/true'], 'workspace-write', { cwd: ws });
const spec = processSpec(req);
if (spec.payload || spec.statusFd !== 3) throw new Error('breakdown: expected the launcher arguments in its environment and the status fd on 3');
const addon = loadNative();
const spawner = pidfdSpawner();
const socketPair = addon.stdioSocketPair;
if (!spawner || !socketPair) throw new Error('breakdown: the addon has no clone+pidfd spawner (CODEX_SANDBOX_SPAWN=node?)');
const inv = extractBwrapInvocation(req);
const mode = inv.seccompMode;
const rawCommon = { bpf: mode === undefined ? undefined : addon.seccompFilter(mode), workDir: ws, cwd: ws, env: req.env, timeoutMs: 30_000 };
const raw = rawBwrapRunner(inv, { ...rawCommon, keepInner: false });
const rawInner = rawBwrapRunner(inv, { ...rawCommon, keepInner: true });
// Raw bwrap bypasses the launcher's registry: remove the placeholders it leaves on the host.
const guard = watchPlaceholders(launcherSyntheticTargets(req), sb.facts.linux?.syntheticRegistry);

/** Resolves on 'close' when the child exited 0; rejects with what it wrote to stderr otherwise. */
function exitedZero(c: ChildProcess, what: string): Promise<void> {
  let stderr = '';
  c.stdout?.resume();
  c.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    c.once('error', reject);
    c.once('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${what}: exit ${String(code ?? signal)}: ${stderr}`))));
  });
}

/** Starts the launcher with a fresh status socket on fd 3 (as run.ts does); closes both ends around it. */
async function withStatusFd<T>(start: (stdio: StdioOptions) => T, wait: (started: T) => Promise<unknown>): Promise<void> {
  const [parentEnd, childEnd] = socketPair?.(true) ?? [];
  if (parentEnd === undefined || childEnd === undefined) throw new Error('breakdown: no socket pair');
  let started: T;
  try {
    started = start(['ignore', 'pipe', 'pipe', childEnd]);
  } finally {
    closeSync(childEnd);
  }
  try {
    await wait(started);
  } finally {
    closeSync(parentEnd);
  }
}

const execaOptions = (stdio: StdioOptions): Options => ({ stdio: stdio as Options['stdio'], env: spec.env, extendEnv: false, cwd: spec.cwd, cleanup: false });
const cases: Record<string, () => Promise<unknown>> = {
  'bare spawn /bin/true': () => exitedZero(spawn('/bin/true', [], { stdio: ['ignore', 'pipe', 'pipe'] }), '/bin/true'),
  'raw bwrap, command in place of the inner stage': () => raw.run(),
  'raw bwrap with the inner stage': () => rawInner.run(),
  'launcher via node:child_process': () =>
    withStatusFd(
      (stdio) => spawn(spec.file, spec.args, { stdio, env: spec.env, cwd: spec.cwd }),
      (c) => exitedZero(c, 'launcher'),
    ),
  'launcher via addon (clone+pidfd), no execa': () =>
    withStatusFd(
      (stdio) => spawnViaPidfd(spawner, spec.file, spec.args, { stdio, env: spec.env, cwd: spec.cwd }),
      (c) => (c ? exitedZero(c, 'launcher') : Promise.reject(new Error('spawnViaPidfd did not start the launcher'))),
    ),
  'launcher via addon under execa': () =>
    withStatusFd(
      (stdio) => withPidfdSpawn(spawner, () => execa(spec.file, spec.args, execaOptions(stdio))),
      (sub) => sub,
    ),
  'launcher via execa (node:child_process)': () =>
    withStatusFd(
      (stdio) => execa(spec.file, spec.args, execaOptions(stdio)),
      (sub) => sub,
    ),
  // The same launch with its arguments on fd 3 (what every launch did before --env-args): the cost of the pipe.
  'launcher via execa, arguments on fd 3': () => {
    const [parentEnd, childEnd] = socketPair(true);
    const stdio = ['ignore', 'pipe', 'pipe', encodePayload(req.argv), childEnd] as Options['stdio'];
    const sub = execa(spec.file, ['--status-fd', '4', '--payload-fd', '3'], { stdio, env: {}, extendEnv: false, cwd: spec.cwd, cleanup: false });
    closeSync(childEnd);
    return sub.finally(() => closeSync(parentEnd));
  },
  'sandbox.spawn (plan + execa + launcher)': () => sb.spawn(['/bin/true'], 'workspace-write', { cwd: ws, stdin: 'ignore' }),
};
const names = Object.keys(cases);
const times: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
const cpu: Record<string, number> = Object.fromEntries(names.map((k) => [k, 0]));
for (const name of names) await (cases[name] as () => Promise<unknown>)();
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? names : [...names].reverse();
  for (const name of order) {
    const c0 = process.cpuUsage();
    const t = process.hrtime.bigint();
    await (cases[name] as () => Promise<unknown>)();
    (times[name] as number[]).push(Number(process.hrtime.bigint() - t) / 1e6);
    const c = process.cpuUsage(c0);
    cpu[name] = (cpu[name] as number) + (c.user + c.system) / 1000;
  }
}
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;
process.stdout.write(`${''.padEnd(46)} median wall   Node CPU (mean)\n`);
for (const name of names) {
  process.stdout.write(`${name.padEnd(46)} ${median(times[name] as number[]).toFixed(2).padStart(8)} ms   ${((cpu[name] as number) / rounds).toFixed(2).padStart(6)} ms\n`);
}

const n = 200;
const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) addon.seccompFilter('restricted');
process.stdout.write(`${'seccomp restricted program build'.padEnd(46)} ${(Number(process.hrtime.bigint() - t0) / n / 1000).toFixed(0)} µs\n`);
raw.close();
rawInner.close();
await guard.cleanup();
rmSync(ws, { recursive: true, force: true });
process.exit(0);

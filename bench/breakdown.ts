/**
 * Where the library's per-command time goes, one layer at a time, on the same plan:
 * bare spawn; raw bwrap with the plan's argv (with and without the inner stage); the native launcher
 * through node:child_process; the same through execa; sandbox.spawn; and the seccomp program build
 * that the launcher repeats per launch. Interleaved rounds, medians.
 * Run: `npm run build:ts && node dist/bench/breakdown.js [rounds]`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { processSpec } from '../src/launch/command.js';
import { encodePayload } from '../src/launch/payload.js';
import { loadNative } from '../src/native.js';
import { createSandbox } from '../src/sandbox.js';
import { watchPlaceholders } from './placeholders.js';
import { extractBwrapInvocation, launcherSyntheticTargets, rawBwrapRunner } from './raw-bwrap.js';

const rounds = Number(process.argv[2] ?? 60);
const ws = mkdtempSync(join('/var/tmp', 'csbx-breakdown-'));
const sb = await createSandbox();
const req = sb.plan(['/bin/true'], 'workspace-write', { cwd: ws });
const spec = processSpec(req);
const payload = Buffer.from(spec.payload ?? new Uint8Array());
const addon = loadNative();
const inv = extractBwrapInvocation(req);
const mode = inv.seccompMode;
const rawCommon = { bpf: mode === undefined ? undefined : addon.seccompFilter(mode), workDir: ws, cwd: ws, env: req.env, timeoutMs: 30_000 };
const raw = rawBwrapRunner(inv, { ...rawCommon, keepInner: false });
const rawInner = rawBwrapRunner(inv, { ...rawCommon, keepInner: true });
// Raw bwrap bypasses the launcher's registry: remove the placeholders it leaves on the host.
const guard = watchPlaceholders(launcherSyntheticTargets(req), sb.facts.linux?.syntheticRegistry);

const waitClose = (c: ReturnType<typeof spawn>): Promise<void> => new Promise((res) => c.on('close', () => res()));
const cases: Record<string, () => Promise<unknown>> = {
  'bare spawn /bin/true': () => waitClose(spawn('/bin/true', [], { stdio: ['ignore', 'pipe', 'pipe'] })),
  'raw bwrap, command in place of the inner stage': () => raw.run(),
  'raw bwrap with the inner stage': () => rawInner.run(),
  'launcher via node:child_process': () => {
    const c = spawn(spec.file, spec.args, { stdio: spec.payload ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'], env: spec.env, cwd: spec.cwd });
    const p = c.stdio[3];
    if (spec.payload && p && 'end' in p) p.end(payload);
    return waitClose(c);
  },
  'launcher via execa': () =>
    execa(spec.file, spec.args, { stdio: spec.payload ? ['ignore', 'pipe', 'pipe', new Uint8Array(payload)] : ['ignore', 'pipe', 'pipe'], env: spec.env, extendEnv: false, cwd: spec.cwd, reject: false }),
  // The same launch with its arguments on fd 3 (what every launch did before --env-args): the cost of the pipe.
  'launcher via execa, arguments on fd 3': () =>
    execa(spec.file, ['--payload-fd', '3'], { stdio: ['ignore', 'pipe', 'pipe', encodePayload(req.argv)], env: spec.env, extendEnv: false, cwd: spec.cwd, reject: false }),
  'sandbox.spawn (plan + execa + launcher)': () => sb.spawn(['/bin/true'], 'workspace-write', { cwd: ws, reject: false, stdin: 'ignore' }),
};
const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
const names = Object.keys(cases);
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? names : [...names].reverse();
  for (const name of order) {
    const t = process.hrtime.bigint();
    await (cases[name] as () => Promise<unknown>)();
    (times[name] as number[]).push(Number(process.hrtime.bigint() - t) / 1e6);
  }
}
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;
for (const name of names) process.stdout.write(`${name.padEnd(42)} ${median(times[name] as number[]).toFixed(2)} ms\n`);

const n = 200;
const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) addon.seccompFilter('restricted');
process.stdout.write(`${'seccomp restricted program build'.padEnd(42)} ${(Number(process.hrtime.bigint() - t0) / n / 1000).toFixed(0)} µs\n`);
raw.close();
rawInner.close();
guard.cleanup();
rmSync(ws, { recursive: true, force: true });
process.exit(0);

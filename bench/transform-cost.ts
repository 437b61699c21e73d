/** transform() alone (item 7): per-call cost of SandboxManager.transform for each preset, facts cached. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { HostFacts } from '../src/contracts/index.js';
import type { FsInspector, GlobScanRequest } from '../src/permissions/fs-facts.js';
import { recording } from '../src/manager/plan-cache.js';
import type { Log, Probe } from '../src/manager/plan-cache.js';
import { PathUri } from '../src/path-uri/index.js';
import { SandboxManager } from '../src/manager/transform.js';
import type { TransformRequest } from '../src/manager/transform.js';
import { PermissionProfile } from '../src/permissions/index.js';
import type { PermissionProfile as Profile } from '../src/permissions/types.js';
import { summarise } from './stats.js';
import type { Summary } from './stats.js';

export const PRESETS = ['read-only', 'workspace-write', 'danger-full-access'] as const;
export type Preset = (typeof PRESETS)[number];

export interface TransformCost {
  preset: Preset;
  /** Microseconds per call: one sample per batch (batch time / batch size). */
  microsPerCall: Summary;
  kind: string;
}

function batchMicros(req: TransformRequest, batch: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < batch; i += 1) SandboxManager.transform(req);
  return Number(process.hrtime.bigint() - t0) / 1e3 / batch;
}

export function transformRequest(profile: Profile, cwd: string, facts: HostFacts): TransformRequest {
  return { command: ['/bin/true'], cwd, profile, env: process.env, facts };
}

export function measureTransform(facts: HostFacts, cwd: string, batches: number, batch: number): TransformCost[] {
  const reqs = PRESETS.map((preset) => ({ preset, req: transformRequest(PermissionProfile.named(preset), cwd, facts) }));
  // Warm-up: JIT, and the lazy host facts (bwrap probe) outside the timed calls.
  for (const { req } of reqs) batchMicros(req, batch);
  const samples = new Map<Preset, number[]>(PRESETS.map((p) => [p, []]));
  for (let b = 0; b < batches; b += 1) {
    // Alternate the preset order between batches, as the spawn groups do.
    const order = b % 2 === 0 ? reqs : [...reqs].reverse();
    for (const { preset, req } of order) (samples.get(preset) as number[]).push(batchMicros(req, batch));
  }
  return reqs.map(({ preset, req }) => ({
    preset,
    microsPerCall: summarise(samples.get(preset) as number[]),
    kind: SandboxManager.transform(req).kind,
  }));
}

/** transform() of workspace-write with N extra writable roots: how planning scales with the number of roots. */
export interface RootScalingCost {
  roots: number;
  /** Milliseconds per transform() (median of `samples` calls). */
  ms: Summary;
  /** bwrap arguments in the plan (grows linearly with the roots: each has its bind and carve-outs). */
  argc: number;
  /**
   * The filesystem questions of one transform() alone (each asked once, as transform's memo asks them),
   * replayed against the same host inspector between the timed transforms: milliseconds per replay.
   * The part of planning no JavaScript change removes; `fsCalls` questions per transform().
   */
  fsMs: Summary;
  fsCalls: number;
}

/** Asks `fs` each recorded question again, answers unused: one transform()'s filesystem questions alone. */
function replay(fs: FsInspector, probes: readonly Probe[]): void {
  for (const p of probes) {
    if (p.method === 'scanGlob') fs.scanGlob(p.arg as GlobScanRequest);
    else if (p.method === 'lstat') fs.lstat?.(p.arg as string);
    else fs[p.method](p.arg as string);
  }
}

/**
 * Each root is a real directory under `base` with a `.git` directory and a `.env` file, and a
 * `denyRead` of `ROOT/.env` for each, so every root brings read-only carve-outs (`.git`, `.codex`,
 * `.agents`), a deny mask and the guard binds between them — the machinery whose cost used to grow
 * with roots × carve-outs × roots.
 */
export function measureRootScaling(facts: HostFacts, base: string, counts: readonly number[], samples: number): RootScalingCost[] {
  const out: RootScalingCost[] = [];
  for (const n of counts) {
    const roots: string[] = [];
    for (let i = 0; i < n; i += 1) {
      const r = path.join(base, `n${n}`, `r${i}`, 'work');
      mkdirSync(path.join(r, '.git'), { recursive: true });
      writeFileSync(path.join(r, '.env'), 'SECRET=1\n');
      roots.push(r);
    }
    const profile = PermissionProfile.workspaceWrite({ writableRoots: roots });
    const denyRead = roots.map((r) => ({ path: { type: 'path' as const, path: PathUri.fromAbsPath(path.join(r, '.env'), { platform: 'linux' }) }, access: 'deny' as const }));
    const req: TransformRequest = { ...transformRequest(profile, roots[0] ?? base, facts), additionalPermissions: { fileSystem: { entries: denyRead } } };
    const argc = SandboxManager.transform(req).argv.length; // warm-up
    const log: Log = { probes: [], threw: false };
    SandboxManager.transform({ ...req, facts: { ...facts, fs: recording(facts.fs, log) } });
    replay(facts.fs, log.probes); // warm-up
    const times: number[] = [];
    const fsTimes: number[] = [];
    for (let s = 0; s < samples; s += 1) {
      const t0 = process.hrtime.bigint();
      SandboxManager.transform(req);
      const t1 = process.hrtime.bigint();
      replay(facts.fs, log.probes);
      fsTimes.push(Number(process.hrtime.bigint() - t1) / 1e6);
      times.push(Number(t1 - t0) / 1e6);
    }
    out.push({ roots: n, ms: summarise(times), argc, fsMs: summarise(fsTimes), fsCalls: log.probes.length });
  }
  return out;
}

/**
 * The smallest `most / one` ratio any planner asking these filesystem questions can reach: planning one
 * root plus only the time the extra roots' questions take on their own (no JavaScript per extra root).
 */
export function rootScalingFloor(one: RootScalingCost, most: RootScalingCost): number {
  return (one.ms.median + Math.max(0, most.fsMs.median - one.fsMs.median)) / one.ms.median;
}

/** transform() alone (item 7): per-call cost of SandboxManager.transform for each preset, facts cached. */
import type { HostFacts } from '../src/contracts/index.js';
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

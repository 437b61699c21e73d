/**
 * CONTRACT: resource limits — what a caller asks for, the defaults, and the plan a Linux planner
 * makes for them (the launch creates the cgroups it lists). Pure.
 */
import { PlanError } from './plan-error.js';

/** Resource limits for one sandbox, as the caller gives them (library option `limits`). */
export interface ResourceLimits {
  /** Memory (RAM, and swap where the kernel accounts it) of the whole sandbox, in bytes. */
  memoryBytes?: number;
  /** Concurrent processes (threads count too) of the command; 'unlimited' lifts the default (DEFAULT_PIDS_LIMIT). */
  pids?: number | 'unlimited';
  /** CPU seconds each process of the command may use (RLIMIT_CPU; SIGXCPU when reached). */
  cpuSeconds?: number;
}

/** Limits after defaults: a number is in force, undefined is none. */
export interface ResolvedLimits {
  memoryBytes: number | undefined;
  pids: number | undefined;
  cpuSeconds: number | undefined;
}

export type LimitMechanism = 'cgroup-v2' | 'cgroup-v1' | 'rlimit' | 'none';

export interface LimitPlanEntry {
  /** The limit the caller asked for (or the default). */
  value: number;
  mechanism: LimitMechanism;
  /** What holds and what does not, for explain/--dry-run. */
  note: string;
}

/** One cgroup to create for the sandbox: under `parent`, with these files written in order. */
export interface CgroupPlan {
  version: 'v1' | 'v2';
  parent: string;
  controllers: Array<'pids' | 'memory'>;
  settings: Array<{ file: string; value: string; /** skipped when the kernel has no such file (e.g. swap accounting off) */ ifPresent?: boolean }>;
}

export interface LimitPlan {
  pids: LimitPlanEntry | undefined;
  memory: LimitPlanEntry | undefined;
  cpu: LimitPlanEntry | undefined;
  /** Created by the launch (src/launch/cgroups.ts), joined by the launcher (--cgroup-procs), removed after exit. */
  cgroups: CgroupPlan[];
}

/** Which limit a finished sandbox ran into (library `limitHit`, CLI one line on stderr). */
export interface LimitHit {
  limit: 'memory' | 'pids' | 'cpu';
  /** The limit in force (bytes, processes, seconds). */
  value: number;
  /** Whether the command was killed by it (memory: OOM kill; cpu: SIGXCPU) or only refused something (pids). */
  killed: boolean;
  /** One line, e.g. "the command was killed: memory limit 64 MiB reached". */
  message: string;
}


/**
 * Concurrent processes (threads included) a sandbox may have unless the caller says otherwise: a
 * fork bomb stops here instead of exhausting the host's pid space (kernel.pid_max / threads-max),
 * while a parallel build (dozens of compilers, each with a few threads) stays well below it.
 */
export const DEFAULT_PIDS_LIMIT = 1024;

function positiveInteger(what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new PlanError('InvalidLimit', `${what}: ${JSON.stringify(v)} is not a positive integer`);
  }
  return v;
}

export function resolveLimits(limits: ResourceLimits | undefined): ResolvedLimits {
  const l = limits ?? {};
  return {
    memoryBytes: l.memoryBytes === undefined ? undefined : positiveInteger('limits.memoryBytes', l.memoryBytes),
    pids: l.pids === 'unlimited' ? undefined : l.pids === undefined ? DEFAULT_PIDS_LIMIT : positiveInteger('limits.pids', l.pids),
    cpuSeconds: l.cpuSeconds === undefined ? undefined : positiveInteger('limits.cpuSeconds', l.cpuSeconds),
  };
}

/** "64 MiB", "2 GiB", "1536 KiB", "1000 bytes". */
export function formatBytes(n: number): string {
  const units: Array<[number, string]> = [
    [1024 ** 4, 'TiB'],
    [1024 ** 3, 'GiB'],
    [1024 ** 2, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [size, unit] of units) if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  return `${n} bytes`;
}

/** "2G", "64M", "512k", "1.5GiB", "1048576" → bytes (binary units); undefined when not a size. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const exp = ['', 'k', 'm', 'g', 't'].indexOf(m[2]!.toLowerCase());
  const bytes = Math.floor(Number(m[1]) * 1024 ** exp);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

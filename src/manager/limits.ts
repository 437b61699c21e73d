/** Resource limits: the defaults and the validation of what a caller asks for (pure). */
import { PlanError } from './errors.js';
import type { ResolvedLimits, ResourceLimits } from './types.js';

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

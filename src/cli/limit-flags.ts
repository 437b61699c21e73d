/** --limit-memory / --limit-pids / --limit-cpu-seconds → ResourceLimits (bad values are usage errors, exit 2). */
import { parseSize } from '../contracts/index.js';
import type { ResourceLimits } from '../contracts/index.js';
import type { PlanFlags } from './plan-options.js';
import { UsageError } from './profile-arg.js';

function positiveInteger(flag: string, text: string): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} ${JSON.stringify(text)}: expected a positive whole number`);
  return n;
}

export function limitsFromFlags(flags: PlanFlags): ResourceLimits {
  const limits: ResourceLimits = {};
  if (flags.limitMemory !== undefined) {
    const bytes = parseSize(flags.limitMemory);
    if (bytes === undefined) {
      throw new UsageError(`--limit-memory ${JSON.stringify(flags.limitMemory)}: expected a size such as 512M or 2G (a number with an optional K, M, G or T suffix, binary units)`);
    }
    // Below this a sandbox cannot even start bwrap and a shell; the kernel would OOM-kill at once.
    if (bytes < 4 * 1024 * 1024) throw new UsageError(`--limit-memory ${JSON.stringify(flags.limitMemory)}: too small; give at least 4M`);
    limits.memoryBytes = bytes;
  }
  if (flags.limitPids !== undefined) {
    limits.pids = flags.limitPids.trim() === 'unlimited' ? 'unlimited' : positiveInteger('--limit-pids', flags.limitPids);
  }
  if (flags.limitCpuSeconds !== undefined) limits.cpuSeconds = positiveInteger('--limit-cpu-seconds', flags.limitCpuSeconds);
  return limits;
}

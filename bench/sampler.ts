/**
 * Interleaved sampling: every round runs every case once, in an order that rotates and reverses from
 * round to round, so drift (thermal, page cache, other load on a shared 2-core box) lands on all cases
 * alike instead of on whichever ran last.
 */

export interface BenchCase {
  name: string;
  /** One timed operation. Must bound itself (kill its child) and reject when it fails or times out. */
  run(): Promise<void>;
}

export interface InterleavedOptions {
  rounds: number;
  /** Untimed rounds run first (page cache, JIT, lazy host probing). */
  warmup: number;
  /** A case that fails this many times in a row is dropped for the remaining rounds. */
  maxConsecutiveFailures?: number;
}

export interface InterleavedResult {
  /** Per case, per round: milliseconds, or undefined when that run failed or the case was dropped. */
  samples: Record<string, Array<number | undefined>>;
  /** Per case, the distinct failure messages seen (empty when every run succeeded). */
  failures: Record<string, string[]>;
}

/**
 * Case indices for one round: rotated by the round number, and reversed in every other block of
 * `caseCount` rounds, so each case runs first, last, before and after each other case equally often.
 */
export function roundOrder(caseCount: number, round: number): number[] {
  const order: number[] = [];
  for (let i = 0; i < caseCount; i += 1) order.push((i + round) % caseCount);
  return Math.floor(round / caseCount) % 2 === 1 ? order.reverse() : order;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Milliseconds taken by one call of `fn` (monotonic clock). */
export async function timeOnce(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export async function runInterleaved(cases: readonly BenchCase[], opts: InterleavedOptions): Promise<InterleavedResult> {
  const maxFails = opts.maxConsecutiveFailures ?? 3;
  const samples: Record<string, Array<number | undefined>> = {};
  const failures: Record<string, string[]> = {};
  const streak = new Map<string, number>();
  for (const c of cases) {
    samples[c.name] = [];
    failures[c.name] = [];
    streak.set(c.name, 0);
  }
  const note = (c: BenchCase, e: unknown): void => {
    const list = failures[c.name] as string[];
    const text = message(e);
    if (!list.includes(text)) list.push(text);
    streak.set(c.name, (streak.get(c.name) ?? 0) + 1);
  };

  for (let w = 0; w < opts.warmup; w += 1) {
    for (const i of roundOrder(cases.length, w)) {
      const c = cases[i] as BenchCase;
      if ((streak.get(c.name) ?? 0) >= maxFails) continue;
      try {
        await c.run();
        streak.set(c.name, 0);
      } catch (e) {
        note(c, e);
      }
    }
  }
  for (let r = 0; r < opts.rounds; r += 1) {
    for (const i of roundOrder(cases.length, r)) {
      const c = cases[i] as BenchCase;
      const out = samples[c.name] as Array<number | undefined>;
      if ((streak.get(c.name) ?? 0) >= maxFails) {
        out.push(undefined);
        continue;
      }
      try {
        out.push(await timeOnce(() => c.run()));
        streak.set(c.name, 0);
      } catch (e) {
        out.push(undefined);
        note(c, e);
      }
    }
  }
  return { samples, failures };
}

/** Summary statistics for benchmark samples (milliseconds unless a caller says otherwise). */

export interface Summary {
  /** Samples summarised. */
  n: number;
  median: number;
  /** 10th and 90th percentiles: the spread reported next to each median. */
  p10: number;
  p90: number;
  min: number;
  max: number;
}

/** Linear-interpolated quantile of already sorted numbers (q in [0, 1]). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of an empty sample set: the case produced no successful runs');
  if (q < 0 || q > 1) throw new RangeError(`quantile ${q} is outside [0, 1]`);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

export function summarise(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((x, y) => x - y);
  return {
    n: sorted.length,
    median: quantileSorted(sorted, 0.5),
    p10: quantileSorted(sorted, 0.1),
    p90: quantileSorted(sorted, 0.9),
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
  };
}

export interface Ratio {
  /** Ratio of the two medians: the headline figure. */
  value: number;
  /** Spread of the per-round ratios (A_i / B_i of samples taken in the same round). */
  pairedP10: number;
  pairedP90: number;
}

/**
 * Ratio of medians plus the spread of paired ratios. `a` and `b` are per-round samples of the same
 * length (index i taken in round i); rounds where either failed are `undefined` and skipped.
 */
export function ratio(a: ReadonlyArray<number | undefined>, b: ReadonlyArray<number | undefined>): Ratio | undefined {
  const pairs: number[] = [];
  const as: number[] = [];
  const bs: number[] = [];
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined || y <= 0) continue;
    pairs.push(x / y);
    as.push(x);
    bs.push(y);
  }
  if (pairs.length === 0) return undefined;
  const sa = summarise(as);
  const sb = summarise(bs);
  const sp = summarise(pairs);
  return { value: sa.median / sb.median, pairedP10: sp.p10, pairedP90: sp.p90 };
}

/** Element-wise sum of two per-round sample arrays (a round missing either side is undefined). */
export function addRounds(a: ReadonlyArray<number | undefined>, b: ReadonlyArray<number | undefined>): Array<number | undefined> {
  const n = Math.min(a.length, b.length);
  const out: Array<number | undefined> = [];
  for (let i = 0; i < n; i += 1) {
    const x = a[i];
    const y = b[i];
    out.push(x === undefined || y === undefined ? undefined : x + y);
  }
  return out;
}

/** The defined values of a per-round array. */
export function defined(samples: ReadonlyArray<number | undefined>): number[] {
  return samples.filter((s): s is number => s !== undefined);
}

export interface LinearFit {
  /** Fixed cost (y at x = 0). */
  intercept: number;
  /** Cost per unit of x. */
  slope: number;
  /** Coefficient of determination: 1 = perfectly linear. */
  r2: number;
  n: number;
}

/** Least-squares line through (x, y) points; undefined for fewer than 2 distinct x. */
export function linearFit(points: ReadonlyArray<readonly [number, number]>): LinearFit | undefined {
  const n = points.length;
  if (n < 2) return undefined;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
    syy += (y - my) ** 2;
  }
  if (sxx === 0) return undefined;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { intercept, slope, r2, n };
}

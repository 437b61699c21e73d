import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { addRounds, linearFit, quantileSorted, ratio, summarise } from '../stats.js';

describe('summarise', () => {
  it('gives the median, percentiles and extremes of unsorted samples', () => {
    const s = summarise([5, 1, 4, 2, 3]);
    expect(s).toMatchObject({ n: 5, median: 3, min: 1, max: 5 });
    expect(s.p10).toBeCloseTo(1.4);
    expect(s.p90).toBeCloseTo(4.6);
  });

  it('orders min ≤ p10 ≤ median ≤ p90 ≤ max for any sample set', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }), (xs) => {
        const s = summarise(xs);
        expect(s.min).toBeLessThanOrEqual(s.p10);
        expect(s.p10).toBeLessThanOrEqual(s.median);
        expect(s.median).toBeLessThanOrEqual(s.p90);
        expect(s.p90).toBeLessThanOrEqual(s.max);
      }),
    );
  });

  it('refuses an empty sample set with a message naming the problem', () => {
    expect(() => quantileSorted([], 0.5)).toThrow(/empty sample set/);
  });
});

describe('ratio', () => {
  it('is the ratio of medians, skipping rounds where either side failed', () => {
    const r = ratio([10, 20, undefined, 40], [5, 10, 7, 20]);
    expect(r?.value).toBeCloseTo(2);
    expect(r?.pairedP10).toBeCloseTo(2);
    expect(r?.pairedP90).toBeCloseTo(2);
  });

  it('is undefined when no round has both samples', () => {
    expect(ratio([undefined], [3])).toBeUndefined();
  });

  it('adds rounds element-wise (the CLI floor: node -e 0 plus raw bwrap of the same round)', () => {
    expect(addRounds([1, undefined, 3], [10, 20, 30])).toEqual([11, undefined, 33]);
  });
});

describe('linearFit', () => {
  it('recovers the line through exactly linear points (R² = 1)', () => {
    const fit = linearFit([
      [0, 2],
      [10, 12],
      [100, 102],
    ]);
    expect(fit?.slope).toBeCloseTo(1);
    expect(fit?.intercept).toBeCloseTo(2);
    expect(fit?.r2).toBeCloseTo(1);
  });

  it('reports a low R² for quadratic growth', () => {
    const pts = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((x) => [x, x ** 4] as const);
    expect(linearFit(pts)?.r2).toBeLessThan(0.95);
  });

  it('is undefined without two distinct x values', () => {
    expect(linearFit([[1, 2]])).toBeUndefined();
    expect(linearFit([[1, 2], [1, 3]])).toBeUndefined();
  });
});

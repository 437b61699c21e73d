import { describe, it, expect } from 'vitest';
import { roundOrder, runInterleaved } from '../sampler.js';

describe('roundOrder', () => {
  it('visits every case once per round', () => {
    for (let r = 0; r < 7; r += 1) expect([...roundOrder(4, r)].sort()).toEqual([0, 1, 2, 3]);
  });

  it('rotates the starting case, then runs the reversed rotations', () => {
    expect([0, 1, 2, 3, 4, 5].map((r) => roundOrder(3, r))).toEqual([
      [0, 1, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
      [0, 2, 1],
      [1, 0, 2],
    ]);
  });

  it('runs each of two cases before the other equally often', () => {
    const aFirst = [0, 1, 2, 3].filter((r) => roundOrder(2, r)[0] === 0).length;
    expect(aFirst).toBe(2);
  });

  it('puts each case first in some round and last in some round', () => {
    const firsts = new Set<number>();
    const lasts = new Set<number>();
    for (let r = 0; r < 6; r += 1) {
      const o = roundOrder(3, r);
      firsts.add(o[0] as number);
      lasts.add(o[2] as number);
    }
    expect(firsts.size).toBe(3);
    expect(lasts.size).toBe(3);
  });
});

describe('runInterleaved', () => {
  it('records one sample per case per round, in the rotated order', async () => {
    const calls: string[] = [];
    const mk = (name: string) => ({ name, run: async () => void calls.push(name) });
    const res = await runInterleaved([mk('a'), mk('b')], { rounds: 3, warmup: 1 });
    expect(res.samples['a']).toHaveLength(3);
    expect(res.samples['b']).toHaveLength(3);
    expect(calls).toEqual(['a', 'b', 'a', 'b', 'b', 'a', 'b', 'a']);
    expect(res.failures).toEqual({ a: [], b: [] });
  });

  it('keeps failing runs out of the samples, records why, and drops a case after repeated failures', async () => {
    let n = 0;
    const res = await runInterleaved(
      [
        { name: 'ok', run: async () => undefined },
        {
          name: 'bad',
          run: async () => {
            n += 1;
            throw new Error('launcher hung');
          },
        },
      ],
      { rounds: 10, warmup: 0, maxConsecutiveFailures: 2 },
    );
    expect(res.samples['bad']).toEqual(Array(10).fill(undefined));
    expect(res.failures['bad']).toEqual(['launcher hung']);
    expect(n).toBe(2);
    expect(res.samples['ok']?.every((s) => typeof s === 'number')).toBe(true);
  });
});

/**
 * sharedDirPrefix (src/platforms/linux/plan.ts): the leading directories two normal paths share, which
 * the symlink check of a writable root does not walk again. Compared with the component-wise definition.
 */
import { describe, expect, it } from 'vitest';
import { sharedDirPrefix } from '../../../src/platforms/linux/plan.js';

/** The reference: the longest run of equal leading components, as the length of its text. */
function byComponents(a: string, b: string): number {
  const x = a.split('/').slice(1);
  const y = b.split('/').slice(1);
  let n = 0;
  let len = 0;
  while (n < x.length && n < y.length && x[n] === y[n]) {
    len += 1 + (x[n] as string).length;
    n += 1;
  }
  return len;
}

describe('sharedDirPrefix', () => {
  it('cuts at a component boundary of both paths', () => {
    expect(sharedDirPrefix('/x/r1/w', '/x/r2/w')).toBe(2);
    expect(sharedDirPrefix('/x/ab', '/x/a')).toBe(2);
    expect(sharedDirPrefix('/x/a', '/x/a/b')).toBe(4);
    expect(sharedDirPrefix('/x/a/b', '/x/a')).toBe(4);
    expect(sharedDirPrefix('/xy/z', '/x/z')).toBe(0);
    expect(sharedDirPrefix('/a/b', '/a/b')).toBe(4);
    expect(sharedDirPrefix('/a/b', '')).toBe(0);
  });

  it('equals the component-wise definition on random normal paths', () => {
    let s = 7;
    const rnd = (n: number): number => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s % n;
    };
    const names = ['a', 'ab', 'b', 'a.b', '.a', '..a', 'é', 'a b'];
    const gen = (): string => {
      const k = 1 + rnd(4);
      let p = '';
      for (let i = 0; i < k; i += 1) p += '/' + (names[rnd(names.length)] as string);
      return p;
    };
    for (let i = 0; i < 5000; i += 1) {
      const a = gen();
      const b = rnd(4) === 0 ? a + gen() : gen();
      expect(sharedDirPrefix(a, b)).toBe(byComponents(a, b));
      expect(sharedDirPrefix(b, a)).toBe(byComponents(a, b));
    }
  });
});

/** The per-tool cache table: what each name means under a home directory, and nothing of $HOME besides. */
import { posix, win32 } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE_TOOLS, cacheDirs } from '../../../src/permissions/caches.js';

describe('cacheDirs', () => {
  it('maps each tool to its directories under home, in order, without duplicates', () => {
    expect(cacheDirs(['npm', 'pip', 'npm'], '/home/u', posix.join)).toEqual(['/home/u/.npm/_cacache', '/home/u/.npm/_logs', '/home/u/.cache/pip']);
    expect(cacheDirs(['cargo', 'go', 'yarn'], '/home/u', posix.join)).toEqual([
      '/home/u/.cargo/registry',
      '/home/u/.cargo/git',
      '/home/u/go/pkg/mod',
      '/home/u/.cache/go-build',
      '/home/u/.cache/yarn',
    ]);
    expect(cacheDirs(['pip'], 'C:\\Users\\u', win32.join)).toEqual(['C:\\Users\\u\\.cache\\pip']);
  });

  it('never names the home directory itself, a directory on PATH, or a configuration file', () => {
    const all = Object.values(CACHE_TOOLS).flat();
    for (const bad of ['', '.', '.npm', '.npmrc', '.npm/_npx', '.cargo', '.cargo/bin', '.cargo/config.toml', 'go', 'go/bin', '.local', '.config', '.cache', '.bashrc']) {
      expect(all, bad).not.toContain(bad);
    }
  });

  it('an unknown tool is an error naming the known ones', () => {
    expect(() => cacheDirs(['maven'], '/home/u', posix.join)).toThrow('unknown cache "maven": known caches are npm, pip, cargo, go, yarn');
  });
});

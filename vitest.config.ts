import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The unprivileged-user run of the integration suite cannot write into node_modules/.vite.
  cacheDir: process.env.VITEST_CACHE_DIR ?? 'node_modules/.vite',
  test: {
    include: ['test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});

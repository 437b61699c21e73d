/**
 * Test projects (`vitest run --project NAME`; `npm test` runs them all, then the unprivileged-user run):
 *   unit                  pure suites: planners, the permission model, parsers, fakes for the host (seconds)
 *   integration           the real thing: bwrap, seccomp, the launcher, the addon, the CLI
 *   integration-bundled   test/integration/linux again, forced onto the bundled, digest-verified bwrap
 *                         (CODEX_SANDBOX_BWRAP=bundled; defined only when this build has a bundled bwrap)
 *   e2e                   the packed tarball installed and run, the workflow's actionlint, Windows code under wine
 * The Linux integration suite as an unprivileged user is its own step: scripts/test-unprivileged.mjs.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const repo = dirname(fileURLToPath(import.meta.url));

/** Whether the native build next to the addon holds a bundled bwrap (src/native.ts bundledBwrapPath, without loading the addon). */
function hasBundledBwrap(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const nodeGypBuild = createRequire(import.meta.url)('node-gyp-build') as { resolve(dir: string): string };
    return statSync(join(dirname(nodeGypBuild.resolve(repo)), 'bwrap')).isFile();
  } catch {
    return false;
  }
}

export default defineConfig({
  // The unprivileged-user run cannot write into node_modules/.vite.
  cacheDir: process.env.VITEST_CACHE_DIR ?? 'node_modules/.vite',
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      // No mocks, no global state: one worker runs the files one after another without re-importing src/ each time.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'bench/test/**/*.test.ts'], isolate: false } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts', 'test/cli/**/*.test.ts'] } },
      ...(hasBundledBwrap()
        ? [
            {
              extends: true as const,
              test: {
                name: 'integration-bundled',
                include: ['test/integration/linux/**/*.test.ts'],
                env: { CODEX_SANDBOX_BWRAP: 'bundled' },
                // Fails every file if the bundled binary was not the one selected (the run would prove nothing).
                setupFiles: ['test/integration/linux/bundled-setup.ts'],
              },
            },
          ]
        : []),
      { extends: true, test: { name: 'e2e', include: ['test/package/**/*.test.ts', 'test/wine/**/*.test.ts'] } },
    ],
  },
});

/**
 * Test projects (`vitest run --project NAME`; `npm test` runs them all, then the unprivileged-user run):
 *   unit                  pure suites: planners, the permission model, parsers, fakes for the host (seconds)
 *   integration           the real thing: bwrap, seccomp, the launcher, the addon, the CLI
 *   integration-system    test/integration/linux again, forced onto the system bwrap (CODEX_SANDBOX_BWRAP=system).
 *                         The default pass runs on the bundled, digest-verified bwrap, which codex-sandbox prefers
 *                         when the system one adds nothing (src/host/bwrap-select.ts); defined only when this build
 *                         has a bundled bwrap and PATH has a system one, so the suite covers both binaries
 *   integration-alone, integration-system-alone   the same for the ALONE files, run one at a time (below)
 *   integration-sessions  test/integration/linux again, each command through a sandbox session
 *                         (CODEX_SANDBOX_TEST_SESSIONS=1; skips the files that never use run/sh/py: SESSIONS_SKIP)
 *   integration-exec-per-process   the exec-server's process tests with `--no-sessions` (CODEX_SANDBOX_TEST_EXEC_SESSIONS=0)
 *   e2e                   the packed tarball installed and run, the workflow's actionlint, Windows code under wine
 * The Linux integration suite as an unprivileged user is its own step: scripts/test-unprivileged.mjs.
 *
 * Speed rules (keep `npm test` well under 10 minutes on 2 cores; `CSBX_TEST_TIMES=30 npm test` lists the slowest files):
 * - Two stages. First unit, integration and integration-system run together, as many files at once as there are
 *   cores (CSBX_TEST_WORKERS overrides; vitest's own default would be cores - 1, i.e. one file at a time on 2 cores):
 *   the integration files spend much of their time waiting on processes, sockets and timers. Such a file must not
 *   depend on running alone: its own scratch directories, servers and unique markers, events waited for rather than
 *   fixed sleeps, no assertion about the whole host that another file's processes could change.
 *   Then, one file at a time, the *-alone projects (ALONE: files that load the whole host or measure it — a fork
 *   bomb and host latency, 500 processes with fd/RSS bounds, three servers with a timed kill) and e2e (compiles:
 *   npm install of the tarball, tsc, mingw), which only slow each other down when run side by side.
 * - integration-system re-runs only what can differ with another bwrap binary: the files that exercise bwrap's
 *   own behaviour (mounts, namespaces, seccomp hand-off, argv limits, set-up failures, signals) and every attack
 *   file. It skips the files whose result comes from the plan or the command alone, with what they rely on from
 *   bwrap already proven in both passes: OTHER_BWRAP_SKIP below, each with its reason.
 * - Start a server once per file (beforeAll), wait for events rather than sleep, check several things in one
 *   sandboxed process, and run an attack as many times as the race needs, not more.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

const repo = dirname(fileURLToPath(import.meta.url));

/** Test files run at once in the first stage (see the header). */
const workers = Number(process.env.CSBX_TEST_WORKERS ?? 0) || Math.max(2, availableParallelism());

/** Files that run alone, after the parallel stage: they load the whole host or measure it (see the header). */
const ALONE = ['test/integration/linux/limits.test.ts', 'test/integration/exec-server/load.test.ts', 'test/integration/exec-server/multi-host.test.ts'];
const ALONE_LINUX = ALONE.filter((f) => f.startsWith('test/integration/linux/'));
/** The second stage: one file at a time. */
const alone = { maxWorkers: 1, sequence: { groupOrder: 1 } };

/** Linux files that the integration-system pass skips, and why their result cannot depend on the bwrap binary. */
const OTHER_BWRAP_SKIP = [
  // Which bwrap is selected by default and when forced: system-setup.ts checks CODEX_SANDBOX_BWRAP=system before every file.
  'test/integration/linux/bwrap-selection.test.ts',
  // Which cache directories a tool gets is the plan's; the read-only/writable binds they rely on are
  // filesystem.test.ts's, which runs in both passes (real npm and pytest make this file slow).
  'test/integration/linux/caches.test.ts',
  // Parses the command's own stderr against the plan; bwrap plays no part in what is reported.
  'test/integration/linux/refusals.test.ts',
  // How Node starts the launcher (the addon's clone + pidfd, or node:child_process); bwrap plays no part.
  'test/integration/linux/pidfd-spawn.test.ts',
];

/**
 * Linux files that the integration-sessions pass skips: their commands do not go through the helper's
 * run/sh/py (test/integration/linux/helpers.ts), so CODEX_SANDBOX_TEST_SESSIONS changes nothing in them.
 */
const SESSIONS_SKIP = [
  // Which bwrap is selected; no command runs.
  'test/integration/linux/bwrap-selection.test.ts',
  // sandbox.spawn's own results (the refusal report, the set-up status, the probe cache, tool caches): per spawn by design.
  'test/integration/linux/caches.test.ts',
  'test/integration/linux/refusals.test.ts',
  'test/integration/linux/setup-status.test.ts',
  'test/integration/linux/probe-cache.test.ts',
  'test/integration/linux/pidfd-spawn.test.ts',
  // Sessions and the pool themselves: already through sessions in the integration pass.
  'test/integration/linux/session.test.ts',
  'test/integration/linux/session-pool.test.ts',
];

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

/** Whether PATH has a system bwrap (the integration-system pass needs one). */
function hasSystemBwrap(): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      return dir !== '' && statSync(join(dir, 'bwrap')).isFile();
    } catch {
      return false;
    }
  });
}

/** The integration-system projects' settings. */
const systemBwrap = {
  env: { CODEX_SANDBOX_BWRAP: 'system' },
  // Fails every file if the system binary was not the one selected (the run would prove nothing).
  setupFiles: ['test/integration/linux/system-setup.ts'],
};

export default defineConfig({
  // The unprivileged-user run cannot write into node_modules/.vite.
  cacheDir: process.env.VITEST_CACHE_DIR ?? 'node_modules/.vite',
  test: {
    pool: 'forks',
    maxWorkers: workers,
    sequence: { groupOrder: 0 },
    testTimeout: 60_000,
    // One retry for a test that failed: the integration files run real processes on a loaded 2-core CI machine,
    // where a rare timing race must not fail the whole run. A test whose protection is gone fails both attempts;
    // one that passed only on the retry is listed by name in the summary, with the errors of its failed attempt
    // (test/summary-reporter.ts), to be fixed.
    retry: 1,
    hookTimeout: 120_000,
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      // No mocks, no global state: a worker runs file after file without re-importing src/ each time.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'bench/test/**/*.test.ts'], isolate: false } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts', 'test/cli/**/*.test.ts'], exclude: [...configDefaults.exclude, ...ALONE] } },
      { extends: true, test: { name: 'integration-alone', include: ALONE, ...alone } },
      // The Linux suite once more through sandbox sessions (issue #22): run/sh/py start each command in a session
      // of a plan-keyed pool instead of a fresh sandbox; the attack files must give the same results.
      {
        extends: true,
        test: {
          name: 'integration-sessions',
          include: ['test/integration/linux/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...SESSIONS_SKIP, ...ALONE_LINUX],
          env: { CODEX_SANDBOX_TEST_SESSIONS: '1' },
        },
      },
      // The exec-server runs sandboxed processes in sandbox sessions by default; its process semantics once more
      // with a sandbox per process (`--no-sessions`), the other way the server can run.
      {
        extends: true,
        test: { name: 'integration-exec-per-process', include: ['test/integration/exec-server/process.test.ts'], env: { CODEX_SANDBOX_TEST_EXEC_SESSIONS: '0' } },
      },
      ...(hasBundledBwrap() && hasSystemBwrap()
        ? [
            {
              extends: true as const,
              test: {
                name: 'integration-system',
                include: ['test/integration/linux/**/*.test.ts'],
                exclude: [...configDefaults.exclude, ...OTHER_BWRAP_SKIP, ...ALONE_LINUX],
                ...systemBwrap,
              },
            },
            { extends: true as const, test: { name: 'integration-system-alone', include: ALONE_LINUX, ...systemBwrap, ...alone } },
          ]
        : []),
      { extends: true, test: { name: 'e2e', include: ['test/package/**/*.test.ts', 'test/wine/**/*.test.ts'], ...alone } },
    ],
  },
});

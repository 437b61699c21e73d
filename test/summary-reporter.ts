/**
 * Prints one plain closing line, "vitest: N passed, N failed, N skipped", that any CI log reader understands.
 * A test that passed only on a retry (vitest.config.ts gives the integration projects one) is not hidden: it is
 * listed by name above that line and counted ("N passed (K only on a retry)").
 * With CSBX_TEST_TIMES=N (e.g. `CSBX_TEST_TIMES=30 npm test`) it first lists the N slowest test files, with
 * their project and the time their tests and hooks took, to find what makes the suite slow.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const flaky: string[] = [];
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed' && t.diagnostic()?.flaky === true) flaky.push(`${m.project.name} ${m.relativeModuleId} > ${t.fullName}`);
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    const slowest = Number(process.env.CSBX_TEST_TIMES ?? 0);
    if (slowest > 0) process.stdout.write(timesTable(modules, slowest));
    if (flaky.length > 0) process.stdout.write(`\nflaky: passed only on a retry (a race to find and fix):\n${flaky.map((f) => `  ${f}\n`).join('')}`);
    const retried = flaky.length > 0 ? ` (${String(flaky.length)} only on a retry)` : '';
    process.stdout.write(`\nvitest: ${passed} passed${retried}, ${failed} failed, ${skipped} skipped\n`);
  }
}

/** The `count` slowest files: seconds (tests + hooks, then collect), project, number of tests, path. */
function timesTable(modules: ReadonlyArray<TestModule>, count: number): string {
  const rows = modules.map((m) => {
    const d = m.diagnostic();
    return { ms: d.duration, collect: d.collectDuration, project: m.project.name, tests: [...m.children.allTests()].length, file: m.relativeModuleId };
  });
  rows.sort((a, b) => b.ms - a.ms);
  const total = rows.reduce((sum, r) => sum + r.ms, 0);
  const lines = rows.slice(0, count).map((r) => `${(r.ms / 1000).toFixed(1).padStart(7)} s ${(r.collect / 1000).toFixed(1).padStart(5)} s  ${r.project.padEnd(19)} ${String(r.tests).padStart(4)}  ${r.file}`);
  return [`\nslowest ${String(Math.min(count, rows.length))} of ${String(rows.length)} files (all files: ${(total / 1000).toFixed(1)} s of tests and hooks)`, '   tests  collect  project          tests  file', ...lines, ''].join('\n');
}

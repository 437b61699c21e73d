/**
 * Prints one plain closing line, "vitest: N passed, N failed, N skipped", that any CI log reader understands.
 * A test that passed only on a retry (vitest.config.ts gives the integration projects one) is not hidden: it is
 * listed by name above that line and counted ("N passed (K only on a retry)"), each with the errors of its failed
 * attempts (message, diff, stack, causes): vitest keeps them in the passed result but its default reporter prints
 * nothing of them, so a race seen once in CI would otherwise leave no trace in the log.
 * With CSBX_TEST_TIMES=N (e.g. `CSBX_TEST_TIMES=30 npm test`) it first lists the N slowest test files, with
 * their project and the time their tests and hooks took, to find what makes the suite slow.
 */
import type { Reporter, TestCase, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const flaky: string[] = [];
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed' && t.diagnostic()?.flaky === true) flaky.push(`${m.project.name} ${m.relativeModuleId} > ${t.fullName}\n${failedAttempts(t)}`);
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    const slowest = Number(process.env.CSBX_TEST_TIMES ?? 0);
    if (slowest > 0) process.stdout.write(timesTable(modules, slowest));
    if (flaky.length > 0) process.stdout.write(`\nflaky: passed only on a retry (a race to find and fix):\n${flaky.map((f) => `  ${f}`).join('')}`);
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

/** What a failed attempt's error held, indented under the test's name; enumerable fields beyond these are dropped. */
interface AttemptError {
  name?: string;
  message: string;
  stack?: string;
  diff?: string;
  cause?: unknown;
}

/** The errors of a passed test's failed attempts (vitest keeps them in the passed result), each line indented. */
export function failedAttempts(t: Pick<TestCase, 'result'>): string {
  const errors = t.result().errors ?? [];
  if (errors.length === 0) return '    (vitest kept no error of the failed attempt)\n';
  return errors.map((e, i) => indent(`failed attempt, error ${String(i + 1)} of ${String(errors.length)}:\n${errorText(e, 0)}`, 4)).join('');
}

/** Fields of a serialized error that errorText() prints another way or that only the assertion's diff needs. */
const SHOWN = new Set(['name', 'message', 'stack', 'stacks', 'diff', 'cause', 'actual', 'expected', 'showDiff', 'operator', 'nameStr', 'expectedStr', 'constructor', 'toString', 'ok']);

/** An error's name and message, diff, its other plain fields (an execa error's exitCode, stderr, ...), stack frames outside node_modules and (up to three deep) causes. */
function errorText(e: AttemptError, depth: number): string {
  const head = `${e.name ?? 'Error'}: ${e.message}`;
  const parts = [head];
  if (e.diff) parts.push(e.diff);
  const fields = Object.entries(e)
    .filter(([k, v]) => !SHOWN.has(k) && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'))
    .map(([k, v]) => `${k}: ${JSON.stringify(v).slice(0, 1000)}`);
  if (fields.length > 0) parts.push(fields.join(', '));
  // The stack repeats the message on its first line(s); keep the frames of the repository's own code.
  if (e.stack) parts.push(e.stack.split('\n').filter((l) => /^\s+at /.test(l) && !l.includes('/node_modules/') && !l.includes('(<anonymous>)') && !l.includes('node:internal')).join('\n'));
  const cause = e.cause;
  if (depth < 3 && typeof cause === 'object' && cause !== null && typeof (cause as { message?: unknown }).message === 'string') {
    parts.push(`caused by: ${errorText(cause as AttemptError, depth + 1)}`);
  } else if (cause !== undefined && cause !== null && depth < 3) {
    parts.push(`caused by: ${String(cause)}`);
  }
  return parts.filter((p) => p !== '').join('\n');
}

function indent(text: string, by: number): string {
  const pad = ' '.repeat(by);
  return `${text.split('\n').map((l) => `${pad}${l}`).join('\n')}\n`;
}

/** The closing summary lists a test that passed only on its retry with what its failed attempt threw. */
import { describe, expect, it } from 'vitest';
import type { TestCase } from 'vitest/node';
import { failedAttempts } from '../summary-reporter.js';

/** A passed TestCase's result as vitest reports it after a retry: the failed attempt's errors kept. */
function passedAfter(errors: unknown[] | undefined): Pick<TestCase, 'result'> {
  return { result: () => ({ state: 'passed', errors }) as unknown as ReturnType<TestCase['result']> };
}

describe('failedAttempts', () => {
  it("prints the failed attempt's message, diff, plain fields, own stack frames and causes", () => {
    const text = failedAttempts(
      passedAfter([
        {
          name: 'AssertionError',
          message: 'expected ExecaError to be an instance of SandboxSetupError',
          diff: '- Expected\n+ Received',
          exitCode: 125,
          stderr: 'codex-sandbox: the launcher said why',
          actual: 'not shown',
          stack: [
            'AssertionError: expected ExecaError to be an instance of SandboxSetupError',
            '    at /repo/test/integration/linux/setup-status.test.ts:99:7',
            '    at /repo/node_modules/@vitest/runner/dist/chunk-artifact.js:302:11',
            '    at new Promise (<anonymous>)',
          ].join('\n'),
          cause: { name: 'Error', message: 'write EPIPE', code: 'EPIPE' },
        },
      ]),
    );
    expect(text).toBe(
      [
        '    failed attempt, error 1 of 1:',
        '    AssertionError: expected ExecaError to be an instance of SandboxSetupError',
        '    - Expected',
        '    + Received',
        '    exitCode: 125, stderr: "codex-sandbox: the launcher said why"',
        '        at /repo/test/integration/linux/setup-status.test.ts:99:7',
        '    caused by: Error: write EPIPE',
        '    code: "EPIPE"',
        '',
      ].join('\n'),
    );
  });

  it('says so when vitest kept no error', () => {
    expect(failedAttempts(passedAfter(undefined))).toBe('    (vitest kept no error of the failed attempt)\n');
    expect(failedAttempts(passedAfter([]))).toBe('    (vitest kept no error of the failed attempt)\n');
  });
});

/**
 * The outer stage's argument grammar: payload bytes survive exactly, bad input fails setup with
 * exit 125 and a message naming the problem.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { bwrapBase, bwrapWorks, launcher, NO_BWRAP_REASON, PYTHON, runLauncher, SYSTEM_BWRAP } from './harness.js';

describe('launcher payload and options', () => {
  it('non-UTF-8 argument bytes reach the program unchanged', async () => {
    const raw = Buffer.from([0x66, 0xff, 0xfe, 0x80, 0x2f, 0x41]);
    const code = 'import sys, os; sys.stdout.write(os.fsencode(sys.argv[1]).hex())';
    const result = await runLauncher(['--', PYTHON, '-c', code, raw]);
    expect(result.stdout).toBe(raw.toString('hex'));
  });

  it('--chdir changes the working directory before exec (direct mode)', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'codex-native-chdir-')));
    try {
      const result = await runLauncher(['--chdir', dir, '--', 'pwd']);
      expect(result.stdout).toBe(`${dir}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing --chdir directory fails setup with exit 125 naming the path', async () => {
    const result = await runLauncher(['--chdir', '/definitely/missing/dir', '--', 'true']);
    expect(result.code).toBe(125);
    expect(result.stderr).toBe('codex-sandbox: chdir /definitely/missing/dir: No such file or directory\n');
  });

  it('direct mode reports a missing program with exit 127', async () => {
    const result = await runLauncher(['--', 'definitely-not-a-program-xyz']);
    expect(result.code).toBe(127);
  });

  it.each([
    [['--bogus', '--', 'true'], "unknown launcher option '--bogus'"],
    [['--', ], "no program after '--'"],
    [['true'], "unknown launcher option 'true'"],
    [['--seccomp', 'strict:10', '--bwrap', '--', 'true'], "invalid seccomp mode 'strict'"],
    [['--seccomp-self', 'base', '--bwrap', '--', 'true'], '--seccomp-self is for direct mode'],
    [['--devnull', '7', '--', 'true'], 'need --bwrap or --bwrap-verified'],
    [['--bwrap', '--synthetic', '/x', '--', 'true'], '--synthetic needs --registry DIR'],
    [['--bwrap', '--registry', 'relative', '--', 'true'], "'relative' is not an absolute path"],
  ])('rejects %j (exit 125)', async (args, message) => {
    const result = await runLauncher(args);
    expect(result.code).toBe(125);
    expect(result.stderr.startsWith('codex-sandbox: ')).toBe(true);
    expect(result.stderr).toContain(message);
  });

  it('--env-args: records in CODEX_SANDBOX_LAUNCHER_ARGS become the arguments, and the variable is gone before exec', () => {
    const items = ['--', '/bin/sh', '-c', 'printf "%s|" "$@" "${CODEX_SANDBOX_LAUNCHER_ARGS-unset}"', 'sh', 'a b', '', 'é:3', "q'\"\n"];
    const packed = items.map((a) => `${Buffer.byteLength(a)}:${a}`).join('');
    const result = spawnSync(launcher(), ['--env-args'], { env: { PATH: process.env.PATH, CODEX_SANDBOX_LAUNCHER_ARGS: packed }, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(`a b||é:3|q'"\n|unset|`);
  });

  it('the variable never reaches the command, whatever the mode (a caller environment could carry one)', () => {
    const result = spawnSync(launcher(), ['--', '/bin/sh', '-c', 'echo "${CODEX_SANDBOX_LAUNCHER_ARGS-unset}"'], { env: { PATH: process.env.PATH, CODEX_SANDBOX_LAUNCHER_ARGS: '2:--' }, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe('unset\n');
  });

  it.each([
    [undefined, 'CODEX_SANDBOX_LAUNCHER_ARGS is not set'],
    ['2--', 'malformed at byte 1'],
    ['x:', 'malformed at byte 0'],
    ['9:--', 'runs past its end'],
  ])('--env-args rejects %j (exit 125)', (value, message) => {
    const env: Record<string, string | undefined> = { PATH: process.env.PATH };
    if (value !== undefined) env.CODEX_SANDBOX_LAUNCHER_ARGS = value;
    const result = spawnSync(launcher(), ['--env-args'], { env, encoding: 'utf8' });
    expect(result.status).toBe(125);
    expect(result.stderr).toContain(message);
  });

  it('a payload without a trailing NUL is rejected', () => {
    const result = spawnSync(launcher(), ['--payload-fd', '0'], { input: '--\0true', encoding: 'utf8' });
    expect(result.status).toBe(125);
    expect(result.stderr).toContain('does not end with a NUL byte');
  });

  it('the same grammar works on argv directly (debugging)', () => {
    const result = spawnSync(launcher(), ['--', 'sh', '-c', 'echo argv-mode'], { encoding: 'utf8' });
    expect(result.stdout).toBe('argv-mode\n');
  });
});

describe.skipIf(!bwrapWorks)(`honest work under the restricted filter (skipped when ${NO_BWRAP_REASON})`, () => {
  it('python multiprocessing (locks, queues, a pool) works under bwrap + restricted seccomp', async () => {
    const code = [
      'import multiprocessing as mp',
      'def f(l, q):',
      '    with l: q.put(42)',
      'if __name__ == "__main__":',
      '    l = mp.Lock(); q = mp.Queue(); p = mp.Process(target=f, args=(l, q)); p.start(); print(q.get()); p.join()',
      '    with mp.Pool(2) as pool: print(sum(pool.map(abs, range(10))))',
    ].join('\n');
    const result = await runLauncher(['--bwrap', '--seccomp', 'restricted:10', '--', SYSTEM_BWRAP, ...bwrapBase(), '--seccomp', '10', '--', PYTHON, '-c', code]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('42\n45\n');
  });
});

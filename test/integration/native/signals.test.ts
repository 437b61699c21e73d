/**
 * Signals and lifetime: SIGINT/SIGQUIT reach the sandboxed command through the supervising
 * launcher; SIGTERM tears the sandbox down and the launcher dies of SIGTERM; the death of the
 * launcher's Node parent kills the sandbox (PR_SET_PDEATHSIG + bwrap --die-with-parent).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  bwrapBase,
  bwrapWorks,
  hostPidsRunning,
  NO_BWRAP_REASON,
  startLauncher,
  spawnViaNodeParent,
  SYSTEM_BWRAP,
  uniqueSleep,
  waitUntil,
} from './harness.js';

const INFO = ['--info-pipe', '9'];
const BWRAP_INFO = ['--info-fd', '9'];

describe.skipIf(!bwrapWorks)(`signals through the launcher (skipped when ${NO_BWRAP_REASON})`, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'codex-native-signals-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('SIGINT reaches a sandboxed process that traps INT and exits 7; the launcher exits 7', async () => {
    const script = 'trap "exit 7" INT; echo ready; while :; do sleep 0.05; done';
    const run = startLauncher(['--bwrap', ...INFO, '--', SYSTEM_BWRAP, ...bwrapBase(), ...BWRAP_INFO, '--', 'sh', '-c', script]);
    await run.waitForStdout('ready');
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.signal).toBeNull();
    expect(result.code).toBe(7);
  });

  it('SIGQUIT is forwarded the same way', async () => {
    const script = 'trap "exit 9" QUIT; echo ready; while :; do sleep 0.05; done';
    const run = startLauncher(['--bwrap', ...INFO, '--', SYSTEM_BWRAP, ...bwrapBase(), ...BWRAP_INFO, '--', 'sh', '-c', script]);
    await run.waitForStdout('ready');
    run.child.kill('SIGQUIT');
    expect((await run.done).code).toBe(9);
  });

  it.each(['SIGTERM', 'SIGHUP'] as const)('%s: the launcher dies of that signal and the sandboxed process is gone', async (signal) => {
    const tag = uniqueSleep();
    const run = startLauncher(['--bwrap', ...INFO, '--', SYSTEM_BWRAP, ...bwrapBase(), ...BWRAP_INFO, '--', 'sh', '-c', `echo ready; exec sleep ${tag}`]);
    await run.waitForStdout('ready');
    expect(await waitUntil(() => hostPidsRunning(['sleep', tag]).length === 1)).toBe(true);
    run.child.kill(signal);
    const result = await run.done;
    expect(result.signal).toBe(signal);
    expect(await waitUntil(() => hostPidsRunning(['sleep', tag]).length === 0)).toBe(true);
  });

  it('SIGKILL of the Node parent kills the sandboxed sleep (parent-death signal)', async () => {
    const tag = uniqueSleep();
    // An intermediate Node process starts the launcher; killing it must take the sandbox along.
    const payload = ['--bwrap', ...INFO, '--', SYSTEM_BWRAP, ...bwrapBase(), ...BWRAP_INFO, '--', 'sleep', tag];
    const parent = spawnViaNodeParent(payload, dir);
    try {
      expect(await waitUntil(() => hostPidsRunning(['sleep', tag]).length === 1)).toBe(true);
      parent.kill('SIGKILL');
      expect(await waitUntil(() => hostPidsRunning(['sleep', tag]).length === 0)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
      for (const pid of hostPidsRunning(['sleep', tag])) process.kill(pid, 'SIGKILL');
    }
  });

  it('the exit status of the command passes through (bwrap maps a signalled command to 128+N)', async () => {
    const exit3 = await startLauncher(['--bwrap', '--', SYSTEM_BWRAP, ...bwrapBase(), '--', 'sh', '-c', 'exit 3']).done;
    expect(exit3.code).toBe(3);
    const killed = await startLauncher(['--bwrap', '--', SYSTEM_BWRAP, ...bwrapBase(), '--', 'sh', '-c', 'kill -USR1 $$']).done;
    expect(killed.code).toBe(128 + 10);
  });
});

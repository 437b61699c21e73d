/**
 * File-descriptor hygiene: nothing the Node parent holds reaches the sandbox, and every fd the
 * launcher places for bubblewrap (/dev/null for --ro-bind-data, the seccomp memfd, the info pipe)
 * is consumed by bwrap rather than inherited by the command.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { bwrapBase, bwrapWorks, NO_BWRAP_REASON, runLauncher, SYSTEM_BWRAP } from './harness.js';

/** Parses `ls -l /proc/self/fd` into fd → link target. */
function parseFdListing(stdout: string): Map<number, string> {
  const fds = new Map<number, string>();
  for (const line of stdout.split('\n')) {
    const match = /\s(\d+) -> (.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) fds.set(Number(match[1]), match[2]);
  }
  return fds;
}

/** fds other than stdio and ls's own directory fd (which points at /proc/<pid>/fd). */
function strayFds(fds: Map<number, string>): string[] {
  return [...fds.entries()]
    .filter(([fd, target]) => fd > 2 && !/^\/proc\/\d+\/fd$/.test(target))
    .map(([fd, target]) => `${fd} -> ${target}`);
}

describe.skipIf(!bwrapWorks)(`fd hygiene (skipped when ${NO_BWRAP_REASON})`, () => {
  let dir: string;
  let secret: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'codex-native-fds-'));
    secret = join(dir, 'parent-secret.txt');
    writeFileSync(secret, 'secret');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('parent fds 20 and 100 (inherited without CLOEXEC) do not appear inside the sandbox', async () => {
    const fd = openSync(secret, 'r');
    try {
      // stdio slots make libuv dup2 the file onto fds 20 and 100 in the child, without CLOEXEC.
      const extra: Array<'ignore' | number> = [];
      for (let slot = 4; slot <= 100; slot += 1) extra.push(slot === 20 || slot === 100 ? fd : 'ignore');
      const result = await runLauncher(['--bwrap', '--', SYSTEM_BWRAP, ...bwrapBase(), '--', 'ls', '-l', '/proc/self/fd'], {
        extraStdio: extra,
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const fds = parseFdListing(result.stdout);
      expect([...fds.keys()].filter((n) => n <= 2)).toEqual([0, 1, 2]);
      expect(strayFds(fds)).toEqual([]);
      expect(result.stdout).not.toContain('parent-secret');

      // Control: bwrap spawned the same way without the launcher hands both fds to the command.
      const direct = spawnSync(SYSTEM_BWRAP, [...bwrapBase(), '--', 'ls', '-l', '/proc/self/fd'], {
        stdio: ['ignore', 'pipe', 'pipe', 'ignore', ...extra],
        encoding: 'utf8',
      });
      const leaked = parseFdListing(direct.stdout);
      expect(leaked.get(20)).toBe(secret);
      expect(leaked.get(100)).toBe(secret);
    } finally {
      closeSync(fd);
    }
  });

  it('--devnull, --seccomp and --info-pipe fds are consumed by bwrap, not inherited by the command', async () => {
    const result = await runLauncher([
      '--bwrap', '--devnull', '7', '--devnull', '8', '--seccomp', 'restricted:10', '--info-pipe', '9',
      '--', SYSTEM_BWRAP, ...bwrapBase(),
      '--ro-bind-data', '7', '/tmp/empty-a', '--ro-bind-data', '8', '/tmp/empty-b', '--seccomp', '10', '--info-fd', '9',
      '--', 'sh', '-c', 'wc -c < /tmp/empty-a; wc -c < /tmp/empty-b; ls -l /proc/self/fd',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [sizeA, sizeB] = result.stdout.split('\n');
    expect([sizeA?.trim(), sizeB?.trim()]).toEqual(['0', '0']);
    expect(strayFds(parseFdListing(result.stdout))).toEqual([]);
  });

  it('the direct mode program sees only stdio too', async () => {
    const fd = openSync(secret, 'r');
    try {
      const result = await runLauncher(['--', 'ls', '-l', '/proc/self/fd'], { extraStdio: [fd] });
      expect(result.code).toBe(0);
      expect(strayFds(parseFdListing(result.stdout))).toEqual([]);
    } finally {
      closeSync(fd);
    }
  });

  it('the launcher rejects a placed fd below 3 and a duplicate placement (exit 125, message names the option)', async () => {
    const low = await runLauncher(['--bwrap', '--devnull', '2', '--', SYSTEM_BWRAP, '--version']);
    expect(low.code).toBe(125);
    expect(low.stderr).toMatch(/^codex-sandbox: --devnull: invalid fd '2'/);
    const dup = await runLauncher(['--bwrap', '--devnull', '7', '--info-pipe', '7', '--', SYSTEM_BWRAP, '--version']);
    expect(dup.code).toBe(125);
    expect(dup.stderr).toMatch(/^codex-sandbox: --info-pipe: fd 7 is already placed/);
  });
});

/**
 * Synthetic mount-target registry: placeholders bwrap creates on the host for missing mount
 * targets are removed after the last sandbox using them exits; pre-existing targets stay.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  bwrapBase,
  bwrapWorks,
  hostPidsRunning,
  NO_BWRAP_REASON,
  runLauncher,
  spawnViaNodeParent,
  startLauncher,
  SYSTEM_BWRAP,
  uniqueSleep,
  waitUntil,
} from './harness.js';

describe.skipIf(!bwrapWorks)(`synthetic-target registry (skipped when ${NO_BWRAP_REASON})`, () => {
  let root: string;
  let work: string;
  let registry: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'codex-native-registry-'));
    work = join(root, 'work');
    registry = join(root, 'registry');
    mkdirSync(work);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** Launcher args: `work` writable, `target` masked by an empty read-only file (--ro-bind-data). */
  function maskArgs(target: string, command: string[]): string[] {
    return [
      '--bwrap', '--devnull', '7', '--registry', registry, '--synthetic', target,
      '--', SYSTEM_BWRAP, ...bwrapBase(), '--bind', work, work, '--ro-bind-data', '7', target,
      '--', ...command,
    ];
  }

  it('a placeholder created for a missing target is removed after exit (the command saw it as a read-only empty file)', async () => {
    const target = join(work, 'missing-config');
    const result = await runLauncher(maskArgs(target, ['sh', '-c', `test -f ${target} && ! { echo x > ${target}; } 2>/dev/null && echo masked`]));
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('masked\n');
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(registry).filter((name) => name !== 'lock')).toEqual([]);
  });

  it('a target that existed before the run stays', async () => {
    const target = join(work, 'existing-empty');
    writeFileSync(target, '');
    const result = await runLauncher(maskArgs(target, ['true']));
    expect(result.code).toBe(0);
    expect(existsSync(target)).toBe(true);
  });

  it('two concurrent launchers sharing a target: the first to exit does not remove it', async () => {
    const target = join(work, 'shared');
    const long = startLauncher(maskArgs(target, ['sh', '-c', 'echo ready; read line; test -f ' + target + ' && echo still-mounted']), {
      stdin: 'pipe',
    });
    await long.waitForStdout('ready');
    const short = await runLauncher(maskArgs(target, ['true']));
    expect(short.code).toBe(0);
    // The long-running sandbox still has its mount on the placeholder: it must survive.
    expect(existsSync(target)).toBe(true);
    long.child.stdin?.end('go\n');
    const result = await long.done;
    expect(result.stdout).toContain('still-mounted');
    expect(existsSync(target)).toBe(false);
  });

  it('an empty placeholder directory (missing --tmpfs target) is removed after exit', async () => {
    const target = join(work, 'dir-target');
    const args = [
      '--bwrap', '--registry', registry, '--synthetic', target,
      '--', SYSTEM_BWRAP, ...bwrapBase(), '--bind', work, work, '--tmpfs', target, '--', 'true',
    ];
    expect((await runLauncher(args)).code).toBe(0);
    expect(existsSync(target)).toBe(false);
  });

  it('cleanup never follows a parent directory swapped for a symlink (the victim empty file survives)', async () => {
    const sub = join(work, 'sub');
    mkdirSync(sub);
    const target = join(sub, 'placeholder');
    const victimDir = join(root, 'victim');
    mkdirSync(victimDir);
    const victim = join(victimDir, 'placeholder');
    writeFileSync(victim, '');
    const run = startLauncher(maskArgs(target, ['sh', '-c', 'echo ready; read line']), { stdin: 'pipe' });
    await run.waitForStdout('ready');
    expect(existsSync(target)).toBe(true);
    // What a sandboxed command with write access to `work` could do from another sandbox:
    // move the real directory away and point its name at a directory elsewhere.
    renameSync(sub, join(work, 'sub-moved'));
    symlinkSync(victimDir, sub);
    run.child.stdin?.end('go\n');
    expect((await run.done).code).toBe(0);
    expect(existsSync(victim)).toBe(true);
  });

  it('when the Node parent is SIGKILLed, the launcher still removes the placeholder (parent-death SIGTERM)', async () => {
    const target = join(work, 'orphaned');
    const tag = uniqueSleep();
    const parent = spawnViaNodeParent(maskArgs(target, ['sleep', tag]), root);
    try {
      expect(await waitUntil(() => hostPidsRunning(['sleep', tag]).length === 1)).toBe(true);
      expect(existsSync(target)).toBe(true);
      parent.kill('SIGKILL');
      expect(await waitUntil(() => hostPidsRunning(['sleep', tag]).length === 0)).toBe(true);
      expect(await waitUntil(() => !existsSync(target))).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('a placeholder left by a SIGKILLed launcher (no cleanup ran) is removed by the next launch', async () => {
    const abandoned = join(work, 'abandoned');
    const tag = uniqueSleep();
    const killed = startLauncher(maskArgs(abandoned, ['sleep', tag]));
    expect(await waitUntil(() => hostPidsRunning(['sleep', tag]).length === 1)).toBe(true);
    expect(existsSync(abandoned)).toBe(true);
    killed.child.kill('SIGKILL');
    await killed.done;
    expect(await waitUntil(() => hostPidsRunning(['sleep', tag]).length === 0)).toBe(true);
    // Control: nothing removed it yet — the launcher never got to release its entry.
    expect(existsSync(abandoned)).toBe(true);
    expect(readdirSync(registry).filter((name) => name !== 'lock')).toHaveLength(1);

    const next = await runLauncher(maskArgs(join(work, 'other'), ['true']));
    expect(next.code).toBe(0);
    expect(existsSync(abandoned)).toBe(false);
    expect(readdirSync(registry).filter((name) => name !== 'lock')).toEqual([]);
  });

  it('a target whose name holds a newline and a tab is registered and its placeholder removed', async () => {
    const target = join(work, 'odd\nname\there');
    const result = await runLauncher(maskArgs(target, ['true']));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(registry).filter((name) => name !== 'lock')).toEqual([]);
  });

  it('a registry table in an unknown format stops the launch (exit 125, names the file) rather than forgetting live sandboxes', async () => {
    mkdirSync(registry, { mode: 0o700 });
    writeFileSync(join(registry, 'table'), 'not a table\n');
    const target = join(work, 'x');
    const result = await runLauncher(maskArgs(target, ['true']));
    expect(result.code).toBe(125);
    expect(result.stderr).toContain(`registry: the table in ${registry} is not in the expected format`);
    expect(existsSync(target)).toBe(false);
  });

  it('refuses a registry that is a symlink (exit 125, names the path)', async () => {
    const real = join(root, 'real-registry');
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, registry);
    const result = await runLauncher(maskArgs(join(work, 'x'), ['true']));
    expect(result.code).toBe(125);
    expect(result.stderr).toContain(`codex-sandbox: registry: opening ${registry}: `);
  });

  it('refuses a group-writable registry', async () => {
    mkdirSync(registry);
    chmodSync(registry, 0o770);
    const result = await runLauncher(maskArgs(join(work, 'x'), ['true']));
    expect(result.code).toBe(125);
    expect(result.stderr).toContain('writable by group or others');
  });

  it.skipIf(process.geteuid?.() !== 0)('refuses a registry owned by another user (needs root to chown; skipped otherwise)', async () => {
    mkdirSync(registry, { mode: 0o700 });
    chownSync(registry, 4242, 4242);
    const result = await runLauncher(maskArgs(join(work, 'x'), ['true']));
    expect(result.code).toBe(125);
    expect(result.stderr).toContain('owned by uid 4242');
  });
});

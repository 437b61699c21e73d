/**
 * Synthetic mount-target registry: placeholders bwrap creates on the host for missing mount
 * targets are removed after the last sandbox using them exits; pre-existing targets stay.
 * Format 3 (native/launcher/registry.cc): launchers-3/<launcher> record files (flock = liveness),
 * hard-linked into paths-3/<sha256(target)>/ (its sticky bit: bwrap created the placeholder); the older formats'
 * tables (`table-2`, `table`) are still honoured.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  bwrapBase,
  bwrapWorks,
  CONFINE_BWRAP,
  CONFINE_LAUNCHER,
  launcher,
  hostPidsRunning,
  NO_BWRAP_REASON,
  runLauncher,
  spawnViaNodeParent,
  startLauncher,
  SYSTEM_BWRAP,
  uniqueSleep,
  waitUntil,
} from './harness.js';

/** Format 2's table (main before format 3), still honoured; format 1's is `table`. */
const TABLE = 'table-2';
const LAUNCHERS = 'launchers-3';
/** A target directory's mode when bwrap created the placeholder (the sticky bit; 0700 when it existed). */
const SYNTHETIC_MODE = 0o1700;
const PATHS = 'paths-3';

/** registry.cc path_key: the directory name of a target in paths-3. */
function pathKey(target: string): string {
  return createHash('sha256').update(target).digest('hex');
}

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

  /** A target directory kept for the next launch: empty, origin bit clear (registry.cc finish_path). */
  function idle(dir: string): boolean {
    const st = statSync(dir);
    return st.isDirectory() && (st.mode & 0o7777) === 0o700 && readdirSync(dir).length === 0;
  }

  /** What the registry holds besides its lock, the (possibly empty) format-3 directories and idle target directories. */
  function leftovers(): string[] {
    if (!existsSync(registry)) return [];
    const out: string[] = [];
    for (const name of readdirSync(registry)) {
      if (name === 'lock') continue;
      if (name === LAUNCHERS) out.push(...readdirSync(join(registry, name)).map((sub) => `${name}/${sub}`));
      else if (name === PATHS) out.push(...readdirSync(join(registry, name)).filter((sub) => !idle(join(registry, name, sub))).map((sub) => `${name}/${sub}`));
      else out.push(name);
    }
    return out.sort();
  }

  /** Launcher args: `work` writable, `target` masked by an empty read-only file (--ro-bind-data). */
  function maskArgs(target: string, command: string[]): string[] {
    return [
      '--bwrap', '--devnull', '7', '--registry', registry, '--synthetic', target,
      '--', SYSTEM_BWRAP, ...bwrapBase(), '--bind', work, work, '--ro-bind-data', '7', target,
      '--', ...command,
    ];
  }

  /** maskArgs shaped like the Linux plan: the inner stage reports the start on the started pipe. */
  function startedMaskArgs(target: string, command: string[]): string[] {
    return [
      '--info-pipe', '4', '--started-pipe', '5', ...CONFINE_LAUNCHER,
      '--bwrap', '--devnull', '7', '--registry', registry, '--synthetic', target,
      '--', SYSTEM_BWRAP, ...bwrapBase(), ...CONFINE_BWRAP, '--info-fd', '4', '--bind', work, work, '--ro-bind-data', '7', target,
      '--', launcher(), '--inner', '--started-fd', '5', '--', ...command,
    ];
  }

  /** Plants a format-3 record of a dead launcher (its pid `pid`, no lock held) using `targets`. */
  function plantDeadRecord(name: string, targets: string[]): void {
    mkdirSync(join(registry, LAUNCHERS), { recursive: true, mode: 0o700 });
    writeFileSync(join(registry, LAUNCHERS, name), targets.map((t) => `${t}\0`).join(''));
    for (const t of targets) {
      const dir = join(registry, PATHS, pathKey(t));
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      linkSync(join(registry, LAUNCHERS, name), join(dir, name));
      chmodSync(dir, SYNTHETIC_MODE);
    }
  }

  it('a placeholder created for a missing target is removed after exit (the command saw it as a read-only empty file)', async () => {
    const target = join(work, 'missing-config');
    const result = await runLauncher(maskArgs(target, ['sh', '-c', `test -f ${target} && ! { echo x > ${target}; } 2>/dev/null && echo masked`]));
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('masked\n');
    expect(existsSync(target)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('a target directory is kept idle between launches (origin bit cleared before the placeholder goes), re-used, and swept once idle for 10 minutes', async () => {
    const target = join(work, 'missing-again');
    const dir = join(registry, PATHS, pathKey(target));
    for (let i = 0; i < 2; i++) {
      const result = await runLauncher(maskArgs(target, ['sh', '-c', `test -f ${target} && echo masked`]));
      expect(result.stdout).toBe('masked\n');
      expect(existsSync(target)).toBe(false);
      // Kept, idle: a later registrant must not read it as "synthetic, launchers killed" and remove what is there by then.
      expect(idle(dir)).toBe(true);
    }
    const inode = statSync(dir).ino;
    // A real file appears at the path between runs: the next run sees an existing target and leaves it.
    writeFileSync(target, '');
    expect((await runLauncher(maskArgs(target, ['true']))).stderr).toBe('');
    expect(existsSync(target)).toBe(true);
    expect(statSync(dir).ino).toBe(inode);
    rmSync(target);
    // Idle for longer than kIdleAfterSeconds: the next launches' sweep removes it.
    const old = new Date(Date.now() - 20 * 60 * 1000);
    utimesSync(dir, old, old);
    const other = join(work, 'another-target');
    for (let i = 0; i < 3 && existsSync(dir); i++) await runLauncher(maskArgs(other, ['true']));
    expect(existsSync(dir)).toBe(false);
    expect(leftovers()).toEqual([]);
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

  it('the same with the plan’s launch shape (start reported, window record gone): only the format-3 lock keeps the shared placeholder', async () => {
    // With a start report format 2's window record goes once the command runs (see below), so the
    // first launcher's flock on its format-3 record is all that tells the second it is still in use.
    const target = join(work, 'shared-started');
    const long = startLauncher(startedMaskArgs(target, ['sh', '-c', 'echo ready; read line; test -f ' + target + ' && echo still-mounted']), {
      stdin: 'pipe',
    });
    await long.waitForStdout('ready');
    expect(await waitUntil(() => !existsSync(join(registry, TABLE)))).toBe(true);
    const short = await runLauncher(startedMaskArgs(target, ['true']));
    expect(short.code, short.stderr).toBe(0);
    expect(existsSync(target)).toBe(true);
    long.child.stdin?.end('go\n');
    const result = await long.done;
    expect(result.stdout).toContain('still-mounted');
    expect(existsSync(target)).toBe(false);
    expect(leftovers()).toEqual([]);
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
    // Its record file, its target's directory, and the format-2 record covering its start (no
    // start report in this launch shape; see registry_started).
    expect(leftovers()).toEqual([expect.stringMatching(new RegExp(`^${LAUNCHERS}/${killed.child.pid}\\.`)), `${PATHS}/${pathKey(abandoned)}`, TABLE]);

    const next = await runLauncher(maskArgs(join(work, 'other'), ['true']));
    expect(next.code).toBe(0);
    expect(existsSync(abandoned)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('liveness is the launcher\'s lock, not its pid: a record whose pid now belongs to an unrelated live process is swept', async () => {
    // A launcher SIGKILLed long ago; its pid has since been reused by some other process (here a
    // sleep we start, which holds no registry lock). kill(pid, 0) would call that record live forever.
    const stale = join(work, 'stale-placeholder');
    writeFileSync(stale, '');
    const unrelated = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const pid = unrelated.pid ?? 0;
      expect(pid).toBeGreaterThan(0);
      mkdirSync(registry, { mode: 0o700 });
      writeFileSync(join(registry, TABLE), `L${pid}\0s\0${stale}\0`);
      const next = await runLauncher(maskArgs(join(work, 'other'), ['true']));
      expect(next.stderr).toBe('');
      expect(next.code).toBe(0);
      expect(existsSync(stale)).toBe(false);
      expect(leftovers()).toEqual([]);
    } finally {
      unrelated.kill('SIGKILL');
    }
  });

  it("a live launcher's records are never swept by other launches (it holds its lock), and go when it exits", async () => {
    const held = join(work, 'held');
    const tag = uniqueSleep();
    const first = startLauncher(maskArgs(held, ['sleep', tag]));
    expect(await waitUntil(() => hostPidsRunning(['sleep', tag]).length === 1)).toBe(true);
    expect(existsSync(held)).toBe(true);
    for (let i = 0; i < 3; i += 1) {
      const other = await runLauncher(maskArgs(join(work, `other-${i}`), ['true']));
      expect(other.code).toBe(0);
      expect(existsSync(held)).toBe(true);
      const own = readdirSync(join(registry, LAUNCHERS)).filter((name) => name.startsWith(`${first.child.pid}.`));
      expect(own).toHaveLength(1);
      expect(readFileSync(join(registry, LAUNCHERS, own[0] ?? ''), 'utf8')).toBe(`${held}\0`);
      expect(readdirSync(join(registry, PATHS, pathKey(held)))).toEqual(own);
      expect(statSync(join(registry, PATHS, pathKey(held))).mode & 0o7777).toBe(SYNTHETIC_MODE);
    }
    first.child.kill('SIGTERM');
    await first.done;
    expect(existsSync(held)).toBe(false);
  });

  it('a record in the older pid-only format stays judged by kill(pid, 0): a live pid keeps its placeholder', async () => {
    const kept = join(work, 'kept-placeholder');
    writeFileSync(kept, '');
    mkdirSync(registry, { mode: 0o700 });
    writeFileSync(join(registry, TABLE), `${process.pid}\0s\0${kept}\0`);
    const next = await runLauncher(maskArgs(join(work, 'other'), ['true']));
    expect(next.code).toBe(0);
    expect(existsSync(kept)).toBe(true);
  });

  it("an older version's table (pid-only records in `table`) that shares no target is left as it is: both versions run side by side", async () => {
    const theirs = join(work, 'older-version-placeholder');
    writeFileSync(theirs, '');
    mkdirSync(registry, { mode: 0o700 });
    const older = `${process.pid}\0s\0${theirs}\0`;
    writeFileSync(join(registry, 'table'), older);
    const tag = uniqueSleep();
    const mine = join(work, 'mine');
    const running = startLauncher(maskArgs(mine, ['sleep', tag]));
    expect(await waitUntil(() => hostPidsRunning(['sleep', tag]).length === 1)).toBe(true);
    // Ours is in format 3 (and in table-2 for its start window); theirs untouched.
    expect(readdirSync(join(registry, PATHS))).toEqual([pathKey(mine)]);
    expect(readFileSync(join(registry, 'table'), 'utf8')).toBe(older);
    running.child.kill('SIGTERM');
    await running.done;
    expect(existsSync(mine)).toBe(false);
    expect(existsSync(theirs)).toBe(true);
    expect(readFileSync(join(registry, 'table'), 'utf8')).toBe(older);
  });

  it('format 3: a record file named by a pid that now belongs to an unrelated live process (no lock held) is swept, its placeholder removed', async () => {
    const stale = join(work, 'stale-3');
    writeFileSync(stale, '');
    const unrelated = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const pid = unrelated.pid ?? 0;
      expect(pid).toBeGreaterThan(0);
      plantDeadRecord(`${pid}.1`, [stale]);
      const next = await runLauncher(maskArgs(join(work, 'other'), ['true']));
      expect(next.stderr).toBe('');
      expect(next.code).toBe(0);
      expect(existsSync(stale)).toBe(false);
      expect(leftovers()).toEqual([]);
    } finally {
      unrelated.kill('SIGKILL');
    }
  });

  it('dead launchers are swept a few per launch (constant cost), round-robin, until none is left', async () => {
    const stale = Array.from({ length: 10 }, (_, i) => join(work, `stale-${i}`));
    for (const [i, s] of stale.entries()) {
      writeFileSync(s, '');
      plantDeadRecord(`${4_000_000 + i}.1`, [s]);
    }
    expect((await runLauncher(maskArgs(join(work, 'other'), ['true']))).code).toBe(0);
    // kSweepPerLaunch (4) checked by that launch, not all ten.
    expect(stale.filter((s) => existsSync(s))).toHaveLength(6);
    expect((await runLauncher(maskArgs(join(work, 'other'), ['true']))).code).toBe(0);
    expect((await runLauncher(maskArgs(join(work, 'other'), ['true']))).code).toBe(0);
    expect(stale.filter((s) => existsSync(s))).toEqual([]);
    expect(leftovers()).toEqual([]);
  });

  it("a dead launcher's entry met in a target's directory is dropped at once, and the target decided afresh", async () => {
    const target = join(work, 'reused');
    writeFileSync(target, ''); // the placeholder a SIGKILLed launcher left
    plantDeadRecord('4100000.1', [target]);
    const result = await runLauncher(maskArgs(target, ['sh', '-c', `test -f ${target} && echo masked`]));
    expect(result.stdout).toBe('masked\n');
    // Decided afresh as synthetic (the stale one was removed first), so this launch removed it.
    expect(existsSync(target)).toBe(false);
  });

  it("format 2's window record: from registration until the sandbox reports its start, then dropped", async () => {
    const target = join(work, 'windowed');
    // Without a start report (this launch shape) the record covers the whole run.
    const tag = uniqueSleep();
    const plain = startLauncher(maskArgs(target, ['sleep', tag]));
    expect(await waitUntil(() => hostPidsRunning(['sleep', tag]).length === 1)).toBe(true);
    expect(readFileSync(join(registry, TABLE), 'utf8')).toBe(`L${plain.child.pid}\0s\0${target}\0`);
    plain.child.kill('SIGTERM');
    await plain.done;
    expect(existsSync(join(registry, TABLE))).toBe(false);
    expect(existsSync(target)).toBe(false);
    // With the started pipe: gone once the command runs, while format 3 keeps the target.
    const tag2 = uniqueSleep();
    const started = startLauncher(startedMaskArgs(target, ['sleep', tag2]));
    expect(await waitUntil(() => hostPidsRunning(['sleep', tag2]).length === 1)).toBe(true);
    expect(await waitUntil(() => !existsSync(join(registry, TABLE)))).toBe(true);
    expect(existsSync(target)).toBe(true);
    expect(statSync(join(registry, PATHS, pathKey(target))).mode & 0o7777).toBe(SYNTHETIC_MODE);
    started.child.kill('SIGTERM');
    const done = await started.done;
    expect(done.stderr).toBe('');
    expect(existsSync(target)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it("an older version's live record in `table` (format 1) for our target: we add ours there while we run, and its placeholder stays", async () => {
    const shared = join(work, 'shared-with-format-1');
    writeFileSync(shared, ''); // their placeholder
    mkdirSync(registry, { mode: 0o700 });
    const theirs = `${process.pid}\0s\0${shared}\0`;
    writeFileSync(join(registry, 'table'), theirs);
    const tag = uniqueSleep();
    const running = startLauncher(maskArgs(shared, ['sleep', tag]));
    expect(await waitUntil(() => hostPidsRunning(['sleep', tag]).length === 1)).toBe(true);
    // That version reads only `table`: our record there keeps it from removing the placeholder
    // under our sandbox if it exits first.
    expect(readFileSync(join(registry, 'table'), 'utf8')).toBe(`${theirs}${running.child.pid}\0s\0${shared}\0`);
    running.child.kill('SIGTERM');
    await running.done;
    expect(existsSync(shared)).toBe(true);
    expect(readFileSync(join(registry, 'table'), 'utf8')).toBe(theirs);
  });

  it('a target whose name holds a newline and a tab is registered and its placeholder removed', async () => {
    const target = join(work, 'odd\nname\there');
    const result = await runLauncher(maskArgs(target, ['true']));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(existsSync(target)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('a registry table in an unknown format stops the launch (exit 125, names the file) rather than forgetting live sandboxes', async () => {
    mkdirSync(registry, { mode: 0o700 });
    writeFileSync(join(registry, TABLE), 'not a table\n');
    const target = join(work, 'x');
    const result = await runLauncher(maskArgs(target, ['true']));
    expect(result.code).toBe(125);
    expect(result.stderr).toContain(`registry: ${registry}/${TABLE} is not in the expected format; remove that file`);
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

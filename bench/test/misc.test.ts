import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, it, expect, afterEach } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchConfig, parseBenchArgs } from '../args.js';
import { readRegistryTable, watchPlaceholders } from '../placeholders.js';
import { evaluateTargets } from '../targets.js';
import type { BenchReport } from '../report.js';

describe('parseBenchArgs', () => {
  it('accepts --json and --quick', () => {
    expect(parseBenchArgs(['--quick', '--json'])).toEqual({ json: true, quick: true, help: false });
  });

  it('rejects an unknown flag and shows the usage', () => {
    expect(() => parseBenchArgs(['--fast'])).toThrow(/unknown bench option "--fast"[\s\S]*usage: npm run bench/);
  });

  it('makes the quick run smaller than the full run in every dimension', () => {
    const q = benchConfig(true);
    const f = benchConfig(false);
    expect(q.spawnRounds).toBeLessThan(f.spawnRounds);
    expect(q.processRounds).toBeLessThan(f.processRounds);
    expect(q.throughputCommands).toBeLessThan(f.throughputCommands);
    expect(Math.max(...q.treeSizes)).toBeLessThan(Math.max(...f.treeSizes));
    expect(f.treeSizes).toEqual([1000, 10000, 100000]);
    expect(f.throughputCommands).toBe(500);
    expect(f.concurrency).toEqual([1, 8, 32]);
  });
});

describe('readRegistryTable', () => {
  it('reads the older launchers\' table format (NUL-separated [L]pid, origin, path) and ignores a missing table', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-reg-'));
    try {
      expect(readRegistryTable(dir)).toEqual([]);
      writeFileSync(join(dir, 'table-2'), Buffer.from('L56\0s\0/w/.codex\0', 'utf8'));
      expect(readRegistryTable(dir)).toEqual([{ pid: 56, origin: 's', path: '/w/.codex' }]);
      writeFileSync(join(dir, 'table'), Buffer.from('12\0s\0/w/.git\0' + '34\0e\0/w/odd\nname\0', 'utf8'));
      expect(readRegistryTable(dir, 'table')).toEqual([
        { pid: 12, origin: 's', path: '/w/.git' },
        { pid: 34, origin: 'e', path: '/w/odd\nname' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('watchPlaceholders', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('removes only bare placeholders that appeared after it started watching', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bench-ph-'));
    const pre = join(dir, 'pre');
    mkdirSync(pre);
    const targets = ['pre', 'emptyDir', 'emptyFile', 'fullDir', 'fullFile', 'never'].map((n) => join(dir as string, n));
    const guard = watchPlaceholders(targets, undefined);
    mkdirSync(join(dir, 'emptyDir'));
    writeFileSync(join(dir, 'emptyFile'), '');
    mkdirSync(join(dir, 'fullDir'));
    writeFileSync(join(dir, 'fullDir', 'x'), 'x');
    writeFileSync(join(dir, 'fullFile'), 'data');
    expect((await guard.cleanup()).sort()).toEqual([join(dir, 'emptyDir'), join(dir, 'emptyFile')]);
    expect(existsSync(pre)).toBe(true);
    expect(existsSync(join(dir, 'fullDir', 'x'))).toBe(true);
    expect(existsSync(join(dir, 'fullFile'))).toBe(true);
  });

  it('leaves a placeholder that a live launcher has registered', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bench-ph-'));
    const target = join(dir, '.git');
    const registry = join(dir, 'registry');
    const guard = watchPlaceholders([target], registry);
    mkdirSync(target);
    mkdirSync(registry);
    writeFileSync(join(registry, 'table'), `${process.pid}\0s\0${target}\0`);
    expect(await guard.cleanup()).toEqual([]);
    expect(existsSync(target)).toBe(true);
    // Format 3: a launcher entry in the target's directory.
    rmSync(join(registry, 'table'));
    const entry = join(registry, 'paths-3', createHash('sha256').update(target).digest('hex'));
    mkdirSync(entry, { recursive: true });
    writeFileSync(join(entry, `${process.pid}.1`), '');
    expect(await guard.cleanup()).toEqual([]);
    expect(existsSync(target)).toBe(true);
    rmSync(join(entry, `${process.pid}.1`));
    expect(await guard.cleanup()).toEqual([target]);
  });

  it('removes nothing while another process holds the registry lock (a launcher registering the target), then removes it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bench-ph-'));
    const target = join(dir, '.git');
    const registry = join(dir, 'registry');
    mkdirSync(registry);
    const guard = watchPlaceholders([target], registry);
    mkdirSync(target);
    // flock(1) holding the lock as a launcher does while it registers (native/launcher/registry.cc RegistryLock).
    const holder = spawn('flock', ['-x', join(registry, 'lock'), 'sh', '-c', 'echo held; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    let settled = false;
    const removal = guard.cleanup().finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled).toBe(false);
    expect(existsSync(target)).toBe(true);
    holder.stdin.end();
    expect(await removal).toEqual([target]);
    expect(existsSync(target)).toBe(false);
  });
});

describe('evaluateTargets', () => {
  const summary = (median: number) => ({ n: 1, median, p10: median, p90: median, min: median, max: median });
  const figures = (lib: number, micros: number): Pick<BenchReport, 'ratios' | 'transform' | 'globScan' | 'hostProbe'> => ({
    ratios: {
      libraryOverRawBwrap: { value: lib, pairedP10: lib, pairedP90: lib },
      libraryOverRawBwrapNoInner: undefined,
      rawBwrapOverBare: undefined,
      libraryOverBare: undefined,
      defaultLimitsCost: undefined,
      cliOverFloor: undefined,
      srtOverLibrary: undefined,
      srtCliOverCli: { value: 12, pairedP10: 12, pairedP90: 12 },
    },
    transform: [{ preset: 'read-only', kind: 'linux-bwrap', microsPerCall: summary(micros) }],
    globScan: [],
    hostProbe: { firstMs: 10, repeatMicros: 1, sameFactsObject: true },
  });

  it('marks each target met or missed from the figures, and n/a when a figure is missing', () => {
    const byName = (lib: number, micros: number) => Object.fromEntries(evaluateTargets(figures(lib, micros)).map((t) => [t.name, t.met]));
    expect(byName(0.95, 40)).toMatchObject({
      'library / raw bwrap': true,
      'CLI / (node -e 0 + raw bwrap)': undefined,
      'transform() read-only (µs)': true,
      'srt CLI / our CLI': true,
      'host probed once per process': true,
    });
    expect(byName(1.2, 60)).toMatchObject({ 'library / raw bwrap': false, 'transform() read-only (µs)': false });
  });

  it('compares our CLI with codex sandbox when it was measured (issue #21), n/a otherwise', () => {
    const codexTarget = (value: number | undefined) => {
      const f = figures(1, 1);
      const ratios = value === undefined ? f.ratios : { ...f.ratios, cliOverCodex: { value, pairedP10: value, pairedP90: value } };
      return evaluateTargets({ ...f, ratios }).find((t) => t.name === 'CLI / codex sandbox');
    };
    expect(codexTarget(0.8)).toMatchObject({ value: 0.8, met: true, goal: '≤ 1x' });
    expect(codexTarget(1.2)).toMatchObject({ met: false });
    expect(codexTarget(undefined)).toMatchObject({ value: undefined, met: undefined });
  });

  it('compares srt with ours at 5x (issue #21), and with what our side cannot avoid when measured', () => {
    const r = (value: number) => ({ value, pairedP10: value, pairedP90: value });
    const srt = (extra: Partial<BenchReport['ratios']>) => evaluateTargets({ ...figures(1, 1), ratios: { ...figures(1, 1).ratios, srtOverLibrary: r(4), ...extra } }).filter((t) => t.name.startsWith('srt '));
    expect(srt({}).map((t) => [t.name, t.goal, t.met])).toEqual([
      ['srt CLI / our CLI', '≥ 5x', true],
      ['srt library / our library', '≥ 5x', false],
    ]);
    const withFloors = srt({ srtCliOverFloor: r(4.2), srtOverRawBwrap: r(4.5) });
    expect(withFloors[2]).toMatchObject({ name: 'srt CLI / (node -e 0 + raw bwrap), floor', value: 4.2, met: false, goal: '≥ 5x to be reachable' });
    // 5x srt over the library when srt is 4.5x raw bwrap: the library at 0.9x raw bwrap.
    expect(withFloors[3]).toMatchObject({ name: 'srt library / raw bwrap', met: false, goal: '≥ 5x, else the library goal needs ≤ 0.90x raw bwrap' });
    expect(srt({ srtOverRawBwrap: r(6) })[2]).toMatchObject({ met: true });
  });

  it('compares planning with the most roots measured against planning with one (issue #21)', () => {
    const row = (roots: number, ms: number, fsMs = 0) => ({ roots, ms: summary(ms), argc: roots * 10, fsMs: summary(fsMs), fsCalls: roots * 7 });
    const targets = (rows: ReturnType<typeof row>[]) => evaluateTargets({ ...figures(1, 1), rootScaling: rows }).filter((t) => t.name.startsWith('planning '));
    const target = (rows: ReturnType<typeof row>[]) => targets(rows)[0];
    expect(target([row(1, 1), row(16, 4), row(256, 9)])).toMatchObject({ name: 'planning 256 roots / 1 root', value: 9, met: true });
    expect(target([row(256, 30), row(1, 2)])).toMatchObject({ value: 15, met: false });
    expect(target([row(16, 3)])).toBeUndefined();
    // The floor: one root plus the extra roots' filesystem questions alone, over one root.
    expect(targets([row(1, 2, 0.5), row(256, 30, 20.5)])[1]).toMatchObject({ name: 'planning 256 roots / 1 root, floor (fs questions alone)', value: 11, met: false });
    expect(targets([row(1, 2, 0.5), row(256, 30, 10.5)])[1]).toMatchObject({ value: 6, met: true });
  });
});

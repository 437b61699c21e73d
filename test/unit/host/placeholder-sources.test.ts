/**
 * The prepared placeholder sources (src/host/placeholder-sources.ts) on real files: created with the
 * modes the planner relies on, and never used (nor repaired) when anything about them is off.
 */
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PLACEHOLDER_DIR, PLACEHOLDER_FILE, preparePlaceholderSources } from '../../../src/host/placeholder-sources.js';

const uid = process.geteuid?.() ?? 0;
const isRoot = uid === 0;

describe.skipIf(process.platform === 'win32')('placeholder sources in the registry directory', () => {
  let base: string;
  let reg: string;
  let problems: string[];
  const prepare = () => preparePlaceholderSources(reg, { onIgnored: (p) => problems.push(p) });
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'csbx-phsrc-'));
    reg = join(base, 'reg');
    problems = [];
  });
  afterEach(() => {
    for (const p of [join(reg, PLACEHOLDER_DIR)]) {
      try {
        chmodSync(p, 0o755);
      } catch {
        // already gone
      }
    }
    rmSync(base, { recursive: true, force: true });
  });

  it('creates the registry directory 0700, an empty 0555 directory and an empty 0444 file, and reuses them', () => {
    const s = prepare();
    expect(s).toEqual({ emptyDir: join(reg, PLACEHOLDER_DIR), emptyFile: join(reg, PLACEHOLDER_FILE) });
    expect(lstatSync(reg).mode & 0o7777).toBe(0o700);
    expect(lstatSync(s.emptyDir ?? '').mode & 0o7777).toBe(0o555);
    const f = lstatSync(s.emptyFile ?? '');
    expect([f.mode & 0o7777, f.size, f.nlink]).toEqual([0o444, 0, 1]);
    expect(readdirSync(reg).sort()).toEqual([PLACEHOLDER_DIR, PLACEHOLDER_FILE]); // no temp file left
    expect(prepare()).toEqual(s);
    expect(problems).toEqual([]);
  });

  it('a non-empty directory or file is not used, and left as it is', () => {
    prepare();
    chmodSync(join(reg, PLACEHOLDER_DIR), 0o755);
    writeFileSync(join(reg, PLACEHOLDER_DIR, 'pre-commit'), '#!/bin/sh\n');
    chmodSync(join(reg, PLACEHOLDER_DIR), 0o555);
    chmodSync(join(reg, PLACEHOLDER_FILE), 0o644);
    writeFileSync(join(reg, PLACEHOLDER_FILE), 'x');
    chmodSync(join(reg, PLACEHOLDER_FILE), 0o444);
    expect(prepare()).toEqual({});
    expect(problems.join('\n')).toMatch(/placeholder-dir-1 is not empty[\s\S]*placeholder-file-1 is not empty/);
    expect(readdirSync(join(reg, PLACEHOLDER_DIR))).toEqual(['pre-commit']);
  });

  it('symlinks in their place are not followed (nor replaced)', () => {
    mkdirSync(reg, { mode: 0o700 });
    const elsewhere = join(base, 'elsewhere');
    mkdirSync(elsewhere, { mode: 0o555 });
    writeFileSync(join(base, 'f'), '');
    chmodSync(join(base, 'f'), 0o444);
    symlinkSync(elsewhere, join(reg, PLACEHOLDER_DIR));
    symlinkSync(join(base, 'f'), join(reg, PLACEHOLDER_FILE));
    expect(prepare()).toEqual({});
    expect(problems.join('\n')).toMatch(/placeholder-dir-1 is not a directory[\s\S]*placeholder-file-1 is not a regular file/);
    expect(lstatSync(join(reg, PLACEHOLDER_DIR)).isSymbolicLink()).toBe(true);
  });

  it('a writable directory, a writable file or a file with a second link is not used', () => {
    mkdirSync(reg, { mode: 0o700 });
    mkdirSync(join(reg, PLACEHOLDER_DIR));
    chmodSync(join(reg, PLACEHOLDER_DIR), 0o755);
    writeFileSync(join(reg, PLACEHOLDER_FILE), '');
    chmodSync(join(reg, PLACEHOLDER_FILE), 0o444);
    linkSync(join(reg, PLACEHOLDER_FILE), join(base, 'other-name'));
    expect(prepare()).toEqual({});
    expect(problems.join('\n')).toMatch(/mode 0755, not 0555[\s\S]*2 links/);
    rmSync(join(base, 'other-name'));
    chmodSync(join(reg, PLACEHOLDER_FILE), 0o644);
    problems = [];
    expect(prepare()).toEqual({});
    expect(problems.join('\n')).toMatch(/mode 0755, not 0555[\s\S]*mode 0644, not 0444/);
  });

  it('nothing is created in a registry directory others can write', () => {
    mkdirSync(reg);
    chmodSync(reg, 0o777);
    expect(prepare()).toEqual({});
    expect(problems.join('\n')).toMatch(/writable by group or others/);
    expect(readdirSync(reg)).toEqual([]);
  });

  it.skipIf(!isRoot)("sources owned by another user are not used (root only: chown needs it)", () => {
    prepare();
    chownSync(join(reg, PLACEHOLDER_DIR), 65534, 65534);
    chownSync(join(reg, PLACEHOLDER_FILE), 65534, 65534);
    expect(prepare()).toEqual({});
    expect(problems.join('\n')).toMatch(/placeholder-dir-1 is owned by uid 65534[\s\S]*placeholder-file-1 is owned by uid 65534/);
  });
});

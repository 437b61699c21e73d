import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GlobExpansionError, scanGlob } from '../../../src/host/glob-scan.js';
import { GlobPatternError } from '../../../src/permissions/glob-match.js';
import { bytesToPathString } from '../../../src/util/surrogate-escape.js';
import { nonUtf8NamesMissing, posixModesMissing } from '../../helpers/host-capabilities.js';

let root: string;

function touch(rel: string): void {
  const p = join(root, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, 'x');
}

beforeEach(() => {
  // realpath: the walker reports paths under the root as given; keep it canonical for comparisons.
  root = realpathSync(mkdtempSync(join(tmpdir(), 'glob-scan-')));
});

afterEach(() => {
  chmodSync(root, 0o700);
  rmSync(root, { recursive: true, force: true });
});

const scan = (pattern: string, opts: { maxDepth?: number; maxMatches?: number; root?: string } = {}) =>
  scanGlob({ root: opts.root ?? root, pattern, maxDepth: opts.maxDepth, maxMatches: opts.maxMatches ?? 8192 });

describe('scanGlob on real trees', () => {
  it('finds matches at the root and nested, including hidden files', () => {
    touch('.env');
    touch('app/.env');
    touch('app/deep/er/prod.env');
    touch('app/notes.txt');
    const r = scan(`${root}/**/*.env`);
    expect(r.matches).toEqual([`${root}/.env`, `${root}/app/.env`, `${root}/app/deep/er/prod.env`].sort());
    expect(r.truncated).toBe(false);
    // .env, app, app/.env, app/deep, app/notes.txt, app/deep/er, app/deep/er/prod.env
    expect(r.visited).toBe(7);
    expect(r.unreadableDirs).toEqual([]);
  });

  it('matches directories as well as files', () => {
    mkdirSync(join(root, 'a/secrets'), { recursive: true });
    touch('a/secrets/key.pem');
    const r = scan(`${root}/**/secrets`);
    expect(r.matches).toEqual([`${root}/a/secrets`]);
  });

  it('respects maxDepth (children of the root are level 1)', () => {
    touch('x.env');
    touch('a/x.env');
    touch('a/b/x.env');
    touch('a/b/c/x.env');
    expect(scan(`${root}/**/*.env`, { maxDepth: 1 }).matches).toEqual([`${root}/x.env`]);
    expect(scan(`${root}/**/*.env`, { maxDepth: 3 }).matches).toEqual(
      [`${root}/x.env`, `${root}/a/x.env`, `${root}/a/b/x.env`].sort(),
    );
    expect(scan(`${root}/**/*.env`, { maxDepth: 0 })).toMatchObject({ matches: [], visited: 0 });
    expect(scan(`${root}/**/*.env`).matches).toHaveLength(4);
  });

  it('does not descend further than a pattern without `**` can match', () => {
    touch('a/x.env');
    touch('a/b/c/d/e/f.env');
    const r = scan(`${root}/*/*.env`);
    expect(r.matches).toEqual([`${root}/a/x.env`]);
    // root: a; a: x.env, b — b is at the pattern's depth limit and is not listed.
    expect(r.visited).toBe(3);
  });

  it('never follows a directory symlink, but a matching symlink is itself a match', () => {
    const outside = realpathSync(mkdtempSync(join(tmpdir(), 'glob-scan-outside-')));
    try {
      writeFileSync(join(outside, 'secret.env'), 'x');
      symlinkSync(outside, join(root, 'link'));
      symlinkSync(join(outside, 'secret.env'), join(root, 'alias.env'));
      symlinkSync(join(root, 'loop-target-missing'), join(root, 'dangling.env'));
      mkdirSync(join(root, 'loop'));
      symlinkSync(root, join(root, 'loop', 'up'));
      const r = scan(`${root}/**/*.env`);
      expect(r.matches).toEqual([`${root}/alias.env`, `${root}/dangling.env`].sort());
      const dirLinks = scan(`${root}/**/link`);
      expect(dirLinks.matches).toEqual([`${root}/link`]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('stops at maxMatches with truncated: true; exactly maxMatches is not truncated', () => {
    for (let i = 0; i < 5; i++) touch(`f${i}.env`);
    const r = scan(`${root}/*.env`, { maxMatches: 3 });
    expect(r.truncated).toBe(true);
    expect(r.matches).toHaveLength(3);
    const exact = scan(`${root}/*.env`, { maxMatches: 5 });
    expect(exact.truncated).toBe(false);
    expect(exact.matches).toHaveLength(5);
  });

  it.each(['/**/*.env', '/*.env', '/etc', '*.env', 'relative/*.env'])(
    'fails closed on the pattern %j (static prefix is the root, empty, or relative)',
    (pattern) => {
      expect(() => scanGlob({ root, pattern, maxDepth: undefined, maxMatches: 10 })).toThrow(GlobExpansionError);
      expect(() => scanGlob({ root, pattern, maxDepth: undefined, maxMatches: 10 })).toThrow(
        'cannot be safely expanded',
      );
    },
  );

  it('fails closed on a root of `/` or a relative root', () => {
    expect(() => scanGlob({ root: '/', pattern: '/tmp/*.env', maxDepth: 1, maxMatches: 10 })).toThrow(
      'cannot be safely expanded',
    );
    expect(() => scanGlob({ root: 'tmp', pattern: '/tmp/*.env', maxDepth: 1, maxMatches: 10 })).toThrow(
      'cannot be safely expanded',
    );
  });

  it('rejects a malformed pattern instead of matching nothing', () => {
    expect(() => scan(`${root}/{a,b`)).toThrow(GlobPatternError);
  });

  it('a missing root or a file root yields no matches', () => {
    expect(scan(`${root}/missing/*.env`, { root: `${root}/missing` })).toMatchObject({ matches: [], truncated: false });
    touch('file');
    expect(scan(`${root}/file/*.env`, { root: `${root}/file` })).toMatchObject({ matches: [], truncated: false });
  });

  it('matches the pattern under another spelling of its static prefix (a symlinked root)', () => {
    touch('real/a.env');
    symlinkSync(join(root, 'real'), join(root, 'alias'));
    const r = scanGlob({ root: `${root}/real`, pattern: `${root}/alias/*.env`, maxDepth: undefined, maxMatches: 10 });
    expect(r.matches).toEqual([`${root}/real/a.env`]);
  });

  it('skips and reports directories it cannot list', (ctx) => {
    if (posixModesMissing !== undefined) ctx.skip(posixModesMissing);
    touch('locked/inner.env');
    touch('open.env');
    chmodSync(join(root, 'locked'), 0o000);
    chmodSync(root, 0o755);
    // Root bypasses directory permissions; drop the effective uid to `nobody` for the scan only
    // (the saved uid stays 0, so it can be restored).
    const unprivileged = <T>(fn: () => T): T => {
      if (process.getuid?.() !== 0 || process.seteuid === undefined) return fn();
      process.seteuid(65534);
      try {
        return fn();
      } finally {
        process.seteuid(0);
      }
    };
    try {
      const r = unprivileged(() => scan(`${root}/**/*.env`));
      expect(r.matches).toEqual([`${root}/open.env`]);
      expect(r.unreadableDirs).toEqual([`${root}/locked`]);
    } finally {
      chmodSync(join(root, 'locked'), 0o700);
    }
  });

  it('reports non-UTF-8 names losslessly (surrogate-escape strings)', (ctx) => {
    if (nonUtf8NamesMissing !== undefined) ctx.skip(nonUtf8NamesMissing);
    const rawName = Buffer.concat([Buffer.from('bad'), Buffer.from([0xff]), Buffer.from('.env')]);
    const dirBytes = Buffer.from(root);
    writeFileSync(Buffer.concat([dirBytes, Buffer.from('/'), rawName]), 'x');
    touch('good.env');
    const r = scan(`${root}/*.env`);
    expect(r.matches).toEqual([`${root}/${bytesToPathString(rawName)}`, `${root}/good.env`].sort());
  });

  it('walks a root whose own name is not UTF-8', (ctx) => {
    if (nonUtf8NamesMissing !== undefined) ctx.skip(nonUtf8NamesMissing);
    const rawDir = Buffer.concat([Buffer.from(root), Buffer.from('/d'), Buffer.from([0xfe])]);
    mkdirSync(rawDir);
    writeFileSync(Buffer.concat([rawDir, Buffer.from('/x.env')]), 'x');
    const dir = bytesToPathString(rawDir);
    const r = scanGlob({ root: dir, pattern: `${dir}/*.env`, maxDepth: undefined, maxMatches: 10 });
    expect(r.matches).toEqual([`${dir}/x.env`]);
    const direct = scan(`${root}/*/*.env`);
    expect(direct.matches).toEqual([`${dir}/x.env`]);
  });
});

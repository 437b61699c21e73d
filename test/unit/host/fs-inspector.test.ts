import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsInspector, SMALL_FILE_LIMIT } from '../../../src/host/fs-inspector.js';
import { bytesToPathString } from '../../../src/util/surrogate-escape.js';
import { fifoMissing, nonUtf8NamesMissing } from '../../helpers/host-capabilities.js';

let root: string;
const fs = createFsInspector();

beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'fs-inspector-')));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('createFsInspector', () => {
  it('kind() reports dir, file, symlink (not followed), other and missing', (ctx) => {
    if (fifoMissing !== undefined) ctx.skip(fifoMissing);
    mkdirSync(join(root, 'd'));
    writeFileSync(join(root, 'f'), 'x');
    symlinkSync(join(root, 'd'), join(root, 'l'));
    symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
    execFileSync('mkfifo', [join(root, 'fifo')]);
    expect(fs.kind(join(root, 'd'))).toBe('dir');
    expect(fs.kind(join(root, 'f'))).toBe('file');
    expect(fs.kind(join(root, 'l'))).toBe('symlink');
    expect(fs.kind(join(root, 'dangling'))).toBe('symlink');
    expect(fs.kind(join(root, 'fifo'))).toBe('other');
    expect(fs.kind(join(root, 'missing'))).toBe('missing');
    // ENOTDIR (a path through a file) must not throw either.
    expect(fs.kind(join(root, 'f', 'below'))).toBe('missing');
  });

  it('realpath() resolves symlinks and is undefined when the path does not resolve', () => {
    mkdirSync(join(root, 'real'));
    symlinkSync(join(root, 'real'), join(root, 'alias'));
    symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
    expect(fs.realpath(join(root, 'alias'))).toBe(join(root, 'real'));
    expect(fs.realpath(join(root, 'dangling'))).toBeUndefined();
    expect(fs.realpath(join(root, 'missing'))).toBeUndefined();
  });

  it('readlink() returns the link text, undefined for a non-link', () => {
    symlinkSync('../relative/target', join(root, 'l'));
    writeFileSync(join(root, 'f'), 'x');
    expect(fs.readlink(join(root, 'l'))).toBe('../relative/target');
    expect(fs.readlink(join(root, 'f'))).toBeUndefined();
    expect(fs.readlink(join(root, 'missing'))).toBeUndefined();
  });

  it('readSmallFile() reads small regular files and refuses large files, directories and FIFOs', (ctx) => {
    if (fifoMissing !== undefined) ctx.skip(fifoMissing);
    writeFileSync(join(root, '.git'), 'gitdir: ../real/.git/worktrees/x\n');
    writeFileSync(join(root, 'exact'), Buffer.alloc(SMALL_FILE_LIMIT, 0x61));
    writeFileSync(join(root, 'big'), Buffer.alloc(SMALL_FILE_LIMIT + 1, 0x61));
    mkdirSync(join(root, 'd'));
    execFileSync('mkfifo', [join(root, 'fifo')]);
    expect(fs.readSmallFile(join(root, '.git'))).toBe('gitdir: ../real/.git/worktrees/x\n');
    expect(fs.readSmallFile(join(root, 'exact'))).toHaveLength(SMALL_FILE_LIMIT);
    expect(fs.readSmallFile(join(root, 'big'))).toBeUndefined();
    expect(fs.readSmallFile(join(root, 'd'))).toBeUndefined();
    // A FIFO with no writer would block a plain open() forever.
    expect(fs.readSmallFile(join(root, 'fifo'))).toBeUndefined();
    expect(fs.readSmallFile(join(root, 'missing'))).toBeUndefined();
  });

  it('isEmptyDir() distinguishes empty, non-empty and non-directories', () => {
    mkdirSync(join(root, 'empty'));
    mkdirSync(join(root, 'full'));
    writeFileSync(join(root, 'full', '.hidden'), 'x');
    writeFileSync(join(root, 'f'), 'x');
    expect(fs.isEmptyDir(join(root, 'empty'))).toBe(true);
    expect(fs.isEmptyDir(join(root, 'full'))).toBe(false);
    expect(fs.isEmptyDir(join(root, 'f'))).toBeUndefined();
    expect(fs.isEmptyDir(join(root, 'missing'))).toBeUndefined();
  });

  it('isEmptyDir() on a large directory (read for one entry, not listed) and through a symlink', () => {
    const big = join(root, 'big');
    mkdirSync(big);
    // Past SMALL_DIR_BYTES of st_size on ext4, xfs, btrfs and tmpfs: the Dir-handle path.
    const names = Array.from({ length: 2000 }, (_, i) => `${String(i).padStart(6, '0')}-${'n'.repeat(56)}`);
    for (const n of names) writeFileSync(join(big, n), '');
    expect(fs.isEmptyDir(big)).toBe(false);
    for (const n of names) rmSync(join(big, n));
    // ext4 never shrinks a directory: still large, and now empty.
    expect(fs.isEmptyDir(big)).toBe(true);
    symlinkSync(big, join(root, 'link'));
    expect(fs.isEmptyDir(join(root, 'link'))).toBe(true);
    writeFileSync(join(big, 'x'), '');
    expect(fs.isEmptyDir(join(root, 'link'))).toBe(false);
  });

  it('fileSize() gives regular file sizes only', () => {
    writeFileSync(join(root, 'f'), 'hello');
    mkdirSync(join(root, 'd'));
    expect(fs.fileSize(join(root, 'f'))).toBe(5);
    expect(fs.fileSize(join(root, 'd'))).toBeUndefined();
    expect(fs.fileSize(join(root, 'missing'))).toBeUndefined();
  });

  it('handles non-UTF-8 names in the surrogate-escape convention', (ctx) => {
    if (nonUtf8NamesMissing !== undefined) ctx.skip(nonUtf8NamesMissing);
    const raw = Buffer.concat([Buffer.from(root), Buffer.from('/n'), Buffer.from([0xff])]);
    mkdirSync(raw);
    const linkRaw = Buffer.concat([Buffer.from(root), Buffer.from('/link')]);
    symlinkSync(raw, linkRaw);
    const name = bytesToPathString(raw);
    expect(fs.kind(name)).toBe('dir');
    expect(fs.isEmptyDir(name)).toBe(true);
    expect(fs.realpath(join(root, 'link'))).toBe(name);
    expect(fs.readlink(join(root, 'link'))).toBe(name);
  });

  it('keeps a name that really holds U+FFFD (valid UTF-8) apart from one with a bad byte', (ctx) => {
    if (nonUtf8NamesMissing !== undefined) ctx.skip(nonUtf8NamesMissing);
    const real = join(root, 'r\ufffd');
    mkdirSync(real);
    symlinkSync(real, join(root, 'to-real'));
    const bad = bytesToPathString(Buffer.concat([Buffer.from(root), Buffer.from('/r'), Buffer.from([0xfe])]));
    mkdirSync(Buffer.concat([Buffer.from(root), Buffer.from('/r'), Buffer.from([0xfe])]));
    symlinkSync(Buffer.concat([Buffer.from(root), Buffer.from('/r'), Buffer.from([0xfe])]), join(root, 'to-bad'));
    expect(fs.realpath(join(root, 'to-real'))).toBe(real);
    expect(fs.realpath(join(root, 'to-bad'))).toBe(bad);
    expect(fs.readlink(join(root, 'to-real'))).toBe(real);
    expect(fs.readlink(join(root, 'to-bad'))).toBe(bad);
  });

  it('scanGlob() delegates to the bounded scanner', () => {
    writeFileSync(join(root, 'a.env'), 'x');
    const r = fs.scanGlob({ root, pattern: `${root}/*.env`, maxDepth: 4, maxMatches: 10 });
    expect(r.matches).toEqual([join(root, 'a.env')]);
    expect(() => fs.scanGlob({ root, pattern: '/**/*.env', maxDepth: 4, maxMatches: 10 })).toThrow(
      'cannot be safely expanded',
    );
  });
});

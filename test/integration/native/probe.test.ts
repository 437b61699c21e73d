/**
 * The addon's filesystem probes (native/linux/probe.cc) behind src/host/fs-inspector.ts: for every
 * kind of path a command can plant, the answer is node:fs's, and the probe really ran (issue #21).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fileSize, fsEntryKind, isEmptyDir, lstatOf, nodeEntryKind, nodeFileSize, nodeIsEmptyDir, nodeLstatOf, nodeReadSmallFile, readSmallFile, SMALL_FILE_LIMIT } from '../../../src/host/fs-inspector.js';
import { loadNative } from '../../../src/native.js';
import type { NativeAddon } from '../../../src/native.js';
import { bytesToPathString } from '../../../src/util/surrogate-escape.js';
import { fifoMissing, nonUtf8NamesMissing } from '../../helpers/host-capabilities.js';

let root: string;
let addon: NativeAddon;
const calls = { stat: 0, emptyDir: 0, read: 0 };

beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'fs-probe-')));
  addon = loadNative();
  // Count the probes that ran natively (the exports object is writable).
  const stat = addon.probeStat?.bind(addon);
  const emptyDir = addon.probeEmptyDir?.bind(addon);
  const read = addon.probeReadFile?.bind(addon);
  if (stat === undefined || emptyDir === undefined || read === undefined) throw new Error('this Linux build of the addon lacks probeStat/probeEmptyDir/probeReadFile');
  addon.probeStat = (p: string, out: BigInt64Array, follow: boolean): number => ((calls.stat += 1), stat(p, out, follow));
  addon.probeEmptyDir = (p: string): number => ((calls.emptyDir += 1), emptyDir(p));
  addon.probeReadFile = (p: string, buf: Uint8Array): number => ((calls.read += 1), read(p, buf));
});

afterAll(() => {
  chmodSync(join(root, 'closed'), 0o755);
  rmSync(root, { recursive: true, force: true });
});

/** Every probe answers as node:fs does; returns how many went through the addon. */
function same(paths: readonly string[]): { stat: number; emptyDir: number; read: number } {
  const before = { ...calls };
  for (const p of paths) {
    expect({ p, st: lstatOf(p) }).toEqual({ p, st: nodeLstatOf(p) });
    expect({ p, kind: fsEntryKind(p) }).toEqual({ p, kind: nodeEntryKind(p) });
    expect({ p, empty: isEmptyDir(p) }).toEqual({ p, empty: nodeIsEmptyDir(p) });
    expect({ p, size: fileSize(p) }).toEqual({ p, size: nodeFileSize(p) });
    expect({ p, text: readSmallFile(p) }).toEqual({ p, text: nodeReadSmallFile(p) });
  }
  return { stat: calls.stat - before.stat, emptyDir: calls.emptyDir - before.emptyDir, read: calls.read - before.read };
}

describe('native filesystem probes', () => {
  it('answer as node:fs does for directories, files, links, FIFOs, large files, /proc and missing paths', (ctx) => {
    if (fifoMissing !== undefined) ctx.skip(fifoMissing);
    mkdirSync(join(root, 'empty'));
    mkdirSync(join(root, 'full', '.git'), { recursive: true });
    writeFileSync(join(root, 'full', 'f'), 'x');
    writeFileSync(join(root, 'file'), 'x');
    symlinkSync(join(root, 'full'), join(root, 'to-full'));
    symlinkSync(join(root, 'empty'), join(root, 'to-empty'));
    symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
    execFileSync('mkfifo', [join(root, 'fifo')]);
    mkdirSync(join(root, 'closed'));
    writeFileSync(join(root, 'closed', 'x'), 'x');
    chmodSync(join(root, 'closed'), 0);
    mkdirSync(join(root, 'big'));
    for (let i = 0; i < 3000; i += 1) writeFileSync(join(root, 'big', `entry-with-a-long-name-${i}`), '');
    writeFileSync(join(root, 'pointer'), 'gitdir: ../real/.git/worktrees/x\n');
    symlinkSync(join(root, 'pointer'), join(root, 'to-pointer'));
    writeFileSync(join(root, 'exact'), Buffer.alloc(SMALL_FILE_LIMIT, 0x61));
    writeFileSync(join(root, 'too-big'), Buffer.alloc(SMALL_FILE_LIMIT + 1, 0x61));
    writeFileSync(join(root, 'bad-utf8'), Buffer.from([0x61, 0xff, 0x0a]));
    writeFileSync(join(root, 'zero'), '');
    const paths = ['empty', 'full', 'full/.git', 'file', 'to-full', 'to-empty', 'dangling', 'fifo', 'closed', 'closed/x', 'big', 'missing', 'file/below', 'big/entry-with-a-long-name-2999', 'pointer', 'to-pointer', 'exact', 'too-big', 'bad-utf8', 'zero']
      .map((n) => join(root, n))
      .concat(['/', '/proc/sys', '/proc/kcore', '/proc/self', '/proc/self/cmdline', '/dev/null', 'relative/missing']);
    expect(same(paths)).toEqual({ stat: paths.length * 3, emptyDir: paths.length, read: paths.length });
    // A FIFO planted where a file is expected is not read (open would block without O_NONBLOCK).
    expect(readSmallFile(join(root, 'fifo'))).toBeUndefined();
    expect(readSmallFile(join(root, 'to-pointer'))).toBe('gitdir: ../real/.git/worktrees/x\n');
    expect(readSmallFile(join(root, 'exact'))?.length).toBe(SMALL_FILE_LIMIT);
    expect(readSmallFile(join(root, 'too-big'))).toBeUndefined();
    expect(fileSize(join(root, 'to-pointer'))).toBe(33);
    // A FIFO planted where a directory is expected is refused, not opened (open would block).
    expect(isEmptyDir(join(root, 'fifo'))).toBeUndefined();
    expect(isEmptyDir(join(root, 'to-empty'))).toBe(true);
    expect(isEmptyDir(join(root, 'big'))).toBe(false);
  });

  it('leave NUL, escaped bytes and over-long paths to node:fs', (ctx) => {
    const long = join(root, 'x'.repeat(5000));
    // A NUL would cut the C string at `root`, which exists: node:fs refuses the path instead.
    expect(same([`${root}\0/empty`, long, `${join(root, 'empty')}\0`])).toEqual({ stat: 3, emptyDir: 1, read: 1 });
    expect(lstatOf(`${root}\0`)).toBeUndefined();
    // Past the probe's 4096 bytes by a character that does not fit whole: the copy would stop before
    // it, at `root////…`, an existing directory. The probe must see the length and leave it to node:fs.
    const cut = `${root}${'/'.repeat(4095 - Buffer.byteLength(root))}\u20ac`;
    expect(same([cut])).toEqual({ stat: 3, emptyDir: 1, read: 1 });
    expect(lstatOf(cut)).toBeUndefined();
    expect(isEmptyDir(cut)).toBeUndefined();
    expect(isEmptyDir(`${join(root, 'full')}\0`)).toBeUndefined();
    if (nonUtf8NamesMissing !== undefined) ctx.skip(nonUtf8NamesMissing);
    const odd = join(root, bytesToPathString(Buffer.from([0x62, 0xff, 0x64])));
    mkdirSync(Buffer.from(`${root}/b\xffd`, 'latin1'));
    expect(same([odd])).toEqual({ stat: 0, emptyDir: 0, read: 0 });
    expect(isEmptyDir(odd)).toBe(true);
    // Valid UTF-8 U+FFFD is plain text: the addon takes it, and it must name the same file.
    mkdirSync(join(root, 'real-\ufffd'));
    expect(same([join(root, 'real-\ufffd')])).toEqual({ stat: 3, emptyDir: 1, read: 1 });
    expect(isEmptyDir(join(root, 'real-\ufffd'))).toBe(true);
  });
});

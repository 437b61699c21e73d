/**
 * The addon's filesystem probes (native/linux/probe.cc) behind src/host/fs-inspector.ts: for every
 * kind of path a command can plant, the answer is node:fs's, and the probe really ran (issue #21).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fsEntryKind, isEmptyDir, lstatOf, nodeEntryKind, nodeIsEmptyDir, nodeLstatOf } from '../../../src/host/fs-inspector.js';
import { loadNative } from '../../../src/native.js';
import type { NativeAddon } from '../../../src/native.js';
import { bytesToPathString } from '../../../src/util/surrogate-escape.js';
import { fifoMissing, nonUtf8NamesMissing } from '../../helpers/host-capabilities.js';

let root: string;
let addon: NativeAddon;
const calls = { lstat: 0, emptyDir: 0 };

beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'fs-probe-')));
  addon = loadNative();
  // Count the probes that ran natively (the exports object is writable).
  const lstat = addon.probeLstat?.bind(addon);
  const emptyDir = addon.probeEmptyDir?.bind(addon);
  if (lstat === undefined || emptyDir === undefined) throw new Error('this Linux build of the addon lacks probeLstat/probeEmptyDir');
  addon.probeLstat = (p, out) => ((calls.lstat += 1), lstat(p, out));
  addon.probeEmptyDir = (p) => ((calls.emptyDir += 1), emptyDir(p));
});

afterAll(() => {
  chmodSync(join(root, 'closed'), 0o755);
  rmSync(root, { recursive: true, force: true });
});

/** Every probe answers as node:fs does; returns how many went through the addon. */
function same(paths: readonly string[]): { lstat: number; emptyDir: number } {
  const before = { ...calls };
  for (const p of paths) {
    expect({ p, st: lstatOf(p) }).toEqual({ p, st: nodeLstatOf(p) });
    expect({ p, kind: fsEntryKind(p) }).toEqual({ p, kind: nodeEntryKind(p) });
    expect({ p, empty: isEmptyDir(p) }).toEqual({ p, empty: nodeIsEmptyDir(p) });
  }
  return { lstat: calls.lstat - before.lstat, emptyDir: calls.emptyDir - before.emptyDir };
}

describe('native filesystem probes', () => {
  it('answer as node:fs does for directories, files, links, FIFOs, /proc and missing paths', (ctx) => {
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
    const paths = ['empty', 'full', 'full/.git', 'file', 'to-full', 'to-empty', 'dangling', 'fifo', 'closed', 'closed/x', 'big', 'missing', 'file/below', 'big/entry-with-a-long-name-2999']
      .map((n) => join(root, n))
      .concat(['/', '/proc/sys', '/proc/kcore', '/proc/self', '/dev/null', 'relative/missing']);
    expect(same(paths)).toEqual({ lstat: paths.length * 2, emptyDir: paths.length });
    // A FIFO planted where a directory is expected is refused, not opened (open would block).
    expect(isEmptyDir(join(root, 'fifo'))).toBeUndefined();
    expect(isEmptyDir(join(root, 'to-empty'))).toBe(true);
    expect(isEmptyDir(join(root, 'big'))).toBe(false);
  });

  it('leave NUL, escaped bytes and over-long paths to node:fs', (ctx) => {
    const long = join(root, 'x'.repeat(5000));
    // A NUL would cut the C string at `root`, which exists: node:fs refuses the path instead.
    expect(same([`${root}\0/empty`, long, `${join(root, 'empty')}\0`])).toEqual({ lstat: 2, emptyDir: 1 });
    expect(lstatOf(`${root}\0`)).toBeUndefined();
    expect(isEmptyDir(`${join(root, 'full')}\0`)).toBeUndefined();
    if (nonUtf8NamesMissing !== undefined) ctx.skip(nonUtf8NamesMissing);
    const odd = join(root, bytesToPathString(Buffer.from([0x62, 0xff, 0x64])));
    mkdirSync(Buffer.from(`${root}/b\xffd`, 'latin1'));
    expect(same([odd])).toEqual({ lstat: 0, emptyDir: 0 });
    expect(isEmptyDir(odd)).toBe(true);
    // Valid UTF-8 U+FFFD is plain text: the addon takes it, and it must name the same file.
    mkdirSync(join(root, 'real-\ufffd'));
    expect(same([join(root, 'real-\ufffd')])).toEqual({ lstat: 2, emptyDir: 1 });
    expect(isEmptyDir(join(root, 'real-\ufffd'))).toBe(true);
  });
});

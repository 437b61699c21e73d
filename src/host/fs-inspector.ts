/**
 * The host's FsInspector: what resolution and the planners may learn about the real filesystem
 * (contract in src/permissions/fs-facts.ts). Synchronous node:fs calls; no probe throws — a failure
 * reads as 'missing' / undefined. Paths are strings in the surrogate-escape convention
 * (src/util/surrogate-escape.ts), so non-UTF-8 Unix names round-trip exactly.
 */
import { closeSync, constants, fstatSync, lstatSync, opendirSync, openSync, readSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import type { FsEntryKind, FsEntryStat, FsInspector, GlobScanRequest } from '../permissions/fs-facts.js';
import { loadedNative } from '../native.js';
import type { NativeAddon } from '../native.js';
import { bytesToPathString } from '../util/surrogate-escape.js';
import { fsPathArg, scanGlob } from './glob-scan.js';
import type { GlobScanOutcome } from './glob-scan.js';

/** Largest file readSmallFile returns (a `.git` pointer file is a few hundred bytes). */
export const SMALL_FILE_LIMIT = 64 * 1024;

/**
 * The addon's probes (native/linux/probe.cc), when the addon is already loaded: one lstat(2) or stat(2)
 * without node:fs's Stats object (about 2 µs of Node per call), and an emptiness check of open + getdents64 +
 * close instead of stat + a whole listing (issue #21). Only for plain paths: a NUL would cut the C
 * string short (`ROOT\0/x` would probe ROOT), and a surrogate (escaped bytes, or text V8 would turn
 * into U+FFFD) must reach the kernel as node:fs spells it; those, and a path too long for the probe,
 * go through node:fs.
 */
const NOT_PLAIN = /[\0\ud800-\udfff]/;
/** probe.cc's answer for a path it does not take. */
const USE_NODE = -100000;
const statOut = new BigInt64Array(5);

function probes(path: string): NativeAddon | undefined {
  const addon = loadedNative();
  return addon?.probeStat !== undefined && !NOT_PLAIN.test(path) ? addon : undefined;
}

function kindOfMode(mode: number): FsEntryKind {
  const fmt = mode & constants.S_IFMT;
  return fmt === constants.S_IFLNK ? 'symlink' : fmt === constants.S_IFDIR ? 'dir' : fmt === constants.S_IFREG ? 'file' : 'other';
}

export function fsEntryKind(path: string): FsEntryKind {
  const addon = probes(path);
  if (addon?.probeStat !== undefined) {
    const r = addon.probeStat(path, statOut, false);
    if (r !== USE_NODE) return r === 0 ? kindOfMode(Number(statOut[0])) : 'missing';
  }
  return nodeEntryKind(path);
}

/** fsEntryKind through node:fs only. */
export function nodeEntryKind(path: string): FsEntryKind {
  try {
    const st = lstatSync(fsPathArg(path), { throwIfNoEntry: false });
    if (st === undefined) return 'missing';
    if (st.isSymbolicLink()) return 'symlink';
    if (st.isDirectory()) return 'dir';
    if (st.isFile()) return 'file';
    return 'other';
  } catch {
    return 'missing';
  }
}

/** lstat with the exact dev/ino (bigint), owner and mode; undefined when missing or on any error. */
export function lstatOf(path: string): FsEntryStat | undefined {
  const addon = probes(path);
  if (addon?.probeStat !== undefined) {
    const r = addon.probeStat(path, statOut, false);
    if (r !== USE_NODE) {
      if (r !== 0) return undefined;
      const mode = Number(statOut[0]);
      return { kind: kindOfMode(mode), dev: String(statOut[2]), ino: String(statOut[3]), uid: Number(statOut[1]), mode };
    }
  }
  return nodeLstatOf(path);
}

/** lstatOf through node:fs only. */
export function nodeLstatOf(path: string): FsEntryStat | undefined {
  try {
    const st = lstatSync(fsPathArg(path), { bigint: true, throwIfNoEntry: false });
    if (st === undefined) return undefined;
    const kind: FsEntryKind = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
    return { kind, dev: st.dev.toString(), ino: st.ino.toString(), uid: Number(st.uid), mode: Number(st.mode) };
  } catch {
    return undefined;
  }
}

/**
 * A name the kernel returned, as a path string. UTF-8 decoding puts U+FFFD where a byte is not valid
 * UTF-8, so text without U+FFFD is exact; only the rest (bad bytes, or a real U+FFFD in the name) is
 * read again as bytes and escaped. Saves a Buffer round trip on every realpath of a launch.
 */
function exactName(asText: () => string, asBytes: () => Buffer): string {
  const text = asText();
  return text.includes('\ufffd') ? bytesToPathString(asBytes()) : text;
}

export function realpathOf(path: string): string | undefined {
  try {
    const arg = fsPathArg(path);
    return exactName(
      () => realpathSync.native(arg),
      () => realpathSync.native(arg, { encoding: 'buffer' }),
    );
  } catch {
    return undefined;
  }
}

export function readlinkOf(path: string): string | undefined {
  try {
    const arg = fsPathArg(path);
    return exactName(
      () => readlinkSync(arg),
      () => readlinkSync(arg, { encoding: 'buffer' }),
    );
  } catch {
    return undefined;
  }
}

let scratch: Buffer | undefined;

/**
 * UTF-8 text of a regular file of at most SMALL_FILE_LIMIT bytes (following symlinks); undefined for
 * anything else, including a larger file (callers must not act on a truncated `gitdir:` line).
 */
export function readSmallFile(path: string): string | undefined {
  const addon = probes(path);
  if (addon?.probeReadFile !== undefined) {
    const buf = (scratch ??= Buffer.allocUnsafe(SMALL_FILE_LIMIT + 1));
    const r = addon.probeReadFile(path, buf);
    if (r !== USE_NODE) return r >= 0 ? buf.subarray(0, r).toString('utf8') : undefined;
  }
  return nodeReadSmallFile(path);
}

/** readSmallFile through node:fs only. */
export function nodeReadSmallFile(path: string): string | undefined {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO planted where a `.git` file is expected would otherwise block open() forever
    // and hang every launch. O_NOCTTY: never acquire a controlling terminal from a planted tty node.
    const flags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);
    fd = openSync(fsPathArg(path), flags);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > SMALL_FILE_LIMIT) return undefined;
    // Read up to one byte past the limit: the file may have grown since fstat. One scratch buffer for
    // every call (this is synchronous): zeroing 64 KiB per call was most of a plan's fixed cost (#21).
    const buf = (scratch ??= Buffer.allocUnsafe(SMALL_FILE_LIMIT + 1));
    let total = 0;
    for (;;) {
      const n = readSync(fd, buf, total, buf.length - total, null);
      if (n === 0) break;
      total += n;
      if (total > SMALL_FILE_LIMIT) return undefined;
    }
    return buf.subarray(0, total).toString('utf8');
  } catch {
    return undefined;
  } finally {
    try {
      closeSync(fd);
    } catch {
      // already closed or invalid: nothing to release
    }
  }
}

/** Directories at most this large (st_size) are listed whole: cheaper than a Dir handle (#21). */
const SMALL_DIR_BYTES = 32 * 1024;

/** Whether a directory (following symlinks) has no entries; undefined when it cannot be listed. */
export function isEmptyDir(path: string): boolean | undefined {
  const addon = probes(path);
  if (addon?.probeEmptyDir !== undefined) {
    const r = addon.probeEmptyDir(path);
    if (r !== USE_NODE) return r === 1 ? true : r === 0 ? false : undefined;
  }
  return nodeIsEmptyDir(path);
}

/** isEmptyDir through node:fs only. */
export function nodeIsEmptyDir(path: string): boolean | undefined {
  const arg = fsPathArg(path);
  try {
    const st = statSync(arg, { throwIfNoEntry: false });
    if (st === undefined || !st.isDirectory()) return undefined;
    // A small directory (the usual `.git`, placeholder or metadata dir) is listed in one call; a large
    // one (a command can fill a directory it may write) is opened and read for one entry only.
    if (st.size <= SMALL_DIR_BYTES) return readdirSync(arg).length === 0;
  } catch {
    return undefined;
  }
  let dir;
  try {
    dir = opendirSync(arg);
  } catch {
    return undefined;
  }
  try {
    return dir.readSync() === null;
  } catch {
    return undefined;
  } finally {
    try {
      dir.closeSync();
    } catch {
      // nothing to release
    }
  }
}

/** Size of a regular file (following symlinks), or undefined. */
export function fileSize(path: string): number | undefined {
  const addon = probes(path);
  if (addon?.probeStat !== undefined) {
    const r = addon.probeStat(path, statOut, true);
    if (r !== USE_NODE) return r === 0 && kindOfMode(Number(statOut[0])) === 'file' ? Number(statOut[4]) : undefined;
  }
  return nodeFileSize(path);
}

/** fileSize through node:fs only. */
export function nodeFileSize(path: string): number | undefined {
  try {
    const st = statSync(fsPathArg(path), { throwIfNoEntry: false });
    return st !== undefined && st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

export interface HostFsInspector extends FsInspector {
  /** Same as FsInspector.scanGlob, plus the directories that could not be listed. */
  scanGlob(req: GlobScanRequest): GlobScanOutcome;
}

/**
 * The real FsInspector over node:fs. Probes never throw; `scanGlob` throws GlobExpansionError /
 * GlobPatternError when a glob cannot be expanded safely (callers fail closed on it).
 */
export function createFsInspector(): HostFsInspector {
  return {
    kind: fsEntryKind,
    lstat: lstatOf,
    realpath: realpathOf,
    readlink: readlinkOf,
    readSmallFile,
    isEmptyDir,
    fileSize,
    scanGlob,
  };
}

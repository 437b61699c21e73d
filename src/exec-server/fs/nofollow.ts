/**
 * `followSymlinks: false`: no symlink is followed in any component of the path (Codex exec-server
 * no_follow/*: `openat(…, O_NOFOLLOW|O_DIRECTORY)` per component from `/`, `O_PATH` on Linux so
 * search-only ancestors work). Node has no openat; on Linux `/proc/self/fd/<dirfd>/<name>` is the
 * same lookup: the magic link is the directory the fd holds (not a path resolved again), and only
 * `name` is looked up in it (proc(5) /proc/pid/fd, open(2) O_PATH) — a component swapped for a
 * symlink between two steps is not followed.
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync } from 'node:fs';
import { invalidInput, osError, toFsFailure } from './errors.js';

const O_PATH = 0o10000000;

/** The parent directory of a path held open without following any symlink, and the leaf under it. */
export interface NoFollowParent {
  /** `/proc/self/fd/<n>/<leaf>`: a path whose parent components are never resolved again. */
  readonly leafPath: string;
  readonly leaf: string;
  /** `/proc/self/fd/<n>`: the parent directory itself. */
  readonly dirPath: string;
  close(): void;
}

export function componentsOf(abs: string): string[] {
  const parts = abs.split('/').filter((c) => c.length > 0);
  // Codex: `.`/`..` components are refused rather than resolved (a `..` after a symlink would
  // otherwise mean something else than the lexical path).
  if (parts.some((c) => c === '.' || c === '..')) throw invalidInput('no-follow filesystem operations require a normalized path');
  return parts;
}

function openDir(at: string): number {
  const fd = openSync(at, O_PATH | constants.O_NOFOLLOW | constants.O_DIRECTORY);
  // O_PATH|O_NOFOLLOW on a symlink would hand back the link itself; O_DIRECTORY refuses it (ENOTDIR),
  // and this check holds even where it did not.
  if (!fstatSync(fd).isDirectory()) {
    closeSync(fd);
    throw osError('ENOTDIR');
  }
  return fd;
}

/** Opens every directory of `abs` but the last component without following symlinks. */
export function openParentNoFollow(abs: string, create = false): NoFollowParent {
  if (process.platform !== 'linux') throw invalidInput('followSymlinks: false is only supported on Linux by this exec-server');
  const parts = componentsOf(abs);
  const leaf = parts.pop();
  if (leaf === undefined) throw invalidInput('no-follow filesystem operations need a path below /');
  let fd = openDir('/');
  try {
    for (const c of parts) {
      const at = `/proc/self/fd/${fd}/${c}`;
      let next: number;
      try {
        next = openDir(at);
      } catch (e) {
        if (!create || (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        mkdirAt(at);
        next = openDir(at);
      }
      closeSync(fd);
      fd = next;
    }
  } catch (e) {
    closeSync(fd);
    throw toFsFailure(e);
  }
  const dirFd = fd;
  return {
    leaf,
    dirPath: `/proc/self/fd/${dirFd}`,
    leafPath: `/proc/self/fd/${dirFd}/${leaf}`,
    close: () => closeSync(dirFd),
  };
}

function mkdirAt(at: string): void {
  try {
    mkdirSync(at);
  } catch (e) {
    // A concurrent creator made it first (Codex: file_system_no_follow_recursive_mkdir_handles_concurrent_creators).
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

/** Runs `fn` with the no-follow parent of `abs`, closing it afterwards. */
export async function withParent<T>(abs: string, fn: (p: NoFollowParent) => Promise<T> | T, create = false): Promise<T> {
  const p = openParentNoFollow(abs, create);
  try {
    return await fn(p);
  } finally {
    p.close();
  }
}

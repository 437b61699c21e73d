/**
 * Who may have written a configuration file, decided before it is read (the side-effecting part).
 *
 * Rule (docs/config.md, "Whose files are read"), on Unix only (Windows has ACLs, not modes):
 * - the file, after following symlinks, is a regular file owned by the caller or by root and not
 *   writable by others, nor by a group other than the caller's primary group or root's;
 * - every directory from the file's own directory up to `/` is owned by the caller or by root, and
 *   is writable by no one else (others, or a group as above) unless it is sticky (`/tmp`): in a
 *   sticky directory only an entry's owner can rename or replace it, and the entry below is owned by
 *   the caller or root.
 * Otherwise another local user could have put the file there, or can swap it between runs, so it is
 * ignored with a warning saying why. This is git's `safe.directory` ownership check (git
 * `setup.c`, `ensure_valid_ownership`; CVE-2022-24765), extended to writable ancestors.
 *
 * The file is opened once, checked through that descriptor (fstat, and its path under
 * /proc/self/fd), and read through it, so what was checked is what is read.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface CallerIdentity {
  uid: number;
  gid: number;
}

/** The caller, or undefined where ownership has no Unix meaning (Windows). */
export function currentCaller(): CallerIdentity | undefined {
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  return uid === undefined || gid === undefined ? undefined : { uid, gid };
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Why `st` lets someone other than the caller (or root) write into it; undefined when it does not. */
function foreignWriter(st: fs.Stats, who: CallerIdentity): string | undefined {
  if ((st.mode & 0o002) !== 0) return 'writable by every user';
  if ((st.mode & 0o020) !== 0 && st.gid !== who.gid && st.gid !== 0) return `writable by group ${st.gid}`;
  return undefined;
}

function ownerProblem(what: string, st: fs.Stats, who: CallerIdentity): string | undefined {
  if (st.uid === who.uid || st.uid === 0) return undefined;
  return `${what} is owned by uid ${st.uid}, not by you (uid ${who.uid}) or root`;
}

/** Why a file with these stats at real path `real` may not be trusted; undefined when it may. */
export function trustProblem(real: string, st: fs.Stats, who: CallerIdentity, lstat: (p: string) => fs.Stats = fs.statSync): string | undefined {
  if (!st.isFile()) return `${real} is not a regular file`;
  const own = ownerProblem(real, st, who);
  if (own !== undefined) return own;
  const w = foreignWriter(st, who);
  if (w !== undefined) return `${real} is ${w} (mode ${octal(st.mode)})`;
  for (let dir = path.dirname(real); ; dir = path.dirname(dir)) {
    let ds: fs.Stats;
    try {
      ds = lstat(dir);
    } catch (e) {
      return `cannot check directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
    }
    const downer = ownerProblem(`its directory ${dir}`, ds, who);
    if (downer !== undefined) return downer;
    const dw = foreignWriter(ds, who);
    if (dw !== undefined && (ds.mode & 0o1000) === 0) {
      return `its directory ${dir} is ${dw} and not sticky (mode ${octal(ds.mode)}), so another user can replace the file`;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

export type TrustedRead = { ok: true; text: string; real: string } | { ok: false; problem: string };

/**
 * The most a configuration file may hold. A command that can write the project (or a config it can reach)
 * could otherwise plant a file of gigabytes, or one that keeps growing, and every later run from there
 * would read it whole before it could say anything. Real configurations are a few KiB.
 */
export const CONFIG_FILE_MAX_BYTES = 1024 * 1024;

/**
 * The file's text through `fd`, or undefined once it holds more than `max` bytes (it may grow while
 * read). `expected`: its size at fstat, the first buffer's size.
 */
export function readBounded(fd: number, expected: number, max: number): string | undefined {
  let buf = Buffer.allocUnsafe(Math.min(expected, max) + 1);
  let used = 0;
  for (;;) {
    if (used === buf.length) {
      const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, max + 1));
      buf.copy(bigger, 0, 0, used);
      buf = bigger;
    }
    const n = fs.readSync(fd, buf, used, buf.length - used, null);
    if (n === 0) return buf.toString('utf8', 0, used);
    used += n;
    if (used > max) return undefined;
  }
}

/**
 * Opens `file`, checks it (see the module comment) and reads it through the same descriptor.
 * `who` undefined (Windows): no ownership rule, just read.
 */
export function readIfTrusted(file: string, who: CallerIdentity | undefined = currentCaller()): TrustedRead {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    return { ok: false, problem: `cannot open ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}` };
  }
  try {
    const st = fs.fstatSync(fd);
    let real: string;
    try {
      real = process.platform === 'linux' ? fs.readlinkSync(`/proc/self/fd/${fd}`) : fs.realpathSync(file);
    } catch {
      real = fs.realpathSync(file);
    }
    if (who !== undefined) {
      const problem = trustProblem(real, st, who);
      if (problem !== undefined) return { ok: false, problem };
    } else if (!st.isFile()) {
      return { ok: false, problem: `${real} is not a regular file` };
    }
    const tooBig = `${real} is larger than ${CONFIG_FILE_MAX_BYTES} bytes, the most a configuration file may hold`;
    if (st.size > CONFIG_FILE_MAX_BYTES) return { ok: false, problem: tooBig };
    const text = readBounded(fd, st.size, CONFIG_FILE_MAX_BYTES);
    return text === undefined ? { ok: false, problem: tooBig } : { ok: true, text, real };
  } finally {
    fs.closeSync(fd);
  }
}


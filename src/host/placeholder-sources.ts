/**
 * Prepared bind sources for the Linux planner's placeholders (issues #15, #21).
 *
 * A protected name that is missing or empty (`.codex`, `.git/hooks`, `codex-sandbox.toml`, ...) is
 * masked inside the sandbox by something empty and read-only. bubblewrap used to build each one
 * (`--perms 555 --tmpfs P --remount-ro P`: a new tmpfs superblock plus a remount per placeholder;
 * `--ro-bind-data FD P`: a temporary file written from a /dev/null fd, then bound). One read-only bind
 * of an empty directory / empty file prepared once on the host does the same with one mount and
 * no fd: `--ro-bind SRC P`.
 *
 * Where: `placeholder-dir-1` (0555) and `placeholder-file-1` (0444, empty) in the launcher's placeholder
 * registry directory (`syntheticRegistryDir`, facts.ts): the caller's own 0700 directory, which the
 * planner hides in every bwrap sandbox that could see it (plan.ts step 5), so no sandboxed command
 * can add a file to the directory every placeholder shows, or swap it for a symlink to a directory
 * of its choosing (bwrap follows a symlink in a bind source, bwrap(1) `--ro-bind`). Launchers only
 * touch `launchers-3/`, `paths-3/`, `table-2`, `table`, their `.new` files and `lock` there
 * (native/launcher/registry.cc), so the new names disturb none of them.
 *
 * The attack the checks stop: a prepared source that held anything would show it inside every
 * placeholder of every later sandbox (a hook under `.git/hooks`, a config under `.codex`). So a source
 * is used only when, seen without following a symlink, it is a directory / regular file owned by the
 * caller, writable by no one, empty, and (the file) has one link — the rule src/config/trust.ts applies
 * to configuration (git `setup.c` `ensure_valid_ownership`, CVE-2022-24765). The planner checks the
 * directory is still empty for each plan (plan.ts `placeholderSource`). Anything else: the planner
 * falls back to the tmpfs / data placeholders, and nothing is repaired here (only the caller could
 * have made it so).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PlaceholderSources } from '../contracts/index.js';
import { ensureCacheDir } from './probe-cache.js';

/** Names inside the registry directory. Change the number when what they must be changes. */
export const PLACEHOLDER_DIR = 'placeholder-dir-1';
export const PLACEHOLDER_FILE = 'placeholder-file-1';

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Why `p` may not serve as the empty read-only directory (undefined when it may). */
export function placeholderDirProblem(p: string, uid: number): string | undefined {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (st === undefined) return `${p} is missing`;
  if (!st.isDirectory()) return `${p} is not a directory`;
  if (st.uid !== uid) return `${p} is owned by uid ${st.uid}, not by you (uid ${uid})`;
  if ((st.mode & 0o7777) !== 0o555) return `${p} has mode ${octal(st.mode)}, not 0555`;
  if (fs.readdirSync(p).length !== 0) return `${p} is not empty`;
  return undefined;
}

/** Why `p` may not serve as the empty read-only file (undefined when it may). */
export function placeholderFileProblem(p: string, uid: number): string | undefined {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (st === undefined) return `${p} is missing`;
  if (!st.isFile()) return `${p} is not a regular file`;
  if (st.uid !== uid) return `${p} is owned by uid ${st.uid}, not by you (uid ${uid})`;
  if ((st.mode & 0o7777) !== 0o444) return `${p} has mode ${octal(st.mode)}, not 0444`;
  if (st.nlink !== 1) return `${p} has ${st.nlink} links (another name could be writable)`;
  if (st.size !== 0) return `${p} is not empty`;
  return undefined;
}

function createDir(p: string): void {
  try {
    fs.mkdirSync(p, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return; // checked below, never altered
    throw e;
  }
  fs.chmodSync(p, 0o555); // mkdir's mode is masked by the umask; chmod is not
}

function createFile(p: string): void {
  // Built under a private name and renamed in without replacing (link(2) fails on EEXIST): a
  // concurrent first run sees either no file or the finished one.
  const tmp = `${p}.${process.pid}.${Date.now()}.tmp`;
  fs.closeSync(fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600));
  try {
    fs.chmodSync(tmp, 0o444);
    fs.linkSync(tmp, p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

export interface PlaceholderSourceOptions {
  /** The caller's effective uid (default process.geteuid()). */
  uid?: number;
  /** Called with the reason when a source is not used (default: silent). */
  onIgnored?: (problem: string) => void;
}

/**
 * The prepared sources in `dir` (the registry directory), created when missing. Never throws: a
 * source that cannot be created or trusted is left out, and the planner builds that kind of
 * placeholder as before.
 */
export function preparePlaceholderSources(dir: string, opts: PlaceholderSourceOptions = {}): PlaceholderSources {
  const uid = opts.uid ?? process.geteuid?.() ?? 0;
  const ignored = (problem: string): void => opts.onIgnored?.(`placeholder source not used: ${problem}`);
  const dirProblem = ensureCacheDir(dir, uid);
  if (dirProblem !== undefined) {
    ignored(dirProblem);
    return {};
  }
  const out: PlaceholderSources = {};
  const emptyDir = path.join(dir, PLACEHOLDER_DIR);
  try {
    createDir(emptyDir);
    const problem = placeholderDirProblem(emptyDir, uid);
    if (problem === undefined) out.emptyDir = emptyDir;
    else ignored(problem);
  } catch (e) {
    ignored(`cannot prepare ${emptyDir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const emptyFile = path.join(dir, PLACEHOLDER_FILE);
  try {
    if (fs.lstatSync(emptyFile, { throwIfNoEntry: false }) === undefined) createFile(emptyFile);
    const problem = placeholderFileProblem(emptyFile, uid);
    if (problem === undefined) out.emptyFile = emptyFile;
    else ignored(problem);
  } catch (e) {
    ignored(`cannot prepare ${emptyFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return out;
}

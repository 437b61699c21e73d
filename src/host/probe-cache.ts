/**
 * A persistent cache of what `bwrap --help` / `--version` said, so a fresh process (every CLI run)
 * does not spawn two probe processes before each command.
 *
 * Where: one file, `bwrap-probe-1.json`, in the launcher's placeholder registry directory
 * (`syntheticRegistryDir`, facts.ts). That directory is the caller's own (0700; the launcher
 * creates it before bwrap runs and refuses one that is foreign or group/other-writable) and the
 * Linux planner hides it in every bwrap sandbox that could otherwise see it (plan.ts step 5:
 * `--perms 000 --tmpfs` + `--remount-ro`), so a sandboxed command can neither read nor write it.
 * Launchers only touch `launchers-3/`, `paths-3/`, `table-2`, `table`, their `.new` files and `lock` there
 * (native/launcher/registry.cc), so a new file name is safe.
 *
 * The attack it stops: a hostile command that could write the cache would describe the host's bwrap
 * as lacking `--disable-userns` or `--bind-fd` (a weaker next sandbox) or as having options it
 * lacks (every later run fails). So the file is trusted only when it is a regular file, reached
 * without following a symlink (O_NOFOLLOW), with one link (not a hard link to a file some sandbox
 * can write through another name), owned by the caller and writable by no one else, in a directory
 * that is the caller's and writable by no one else — the rule src/config/trust.ts applies to
 * configuration (git `setup.c` `ensure_valid_ownership`, CVE-2022-24765). Anything else is ignored:
 * the binary is probed as if there were no cache, and nothing is written there.
 *
 * Entries are keyed by the binary's canonical path and identity (dev, inode, size, mtime and ctime
 * in ns): replacing or touching the binary changes the key, so a stale entry is never used.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BwrapCapabilities, CachedProbe, ProbeCacheStore } from './bwrap-help.js';
import { nodeCrypto } from '../util/node-crypto.js';


export type { CachedProbe, ProbeCacheStore };

/** File name inside the registry directory. Change the number when the format changes. */
export const PROBE_CACHE_FILE = 'bwrap-probe-1.json';
const MAX_BYTES = 64 * 1024;
const MAX_ENTRIES = 16;

/** The identity a cache entry is keyed by (canonical path + dev:ino:size:mtime:ctime, ns). */
export function binaryIdentityKey(realPath: string): string {
  const st = fs.statSync(realPath, { bigint: true });
  return `${realPath}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Creates `dir` 0700 when missing (as the launcher would), then says what is wrong with it, if anything (cacheDirProblem). */
export function ensureCacheDir(dir: string, uid: number): string | undefined {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch {
    // EEXIST (the usual case) or unwritable: cacheDirProblem decides.
  }
  return cacheDirProblem(dir, uid);
}

/** Why the directory may not hold the cache (undefined when it may). Not following a symlink. */
export function cacheDirProblem(dir: string, uid: number): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (e) {
    return `cannot check ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
  }
  if (!st.isDirectory()) return `${dir} is not a directory`;
  if (st.uid !== uid) return `${dir} is owned by uid ${st.uid}, not by you (uid ${uid})`;
  if ((st.mode & 0o022) !== 0) return `${dir} is writable by group or others (mode ${octal(st.mode)})`;
  return undefined;
}

/** Why an open cache file may not be trusted (undefined when it may). */
export function cacheFileProblem(file: string, st: fs.Stats, uid: number): string | undefined {
  if (!st.isFile()) return `${file} is not a regular file`;
  if (st.uid !== uid) return `${file} is owned by uid ${st.uid}, not by you (uid ${uid})`;
  if ((st.mode & 0o022) !== 0) return `${file} is writable by group or others (mode ${octal(st.mode)})`;
  if (st.nlink !== 1) return `${file} has ${st.nlink} links (another name could be writable)`;
  if (st.size > MAX_BYTES) return `${file} is larger than ${MAX_BYTES} bytes`;
  return undefined;
}

type Entries = Record<string, CachedProbe>;

function isCaps(v: unknown): v is BwrapCapabilities {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return ['argv0', 'perms', 'roBindFd', 'disableUserns'].every((k) => typeof o[k] === 'boolean');
}

function parseEntries(text: string): Entries {
  const raw: unknown = JSON.parse(text);
  const out: Entries = {};
  if (typeof raw !== 'object' || raw === null) return out;
  const entries = (raw as { entries?: unknown }).entries;
  if (typeof entries !== 'object' || entries === null) return out;
  for (const [key, v] of Object.entries(entries as Record<string, unknown>)) {
    if (typeof v !== 'object' || v === null) continue;
    const { version, caps } = v as { version?: unknown; caps?: unknown };
    if (!isCaps(caps) || (version !== undefined && version !== null && typeof version !== 'string')) continue;
    out[key] = {
      version: typeof version === 'string' ? version : undefined,
      caps: { argv0: caps.argv0, perms: caps.perms, roBindFd: caps.roBindFd, disableUserns: caps.disableUserns },
    };
  }
  return out;
}

export interface FileProbeCacheOptions {
  /** The caller's effective uid (default process.geteuid()). */
  uid?: number;
  /** Called with the reason when the cache is ignored (default: silent). */
  onIgnored?: (problem: string) => void;
}

/**
 * The cache in `dir` (the registry directory). Reads the file once, lazily; `set` rewrites it
 * atomically (a fresh 0600 file created with O_EXCL, renamed over the old one). Creates `dir` 0700
 * when missing, as the launcher would. Never throws: an unusable cache is a cache miss.
 */
export function fileProbeCache(dir: string, opts: FileProbeCacheOptions = {}): ProbeCacheStore {
  const uid = opts.uid ?? process.geteuid?.() ?? 0;
  const file = path.join(dir, PROBE_CACHE_FILE);
  const ignored = (problem: string): void => opts.onIgnored?.(`bwrap probe cache ignored: ${problem}`);
  let loaded: { entries: Entries; usable: boolean } | undefined;

  const load = (): { entries: Entries; usable: boolean } => {
    if (loaded !== undefined) return loaded;
    const dirProblem = ensureCacheDir(dir, uid);
    if (dirProblem !== undefined) {
      ignored(dirProblem);
      return (loaded = { entries: {}, usable: false });
    }
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // ELOOP: a symlink stands where the file should be — do not read it, and do not write over it.
      if (code !== 'ENOENT') ignored(`cannot open ${file}: ${code ?? String(e)}`);
      return (loaded = { entries: {}, usable: code === 'ENOENT' });
    }
    try {
      const problem = cacheFileProblem(file, fs.fstatSync(fd), uid);
      if (problem !== undefined) {
        ignored(problem);
        return (loaded = { entries: {}, usable: false });
      }
      return (loaded = { entries: parseEntries(fs.readFileSync(fd, 'utf8')), usable: true });
    } catch (e) {
      ignored(`${file} is unreadable or not JSON (${(e as Error).message}); it will be rewritten`);
      return (loaded = { entries: {}, usable: true });
    } finally {
      fs.closeSync(fd);
    }
  };

  return {
    get(key) {
      return load().entries[key];
    },
    set(key, value) {
      const state = load();
      if (!state.usable) return;
      const keys = Object.keys(state.entries).filter((k) => k !== key);
      const kept: Entries = {};
      for (const k of keys.slice(-(MAX_ENTRIES - 1))) kept[k] = state.entries[k] as CachedProbe;
      kept[key] = value;
      state.entries = kept;
      const json = JSON.stringify({ format: 1, entries: Object.fromEntries(Object.entries(kept).map(([k, v]) => [k, { version: v.version ?? null, caps: v.caps }])) });
      const tmp = path.join(dir, `${PROBE_CACHE_FILE}.${process.pid}.${nodeCrypto().randomBytes(6).toString('hex')}.tmp`);
      try {
        // O_EXCL never follows a symlink at the final component; 0600 so only the caller can rewrite it.
        fs.writeFileSync(tmp, json, { flag: 'wx', mode: 0o600 });
        fs.renameSync(tmp, file);
      } catch {
        try {
          fs.unlinkSync(tmp);
        } catch {
          // not created
        }
      }
    },
  };
}

/**
 * Which bubblewrap runs the sandbox, and what it can do.
 *
 * Preference (once per process, cached per binary identity):
 *   override (`CODEX_SANDBOX_BWRAP` or the library option; owner-checked, probed; no fallback if unusable)
 *   → first system `bwrap` on PATH that root owns in root-only directories and advertises `--perms`
 *   → the bundled, digest-verified bwrap
 *   → none: `problem` names every candidate, why it was rejected, and what to do.
 *
 * The system binary comes first on purpose: Ubuntu's AppArmor userns exemption is attached to
 * /usr/bin/bwrap (Ubuntu's `bwrap-userns-restrict` profile), a bundled copy does not get it; Codex switched to
 * preferring /usr/bin/bwrap for that reason (openai/codex issue #14919, PR #14963).
 *
 * Parsing is pure (bwrap-help.ts); `probeBwrap` spawns `<bwrap> --help` and `<bwrap> --version`
 * once per binary identity (≈2 short execs, a few ms) — once per host with the persistent cache
 * (probe-cache.ts) that getHostFacts passes.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import which from 'which';
import type { BwrapSource } from '../contracts/index.js';
import { isUnder } from '../util/path-within.js';
import { BwrapProbeError, looksLikeBwrapHelp, parseBwrapHelp, parseBwrapVersion } from './bwrap-help.js';
import type { BwrapCapabilities, ProbedBwrap, ProbeOptions } from './bwrap-help.js';
import { bundledBwrapInfo } from './bundled-bwrap.js';
import { binaryIdentityKey } from './probe-cache.js';

/** Environment variable that forces a bwrap binary (still probed; rejected loudly if unusable). */
/** `CODEX_SANDBOX_BWRAP=bundled` forces the bundled, digest-verified binary. */
export const BUNDLED_OVERRIDE = 'bundled';
export const BWRAP_OVERRIDE_ENV = 'CODEX_SANDBOX_BWRAP';

// ---------------------------------------------------------------------------------------------
// Pure parsing
// ---------------------------------------------------------------------------------------------

/** Whether `candidate` (canonical) lies inside `cwd` (canonical). A cwd of `/` contains nothing. */
export function isInsideDir(candidate: string, cwd: string): boolean {
  return cwd !== '/' && isUnder(candidate, cwd);
}

/** `stat` as the trust check sees it (injected in unit tests). */
export type StatFn = (p: string) => fs.Stats;

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/**
 * Why a system bwrap at canonical path `real` may not be run; undefined when it may. It and every
 * ancestor directory must be owned by root and writable by neither group nor others: otherwise a
 * sandboxed command (or another user) could have planted it — e.g. `~/.local/bin/bwrap` on the
 * caller's PATH — and the next run would execute it unsandboxed as "the sandbox" (the
 * CVE-2019-5736 pattern: a binary the container can write, run by the host).
 */
export function bwrapTrustProblem(real: string, stat: StatFn = fs.statSync): string | undefined {
  const check = (p: string, what: string): string | undefined => {
    let st: fs.Stats;
    try {
      st = stat(p);
    } catch (e) {
      return `cannot check ${what} ${p}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
    }
    if (st.uid !== 0) return `${what} ${p} is owned by uid ${st.uid}, not root`;
    if ((st.mode & 0o022) !== 0) return `${what} ${p} is writable by ${(st.mode & 0o002) !== 0 ? 'others' : 'its group'} (mode ${octal(st.mode)})`;
    return undefined;
  };
  const own = check(real, 'the binary');
  if (own !== undefined) return own;
  for (let dir = path.dirname(real); ; dir = path.dirname(dir)) {
    const problem = check(dir, 'its directory');
    if (problem !== undefined) return problem;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** `bwrapTrustProblem` as a sentence for a skipped candidate. */
function untrustedReason(problem: string): string {
  return `not trusted: ${problem}; only a bwrap that root owns, in directories only root can write, is run (a planted bwrap would run unsandboxed)`;
}

// ---------------------------------------------------------------------------------------------
// Probing (spawns)
// ---------------------------------------------------------------------------------------------

interface ProbeCore {
  realPath: string;
  version: string | undefined;
  caps: BwrapCapabilities;
  setuid: boolean;
}

const probeCache = new Map<string, ProbeCore>();

/** Forget cached probes (tests; a long-lived process after a package upgrade). */
export function clearBwrapProbeCache(): void {
  probeCache.clear();
}

const PROBE_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };

function runForText(file: string, arg: string, timeoutMs: number): string {
  const r = spawnSync(file, [arg], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    env: PROBE_ENV,
    maxBuffer: 1024 * 1024,
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    const what = code === 'ETIMEDOUT' ? `timed out after ${timeoutMs} ms` : r.error.message;
    throw new BwrapProbeError(file, `could not run \`${file} ${arg}\`: ${what}`);
  }
  // bubblewrap prints --help on stdout with status 0; some builds use stderr. Read both.
  return `${r.stdout}\n${r.stderr}`;
}

function identityKey(st: fs.Stats, realPath: string): string {
  return `${realPath}\0${st.dev}:${st.ino}:${st.mtimeMs}:${st.ctimeMs}:${st.size}`;
}

function persistentKeyOf(realPath: string): string | undefined {
  try {
    return binaryIdentityKey(realPath);
  } catch {
    return undefined; // vanished since the stat above: probe without the cache
  }
}

/**
 * Run `<path> --help` and `<path> --version` (once per path + inode + mtime in this process) and
 * read the capabilities; with `opts.cache`, a trusted entry for the same binary identity replaces
 * the two spawns (probe-cache.ts says why a sandbox cannot forge it). Throws BwrapProbeError when
 * the binary cannot run or is not bubblewrap.
 */
export function probeBwrap(binPath: string, opts: ProbeOptions = {}): ProbedBwrap {
  let realPath: string;
  let st: fs.Stats;
  try {
    realPath = fs.realpathSync(binPath);
    st = fs.statSync(realPath);
  } catch (e) {
    throw new BwrapProbeError(binPath, `${binPath}: ${(e as Error).message}`);
  }
  if (!st.isFile()) throw new BwrapProbeError(binPath, `${binPath} is not a regular file`);
  const key = identityKey(st, realPath);
  let core = probeCache.get(key);
  if (core === undefined) {
    const setuid = (st.mode & 0o4000) !== 0 && st.uid === 0;
    const persistentKey = opts.cache !== undefined ? persistentKeyOf(realPath) : undefined;
    const cached = persistentKey !== undefined ? opts.cache?.get(persistentKey) : undefined;
    if (cached !== undefined) {
      core = { realPath, version: cached.version, caps: cached.caps, setuid };
    } else {
      const timeoutMs = opts.timeoutMs ?? 2000;
      const help = runForText(realPath, '--help', timeoutMs);
      if (!looksLikeBwrapHelp(help)) {
        const first = help.trim().split('\n')[0] ?? '';
        throw new BwrapProbeError(binPath, `${binPath} does not look like bubblewrap: \`--help\` printed "${first.slice(0, 120)}"`);
      }
      const version = parseBwrapVersion(runForText(realPath, '--version', timeoutMs));
      core = { realPath, version, caps: parseBwrapHelp(help), setuid };
      if (persistentKey !== undefined) opts.cache?.set(persistentKey, { version, caps: core.caps });
    }
    probeCache.set(key, core);
  }
  return {
    path: core.realPath,
    source: opts.source ?? 'system',
    version: core.version,
    argv0: core.caps.argv0,
    perms: core.caps.perms,
    roBindFd: core.caps.roBindFd,
    disableUserns: core.caps.disableUserns,
    setuid: core.setuid,
    expectedSha256: opts.expectedSha256,
  };
}

// ---------------------------------------------------------------------------------------------
// Finding and selecting
// ---------------------------------------------------------------------------------------------

/**
 * Every executable `bwrap` on `pathEnv`, canonicalised and de-duplicated, in PATH order. Relative
 * and empty PATH entries resolve against `cwd`. Candidates inside the canonical `cwd` (unless cwd is
 * `/`) and candidates `trust` rejects (default `bwrapTrustProblem`) are skipped and reported in `skipped`.
 */
export function findSystemBwrap(
  pathEnv: string | undefined,
  cwd: string,
  trust: (real: string) => string | undefined = bwrapTrustProblem,
): { found: string[]; skipped: Array<{ path: string; reason: string }> } {
  let cwdReal = path.resolve(cwd);
  try {
    cwdReal = fs.realpathSync(cwdReal);
  } catch {
    // A cwd that does not exist yet cannot contain a binary; keep the lexical path.
  }
  const entries = (pathEnv ?? '').split(path.delimiter).map((e) => path.resolve(cwd, e === '' ? '.' : e));
  if (entries.length === 0 || pathEnv === undefined || pathEnv === '') return { found: [], skipped: [] };
  const hits = which.sync('bwrap', { all: true, nothrow: true, path: entries.join(path.delimiter) }) ?? [];
  const found: string[] = [];
  const skipped: Array<{ path: string; reason: string }> = [];
  const seen = new Set<string>();
  for (const hit of hits) {
    let real: string;
    try {
      real = fs.realpathSync(hit);
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    // A `bwrap` planted in the workspace would be run unsandboxed (by the probe, then as the
    // sandbox itself): the sandboxed code could put one there. Never trust one.
    if (isInsideDir(real, cwdReal)) {
      skipped.push({ path: real, reason: `inside the working directory ${cwdReal} (a workspace-planted bwrap is never used)` });
      continue;
    }
    // Checked before the probe runs it: probing already executes the binary outside any sandbox.
    const problem = trust(real);
    if (problem !== undefined) {
      skipped.push({ path: real, reason: untrustedReason(problem) });
      continue;
    }
    found.push(real);
  }
  return { found, skipped };
}

export interface BwrapCandidate {
  path: string;
  source: BwrapSource;
  /** Why it was not selected; undefined for the selected one. */
  rejected?: string;
}

export interface BwrapSelection {
  bwrap: ProbedBwrap | undefined;
  /** Set when `bwrap` is undefined: every candidate, why it was rejected, and what to do. */
  problem: string | undefined;
  candidates: BwrapCandidate[];
}

export interface SelectBwrapOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  /** Library option; wins over `CODEX_SANDBOX_BWRAP`. */
  override?: string | undefined;
  /** The bundled binary next to the addon, if any. */
  bundledPath: string | undefined;
  /** Digest compiled into the launcher; undefined = development build (no verification). */
  expectedSha256: string | undefined;
  /** When set, the bundled binary is not considered, for this reason (e.g. the addon did not load). */
  bundledRejected?: string | undefined;
  /** Injected in unit tests; default `probeBwrap`. */
  probe?: (binPath: string, opts: ProbeOptions) => ProbedBwrap;
  /** Injected in unit tests; default `findSystemBwrap`. */
  findSystem?: typeof findSystemBwrap;
  /** Ownership rule for system and override candidates; default `bwrapTrustProblem` (injected in tests whose fakes live in /tmp). */
  trust?: (real: string) => string | undefined;
  /** Injected in unit tests; default `bundledBwrapInfo`. */
  bundled?: (binPath: string, expectedSha256: string | undefined, probe: (p: string, o: ProbeOptions) => ProbedBwrap) => ProbedBwrap;
}

const FIX_HINT =
  'install bubblewrap >= 0.5 (Debian/Ubuntu: `sudo apt-get install bubblewrap`), or reinstall codex-sandbox so it ' +
  'ships its bundled bwrap (`npm rebuild codex-sandbox`), or point CODEX_SANDBOX_BWRAP at a bubblewrap >= 0.5';

function rejectReason(info: ProbedBwrap): string | undefined {
  if (!info.perms) {
    return `bubblewrap ${info.version ?? '(unknown version)'} has no --perms (needs bubblewrap >= 0.5)`;
  }
  return undefined;
}

function describe(candidates: BwrapCandidate[]): string {
  return candidates.map((c) => `${c.path} (${c.source}): ${c.rejected ?? 'selected'}`).join('; ');
}

/** Choose the bubblewrap binary (see the module comment for the order). Never throws for a bad candidate. */
export function selectBwrap(opts: SelectBwrapOptions): BwrapSelection {
  const probe = opts.probe ?? probeBwrap;
  const findSystem = opts.findSystem ?? findSystemBwrap;
  const bundled = opts.bundled ?? bundledBwrapInfo;
  const trust = opts.trust ?? bwrapTrustProblem;
  const candidates: BwrapCandidate[] = [];

  const envOverride = opts.env[BWRAP_OVERRIDE_ENV];
  const override = opts.override ?? (envOverride !== undefined && envOverride !== '' ? envOverride : undefined);
  if (override === BUNDLED_OVERRIDE) {
    // Force the bundled binary (still digest-verified by the launcher); no fallback when absent.
    const via = opts.override !== undefined ? 'the bwrap option' : BWRAP_OVERRIDE_ENV;
    if (opts.bundledPath === undefined || opts.bundledRejected !== undefined) {
      const why = opts.bundledRejected ?? 'this build has no bundled bwrap (vendor/bubblewrap/build.sh could not build one)';
      candidates.push({ path: opts.bundledPath ?? '(bundled)', source: 'bundled', rejected: why });
      return { bwrap: undefined, problem: `bubblewrap forced to "bundled" by ${via}, but ${why}`, candidates };
    }
    try {
      const info = bundled(opts.bundledPath, opts.expectedSha256, probe);
      candidates.push({ path: info.path, source: 'bundled' });
      return { bwrap: info, problem: undefined, candidates };
    } catch (e) {
      candidates.push({ path: opts.bundledPath, source: 'bundled', rejected: (e as Error).message });
      return { bwrap: undefined, problem: `bubblewrap forced to "bundled" by ${via} is not usable: ${(e as Error).message}`, candidates };
    }
  }
  if (override !== undefined) {
    const via = opts.override !== undefined ? 'the bwrap option' : BWRAP_OVERRIDE_ENV;
    const fail = (why: string): BwrapSelection => {
      candidates.push({ path: override, source: 'override', rejected: why });
      return {
        bwrap: undefined,
        problem: `bubblewrap forced by ${via} is not usable: ${override}: ${why}. Fix the path, or unset ${via} to let codex-sandbox choose.`,
        candidates,
      };
    };
    if (!path.isAbsolute(override)) return fail('not an absolute path');
    // The caller's own environment chose it, but it still runs outside the sandbox: same rule as PATH.
    let real: string | undefined;
    try {
      real = fs.realpathSync(override);
    } catch {
      real = undefined; // the probe reports a missing file
    }
    const untrusted = real !== undefined ? trust(real) : undefined;
    if (untrusted !== undefined) return fail(untrustedReason(untrusted));
    try {
      const info = probe(override, { source: 'override', expectedSha256: undefined });
      const why = rejectReason(info);
      // An explicit choice that cannot enforce the plan fails loudly; it never falls back silently.
      if (why !== undefined) return fail(why);
      candidates.push({ path: info.path, source: 'override' });
      return { bwrap: info, problem: undefined, candidates };
    } catch (e) {
      return fail((e as Error).message);
    }
  }

  const { found, skipped } = opts.findSystem !== undefined ? findSystem(opts.env['PATH'], opts.cwd) : findSystemBwrap(opts.env['PATH'], opts.cwd, trust);
  for (const s of skipped) candidates.push({ path: s.path, source: 'system', rejected: s.reason });
  for (const p of found) {
    try {
      const info = probe(p, { source: 'system', expectedSha256: undefined });
      const why = rejectReason(info);
      if (why !== undefined) {
        candidates.push({ path: info.path, source: 'system', rejected: why });
        continue;
      }
      candidates.push({ path: info.path, source: 'system' });
      return { bwrap: info, problem: undefined, candidates };
    } catch (e) {
      candidates.push({ path: p, source: 'system', rejected: (e as Error).message });
    }
  }
  if (found.length === 0 && skipped.length === 0) {
    candidates.push({ path: '(PATH)', source: 'system', rejected: 'no bwrap on PATH' });
  }

  if (opts.bundledPath !== undefined && opts.bundledRejected !== undefined) {
    candidates.push({ path: opts.bundledPath, source: 'bundled', rejected: opts.bundledRejected });
  } else if (opts.bundledPath !== undefined) {
    try {
      const info = bundled(opts.bundledPath, opts.expectedSha256, probe);
      const why = rejectReason(info);
      if (why === undefined) {
        candidates.push({ path: info.path, source: 'bundled' });
        return { bwrap: info, problem: undefined, candidates };
      }
      candidates.push({ path: info.path, source: 'bundled', rejected: why });
    } catch (e) {
      candidates.push({ path: opts.bundledPath, source: 'bundled', rejected: (e as Error).message });
    }
  } else {
    candidates.push({
      path: '(bundled)',
      source: 'bundled',
      rejected: 'this build has no bundled bwrap (vendor/bubblewrap/build.sh could not build one)',
    });
  }

  return {
    bwrap: undefined,
    problem: `no usable bubblewrap: ${describe(candidates)}. To fix: ${FIX_HINT}.`,
    candidates,
  };
}

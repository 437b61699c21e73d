/**
 * Which bubblewrap runs the sandbox, and what it can do.
 *
 * Preference (once per process, cached per binary identity):
 *   override (`CODEX_SANDBOX_BWRAP` or the library option: a path, `bundled` or `system`; owner-checked,
 *     probed; no fallback if unusable)
 *   → the bundled, digest-verified bwrap, when the system one adds nothing (`systemAdvantage` says when it does)
 *   → first system `bwrap` on PATH that root owns in root-only directories and advertises `--perms` (for a
 *     root caller: only in /usr/bin, /usr/sbin, /bin or /sbin — `rootPathBwrapProblem`)
 *   → the bundled bwrap as a fallback (when the system one was preferred but is missing or unusable)
 *   → none: `problem` names every candidate, why it was rejected, and what to do.
 *
 * Why the bundled one first: it is static, so each launch skips the dynamic loader and libcap/libc
 * relocation (issue #21: 4–7 ms of CPU per command), and its bytes are pinned (SHA-256 checked by the
 * launcher on the fd it executes). Why the system one when it adds something: Ubuntu's AppArmor userns
 * exemption is attached to /usr/bin/bwrap (Ubuntu's `bwrap-userns-restrict` profile) and a bundled copy
 * does not get it — Codex switched to preferring /usr/bin/bwrap for that reason (openai/codex issue
 * #14919, PR #14963) — and a setuid-root system bwrap works where unprivileged user namespaces are off.
 * Only a digest-verified bundled build is preferred: a development build's bwrap is unpinned.
 *
 * Parsing is pure (bwrap-help.ts); `probeBwrap` spawns `<bwrap> --help` and `<bwrap> --version`
 * once per binary identity (≈2 short execs, a few ms) — once per host with the persistent cache
 * (probe-cache.ts) that getHostFacts passes.
 */
import type * as ChildProcessModule from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import which from 'which';
import type { BwrapSource } from '../contracts/index.js';
import { isUnder } from '../util/path-within.js';
import { BwrapProbeError, looksLikeBwrapHelp, parseBwrapHelp, parseBwrapVersion } from './bwrap-help.js';
import type { BwrapCapabilities, ProbedBwrap, ProbeOptions } from './bwrap-help.js';
import { bundledBwrapInfo } from './bundled-bwrap.js';
import { binaryIdentityKey } from './probe-cache.js';

// node:child_process on first use: `run` usually finds its answers in the probe cache and never spawns a
// probe, and loading the module is a dozen internal modules on every command (issue #21).
const lazyRequire = createRequire(import.meta.url);
const spawnSync: typeof ChildProcessModule.spawnSync = ((...args: Parameters<typeof ChildProcessModule.spawnSync>) =>
  (lazyRequire('node:child_process') as typeof ChildProcessModule).spawnSync(...args)) as typeof ChildProcessModule.spawnSync;

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

/**
 * The distribution's binary directories: the only places a root caller takes a bwrap from by PATH
 * search. Canonical paths are compared, so merged-/usr hosts (/bin -> usr/bin) give /usr/bin.
 */
export const ROOT_PATH_BWRAP_DIRS: readonly string[] = ['/usr/bin', '/usr/sbin', '/bin', '/sbin'];

/**
 * Why a root caller may not run the bwrap at canonical path `real` found by PATH search; undefined when
 * it may (or the caller is not root). The attack it stops: a root sandbox's files are root-owned in
 * root-only directories, so `bwrapTrustProblem` cannot tell a bwrap an earlier root run planted (e.g.
 * run 1 in ~ writes ~/bin/bwrap, Debian's ~/.profile puts ~/bin first on PATH) from the distribution's,
 * and run 2 would execute it outside any sandbox (the CVE-2019-5736 pattern). A non-root sandbox cannot
 * create a root-owned file, so non-root callers keep the ownership rule alone.
 */
export function rootPathBwrapProblem(real: string, uid: number | undefined): string | undefined {
  if (uid !== 0 || ROOT_PATH_BWRAP_DIRS.includes(path.dirname(real))) return undefined;
  return (
    'a root caller runs a PATH bwrap only from /usr/bin, /usr/sbin, /bin or /sbin (a root sandbox\'s files are root-owned too, ' +
    `so a bwrap elsewhere may have been planted by an earlier run); name it with ${BWRAP_OVERRIDE_ENV}=${real} to use it`
  );
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
 * `/`), candidates outside the distribution's directories when `uid` is 0 (`rootPathBwrapProblem`) and
 * candidates `trust` rejects (default `bwrapTrustProblem`) are skipped and reported in `skipped`.
 */
export function findSystemBwrap(
  pathEnv: string | undefined,
  cwd: string,
  trust: (real: string) => string | undefined = bwrapTrustProblem,
  uid: number | undefined = process.getuid?.(),
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
    // Not part of `trust`: an injected ownership rule (tests whose fakes live in /tmp) does not lift it;
    // the uid is a fact (SelectBwrapOptions.preference.uid), so a test states a non-root caller instead.
    const rootProblem = rootPathBwrapProblem(real, uid);
    if (rootProblem !== undefined) {
      skipped.push({ path: real, reason: rootProblem });
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
  /** Why the selected binary was chosen over the other kind (doctor and explain print it); undefined with no selection. */
  reason?: string | undefined;
}

/** `CODEX_SANDBOX_BWRAP=system` forces the first usable system bwrap on PATH (no bundled fallback). */
export const SYSTEM_OVERRIDE = 'system';

/**
 * The host facts that decide whether the system bwrap adds something the bundled one lacks (read by
 * host/facts.ts; injected in unit tests).
 */
export interface BwrapPreferenceFacts {
  /** kernel.apparmor_restrict_unprivileged_userns (Ubuntu >= 23.10); undefined when the kernel has no such sysctl. */
  apparmorRestrict: number | undefined;
  /** The caller's uid; root is not subject to either restriction below (it holds CAP_SYS_ADMIN). */
  uid: number | undefined;
  /** Whether the binary at `real` is setuid root. */
  setuidRoot: (real: string) => boolean;
  /** Where an AppArmor profile naming `real` was seen (e.g. /etc/apparmor.d/bwrap-userns-restrict), for the explanation only. */
  apparmorProfile?: ((real: string) => string | undefined) | undefined;
}

/**
 * What the system bwrap at `real` gives that the bundled one cannot; undefined when nothing.
 *
 * - `kernel.apparmor_restrict_unprivileged_userns=1` and a non-root caller: AppArmor lets only a binary
 *   whose profile allows `userns` create a user namespace with capabilities; the distribution attaches such
 *   a profile to the system path (/etc/apparmor.d/bwrap-userns-restrict, keyed on /usr/bin/bwrap), a
 *   bundled copy run from the package gets none and fails with "setting up uid map: Permission denied"
 *   (openai/codex issue #14919, PR #14963). The sysctl is the reliable fact: it is world-readable, while
 *   the loaded-profile list (/sys/kernel/security/apparmor/profiles) is root-only and names profiles,
 *   not paths, and a file in /etc/apparmor.d may not be loaded. So the sysctl decides; a profile found
 *   for the path is only cited in the reason. Without a profile neither binary works, and the system path
 *   is the one doctor's fix (userns.ts) tells the user to give a profile.
 * - a setuid-root system bwrap and a non-root caller: it can sandbox where unprivileged user
 *   namespaces are off (kernel.unprivileged_userns_clone=0, user.max_user_namespaces=0); the bundled
 *   copy is never setuid.
 */
export function systemAdvantage(real: string, facts: BwrapPreferenceFacts): string | undefined {
  if (facts.uid === 0) return undefined;
  if (facts.apparmorRestrict === 1) {
    const profile = facts.apparmorProfile?.(real);
    return (
      `kernel.apparmor_restrict_unprivileged_userns=1: AppArmor lets only a binary with a userns profile create user namespaces, ` +
      `and such a profile attaches to the system path${profile !== undefined ? ` (${profile})` : ''}, never to the bundled copy`
    );
  }
  if (facts.setuidRoot(real)) return 'it is setuid root, so it works where unprivileged user namespaces are off; the bundled copy is not setuid';
  return undefined;
}

/** Whether the binary at `real` is owned by root with the setuid bit (BwrapPreferenceFacts.setuidRoot). */
export function isSetuidRoot(real: string): boolean {
  try {
    const st = fs.statSync(real);
    return st.uid === 0 && (st.mode & 0o4000) !== 0;
  } catch {
    return false;
  }
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
  /** Facts for `systemAdvantage`; default: no AppArmor restriction, this process's uid, stat for setuid. */
  preference?: BwrapPreferenceFacts | undefined;
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

const NO_BUNDLED = 'this build has no bundled bwrap (vendor/bubblewrap/build.sh could not build one)';

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
  const bundled = opts.bundled ?? bundledBwrapInfo;
  const trust = opts.trust ?? bwrapTrustProblem;
  const candidates: BwrapCandidate[] = [];

  const envOverride = opts.env[BWRAP_OVERRIDE_ENV];
  const override = opts.override ?? (envOverride !== undefined && envOverride !== '' ? envOverride : undefined);
  const via = opts.override !== undefined ? 'the bwrap option' : BWRAP_OVERRIDE_ENV;

  /** The bundled binary, or undefined with its rejection recorded. */
  const tryBundled = (): ProbedBwrap | undefined => {
    if (opts.bundledPath === undefined) {
      candidates.push({ path: '(bundled)', source: 'bundled', rejected: NO_BUNDLED });
      return undefined;
    }
    if (opts.bundledRejected !== undefined) {
      candidates.push({ path: opts.bundledPath, source: 'bundled', rejected: opts.bundledRejected });
      return undefined;
    }
    try {
      const info = bundled(opts.bundledPath, opts.expectedSha256, probe);
      const why = rejectReason(info);
      if (why === undefined) {
        candidates.push({ path: info.path, source: 'bundled' });
        return info;
      }
      candidates.push({ path: info.path, source: 'bundled', rejected: why });
    } catch (e) {
      candidates.push({ path: opts.bundledPath, source: 'bundled', rejected: (e as Error).message });
    }
    return undefined;
  };

  if (override === BUNDLED_OVERRIDE) {
    // Force the bundled binary (still digest-verified by the launcher); no fallback when absent.
    const info = tryBundled();
    if (info !== undefined) return { bwrap: info, problem: undefined, candidates, reason: `forced by ${via}=${BUNDLED_OVERRIDE}` };
    const why = candidates[candidates.length - 1]?.rejected ?? NO_BUNDLED;
    return { bwrap: undefined, problem: `bubblewrap forced to "bundled" by ${via} is not usable: ${why}`, candidates };
  }
  if (override !== undefined && override !== SYSTEM_OVERRIDE) {
    const fail = (why: string): BwrapSelection => {
      candidates.push({ path: override, source: 'override', rejected: why });
      return {
        bwrap: undefined,
        problem: `bubblewrap forced by ${via} is not usable: ${override}: ${why}. Fix the path, or unset ${via} to let codex-sandbox choose.`,
        candidates,
      };
    };
    if (!path.isAbsolute(override)) return fail(`not an absolute path (give a path, "${BUNDLED_OVERRIDE}" or "${SYSTEM_OVERRIDE}")`);
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
      return { bwrap: info, problem: undefined, candidates, reason: `forced by ${via}` };
    } catch (e) {
      return fail((e as Error).message);
    }
  }

  const preference: BwrapPreferenceFacts = opts.preference ?? { apparmorRestrict: undefined, uid: process.getuid?.(), setuidRoot: isSetuidRoot };
  const { found, skipped } =
    opts.findSystem !== undefined ? opts.findSystem(opts.env['PATH'], opts.cwd) : findSystemBwrap(opts.env['PATH'], opts.cwd, trust, preference.uid);
  for (const s of skipped) candidates.push({ path: s.path, source: 'system', rejected: s.reason });
  const forcedSystem = override === SYSTEM_OVERRIDE;

  // Bundled first when it is pinned (a digest the launcher checks) and no system candidate adds anything.
  const advantage = found.map((p) => ({ path: p, adds: systemAdvantage(p, preference) })).find((a) => a.adds !== undefined);
  const pinned = opts.expectedSha256 !== undefined && opts.bundledPath !== undefined && opts.bundledRejected === undefined;
  let bundledTried = false;
  if (!forcedSystem && pinned && advantage === undefined) {
    bundledTried = true;
    const at = candidates.length;
    const info = tryBundled();
    if (info !== undefined) {
      const nothing = 'the system one adds nothing here (no AppArmor userns restriction for this user, not setuid root)';
      const why = found.length > 0 ? `the bundled static bwrap is digest-verified and skips the dynamic loader on every launch; ${nothing}` : 'no trusted system bwrap on PATH';
      // System candidates listed before the bundled one, as in the other orders.
      const system: BwrapCandidate[] = found.map((p) => ({ path: p, source: 'system', rejected: `not needed: ${nothing}; the bundled one is preferred` }));
      if (found.length === 0 && skipped.length === 0) system.push({ path: '(PATH)', source: 'system', rejected: 'no bwrap on PATH' });
      candidates.splice(at, 0, ...system);
      return { bwrap: info, problem: undefined, candidates, reason: `preferred: ${why}` };
    }
  }

  for (const p of found) {
    try {
      const info = probe(p, { source: 'system', expectedSha256: undefined });
      const why = rejectReason(info);
      if (why !== undefined) {
        candidates.push({ path: info.path, source: 'system', rejected: why });
        continue;
      }
      candidates.push({ path: info.path, source: 'system' });
      const reason = forcedSystem
        ? `forced by ${via}=${SYSTEM_OVERRIDE}`
        : advantage !== undefined && advantage.path === p
          ? `preferred over the bundled copy: ${advantage.adds ?? ''}`
          : bundledTried
            ? 'the bundled bwrap is not usable (see the skipped candidates)'
            : opts.expectedSha256 === undefined && opts.bundledPath !== undefined
              ? 'this is a development build: its bundled bwrap is not digest-pinned, so the system one comes first'
              : 'the first trusted bwrap on PATH with --perms';
      return { bwrap: info, problem: undefined, candidates, reason };
    } catch (e) {
      candidates.push({ path: p, source: 'system', rejected: (e as Error).message });
    }
  }
  if (found.length === 0 && skipped.length === 0) {
    candidates.push({ path: '(PATH)', source: 'system', rejected: 'no bwrap on PATH' });
  }
  if (forcedSystem) {
    return {
      bwrap: undefined,
      problem: `bubblewrap forced to "${SYSTEM_OVERRIDE}" by ${via}, but no system bwrap is usable: ${describe(candidates)}. Install bubblewrap >= 0.5, or unset ${via} to let codex-sandbox choose.`,
      candidates,
    };
  }

  if (!bundledTried) {
    const info = tryBundled();
    if (info !== undefined) {
      const reason = advantage !== undefined ? `fallback: the system bwrap was preferred (${advantage.adds ?? ''}) but is not usable` : 'no usable system bwrap on PATH';
      return { bwrap: info, problem: undefined, candidates, reason };
    }
  }

  return {
    bwrap: undefined,
    problem: `no usable bubblewrap: ${describe(candidates)}. To fix: ${FIX_HINT}.`,
    candidates,
  };
}

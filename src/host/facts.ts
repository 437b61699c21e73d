/**
 * Host facts, gathered once per process (per distinct set of inputs that matter) and cached. The
 * only place that probes the host for the planners: bwrap selection, Landlock ABI, WSL1, tmpdir,
 * home, the launcher's path. Everything is probed when the facts are made (createSandbox), so the
 * facts are plain data and planning (`transform`) never loads the addon or runs a binary.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Platform } from '../path-uri/index.js';
import type { BwrapSource, HostFacts, LinuxFacts, WindowsFacts } from '../contracts/index.js';
import { bundledBwrapPath, launcherPath, loadNative, packageRoot } from '../native.js';
import { checkBundledDigest, normaliseEmbeddedDigest } from './bundled-bwrap.js';
import type { DigestCheck } from './bundled-bwrap.js';
import { apparmorProfileFor } from './apparmor-profile.js';
import { isSetuidRoot, probeBwrap, selectBwrap } from './bwrap-select.js';
import { fileProbeCache } from './probe-cache.js';
import { preparePlaceholderSources } from './placeholder-sources.js';
import type { BwrapCandidate, SelectBwrapOptions } from './bwrap-select.js';
import { diagnoseUserns, isWsl1, probeUserns, procReaderAt, readUsernsSettings } from './userns.js';
import type { ProcReader, UsernsDiagnosis } from './userns.js';
import { probeLimitFacts } from './cgroups.js';
import { createFsInspector } from './fs-inspector.js';
import { procMaskPaths } from '../contracts/index.js';

/** The part of the native layer host facts need (src/native.ts; injectable for tests). */
export interface NativeForFacts {
  loadNative(): { landlockAbi(): number; embeddedBwrapSha256(): string | null };
  launcherPath(): string;
  bundledBwrapPath(): string | undefined;
  packageRoot?(): string;
  /** Windows: whether this process's token is elevated (the addon's winIsElevated). */
  isElevated?(): boolean;
}

/** Windows only (called from windowsFacts): false when the addon cannot tell, so nothing machine-wide is edited. */
function isElevated(): boolean {
  try {
    const addon = loadNative() as unknown as { winIsElevated?: () => boolean };
    return typeof addon.winIsElevated === 'function' && addon.winIsElevated();
  } catch {
    return false;
  }
}

const realNative: NativeForFacts = { loadNative, launcherPath, bundledBwrapPath, packageRoot, isElevated };

export interface HostFactsOptions {
  /** Environment the sandboxed command would see (PATH, TMPDIR, HOME, CODEX_SANDBOX_BWRAP). Default process.env. */
  env?: Record<string, string | undefined>;
  /** Working directory of the command (a bwrap inside it is never used). Default process.cwd(). */
  cwd?: string;
  /** Force this bwrap binary (library option; wins over CODEX_SANDBOX_BWRAP). */
  bwrapOverride?: string | undefined;
  /** Tests only. */
  native?: NativeForFacts;
  /** Tests only: reads /proc files (default: the real ones). */
  procReader?: ProcReader;
  /** Tests only: replaces the probe used by bwrap selection. */
  probe?: SelectBwrapOptions['probe'];
  /** Tests only: replaces the PATH search. */
  findSystem?: SelectBwrapOptions['findSystem'];
  /** Tests only: the caller's uid as bwrap selection sees it (default process.getuid()). */
  uid?: number;
}

/** Everything `doctor` shows about the Linux host beyond the planner's LinuxFacts. */
export interface LinuxHostDetails {
  facts: LinuxFacts;
  /** Each bwrap considered, in order, with why it was rejected. */
  candidates: BwrapCandidate[];
  /** Why the selected bwrap was chosen (bundled or system), or undefined when none was. */
  selectionReason: string | undefined;
  /** Why the native addon could not be loaded (landlockAbi is then 0), or undefined. */
  nativeError: string | undefined;
  /** Why the launcher path is unknown, or undefined. */
  launcherError: string | undefined;
  /** Re-hash the bundled bwrap against the embedded digest (reads ~1 MB). */
  digestCheck(): DigestCheck;
  /** Kernel settings + one real `bwrap --unshare-user --unshare-net` probe of the selected binary. */
  userns(): UsernsDiagnosis;
}

function currentPlatform(): Platform {
  const p = process.platform;
  if (p === 'linux' || p === 'darwin' || p === 'win32') return p;
  throw new Error(`codex-sandbox supports linux, darwin and win32; this host is ${p}`);
}

function absoluteOrUndefined(v: string | undefined): string | undefined {
  return v !== undefined && v !== '' && path.isAbsolute(v) ? v : undefined;
}

/**
 * What `:tmpdir` means: $TMPDIR; on Windows, which does not set it, the first of %TMPDIR%, %TEMP%,
 * %TMP% that is an absolute path (GetTempPath2's order, after the variable a Unix tool would set).
 */
export function tmpdirOf(env: Record<string, string | undefined>, platform: NodeJS.Platform): string | undefined {
  if (platform !== 'win32') return absoluteOrUndefined(env['TMPDIR']);
  for (const name of ['TMPDIR', 'TEMP', 'TMP']) {
    const v = env[name];
    if (v !== undefined && v !== '' && path.win32.isAbsolute(v)) return v;
  }
  return undefined;
}

/** Owner uid of a directory, or undefined when it is missing or not a directory. */
export type DirOwner = (path: string) => number | undefined;

const realDirOwner: DirOwner = (p) => {
  try {
    const st = fs.statSync(p);
    return st.isDirectory() ? st.uid : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The launcher's placeholder registry: one per user, at a path that does not depend on the caller's
 * environment — `/run/user/<uid>/codex-sandbox-registry` when that runtime dir exists and is the
 * user's, else `/tmp/codex-sandbox-registry-<uid>`. The attack it stops: two callers with different
 * $TMPDIR or $XDG_RUNTIME_DIR would keep separate registries, and one would remove a placeholder
 * (say the empty `.git` masking a workspace) that is still mounted in the other's sandbox; unlinking
 * a mount point detaches that mount in the other namespace, and the sandboxed command could then
 * create `.git/hooks`. The launcher creates the dir 0700 and refuses one owned by someone else or
 * writable by others (a pre-created directory there is a denial of service, not a way to forge records).
 */
export function syntheticRegistryDir(uid: number = process.getuid?.() ?? 0, dirOwner: DirOwner = realDirOwner): string {
  const runtime = `/run/user/${uid}`;
  if (dirOwner(runtime) === uid) return `${runtime}/codex-sandbox-registry`;
  return `/tmp/codex-sandbox-registry-${uid}`;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The installed package directory, canonical (the planner compares it with canonical writable roots). */
function packageRootOf(native: NativeForFacts): string | undefined {
  try {
    const root = native.packageRoot?.();
    return root === undefined ? undefined : fs.realpathSync.native(root);
  } catch {
    return undefined;
  }
}

function computeLinuxDetails(opts: HostFactsOptions, env: Record<string, string | undefined>, cwd: string): LinuxHostDetails {
  const native = opts.native ?? realNative;
  const read = opts.procReader ?? procReaderAt('/');

  let landlockAbi = 0;
  let embedded: string | undefined;
  let nativeError: string | undefined;
  try {
    const addon = native.loadNative();
    landlockAbi = addon.landlockAbi();
    embedded = normaliseEmbeddedDigest(addon.embeddedBwrapSha256());
  } catch (e) {
    nativeError = errorText(e);
  }

  let launcher = '';
  let launcherError: string | undefined;
  try {
    launcher = native.launcherPath();
  } catch (e) {
    launcherError = errorText(e);
  }

  let bundledPath: string | undefined;
  try {
    bundledPath = native.bundledBwrapPath();
  } catch {
    bundledPath = undefined;
  }

  const registry = syntheticRegistryDir();
  // The probe results persist in the registry directory, which no sandbox can see (probe-cache.ts).
  const probeCache = fileProbeCache(registry);
  const restrictText = read('/proc/sys/kernel/apparmor_restrict_unprivileged_userns');
  const restrict = restrictText !== undefined && /^\s*\d+\s*$/.test(restrictText) ? Number(restrictText.trim()) : undefined;
  const selection = selectBwrap({
    env,
    cwd,
    override: opts.bwrapOverride,
    bundledPath,
    expectedSha256: embedded,
    preference: {
      apparmorRestrict: restrict,
      uid: opts.uid ?? process.getuid?.(),
      setuidRoot: isSetuidRoot,
      apparmorProfile: (real) => apparmorProfileFor(real),
    },
    // Without the addon the digest the launcher checks is unknown; rather than run the bundled
    // binary unverified to probe it, leave it out and say why.
    bundledRejected:
      nativeError !== undefined ? `not used: the native addon failed to load (${nativeError}), so its digest is unknown` : undefined,
    probe: opts.probe ?? ((p, o) => probeBwrap(p, { ...o, cache: probeCache })),
    ...(opts.findSystem !== undefined ? { findSystem: opts.findSystem } : {}),
  });
  const candidates = selection.candidates;

  const procVersion = read('/proc/version');
  const settingsOnce = (() => {
    let s: ReturnType<typeof readUsernsSettings> | undefined;
    return () => (s ??= readUsernsSettings(read, env));
  })();

  const facts: LinuxFacts = {
    syntheticRegistry: registry,
    bwrap: selection.bwrap,
    bwrapProblem: selection.problem,
    launcherPath: launcher,
    landlockAbi,
    wsl1: procVersion !== undefined && isWsl1(procVersion),
    limits: probeLimitFacts(),
    uid: process.getuid?.(),
    packageRoot: packageRootOf(native),
    // One read-only bind per placeholder instead of a tmpfs + remount (placeholder-sources.ts).
    placeholderSources: preparePlaceholderSources(registry),
    // Once per process, not per plan: no sandboxed command can change the host's /proc (src/contracts/proc-masks.ts).
    procMasks: procMaskPaths(createFsInspector()),
  };
  let usernsCache: UsernsDiagnosis | undefined;
  return {
    facts,
    candidates,
    selectionReason: selection.reason,
    nativeError,
    launcherError,
    digestCheck: () => checkBundledDigest(bundledPath, embedded),
    userns: () => {
      usernsCache ??= diagnoseUserns({
        settings: settingsOnce(),
        probe: selection.bwrap !== undefined ? probeUserns(selection.bwrap.path) : undefined,
      });
      return usernsCache;
    },
  };
}

interface CacheEntry {
  facts: HostFacts;
  linuxDetails: LinuxHostDetails | undefined;
}

/**
 * Windows: where the launcher is ('' when the addon cannot say: the launch then refuses to start),
 * %SystemRoot% (cmd.exe for batch files) and the per-user state directory. Both come from this
 * process's own environment, never from the sandbox's env option: only the caller sets them.
 */
function windowsFacts(native: NativeForFacts): WindowsFacts {
  const drivePath = (v: string | undefined): string | undefined => (v !== undefined && /^[A-Za-z]:\\/.test(v) ? v : undefined);
  const systemRoot = drivePath(process.env['SystemRoot'] ?? process.env['SYSTEMROOT']);
  const localAppData = drivePath(process.env['LOCALAPPDATA']);
  const extra = {
    ...(systemRoot !== undefined ? { systemRoot } : {}),
    ...(localAppData !== undefined ? { stateDir: path.win32.join(localAppData, 'codex-sandbox') } : {}),
    ...(native.isElevated !== undefined ? { elevated: native.isElevated() } : {}),
  };
  try {
    return { launcherPath: native.launcherPath(), ...extra };
  } catch {
    return { launcherPath: '', ...extra };
  }
}

const cache = new Map<string, CacheEntry>();
let sharedFs: HostFacts['fs'] | undefined;

/** Forget cached facts (tests; a long-lived process after the host changed). */
export function clearHostFactsCache(): void {
  cache.clear();
}

function entryFor(opts: HostFactsOptions): CacheEntry {
  const env = opts.env ?? process.env;
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const injected = opts.native !== undefined || opts.procReader !== undefined || opts.probe !== undefined || opts.findSystem !== undefined || opts.uid !== undefined;
  const key = JSON.stringify([env['PATH'], env['CODEX_SANDBOX_BWRAP'], env['TMPDIR'], env['TEMP'], env['TMP'], env['HOME'], env['container'], cwd, opts.bwrapOverride]);
  const hit = injected ? undefined : cache.get(key);
  if (hit !== undefined) return hit;

  const platform = currentPlatform();
  sharedFs ??= createFsInspector();
  const details = platform === 'linux' ? computeLinuxDetails(opts, env, cwd) : undefined;
  const facts: HostFacts = {
    platform,
    arch: process.arch,
    tmpdir: tmpdirOf(env, platform),
    home: absoluteOrUndefined(env['HOME']) ?? (absoluteOrUndefined(os.homedir()) || undefined),
    fs: sharedFs,
    ...(details !== undefined ? { linux: details.facts } : {}),
    ...(platform === 'darwin' ? { darwin: { uid: process.getuid?.() } } : {}),
    ...(platform === 'win32' ? { windows: windowsFacts(opts.native ?? realNative) } : {}),
  };
  const entry: CacheEntry = { facts, linuxDetails: details };
  if (!injected) cache.set(key, entry);
  return entry;
}

/** Host facts for the planners, computed once per process and set of inputs. */
export function getHostFacts(opts: HostFactsOptions = {}): HostFacts {
  return entryFor(opts).facts;
}

/** Linux details for `doctor` (same cache as getHostFacts); undefined on other platforms. */
export function getLinuxHostDetails(opts: HostFactsOptions = {}): LinuxHostDetails | undefined {
  return entryFor(opts).linuxDetails;
}

/** The `bwrap` section of `codex-sandbox doctor --json`. */
export interface DoctorBwrapReport {
  path: string | null;
  source: BwrapSource | null;
  version: string | null;
  argv0: boolean;
  perms: boolean;
  roBindFd: boolean;
  setuid: boolean;
  /** Bundled: true = matches the digest compiled into the launcher, false = mismatch (it will be refused),
   *  null = development build (not verified) or not the bundled binary. */
  digestVerified: boolean | null;
  /** One line for humans: what was chosen and why, or what is wrong and what to do. */
  note: string;
  /** Why this binary and not the other kind (bundled vs system), or null when none was selected. */
  reason: string | null;
  candidates: BwrapCandidate[];
}

/** Build the doctor's bwrap section (hashes the bundled binary when it is the selected one). */
export function doctorBwrapReport(details: LinuxHostDetails): DoctorBwrapReport {
  const b = details.facts.bwrap;
  let digestVerified: boolean | null = null;
  let note: string;
  if (b === undefined) {
    note = details.facts.bwrapProblem ?? 'no bubblewrap selected';
  } else if (b.source === 'bundled') {
    const check = details.digestCheck();
    digestVerified = check.status === 'verified' ? true : check.status === 'mismatch' ? false : null;
    note =
      check.status === 'verified'
        ? `bundled bubblewrap ${b.version ?? ''}, digest sha256:${check.sha256} verified`
        : check.message;
  } else {
    note = `${b.source} bubblewrap ${b.version ?? '(unknown version)'}${b.argv0 ? '' : ' (no --argv0: the launcher emulates it)'}${b.setuid ? '; setuid root' : ''}`;
  }
  return {
    path: b?.path ?? null,
    source: b?.source ?? null,
    version: b?.version ?? null,
    argv0: b?.argv0 ?? false,
    perms: b?.perms ?? false,
    roBindFd: b?.roBindFd ?? false,
    setuid: b?.setuid ?? false,
    digestVerified,
    note,
    reason: b !== undefined ? (details.selectionReason ?? null) : null,
    candidates: details.candidates,
  };
}

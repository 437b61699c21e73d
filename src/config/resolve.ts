/**
 * `--profile NAME` → a profile, in this order: built-ins, project `[profiles.NAME]`, user
 * `[profiles.NAME]`, Codex profiles (`codex`, `codex:NAME`), then a `.json`/`.toml` file path.
 * Built-ins come first so no configuration file can redefine what `workspace-write` means.
 */
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import type { Stats } from 'node:fs';
import path from 'node:path';
import type { EnvPolicy, GitMode, ResourceLimits } from '../contracts/index.js';
import { ProfileError, parsePermissionProfile, parseSandboxPolicy, sandboxPolicyToPermissionProfile } from '../permissions/index.js';
import type { CacheTool, NetworkAccessPolicy, PermissionProfile } from '../permissions/index.js';
import { PROTECTED_METADATA_NAMES } from '../permissions/index.js';
import { nativeFromPathUri } from '../permissions/path-text.js';
import type { Platform } from '../path-uri/index.js';
import { builtInProfile, compileCodexDefault, compileCodexPermissions, compileSandboxProfile, mergedPermissions } from './compile.js';
import type { CompiledProfile } from './compile.js';
import { ConfigError, UnknownProfileError, projectSettingRefused } from './errors.js';
import { checkProjectLimits, limitsValue } from './limits.js';
import type { LoadedConfig } from './load.js';
import type { SandboxConfig } from './sandbox-config.js';
import { isUnder } from '../util/path-within.js';
import { readIfTrusted } from './trust.js';
import { describeOrigin } from './origin.js';
import type { Origin, ProfileOrigin } from './origin.js';
import { BUILT_IN_PROFILE_NAMES, CODEX_BUILT_IN_IDS } from './sandbox-config.js';
import { TomlDoc, isTable } from './toml-doc.js';

export interface ResolveProfileOptions {
  cwd: string;
  platform: Platform;
  /** Overrides the home directory the config was loaded with (for `~`). */
  home?: string;
  /** Where the name came from when a configuration file chose it (`default_profile`): bounded if untrusted. */
  chosenBy?: Origin;
}

export interface ResolvedProfileChoice {
  profile: PermissionProfile;
  envPolicy?: EnvPolicy;
  /** Extra project roots from a Codex `[permissions.NAME.workspace_roots]` table. */
  workspaceRoots?: string[];
  origin: ProfileOrigin;
  /** Resource limits from `[profiles.NAME.limits]` (the caller's --limit-* flags override them). */
  limits?: ResourceLimits;
  /** `allow_nested_userns = true` in the profile (Linux: the command may create user namespaces). */
  allowNestedUserns?: boolean;
  /** `caches = [...]` in the profile, with where it was set. */
  caches?: { tools: CacheTool[]; origin: Origin };
  /** `git = "..."` in the profile. */
  git?: GitMode;
  /** The profile's network allow list (`allow_domains`…, Codex `[permissions.NAME.network] domains`…). */
  networkAccess?: NetworkAccessPolicy;
}

export interface ProfileListing {
  name: string;
  source: 'built-in' | string;
  description?: string;
}

const BUILT_IN_DESCRIPTIONS: Record<string, string> = {
  'read-only': 'read everything, write nothing, no network',
  'workspace-write': 'read everything, write the project and temp directories, no network',
  'danger-full-access': 'no sandbox at all',
};

function originFile(o: Origin | undefined): string | undefined {
  return o?.kind === 'config' ? o.file : undefined;
}

/** One way a profile exceeds the workspace-write bound: where it is written and what it would grant. */
export interface BoundRefusal {
  at: Origin;
  what: string;
}

const BOUND_TAIL =
  'but this profile comes from a project-level file, which sandboxed commands or a cloned repository can write, ' +
  'so it may not grant more than workspace-write; move the profile to your user config (~/.config/codex-sandbox/config.toml) ' +
  'or trust the project explicitly (--trust-project-config)';

/** A profile refused because an untrusted project file would widen it beyond workspace-write. */
export class ProjectBoundError extends ConfigError {
  constructor(
    file: string,
    line: number,
    key: string,
    detail: string,
    /** The part that was refused, without the explanation (`it enables network access`). */
    readonly refused: string,
  ) {
    super(file, line, key, detail, 'ProjectConfigBound');
    this.name = 'ProjectBoundError';
  }
}

function refusalError(r: BoundRefusal): ProjectBoundError {
  const detail = `${r.what}, ${BOUND_TAIL}`;
  if (r.at.kind === 'config') return new ProjectBoundError(r.at.file, r.at.line, r.at.key, detail, r.what);
  return new ProjectBoundError('(unknown)', 0, '(unknown)', detail, r.what);
}

/** Everything `refusalsFor` needs besides the profile. */
export interface BoundContext {
  untrusted: ReadonlySet<string>;
  /** The directory `:project_roots` means; write subpaths under it are checked for symlinks. */
  cwd?: string;
  /** Where the profile's name came from, when a file chose it (`default_profile`). */
  chosenBy?: Origin;
}

/** The first symlink met walking `subpath` down from `root` (lstat, never following), with its target. */
function symlinkOnPath(root: string, subpath: string): { link: string; target: string } | undefined {
  let p = root;
  for (const part of subpath.split(/[\\/]/).filter((x) => x !== '' && x !== '.')) {
    p = path.join(p, part);
    let st: Stats;
    try {
      st = lstatSync(p);
    } catch {
      return undefined; // missing: nothing to follow (yet); checked again on the next run
    }
    if (st.isSymbolicLink()) {
      let target = '?';
      try {
        target = readlinkSync(p);
      } catch {
        // keep '?'
      }
      return { link: p, target };
    }
  }
  return undefined;
}

/**
 * Every way `choice` exceeds what workspace-write grants, when any part of it — or the choice of it
 * (`default_profile`) — comes from an untrusted project file: a command running under workspace-write
 * can write that file for the *next* run (full disk, writes outside the project, network, secrets,
 * writable `.git`/`codex-sandbox.toml`, or a write bound through a symlink it planted). `depth` is set
 * when an untrusted file sets `glob_scan_max_depth`: that only caps how deep deny globs (the
 * caller's too) are matched, so it is dropped rather than refused.
 */
export function projectBoundRefusals(choice: CompiledProfile, ctx: BoundContext): { refusals: BoundRefusal[]; depth?: Origin } {
  const o = choice.origin;
  const untrusted = (x: Origin | undefined): boolean => ctx.untrusted.has(originFile(x) ?? '');
  const all = [o.defined, o.network, o.envPolicy, o.globScanMaxDepth, ...o.entries];
  const chosen = ctx.chosenBy !== undefined && untrusted(ctx.chosenBy);
  if (!chosen && !all.some(untrusted)) return { refusals: [] };
  // Built-ins chosen by a file have no file origin of their own: point at the line that chose them.
  const fallback = chosen && ctx.chosenBy !== undefined ? ctx.chosenBy : o.defined;
  const at = (x: Origin | undefined): Origin => (x?.kind === 'config' ? x : fallback);
  const refusals: BoundRefusal[] = [];
  const p = choice.profile;
  if (p.type === 'disabled') refusals.push({ at: at(o.defined), what: 'it disables the sandbox' });
  if (p.type === 'external') refusals.push({ at: at(o.defined), what: 'it leaves filesystem isolation to an external sandbox' });
  if (p.type !== 'disabled' && p.network === 'enabled') refusals.push({ at: at(o.network), what: 'it enables network access' });
  let depth: Origin | undefined;
  if (p.type === 'managed' && p.fileSystem.type === 'unrestricted') refusals.push({ at: at(o.defined), what: 'it grants unrestricted filesystem access' });
  if (p.type === 'managed' && p.fileSystem.type === 'restricted') {
    p.fileSystem.entries.forEach((e, i) => {
      if (e.access !== 'write') return;
      const where = at(o.entries[i] ?? o.defined);
      if (e.path.type !== 'special' || !['project_roots', 'tmpdir', 'slash_tmp'].includes(e.path.value.kind)) {
        const target = e.path.type === 'special' ? `:${e.path.value.kind}` : e.path.type === 'path' ? (nativeFromPathUri(e.path.path) ?? e.path.path.toString()) : e.path.pattern;
        refusals.push({ at: where, what: `it grants write access to ${target} outside the project and temp directories` });
        return;
      }
      const sub = e.path.value.kind === 'project_roots' ? e.path.value.subpath : undefined;
      if (sub === undefined || sub === '' || sub === '.') return;
      const first = sub.split(/[\\/]/)[0] ?? '';
      // A writable .git lets the command plant hooks that the user's next `git` runs outside the
      // sandbox (Codex `default_read_only_subpaths_for_writable_root`); codex-sandbox.toml picks the next profile.
      if ((PROTECTED_METADATA_NAMES as readonly string[]).includes(first)) {
        refusals.push({ at: where, what: `it grants write access to ${sub}, protected metadata (${PROTECTED_METADATA_NAMES.join(', ')} stay read-only)` });
        return;
      }
      // bwrap binds a writable subpath by path and the kernel follows a symlink in it: a link the
      // command planted (`sub -> ~`) would make the caller's home writable (bubblewrap(1), --bind).
      const link = ctx.cwd !== undefined ? symlinkOnPath(ctx.cwd, sub) : undefined;
      if (link !== undefined) {
        refusals.push({ at: where, what: `it grants write access to ${sub}, which is reached through the symlink ${link.link} -> ${link.target}` });
      }
    });
    if (p.fileSystem.globScanMaxDepth !== undefined && untrusted(o.globScanMaxDepth ?? o.defined)) depth = at(o.globScanMaxDepth ?? o.defined);
  }
  if (choice.envPolicy?.ignoreDefaultExcludes === true && untrusted(o.envPolicy ?? o.defined)) {
    refusals.push({ at: at(o.envPolicy ?? o.defined), what: 'it passes secret-named environment variables (ignore_default_excludes = true)' });
  }
  if (choice.workspaceRoots !== undefined && choice.workspaceRoots.length > 0) {
    refusals.push({ at: at(o.defined), what: 'it adds workspace roots outside the project' });
  }
  return depth !== undefined ? { refusals, depth } : { refusals };
}

/**
 * Refuses (throws ConfigError for the first refusal) a profile built in any part from an untrusted
 * project file when it grants more than workspace-write; see `projectBoundRefusals`. Returns where an
 * untrusted `glob_scan_max_depth` came from, if one did (the caller drops it).
 */
function checkProjectBound(choice: CompiledProfile, untrusted: ReadonlySet<string>, cwd: string, chosenBy: Origin | undefined): Origin | undefined {
  checkProjectLimits(choice.limits, untrusted);
  checkProjectUserns(choice, untrusted);
  checkProjectCaches(choice, untrusted);
  checkProjectNetworkAccess(choice, untrusted);
  const { refusals, depth } = projectBoundRefusals(choice, { untrusted, cwd, ...(chosenBy !== undefined ? { chosenBy } : {}) });
  const first = refusals[0];
  if (first !== undefined) throw refusalError(first);
  return depth;
}

/**
 * Refuses a network allow list from an untrusted (project) file: it opens the network (to the listed
 * destinations), and a command that writes codex-sandbox.toml or .codex/config.toml must not grant
 * the next run a way to send data out (the same bound as `network = "enabled"`).
 */
function checkProjectNetworkAccess(c: CompiledProfile, untrusted: ReadonlySet<string>): void {
  const a = c.networkAccess;
  if (a === undefined || !untrusted.has(a.origin.file)) return;
  if (a.value.allow.length === 0 && a.value.allowHostPorts.length === 0 && a.value.unixSockets.length === 0 && !a.value.allowLocalBinding) return;
  throw projectSettingRefused(a.origin, { what: 'it allows network access (an allow list)', flag: '--allow-domain', move: 'the allow list' });
}

/**
 * Refuses `allow_nested_userns = true` from an untrusted (project) file: a new user namespace gives the
 * command a full capability set inside it and reopens the kernel's user-namespace attack surface, so a
 * command that writes codex-sandbox.toml must not turn it on for the next run.
 */
function checkProjectUserns(c: CompiledProfile, untrusted: ReadonlySet<string>): void {
  const u = c.allowNestedUserns;
  if (u === undefined || u.value !== true || !untrusted.has(u.origin.file)) return;
  throw projectSettingRefused(u.origin, { what: 'it allows nested user namespaces', flag: '--allow-nested-userns' });
}

/**
 * Refuses `caches` from an untrusted (project) file: it makes directories under $HOME writable, whose
 * contents the next unsandboxed install or build trusts (a command that writes codex-sandbox.toml would
 * choose which of the user's caches its successor may poison).
 */
function checkProjectCaches(c: CompiledProfile, untrusted: ReadonlySet<string>): void {
  const k = c.caches;
  if (k === undefined || k.value.length === 0 || !untrusted.has(k.origin.file)) return;
  throw projectSettingRefused(k.origin, { what: 'it makes cache directories under your home directory writable', flag: '--cache' });
}

/** Applies the bound: throws on a refusal; drops an untrusted `glob_scan_max_depth` with a warning. */
function bounded(c: CompiledProfile, loaded: LoadedConfig, chosenBy: Origin | undefined): CompiledProfile {
  const depth = checkProjectBound(c, loaded.untrustedFiles, loaded.cwd, chosenBy);
  if (depth === undefined || c.profile.type !== 'managed' || c.profile.fileSystem.type !== 'restricted') return c;
  const { globScanMaxDepth: _dropped, ...fileSystem } = c.profile.fileSystem;
  loaded.warnings.push(
    `${depth.kind === 'config' ? `${depth.file}:${depth.line}: ${depth.key}` : describeOrigin(depth)}: ignored glob_scan_max_depth = ${String(_dropped)}: a project-level file may not cap how deep deny globs (yours included) are matched; ` +
      'the scan is unbounded instead (move it to your user config, or pass --trust-project-config)',
  );
  const { globScanMaxDepth: _o, ...origin } = c.origin;
  return { ...c, profile: { ...c.profile, fileSystem }, origin };
}

function isBuiltInName(name: string): boolean {
  return (BUILT_IN_PROFILE_NAMES as readonly string[]).includes(name) || (CODEX_BUILT_IN_IDS as readonly string[]).includes(name);
}

const LEGACY_TAGS = new Set(['danger-full-access', 'read-only', 'external-sandbox', 'workspace-write']);

/**
 * A `.json` / `.toml` file holding a Codex profile or a legacy SandboxPolicy. `text`: its contents,
 * already read (and checked) by the caller. Whether it is bounded is `resolveProfileName`'s business.
 */
export function readProfileFile(file: string, given?: string): Omit<ResolvedProfileChoice, 'limits' | 'allowNestedUserns' | 'caches' | 'git' | 'networkAccess'> {
  let text: string;
  try {
    text = given ?? readFileSync(file, 'utf8');
  } catch (e) {
    throw new UnknownProfileError(file, `cannot read profile file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const toml = /\.toml$/i.test(file);
  let value: unknown;
  let doc: TomlDoc | undefined;
  if (toml) {
    doc = new TomlDoc(file, text);
    value = doc.root;
  } else {
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(file, 1, [], `not valid JSON: ${(e as Error).message}`);
    }
  }
  // An empty file would be a profile that allows nothing (not even the working directory): a mistake.
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0) {
    throw new ConfigError(file, 1, [], 'the profile file is empty (it defines no permissions); write a profile in it (see `codex-sandbox explain -p read-only -- true` for what one holds) or use a built-in one (-p read-only | workspace-write)');
  }
  const where = (segments: string[]): { line: number; key: string[] } => ({ line: doc?.lineOf(segments) ?? 1, key: segments });
  let profile: PermissionProfile;
  try {
    const tag = isTable(value) || (typeof value === 'object' && value !== null) ? (value as { type?: unknown }).type : undefined;
    profile = typeof tag === 'string' && LEGACY_TAGS.has(tag) ? sandboxPolicyToPermissionProfile(parseSandboxPolicy(value)) : parsePermissionProfile(value);
  } catch (e) {
    if (e instanceof ProfileError) {
      const segs = e.jsonPath.replace(/^\$/, '').split(/\.|\[|\]/).filter((s) => s !== '');
      const w = where(segs);
      throw new ConfigError(file, w.line, w.key, e.detail);
    }
    throw e;
  }
  const defined: Origin = { kind: 'config', file, line: 1, key: '(document)' };
  const count = profile.type === 'managed' && profile.fileSystem.type === 'restricted' ? profile.fileSystem.entries.length : 0;
  const entries: Origin[] = Array.from({ length: count }, (_, i) => {
    const segs = ['file_system', 'entries', String(i)];
    return doc !== undefined ? doc.origin(segs) : { kind: 'config', file, line: 1, key: `file_system.entries[${i}]` };
  });
  return { profile, origin: { name: file, source: file, defined, entries, network: defined, warnings: [] } };
}

function limitsField(limits: ResourceLimits | undefined): { limits?: ResourceLimits } {
  return limits !== undefined ? { limits } : {};
}

function finish(c: CompiledProfile): ResolvedProfileChoice {
  return {
    profile: c.profile,
    ...(c.envPolicy !== undefined ? { envPolicy: c.envPolicy } : {}),
    ...(c.workspaceRoots !== undefined ? { workspaceRoots: c.workspaceRoots } : {}),
    origin: c.origin,
    ...limitsField(limitsValue(c.limits)),
    ...(c.allowNestedUserns?.value === true ? { allowNestedUserns: true } : {}),
    ...(c.caches !== undefined && c.caches.value.length ? { caches: { tools: c.caches.value, origin: c.caches.origin } } : {}),
    ...(c.git !== undefined ? { git: c.git.value } : {}),
    ...(c.networkAccess !== undefined ? { networkAccess: c.networkAccess.value } : {}),
  };
}

/**
 * The sandbox configs in lookup order. An untrusted project file comes after the user file, so it
 * can neither redefine a profile name the user defined nor override the user's `default_profile`.
 */
function configsInOrder(loaded: LoadedConfig): SandboxConfig[] {
  const { project, user } = loaded;
  const order = project !== undefined && loaded.untrustedFiles.has(project.file) ? [user, project] : [project, user];
  return order.filter((c): c is SandboxConfig => c !== undefined);
}

/** Every name `resolveProfileName` would accept, for error messages and `codex-sandbox profiles`. */
export function listProfiles(loaded: LoadedConfig): ProfileListing[] {
  const out: ProfileListing[] = BUILT_IN_PROFILE_NAMES.map((name) => ({ name, source: 'built-in', description: BUILT_IN_DESCRIPTIONS[name] }));
  const seen = new Set<string>(BUILT_IN_PROFILE_NAMES);
  const order = configsInOrder(loaded);
  // Listed project first, then user; a name in both is the one the lookup order finds first.
  for (const config of [loaded.project, loaded.user]) {
    if (config === undefined) continue;
    for (const name of config.profiles.keys()) {
      if (seen.has(name)) continue;
      seen.add(name);
      const winner = order.find((c) => c.profiles.has(name)) ?? config;
      const spec = winner.profiles.get(name);
      out.push({ name, source: winner.file, ...(spec?.description !== undefined ? { description: spec.description } : {}) });
    }
  }
  const layers = loaded.codexLayers;
  if (layers.length > 0) {
    const last = layers[layers.length - 1];
    out.push({ name: 'codex', source: last?.file ?? '', description: "the profile Codex's own configuration selects" });
    for (const [name, spec] of mergedPermissions(layers)) {
      out.push({ name: `codex:${name}`, source: spec.file, ...(spec.description !== undefined ? { description: spec.description } : {}) });
    }
  }
  return out;
}

/** `default_profile` of the project file, else of the user file (the user file first when the project file is untrusted). */
export function defaultProfileName(loaded: LoadedConfig): { name: string; origin: Origin } | undefined {
  for (const c of configsInOrder(loaded)) {
    if (c.defaultProfile !== undefined) return { name: c.defaultProfile.value, origin: c.defaultProfile.origin };
  }
  return undefined;
}

export const FALLBACK_PROFILE = 'workspace-write';

/** A profile file named by the caller or by a configuration file: read once, checked, maybe bounded. */
function profileFromFile(file: string, loaded: LoadedConfig, chosenBy: Origin | undefined): CompiledProfile {
  if (!existsSync(file)) return readProfileFile(file); // throws "cannot read profile file ..."
  const r = readIfTrusted(file);
  if (!r.ok) {
    throw new UnknownProfileError(file, `profile file ${file} is not used: ${r.problem}; a file another user controls could choose your sandbox (fix its owner or permissions)`);
  }
  const c = readProfileFile(file, r.text);
  // A profile file inside the working directory, or named by an untrusted file, is project data.
  const byUntrusted = chosenBy !== undefined && loaded.untrustedFiles.has(originFile(chosenBy) ?? '');
  if (!loaded.trustProjectConfig && (byUntrusted || isUnder(file, loaded.cwd) || isUnder(r.real, loaded.cwd))) {
    loaded.untrustedFiles.add(file);
    loaded.decisions.push({ file, role: 'profile-file', status: 'bounded', reason: byUntrusted ? 'named by a project-level file' : 'inside the working directory, which sandboxed commands can write' });
  }
  return c;
}

export function resolveProfileName(name: string, loaded: LoadedConfig, opts: ResolveProfileOptions): ResolvedProfileChoice {
  const compileOpts = { home: opts.home ?? loaded.home, platform: opts.platform };
  const chosenBy = opts.chosenBy;
  if (isBuiltInName(name)) return finish(bounded(builtInProfile(name), loaded, chosenBy));
  for (const config of configsInOrder(loaded)) {
    if (config.profiles.has(name)) return finish(bounded(compileSandboxProfile(config, name, compileOpts), loaded, chosenBy));
  }
  if (loaded.codexLayers.length > 0) {
    if (name === 'codex') return finish(bounded(compileCodexDefault(loaded.codexLayers, compileOpts), loaded, chosenBy));
    if (name.startsWith('codex:') && mergedPermissions(loaded.codexLayers).has(name.slice(6))) {
      return finish(bounded(compileCodexPermissions(loaded.codexLayers, name.slice(6), compileOpts), loaded, chosenBy));
    }
  }
  if (/\.(json|toml)$/i.test(name)) {
    // Relative to the working directory, also when a configuration file names it.
    return finish(bounded(profileFromFile(path.resolve(opts.cwd, name), loaded, chosenBy), loaded, chosenBy));
  }
  const known = listProfiles(loaded).map((p) => p.name);
  throw new UnknownProfileError(
    name,
    `unknown profile ${JSON.stringify(name)}; use one of ${known.join(', ')}, or a path to a .json or .toml profile file`,
  );
}

/**
 * No `--profile`: the configured `default_profile`, else workspace-write. When an untrusted project
 * file's `default_profile` names something beyond the workspace-write bound, the run does not fail
 * (a command could otherwise stop every later run by writing it): the refusal becomes a warning
 * naming the file, line and what was refused, and the profile is the one the caller's own
 * configuration chooses (user `default_profile`, else workspace-write).
 */
export function resolveDefaultProfile(loaded: LoadedConfig, opts: ResolveProfileOptions): ResolvedProfileChoice & { chosenBy: Origin } {
  const configured = defaultProfileName(loaded);
  const fallback = (): ResolvedProfileChoice & { chosenBy: Origin } => {
    const user = loaded.user?.defaultProfile;
    if (user !== undefined && !loaded.untrustedFiles.has(user.origin.file) && user.origin !== configured?.origin) {
      return { ...resolveProfileName(user.value, loaded, { ...opts, chosenBy: user.origin }), chosenBy: user.origin };
    }
    return { ...resolveProfileName(FALLBACK_PROFILE, loaded, opts), chosenBy: { kind: 'preset', name: FALLBACK_PROFILE } };
  };
  if (configured === undefined) return fallback();
  try {
    return { ...resolveProfileName(configured.name, loaded, { ...opts, chosenBy: configured.origin }), chosenBy: configured.origin };
  } catch (e) {
    if (!(e instanceof ProjectBoundError)) throw e;
    const chosen = fallback();
    loaded.warnings.push(
      `${e.file}:${e.line}: ${e.key}: refused: ${e.refused}; a project-level file may not grant more than workspace-write, so ` +
        `default_profile = ${JSON.stringify(configured.name)} (${describeOrigin(configured.origin)}) is not used and this run uses ${chosen.origin.name} ` +
        '(move the profile to your user config, or pass --trust-project-config)',
    );
    return chosen;
  }
}

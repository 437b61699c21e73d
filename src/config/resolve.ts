/**
 * `--profile NAME` → a profile, in this order: built-ins, project `[profiles.NAME]`, user
 * `[profiles.NAME]`, Codex profiles (`codex`, `codex:NAME`), then a `.json`/`.toml` file path.
 * Built-ins come first so no configuration file can redefine what `workspace-write` means.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { EnvPolicy, ResourceLimits } from '../manager/types.js';
import { ProfileError, parsePermissionProfile, parseSandboxPolicy, sandboxPolicyToPermissionProfile } from '../permissions/index.js';
import type { PermissionProfile } from '../permissions/index.js';
import { nativeFromPathUri } from '../permissions/path-text.js';
import type { Platform } from '../path-uri/index.js';
import { builtInProfile, compileCodexDefault, compileCodexPermissions, compileSandboxProfile, mergedPermissions } from './compile.js';
import type { CompiledProfile } from './compile.js';
import { ConfigError, UnknownProfileError } from './errors.js';
import { checkProjectLimits, limitsValue } from './limits.js';
import type { LoadedConfig } from './load.js';
import type { Origin, ProfileOrigin } from './origin.js';
import { BUILT_IN_PROFILE_NAMES, CODEX_BUILT_IN_IDS } from './sandbox-config.js';
import { TomlDoc, isTable } from './toml-doc.js';

export interface ResolveProfileOptions {
  cwd: string;
  platform: Platform;
  /** Overrides the home directory the config was loaded with (for `~`). */
  home?: string;
}

export interface ResolvedProfileChoice {
  profile: PermissionProfile;
  envPolicy?: EnvPolicy;
  /** Extra project roots from a Codex `[permissions.NAME.workspace_roots]` table. */
  workspaceRoots?: string[];
  origin: ProfileOrigin;
  /** Resource limits from `[profiles.NAME.limits]` (the caller's --limit-* flags override them). */
  limits?: ResourceLimits;
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

function violation(at: Origin, fallback: Origin, what: string): ConfigError {
  const o = at.kind === 'config' ? at : fallback;
  const detail =
    `${what}, but this profile comes from a project-level file, which sandboxed commands or a cloned repository can write, ` +
    'so it may not grant more than workspace-write; move the profile to your user config (~/.config/codex-sandbox/config.toml) ' +
    'or trust the project explicitly (--trust-project-config)';
  if (o.kind === 'config') return new ConfigError(o.file, o.line, o.key, detail);
  return new ConfigError('(unknown)', 0, [], detail);
}

/**
 * Refuses a profile built (in any part) from an untrusted project file when it grants more than
 * workspace-write: stops a command from writing codex-sandbox.toml (or a repo from shipping one) that
 * widens the sandbox of the next run — full disk, writes outside the project, network, or secrets.
 */
export function checkProjectBound(choice: CompiledProfile, untrusted: ReadonlySet<string>): void {
  checkProjectLimits(choice.limits, untrusted);
  const o = choice.origin;
  const all = [o.defined, o.network, o.envPolicy, ...o.entries];
  if (!all.some((x) => untrusted.has(originFile(x) ?? ''))) return;
  const p = choice.profile;
  if (p.type === 'disabled') throw violation(o.defined, o.defined, 'it disables the sandbox');
  if (p.type === 'external') throw violation(o.defined, o.defined, 'it leaves filesystem isolation to an external sandbox');
  if (p.network === 'enabled') throw violation(o.network, o.defined, 'it enables network access');
  if (p.fileSystem.type === 'unrestricted') throw violation(o.defined, o.defined, 'it grants unrestricted filesystem access');
  p.fileSystem.entries.forEach((e, i) => {
    if (e.access !== 'write') return;
    const ok = e.path.type === 'special' && ['project_roots', 'tmpdir', 'slash_tmp'].includes(e.path.value.kind);
    if (!ok) {
      const target = e.path.type === 'special' ? `:${e.path.value.kind}` : e.path.type === 'path' ? (nativeFromPathUri(e.path.path) ?? e.path.path.toString()) : e.path.pattern;
      throw violation(o.entries[i] ?? o.defined, o.defined, `it grants write access to ${target} outside the project and temp directories`);
    }
  });
  if (choice.envPolicy?.ignoreDefaultExcludes === true) {
    throw violation(o.envPolicy ?? o.defined, o.defined, 'it passes secret-named environment variables (ignore_default_excludes = true)');
  }
  if (choice.workspaceRoots !== undefined && choice.workspaceRoots.length > 0) {
    throw violation(o.defined, o.defined, 'it adds workspace roots outside the project');
  }
}

function isBuiltInName(name: string): boolean {
  return (BUILT_IN_PROFILE_NAMES as readonly string[]).includes(name) || (CODEX_BUILT_IN_IDS as readonly string[]).includes(name);
}

const LEGACY_TAGS = new Set(['danger-full-access', 'read-only', 'external-sandbox', 'workspace-write']);

/** A `.json` / `.toml` file holding a Codex profile or a legacy SandboxPolicy (the caller named it, so it is trusted). */
export function readProfileFile(file: string): ResolvedProfileChoice {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
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
  };
}

/** Every name `resolveProfileName` would accept, for error messages and `codex-sandbox profiles`. */
export function listProfiles(loaded: LoadedConfig): ProfileListing[] {
  const out: ProfileListing[] = BUILT_IN_PROFILE_NAMES.map((name) => ({ name, source: 'built-in', description: BUILT_IN_DESCRIPTIONS[name] }));
  const seen = new Set<string>(BUILT_IN_PROFILE_NAMES);
  for (const config of [loaded.project, loaded.user]) {
    if (config === undefined) continue;
    for (const spec of config.profiles.values()) {
      if (seen.has(spec.name)) continue; // shadowed by the project file
      seen.add(spec.name);
      out.push({ name: spec.name, source: config.file, ...(spec.description !== undefined ? { description: spec.description } : {}) });
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

/** `default_profile` of the project file, else of the user file. */
export function defaultProfileName(loaded: LoadedConfig): { name: string; origin: Origin } | undefined {
  for (const c of [loaded.project, loaded.user]) {
    if (c?.defaultProfile !== undefined) return { name: c.defaultProfile.value, origin: c.defaultProfile.origin };
  }
  return undefined;
}

export function resolveProfileName(name: string, loaded: LoadedConfig, opts: ResolveProfileOptions): ResolvedProfileChoice {
  const compileOpts = { home: opts.home ?? loaded.home, platform: opts.platform };
  if (isBuiltInName(name)) return finish(builtInProfile(name));
  for (const config of [loaded.project, loaded.user]) {
    if (config?.profiles.has(name) === true) {
      const c = compileSandboxProfile(config, name, compileOpts);
      checkProjectBound(c, loaded.untrustedFiles);
      return finish(c);
    }
  }
  if (loaded.codexLayers.length > 0) {
    if (name === 'codex') {
      const c = compileCodexDefault(loaded.codexLayers, compileOpts);
      checkProjectBound(c, loaded.untrustedFiles);
      return finish(c);
    }
    if (name.startsWith('codex:') && mergedPermissions(loaded.codexLayers).has(name.slice(6))) {
      const c = compileCodexPermissions(loaded.codexLayers, name.slice(6), compileOpts);
      checkProjectBound(c, loaded.untrustedFiles);
      return finish(c);
    }
  }
  if (/\.(json|toml)$/i.test(name)) return readProfileFile(path.resolve(opts.cwd, name));
  const known = listProfiles(loaded).map((p) => p.name);
  throw new UnknownProfileError(
    name,
    `unknown profile ${JSON.stringify(name)}; use one of ${known.join(', ')}, or a path to a .json or .toml profile file`,
  );
}

/**
 * Configured profile specs → PermissionProfile + per-entry origins. Pure: `home` and `platform`
 * come in as arguments.
 */
import type { EnvPolicy, GitMode } from '../contracts/index.js';
import { PermissionProfile } from '../permissions/index.js';
import type { CacheTool, FileSystemSandboxEntry, NetworkAccessPolicy, NetworkSandboxPolicy } from '../permissions/index.js';
import { pathUriFromNative } from '../permissions/path-text.js';
import type { Platform } from '../path-uri/index.js';
import type { CodexConfig, CodexPermissionsSpec, ConfigOrigin, Located, SandboxWorkspaceWriteSpec } from './codex-config.js';
import { ConfigError } from './errors.js';
import { compileFsRules, ruleTarget } from './fs-rules.js';
import type { FsRule } from './fs-rules.js';
import { mergeLimits } from './limits.js';
import type { LimitsSpec } from './limits.js';
import type { Origin, ProfileOrigin } from './origin.js';
import { BUILT_IN_PROFILE_NAMES, CODEX_BUILT_IN_IDS } from './sandbox-config.js';
import type { SandboxConfig, SandboxProfileSpec } from './sandbox-config.js';

export interface CompileOptions {
  home: string | undefined;
  platform: Platform;
}

export interface CompiledProfile {
  profile: PermissionProfile;
  envPolicy?: EnvPolicy;
  /** Extra project roots (`[permissions.NAME.workspace_roots]`), native absolute. */
  workspaceRoots?: string[];
  origin: ProfileOrigin;
  /** `[profiles.NAME.limits]`, merged over the extended profile's. */
  limits?: LimitsSpec;
  /** `allow_nested_userns`, from this profile or the one it extends. */
  allowNestedUserns?: Located<boolean>;
  /** `caches`, from this profile or the one it extends. */
  caches?: Located<CacheTool[]>;
  /** `git`, from this profile or the one it extends. */
  git?: Located<GitMode>;
  /** The network allow list, from this profile or (when it sets none) the one it extends. */
  networkAccess?: Located<NetworkAccessPolicy>;
}

function errorAt(origin: ConfigOrigin, detail: string): ConfigError {
  return new ConfigError(origin.file, origin.line, origin.key, detail);
}

function entriesOf(profile: PermissionProfile): FileSystemSandboxEntry[] {
  return profile.type === 'managed' && profile.fileSystem.type === 'restricted' ? profile.fileSystem.entries : [];
}

/** A built-in (our name or Codex's id) with every entry attributed to the preset. */
export function builtInProfile(name: string, wsw?: SandboxWorkspaceWriteSpec, withRoots = false, home?: string): CompiledProfile {
  const canonical = name === ':workspace' ? 'workspace-write' : name.replace(/^:/, '');
  const preset: Origin = { kind: 'preset', name: canonical };
  const roots: Array<{ native: string; origin: ConfigOrigin }> = [];
  if (withRoots && wsw !== undefined) {
    for (const r of wsw.writableRoots) {
      const native = expandHome(r, home);
      if (pathUriFromNative(native) === undefined) throw errorAt(r.origin, `expected an absolute path, got ${JSON.stringify(r.value)}`);
      roots.push({ native, origin: r.origin });
    }
  }
  const network: NetworkSandboxPolicy = wsw?.networkAccess?.value === true ? 'enabled' : 'restricted';
  const profile =
    canonical === 'workspace-write'
      ? PermissionProfile.workspaceWrite({
          writableRoots: roots.map((r) => r.native),
          network,
          excludeTmpdirEnvVar: wsw?.excludeTmpdirEnvVar?.value ?? false,
          excludeSlashTmp: wsw?.excludeSlashTmp?.value ?? false,
        })
      : PermissionProfile.named(canonical);
  const entryOrigins = entriesOf(profile).map((e): Origin => {
    if (e.path.type === 'path') {
      const uri = e.path.path;
      const root = roots.find((r) => pathUriFromNative(r.native)?.equals(uri) === true);
      if (root !== undefined) return root.origin;
    }
    return preset;
  });
  const networkOrigin: Origin = canonical === 'workspace-write' && wsw?.networkAccess !== undefined ? wsw.networkAccess.origin : preset;
  return {
    profile,
    origin: { name, source: 'built-in', defined: preset, entries: entryOrigins, network: networkOrigin, warnings: [] },
  };
}

function expandHome(loc: Located<string>, home: string | undefined): string {
  const text = loc.value;
  if (text !== '~' && !text.startsWith('~/')) return text;
  if (home === undefined) throw errorAt(loc.origin, `cannot expand \`${text}\`: the home directory is unknown (set HOME or write an absolute path)`);
  return text === '~' ? home : `${home.replace(/\/+$/, '')}/${text.slice(2)}`;
}

function isBuiltIn(name: string): boolean {
  return (BUILT_IN_PROFILE_NAMES as readonly string[]).includes(name) || (CODEX_BUILT_IN_IDS as readonly string[]).includes(name);
}

// ---------------------------------------------------------------------------------------------
// codex-sandbox.toml profiles

/** Resolves `[profiles.NAME]` of one file; `extends` may name a built-in or a profile of the same file. */
export function compileSandboxProfile(config: SandboxConfig, name: string, opts: CompileOptions, chain: string[] = []): CompiledProfile {
  const spec = config.profiles.get(name);
  if (spec === undefined) throw new Error(`internal: no profile ${name} in ${config.file}`);
  if (spec.permissionProfile !== undefined) {
    const raw = spec.permissionProfile;
    return {
      profile: raw.profile,
      ...(spec.env !== undefined ? { envPolicy: spec.env.value } : {}),
      ...(spec.limits !== undefined ? { limits: spec.limits } : {}),
      ...(spec.allowNestedUserns !== undefined ? { allowNestedUserns: spec.allowNestedUserns } : {}),
      ...(spec.caches !== undefined ? { caches: spec.caches } : {}),
      ...(spec.git !== undefined ? { git: spec.git } : {}),
      ...(spec.networkAccess !== undefined ? { networkAccess: spec.networkAccess } : {}),
      origin: {
        name,
        source: config.file,
        defined: spec.defined,
        entries: raw.entryOrigins,
        network: raw.origin,
        ...(spec.env !== undefined ? { envPolicy: spec.env.origin } : {}),
        warnings: [],
      },
    };
  }
  const base = baseOf(config, spec, opts, [...chain, name]);
  const compiled = extend(base, spec, opts);
  const limits = mergeLimits(base.limits, spec.limits);
  const allowNestedUserns = spec.allowNestedUserns ?? base.allowNestedUserns;
  const caches = spec.caches ?? base.caches;
  const git = spec.git ?? base.git;
  // A profile's allow list replaces the one it extends (as `network` does); none set: inherited.
  // An explicit `network` setting drops an inherited allow list.
  const networkAccess = spec.networkAccess ?? (spec.network !== undefined ? undefined : base.networkAccess);
  return {
    ...compiled,
    ...(limits !== undefined ? { limits } : {}),
    ...(allowNestedUserns !== undefined ? { allowNestedUserns } : {}),
    ...(caches !== undefined ? { caches } : {}),
    ...(git !== undefined ? { git } : {}),
    ...(networkAccess !== undefined ? { networkAccess } : {}),
  };
}

function baseOf(config: SandboxConfig, spec: SandboxProfileSpec, opts: CompileOptions, chain: string[]): CompiledProfile {
  const ext = spec.extends;
  if (ext === undefined) {
    // No `extends`: Codex's `[permissions.NAME]` starting point, nothing readable until rules say so.
    const empty: Origin = { kind: 'preset', name: 'empty (no extends)' };
    return {
      profile: PermissionProfile.default(),
      origin: { name: spec.name, source: config.file, defined: spec.defined, entries: [], network: empty, warnings: [] },
    };
  }
  if (isBuiltIn(ext.value)) return builtInProfile(ext.value);
  if (config.profiles.has(ext.value)) {
    if (chain.includes(ext.value)) {
      throw errorAt(ext.origin, `extends cycle: ${[...chain, ext.value].join(' → ')}; break the cycle by removing one extends`);
    }
    return compileSandboxProfile(config, ext.value, opts, chain);
  }
  throw errorAt(
    ext.origin,
    `unknown profile ${JSON.stringify(ext.value)}; expected a built-in (${BUILT_IN_PROFILE_NAMES.join(', ')}) or a profile defined in this file`,
  );
}

function extend(base: CompiledProfile, spec: SandboxProfileSpec, opts: CompileOptions): CompiledProfile {
  let profile = base.profile;
  const entries = [...base.origin.entries];
  const warnings = [...base.origin.warnings];
  let networkOrigin = base.origin.network;
  if (spec.rules.length > 0 || spec.globScanMaxDepth !== undefined) {
    if (profile.type !== 'managed' || profile.fileSystem.type !== 'restricted') {
      const first = spec.rules[0]?.origin ?? spec.globScanMaxDepth?.origin;
      const at = first?.kind === 'config' ? first : spec.defined;
      throw errorAt(
        at,
        `cannot add filesystem rules: the profile it extends (${spec.extends?.value ?? ''}) has an unrestricted filesystem; extend "workspace-write" or "read-only" instead`,
      );
    }
    const depth = spec.globScanMaxDepth?.value ?? profile.fileSystem.globScanMaxDepth;
    const compiled = compileFsRules(spec.rules, { home: opts.home, platform: opts.platform, ...(depth !== undefined ? { globScanMaxDepth: depth } : {}) });
    const fileSystem = { type: 'restricted' as const, entries: [...profile.fileSystem.entries, ...compiled.entries], ...(depth !== undefined ? { globScanMaxDepth: depth } : {}) };
    profile = { ...profile, fileSystem };
    entries.push(...compiled.origins);
    warnings.push(...compiled.warnings);
  }
  if (spec.network !== undefined) {
    networkOrigin = spec.network.origin;
    if (profile.type === 'disabled') {
      // danger-full-access + network restricted: unrestricted filesystem, network still blocked.
      profile = spec.network.value === 'enabled' ? profile : { type: 'managed', fileSystem: { type: 'unrestricted' }, network: 'restricted' };
    } else {
      profile = { ...profile, network: spec.network.value };
    }
  }
  const envPolicy = spec.env?.value ?? base.envPolicy;
  const envOrigin = spec.env?.origin ?? base.origin.envPolicy;
  const depthOrigin = spec.globScanMaxDepth?.origin ?? base.origin.globScanMaxDepth;
  return {
    profile,
    ...(envPolicy !== undefined ? { envPolicy } : {}),
    origin: {
      name: spec.name,
      source: spec.file,
      defined: spec.defined,
      entries,
      network: networkOrigin,
      ...(envOrigin !== undefined ? { envPolicy: envOrigin } : {}),
      ...(depthOrigin !== undefined ? { globScanMaxDepth: depthOrigin } : {}),
      warnings,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Codex config.toml profiles

/** Codex's extensible built-in parents (`extensible_builtin_parent_profile`), as filesystem rules. */
function builtInParentRules(name: string): FsRule[] | undefined {
  const o: Origin = { kind: 'preset', name };
  const rule = (key: string, access: FsRule['access'], subpath?: string): FsRule => ({
    key,
    access,
    origin: o,
    keyPath: [name, key, ...(subpath !== undefined ? [subpath] : [])],
    ...(subpath !== undefined ? { subpath } : {}),
  });
  if (name === ':read-only') return [rule(':root', 'read')];
  if (name === ':workspace') {
    return [
      rule(':root', 'read'),
      rule(':workspace_roots', 'write', '.'),
      rule(':workspace_roots', 'read', '.git'),
      rule(':workspace_roots', 'read', '.agents'),
      rule(':workspace_roots', 'read', '.codex'),
      rule(':slash_tmp', 'write'),
      rule(':tmpdir', 'write'),
    ];
  }
  return undefined;
}

/** The layers' `[permissions]` tables merged: a project-level profile replaces a user-level one of the same name. */
export function mergedPermissions(layers: readonly CodexConfig[]): Map<string, CodexPermissionsSpec> {
  const out = new Map<string, CodexPermissionsSpec>();
  for (const layer of layers) for (const [name, spec] of layer.permissions) out.set(name, spec);
  return out;
}

interface MergedCodexProfile {
  rules: FsRule[];
  hasFilesystem: boolean;
  globScanMaxDepth?: Located<number>;
  networkEnabled?: Located<boolean>;
  networkAccess?: Located<NetworkAccessPolicy>;
  workspaceRoots: Array<Located<string> & { enabled: boolean }>;
}

function mergeChain(perms: Map<string, CodexPermissionsSpec>, name: string, seen: string[]): MergedCodexProfile {
  const spec = perms.get(name);
  if (spec === undefined) throw new Error(`internal: no permissions profile ${name}`);
  let merged: MergedCodexProfile = { rules: [], hasFilesystem: false, workspaceRoots: [] };
  const ext = spec.extends;
  if (ext !== undefined) {
    const builtIn = builtInParentRules(ext.value);
    if (builtIn !== undefined) merged = { rules: builtIn, hasFilesystem: true, workspaceRoots: [] };
    else if (ext.value.startsWith(':')) {
      throw errorAt(ext.origin, `permissions profile \`${name}\` cannot extend \`${ext.value}\`; only \`:read-only\` and \`:workspace\` can be extended`);
    } else if (seen.includes(ext.value)) {
      throw errorAt(ext.origin, `permissions profile extends cycle: ${[...seen, ext.value].join(' → ')}`);
    } else if (!perms.has(ext.value)) {
      throw errorAt(ext.origin, `permissions profile \`${name}\` extends undefined profile \`${ext.value}\``);
    } else merged = mergeChain(perms, ext.value, [...seen, ext.value]);
  }
  // Child keys replace the parent's rule for the same target; scoped tables merge per subpath.
  const own = spec.filesystem?.rules ?? [];
  const replaced = new Set(own.map(ruleTarget));
  const replacedKeys = new Set(own.filter((r) => r.subpath === undefined).map((r) => ruleTarget(r)));
  const rules = [
    ...merged.rules.filter((r) => !replaced.has(ruleTarget(r)) && !replacedKeys.has(ruleTarget({ ...r, subpath: undefined }))),
    ...own,
  ];
  const roots = new Map(merged.workspaceRoots.map((r) => [r.value, r]));
  for (const r of spec.workspaceRoots) roots.set(r.value, r);
  const depth = spec.filesystem?.globScanMaxDepth ?? merged.globScanMaxDepth;
  const net = spec.networkEnabled ?? merged.networkEnabled;
  // Codex overlays domain rules onto the parent's (NetworkToml::apply_to_network_proxy_config); `enabled = false` drops them.
  const access = mergeAccess(merged.networkAccess, spec.networkAccess);
  const dropped = spec.networkEnabled?.value === false;
  return {
    rules,
    hasFilesystem: merged.hasFilesystem || spec.filesystem !== undefined,
    workspaceRoots: [...roots.values()],
    ...(depth !== undefined ? { globScanMaxDepth: depth } : {}),
    ...(net !== undefined ? { networkEnabled: net } : {}),
    ...(access !== undefined && !dropped ? { networkAccess: access } : {}),
  };
}

function mergeAccess(parent: Located<NetworkAccessPolicy> | undefined, own: Located<NetworkAccessPolicy> | undefined): Located<NetworkAccessPolicy> | undefined {
  if (parent === undefined || own === undefined) return own ?? parent;
  const p = parent.value;
  const o = own.value;
  return {
    value: {
      allow: [...p.allow.filter((r) => !o.deny.includes(r)), ...o.allow],
      deny: [...p.deny.filter((r) => !o.allow.includes(r)), ...o.deny],
      allowHostPorts: [...p.allowHostPorts, ...o.allowHostPorts],
      unixSockets: [...p.unixSockets, ...o.unixSockets],
      allowLocalBinding: o.allowLocalBinding || p.allowLocalBinding,
    },
    origin: own.origin,
  };
}

function envOf(layers: readonly CodexConfig[]): Located<EnvPolicy> | undefined {
  let env: Located<EnvPolicy> | undefined;
  for (const l of layers) env = l.shellEnvironmentPolicy ?? env;
  return env;
}

function withEnv(c: CompiledProfile, layers: readonly CodexConfig[]): CompiledProfile {
  const env = envOf(layers);
  if (env === undefined) return c;
  return { ...c, envPolicy: env.value, origin: { ...c.origin, envPolicy: env.origin } };
}

/** `codex:NAME`: `[permissions.NAME]` of the merged layers (user first, project last). */
export function compileCodexPermissions(layers: readonly CodexConfig[], name: string, opts: CompileOptions, displayName = `codex:${name}`): CompiledProfile {
  const perms = mergedPermissions(layers);
  const spec = perms.get(name);
  if (spec === undefined) throw new Error(`internal: no permissions profile ${name}`);
  const merged = mergeChain(perms, name, [name]);
  const depth = merged.globScanMaxDepth?.value;
  const compiled = compileFsRules(merged.rules, { home: opts.home, platform: opts.platform, ...(depth !== undefined ? { globScanMaxDepth: depth } : {}) });
  const warnings = [...compiled.warnings];
  if (compiled.entries.length === 0) {
    warnings.push(`Permissions profile \`${name}\` does not define any recognized filesystem entries. Filesystem access will remain restricted.`);
  }
  const network: NetworkSandboxPolicy = merged.networkEnabled?.value === true ? 'enabled' : 'restricted';
  const profile: PermissionProfile = {
    type: 'managed',
    fileSystem: { type: 'restricted', entries: compiled.entries, ...(depth !== undefined ? { globScanMaxDepth: depth } : {}) },
    network,
  };
  const workspaceRoots = merged.workspaceRoots.filter((r) => r.enabled).map((r) => expandHome(r, opts.home));
  return withEnv(
    {
      profile,
      ...(merged.networkAccess !== undefined ? { networkAccess: merged.networkAccess } : {}),
      ...(workspaceRoots.length > 0 ? { workspaceRoots } : {}),
      origin: {
        name: displayName,
        source: spec.file,
        defined: spec.defined,
        entries: compiled.origins,
        network: merged.networkEnabled?.origin ?? { kind: 'preset', name: 'restricted (default)' },
        ...(merged.globScanMaxDepth !== undefined ? { globScanMaxDepth: merged.globScanMaxDepth.origin } : {}),
        warnings,
      },
    },
    layers,
  );
}

/** `codex`: the profile Codex itself would use, from `default_permissions` or else `sandbox_mode`. */
export function compileCodexDefault(layers: readonly CodexConfig[], opts: CompileOptions): CompiledProfile {
  let defaultPermissions: Located<string> | undefined;
  let sandboxMode: CodexConfig['sandboxMode'];
  const wsw: SandboxWorkspaceWriteSpec = { writableRoots: [] };
  for (const l of layers) {
    defaultPermissions = l.defaultPermissions ?? defaultPermissions;
    sandboxMode = l.sandboxMode ?? sandboxMode;
    const w = l.sandboxWorkspaceWrite;
    if (w !== undefined) {
      if (w.writableRoots.length > 0) wsw.writableRoots = w.writableRoots;
      if (w.networkAccess !== undefined) wsw.networkAccess = w.networkAccess;
      if (w.excludeTmpdirEnvVar !== undefined) wsw.excludeTmpdirEnvVar = w.excludeTmpdirEnvVar;
      if (w.excludeSlashTmp !== undefined) wsw.excludeSlashTmp = w.excludeSlashTmp;
    }
  }
  const rename = (c: CompiledProfile, defined: Origin, source: string): CompiledProfile => ({
    ...c,
    origin: { ...c.origin, name: 'codex', source, defined },
  });
  if (defaultPermissions !== undefined) {
    const id = defaultPermissions.value;
    const o = defaultPermissions.origin;
    // Codex's `:workspace` ignores `writable_roots`: only the network and tmp knobs apply.
    if ((CODEX_BUILT_IN_IDS as readonly string[]).includes(id)) return withEnv(rename(builtInProfile(id, wsw, false, opts.home), o, o.file), layers);
    if (id.startsWith(':')) throw errorAt(o, `default_permissions refers to unknown built-in profile \`${id}\``);
    if (!mergedPermissions(layers).has(id)) {
      throw errorAt(o, `default_permissions refers to undefined profile \`${id}\`; define [permissions.${id}] or use :read-only, :workspace or :danger-full-access`);
    }
    return rename(compileCodexPermissions(layers, id, opts, 'codex'), o, o.file);
  }
  if (sandboxMode !== undefined) {
    const o = sandboxMode.origin;
    return withEnv(rename(builtInProfile(sandboxMode.value, wsw, true, opts.home), o, o.file), layers);
  }
  // Codex's default mode without a trusted project is read-only.
  const preset: Origin = { kind: 'preset', name: 'read-only (Codex default)' };
  return withEnv(rename(builtInProfile('read-only'), preset, layers[layers.length - 1]?.file ?? 'built-in'), layers);
}

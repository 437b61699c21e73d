/**
 * `codex-sandbox.toml` (project, searched upward) and `$XDG_CONFIG_HOME/codex-sandbox/config.toml`
 * (user): named profiles. Format in docs/config.md. Parsing is pure and checks everything that can be
 * checked without the host, so errors carry file, line and key.
 */
import type { EnvPolicy, GitMode } from '../contracts/index.js';
import { CACHE_TOOL_NAMES, ProfileError, isCacheTool, parsePermissionProfile } from '../permissions/index.js';
import type { CacheTool, PermissionProfile } from '../permissions/index.js';
import type { ConfigOrigin, Located } from './codex-config.js';
import { readShellEnvironmentPolicy } from './codex-config.js';
import { checkRule, readFilesystemTable } from './fs-rules.js';
import type { FilesystemTable, FsRule } from './fs-rules.js';
import type { KeyPath } from './key-lines.js';
import { readLimitsTable } from './limits.js';
import type { LimitsSpec } from './limits.js';
import { TomlDoc, isTable, readBool, readEnum, readPositiveInt, readString, readStringArray, readTable, rejectUnknownKeys } from './toml-doc.js';
import type { NetworkAccessPolicy, NetworkSandboxPolicy } from '../permissions/index.js';
import { readSandboxNetworkKeys, SANDBOX_NETWORK_KEYS } from './network-keys.js';

/** Names that resolve before any configured profile; a configured profile may not take them. */
export const BUILT_IN_PROFILE_NAMES = ['read-only', 'workspace-write', 'danger-full-access'] as const;
/** Codex's built-in ids, accepted wherever a built-in name is. */
export const CODEX_BUILT_IN_IDS = [':read-only', ':workspace', ':danger-full-access'] as const;

export interface SandboxProfileSpec {
  name: string;
  file: string;
  description?: string;
  extends?: Located<string>;
  network?: Located<NetworkSandboxPolicy>;
  /** `allow_domains`, `deny_domains`, `allow_host_ports`, `allow_unix_sockets`, `allow_local_binding`: a network allow list. */
  networkAccess?: Located<NetworkAccessPolicy>;
  /** `writable_roots`, `deny_read` and `[profiles.NAME.filesystem]`, in that order, as one rule list. */
  rules: FsRule[];
  globScanMaxDepth?: Located<number>;
  env?: Located<EnvPolicy>;
  /** `[profiles.NAME.limits]`: resource limits (src/config/limits.ts). */
  limits?: LimitsSpec;
  /** `allow_nested_userns = true`: the command may create user namespaces (Linux). */
  allowNestedUserns?: Located<boolean>;
  /** `caches = ["npm", "pip"]`: per-tool cache directories under $HOME the command may write. */
  caches?: Located<CacheTool[]>;
  /** `git = "commit" | "read-only"`: how an existing `.git` is protected. */
  git?: Located<GitMode>;
  /** A raw Codex profile (wire shape) with one origin per filesystem entry. */
  permissionProfile?: { profile: PermissionProfile; origin: ConfigOrigin; entryOrigins: ConfigOrigin[] };
  defined: ConfigOrigin;
  keyPath: KeyPath;
}

export interface SandboxConfig {
  file: string;
  defaultProfile?: Located<string>;
  profiles: Map<string, SandboxProfileSpec>;
}

const PROFILE_KEYS = [
  'description',
  'extends',
  'network',
  ...SANDBOX_NETWORK_KEYS,
  'writable_roots',
  'deny_read',
  'glob_scan_max_depth',
  'env',
  'permission_profile',
  'filesystem',
  'limits',
  'allow_nested_userns',
  'caches',
  'git',
];
const EXCLUSIVE_WITH_RAW = ['extends', 'network', 'writable_roots', 'deny_read', 'glob_scan_max_depth', 'filesystem'];

/** Our own default environment policy's shape: inherit all, secrets stripped. */
const ENV_DEFAULTS: EnvPolicy = { inherit: 'all', ignoreDefaultExcludes: false };

function checkName(doc: TomlDoc, name: string, path: KeyPath): void {
  if ((BUILT_IN_PROFILE_NAMES as readonly string[]).includes(name) || name.startsWith(':')) {
    throw doc.error(path, `the name ${JSON.stringify(name)} belongs to a built-in profile (built-ins always win); choose another name`);
  }
  if (name === 'codex' || name.startsWith('codex:')) {
    throw doc.error(path, `the name ${JSON.stringify(name)} is reserved for profiles read from Codex's config.toml; choose another name`);
  }
  if (/[/\\]/.test(name) || /\.(json|toml)$/i.test(name)) {
    throw doc.error(path, `the name ${JSON.stringify(name)} looks like a file path; profile names may not contain / or \\ or end in .json/.toml`);
  }
}

function writableRootRules(doc: TomlDoc, value: unknown, path: KeyPath): FsRule[] {
  return readStringArray(doc, value, path).map((root, i) => {
    const p = [...path, String(i)];
    if (root.startsWith(':') || !/^([A-Za-z]:[\\/]|\\\\|\/|~$|~\/)/.test(root)) {
      throw doc.error(p, `expected an absolute path or ~/..., got ${JSON.stringify(root)}`);
    }
    const problem = checkRule(root, undefined, 'write');
    if (problem !== undefined) throw doc.error(p, problem);
    return { key: root, access: 'write' as const, origin: doc.origin(p), keyPath: p };
  });
}

/** Absolute / `~` paths and globs stay as they are; relative ones are scoped to the project roots, like Codex's `:workspace_roots` table. */
function denyReadRules(doc: TomlDoc, value: unknown, path: KeyPath): FsRule[] {
  return readStringArray(doc, value, path).map((raw, i) => {
    const p = [...path, String(i)];
    if (raw.startsWith(':')) throw doc.error(p, `expected a path or glob, got the special path ${JSON.stringify(raw)}; use [profiles.NAME.filesystem] for special paths`);
    const absolute = /^([A-Za-z]:[\\/]|\\\\|\/|~$|~\/)/.test(raw);
    const rule: FsRule = absolute
      ? { key: raw, access: 'deny', origin: doc.origin(p), keyPath: p }
      : { key: ':project_roots', subpath: raw.replace(/^(\.\/)+/, ''), access: 'deny', origin: doc.origin(p), keyPath: p };
    const problem = checkRule(rule.key, rule.subpath, 'deny');
    if (problem !== undefined) throw doc.error(p, problem);
    return rule;
  });
}

/** `$.file_system.entries[2].access` → `['file_system', 'entries', '2', 'access']`. */
function jsonPathSegments(jsonPath: string): string[] {
  return jsonPath
    .replace(/^\$/, '')
    .split(/\.|\[|\]/)
    .filter((s) => s !== '');
}

function readRawProfile(doc: TomlDoc, value: unknown, path: KeyPath): NonNullable<SandboxProfileSpec['permissionProfile']> {
  readTable(doc, value, path);
  let profile: PermissionProfile;
  try {
    profile = parsePermissionProfile(value);
  } catch (e) {
    if (e instanceof ProfileError) throw doc.error([...path, ...jsonPathSegments(e.jsonPath)], e.detail);
    throw e;
  }
  const count = profile.type === 'managed' && profile.fileSystem.type === 'restricted' ? profile.fileSystem.entries.length : 0;
  const entryOrigins = Array.from({ length: count }, (_, i) => doc.origin([...path, 'file_system', 'entries', String(i)]));
  return { profile, origin: doc.origin(path), entryOrigins };
}

function readProfile(doc: TomlDoc, name: string, value: unknown): SandboxProfileSpec {
  const path = ['profiles', name];
  checkName(doc, name, path);
  const t = readTable(doc, value, path);
  rejectUnknownKeys(doc, t, path, PROFILE_KEYS);
  const spec: SandboxProfileSpec = { name, file: doc.file, rules: [], defined: doc.origin(path), keyPath: path };
  const at = (key: string): KeyPath => [...path, key];
  if (t.permission_profile !== undefined) {
    const other = EXCLUSIVE_WITH_RAW.find((k) => t[k] !== undefined);
    if (other !== undefined) {
      throw doc.error(at(other), 'cannot be combined with permission_profile (a complete Codex profile); move this setting into permission_profile or drop permission_profile');
    }
    spec.permissionProfile = readRawProfile(doc, t.permission_profile, at('permission_profile'));
  }
  if (t.description !== undefined) spec.description = readString(doc, t.description, at('description'));
  if (t.extends !== undefined) spec.extends = { value: readString(doc, t.extends, at('extends')), origin: doc.origin(at('extends')) };
  if (t.network !== undefined) {
    spec.network = { value: readEnum(doc, t.network, at('network'), ['restricted', 'enabled'] as const), origin: doc.origin(at('network')) };
  }
  const access = readSandboxNetworkKeys(doc, t, path);
  if (access !== undefined) {
    if (spec.network?.value === 'enabled') throw doc.error(at('network'), '`network = "enabled"` (unfiltered) conflicts with the allow list (allow_domains, deny_domains, allow_host_ports); drop one');
    const first = SANDBOX_NETWORK_KEYS.find((k) => t[k] !== undefined) ?? 'allow_domains';
    spec.networkAccess = { value: access, origin: doc.origin(at(first)) };
  }
  if (t.writable_roots !== undefined) spec.rules.push(...writableRootRules(doc, t.writable_roots, at('writable_roots')));
  if (t.deny_read !== undefined) spec.rules.push(...denyReadRules(doc, t.deny_read, at('deny_read')));
  let fsTable: FilesystemTable | undefined;
  if (t.filesystem !== undefined) {
    fsTable = readFilesystemTable(doc, t.filesystem, at('filesystem'));
    spec.rules.push(...fsTable.rules);
  }
  if (t.glob_scan_max_depth !== undefined) {
    if (fsTable?.globScanMaxDepth !== undefined) {
      throw doc.error(at('glob_scan_max_depth'), 'set twice (also in the filesystem table); keep one');
    }
    spec.globScanMaxDepth = { value: readPositiveInt(doc, t.glob_scan_max_depth, at('glob_scan_max_depth')), origin: doc.origin(at('glob_scan_max_depth')) };
  } else if (fsTable?.globScanMaxDepth !== undefined) {
    spec.globScanMaxDepth = fsTable.globScanMaxDepth;
  }
  if (t.env !== undefined) {
    spec.env = { value: readShellEnvironmentPolicy(doc, t.env, at('env'), ENV_DEFAULTS), origin: doc.origin(at('env')) };
  }
  if (t.limits !== undefined) spec.limits = readLimitsTable(doc, t.limits, at('limits'));
  if (t.allow_nested_userns !== undefined) {
    spec.allowNestedUserns = { value: readBool(doc, t.allow_nested_userns, at('allow_nested_userns')), origin: doc.origin(at('allow_nested_userns')) };
  }
  if (t.caches !== undefined) {
    const tools = readStringArray(doc, t.caches, at('caches'));
    for (const tool of tools) {
      if (!isCacheTool(tool)) throw doc.error(at('caches'), `unknown cache ${JSON.stringify(tool)}; known caches are ${CACHE_TOOL_NAMES.join(', ')} (give other directories in writable_roots)`);
    }
    spec.caches = { value: tools as CacheTool[], origin: doc.origin(at('caches')) };
  }
  if (t.git !== undefined) spec.git = { value: readEnum(doc, t.git, at('git'), ['commit', 'read-only'] as const), origin: doc.origin(at('git')) };
  return spec;
}

/** `codex-sandbox.toml` text → its profiles. Throws ConfigError naming file, line and key. */
export function parseSandboxConfig(text: string, file: string): SandboxConfig {
  const doc = new TomlDoc(file, text);
  rejectUnknownKeys(doc, doc.root, [], ['default_profile', 'profiles']);
  const out: SandboxConfig = { file, profiles: new Map() };
  if (doc.root.default_profile !== undefined) {
    out.defaultProfile = { value: readString(doc, doc.root.default_profile, ['default_profile']), origin: doc.origin(['default_profile']) };
  }
  if (doc.root.profiles !== undefined) {
    const profiles = readTable(doc, doc.root.profiles, ['profiles']);
    for (const [name, value] of Object.entries(profiles)) {
      if (!isTable(value)) throw doc.error(['profiles', name], `expected a table [profiles.${name}], got ${JSON.stringify(value)}`);
      out.profiles.set(name, readProfile(doc, name, value));
    }
  }
  return out;
}

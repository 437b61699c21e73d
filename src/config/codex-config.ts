/**
 * Codex's `config.toml` (codex-rs/config/src/config_toml.rs `ConfigToml`): the keys that decide the sandbox.
 * Everything else in the
 * file (model, providers, MCP servers, ...) belongs to Codex and is ignored. Parsing is pure and
 * validates everything it reads, so errors carry file, line and key.
 */
import type { EnvPolicy } from '../contracts/index.js';
import type { KeyPath } from './key-lines.js';
import type { ConfigOrigin } from './origin.js';
import type { NetworkAccessPolicy } from '../permissions/index.js';
import { CODEX_NETWORK_POLICY_KEYS, readCodexNetworkKeys } from './network-keys.js';
import { readFilesystemTable } from './fs-rules.js';
import type { FilesystemTable } from './fs-rules.js';
import {
  TomlDoc,
  readBool,
  readEnum,
  readString,
  readStringArray,
  readStringMap,
  readTable,
  rejectUnknownKeys,
} from './toml-doc.js';

export type { ConfigOrigin } from './origin.js';
export type SandboxMode = 'read-only' | 'workspace-write' | 'danger-full-access';

export interface Located<T> {
  value: T;
  origin: ConfigOrigin;
}

/** `[sandbox_workspace_write]`; absent fields are Codex's `false` / empty. */
export interface SandboxWorkspaceWriteSpec {
  /** Absolute or `~` paths; relative ones were resolved against the config file's directory. */
  writableRoots: Array<Located<string>>;
  networkAccess?: Located<boolean>;
  excludeTmpdirEnvVar?: Located<boolean>;
  excludeSlashTmp?: Located<boolean>;
}

/** `[permissions.NAME]`. */
export interface CodexPermissionsSpec {
  name: string;
  file: string;
  description?: string;
  extends?: Located<string>;
  /** Absent when the profile has no `filesystem` table. */
  filesystem?: FilesystemTable;
  /** `network.enabled`; absent = inherit (restricted at the root of the chain). */
  networkEnabled?: Located<boolean>;
  /** `network.domains` / `unix_sockets` / `allow_local_binding` / `allowed_domains` / `denied_domains`. */
  networkAccess?: Located<NetworkAccessPolicy>;
  /** `[permissions.NAME.workspace_roots]`: extra project roots (path → enabled). */
  workspaceRoots: Array<Located<string> & { enabled: boolean }>;
  defined: ConfigOrigin;
  keyPath: KeyPath;
}

export interface CodexConfig {
  file: string;
  sandboxMode?: Located<SandboxMode>;
  sandboxWorkspaceWrite?: SandboxWorkspaceWriteSpec;
  defaultPermissions?: Located<string>;
  permissions: Map<string, CodexPermissionsSpec>;
  shellEnvironmentPolicy?: Located<EnvPolicy>;
  warnings: string[];
}

const SANDBOX_MODES = ['read-only', 'workspace-write', 'danger-full-access'] as const;
const NETWORK_PROXY_KEYS = [
  'proxy_url',
  'enable_socks5',
  'socks_url',
  'enable_socks5_udp',
  'allow_upstream_proxy',
  'dangerously_allow_non_loopback_proxy',
  'dangerously_allow_all_unix_sockets',
  'mode',
  'mitm',
];

function dirname(file: string): string {
  const i = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return i <= 0 ? (i === 0 ? '/' : '.') : file.slice(0, i);
}

function readSandboxWorkspaceWrite(doc: TomlDoc, value: unknown): SandboxWorkspaceWriteSpec {
  const path = ['sandbox_workspace_write'];
  const t = readTable(doc, value, path);
  rejectUnknownKeys(doc, t, path, ['writable_roots', 'network_access', 'exclude_tmpdir_env_var', 'exclude_slash_tmp']);
  const out: SandboxWorkspaceWriteSpec = { writableRoots: [] };
  if (t.writable_roots !== undefined) {
    const roots = readStringArray(doc, t.writable_roots, [...path, 'writable_roots']);
    roots.forEach((root, i) => {
      const p = [...path, 'writable_roots', String(i)];
      if (root === '') throw doc.error(p, 'expected a directory path, got an empty string');
      // Codex's AbsolutePathBuf fields resolve relative paths against the config file's directory.
      const abs = /^([A-Za-z]:[\\/]|\\\\|\/|~$|~\/)/.test(root) ? root : `${dirname(doc.file)}/${root}`;
      out.writableRoots.push({ value: abs, origin: doc.origin(p) });
    });
  }
  for (const [key, field] of [
    ['network_access', 'networkAccess'],
    ['exclude_tmpdir_env_var', 'excludeTmpdirEnvVar'],
    ['exclude_slash_tmp', 'excludeSlashTmp'],
  ] as const) {
    if (t[key] !== undefined) out[field] = { value: readBool(doc, t[key], [...path, key]), origin: doc.origin([...path, key]) };
  }
  return out;
}

/** `shell_environment_policy` with Codex's defaults: inherit `all`, `ignore_default_excludes = true`. */
export function readShellEnvironmentPolicy(doc: TomlDoc, value: unknown, path: KeyPath, defaults: EnvPolicy): EnvPolicy {
  const t = readTable(doc, value, path);
  rejectUnknownKeys(doc, t, path, ['inherit', 'ignore_default_excludes', 'exclude', 'include_only', 'set', 'experimental_use_profile']);
  const policy: EnvPolicy = { ...defaults };
  if (t.inherit !== undefined) policy.inherit = readEnum(doc, t.inherit, [...path, 'inherit'], ['all', 'core', 'none'] as const);
  if (t.ignore_default_excludes !== undefined) {
    policy.ignoreDefaultExcludes = readBool(doc, t.ignore_default_excludes, [...path, 'ignore_default_excludes']);
  }
  if (t.exclude !== undefined) policy.exclude = readStringArray(doc, t.exclude, [...path, 'exclude']);
  if (t.include_only !== undefined) policy.includeOnly = readStringArray(doc, t.include_only, [...path, 'include_only']);
  if (t.set !== undefined) policy.set = readStringMap(doc, t.set, [...path, 'set']);
  if (t.experimental_use_profile !== undefined) readBool(doc, t.experimental_use_profile, [...path, 'experimental_use_profile']);
  return policy;
}

function readPermissionsProfile(doc: TomlDoc, name: string, value: unknown, warnings: string[]): CodexPermissionsSpec {
  const path = ['permissions', name];
  const t = readTable(doc, value, path);
  if (name.startsWith(':')) throw doc.error(path, `permissions profile \`${name}\` uses a reserved built-in profile prefix`);
  rejectUnknownKeys(doc, t, path, ['description', 'extends', 'workspace_roots', 'filesystem', 'network']);
  const spec: CodexPermissionsSpec = { name, file: doc.file, workspaceRoots: [], defined: doc.origin(path), keyPath: path };
  if (t.description !== undefined) spec.description = readString(doc, t.description, [...path, 'description']);
  if (t.extends !== undefined) spec.extends = { value: readString(doc, t.extends, [...path, 'extends']), origin: doc.origin([...path, 'extends']) };
  if (t.filesystem !== undefined) spec.filesystem = readFilesystemTable(doc, t.filesystem, [...path, 'filesystem']);
  if (t.workspace_roots !== undefined) {
    const rootsPath = [...path, 'workspace_roots'];
    for (const [root, enabled] of Object.entries(readTable(doc, t.workspace_roots, rootsPath))) {
      const p = [...rootsPath, root];
      spec.workspaceRoots.push({ value: root, enabled: readBool(doc, enabled, p), origin: doc.origin(p) });
    }
  }
  if (t.network !== undefined) {
    const netPath = [...path, 'network'];
    const net = readTable(doc, t.network, netPath);
    rejectUnknownKeys(doc, net, netPath, ['enabled', ...NETWORK_PROXY_KEYS, ...CODEX_NETWORK_POLICY_KEYS]);
    if (net.enabled !== undefined) spec.networkEnabled = { value: readBool(doc, net.enabled, [...netPath, 'enabled']), origin: doc.origin([...netPath, 'enabled']) };
    const access = readCodexNetworkKeys(doc, net, netPath);
    if (access !== undefined) {
      const first = CODEX_NETWORK_POLICY_KEYS.find((k) => net[k] !== undefined) ?? 'domains';
      if (spec.networkEnabled?.value === false) {
        warnings.push(`${doc.file}:${doc.lineOf([...netPath, first])}: permissions.${name}.network: enabled = false, so the domain and socket rules are not used (no network at all)`);
      } else spec.networkAccess = { value: access, origin: doc.origin([...netPath, first]) };
    }
    const proxy = Object.keys(net).filter((k) => k !== 'enabled' && !(CODEX_NETWORK_POLICY_KEYS as readonly string[]).includes(k));
    if (proxy.length > 0) {
      warnings.push(`${doc.file}:${doc.lineOf([...netPath, proxy[0] ?? ''])}: permissions.${name}.network: proxy settings (${proxy.join(', ')}) are not supported by codex-sandbox and are ignored; network is ${spec.networkEnabled?.value === true ? 'enabled' : 'restricted'}`);
    }
  }
  return spec;
}

/** Codex `config.toml` → the sandbox-relevant keys. `file` is used in error messages. */
export function parseCodexConfig(text: string, file: string): CodexConfig {
  const doc = new TomlDoc(file, text);
  const root = doc.root;
  const out: CodexConfig = { file, permissions: new Map(), warnings: [] };
  if (root.sandbox_mode !== undefined) {
    out.sandboxMode = { value: readEnum(doc, root.sandbox_mode, ['sandbox_mode'], SANDBOX_MODES), origin: doc.origin(['sandbox_mode']) };
  }
  if (root.sandbox_workspace_write !== undefined) out.sandboxWorkspaceWrite = readSandboxWorkspaceWrite(doc, root.sandbox_workspace_write);
  if (root.default_permissions !== undefined) {
    out.defaultPermissions = {
      value: readString(doc, root.default_permissions, ['default_permissions']),
      origin: doc.origin(['default_permissions']),
    };
  }
  if (root.permissions !== undefined) {
    for (const [name, value] of Object.entries(readTable(doc, root.permissions, ['permissions']))) {
      out.permissions.set(name, readPermissionsProfile(doc, name, value, out.warnings));
    }
  }
  if (root.shell_environment_policy !== undefined) {
    out.shellEnvironmentPolicy = {
      value: readShellEnvironmentPolicy(doc, root.shell_environment_policy, ['shell_environment_policy'], { inherit: 'all', ignoreDefaultExcludes: true }),
      origin: doc.origin(['shell_environment_policy']),
    };
  }
  return out;
}

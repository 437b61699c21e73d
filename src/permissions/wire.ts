/**
 * Codex's JSON wire shapes ↔ runtime types (Codex codex-rs/protocol/src/models.rs `PermissionProfile`,
 * `AdditionalPermissionProfile`; permissions.rs `FileSystemSandboxPolicy`; protocol.rs legacy `SandboxPolicy`).
 *
 * Parsing is hand-written so every error names its JSON path. Serialising writes the compact JSON
 * Codex would emit: fields in the order Codex's serde structs declare them, optional fields omitted
 * where Codex skips them.
 */
import { NOT_LOSSLESS_MESSAGE, ProfileError } from './errors.js';
import {
  childPath,
  expectArray,
  expectBool,
  expectEnum,
  expectNonZeroInt,
  expectObject,
  expectString,
  fail,
  optionalField,
  quoteList,
  rejectUnknownFields,
  requireField,
  toJsonValue,
} from './json-reader.js';
import type { JsonObject } from './json-reader.js';
import { inferConvention, nativeFromPathUri, pathUriFromNative } from './path-text.js';
import type {
  AdditionalPermissionProfile,
  FileSystemAccessMode,
  FileSystemPath,
  FileSystemPermissions,
  FileSystemSandboxEntry,
  FileSystemSpecialPath,
  ManagedFileSystemPermissions,
  NetworkSandboxPolicy,
  PermissionProfile,
  SandboxPolicy,
  WireAdditionalPermissionProfile,
  WireCanonicalFileSystemPermissions,
  WireFileSystemPath,
  WireFileSystemSandboxEntry,
  WireLegacyReadWriteRoots,
  WireManagedFileSystemPermissions,
  WirePermissionProfile,
  WireSandboxPolicy,
  WireSpecialPath,
} from './types.js';

const ACCESS_INPUTS = ['read', 'write', 'deny', 'none'] as const;
const NETWORK_VALUES = ['restricted', 'enabled'] as const;
const SPECIAL_KINDS = [
  'root',
  'minimal',
  'project_roots',
  'current_working_directory',
  'tmpdir',
  'slash_tmp',
  'unknown',
] as const;
const ABSOLUTE_PATH = 'an absolute path (POSIX "/..." or Windows "C:\\..." / "\\\\server\\share\\...")';

// ---------------------------------------------------------------------------------------------
// Parsing

function parseAccess(value: unknown, path: string): FileSystemAccessMode {
  const v = expectEnum(value, path, ACCESS_INPUTS);
  // `none` is Codex's legacy input alias of `deny`.
  return v === 'none' ? 'deny' : v;
}

function parseNetwork(value: unknown, path: string): NetworkSandboxPolicy {
  return expectEnum(value, path, NETWORK_VALUES);
}

function parseOptionalString(obj: JsonObject, key: string, path: string): string | undefined {
  const v = optionalField(obj, key);
  return v === undefined ? undefined : expectString(v, childPath(path, key));
}

function parseSpecial(value: unknown, path: string): FileSystemSpecialPath {
  const obj = expectObject(value, path, 'a special path object like {"kind":"root"}');
  const kind = expectEnum(requireField(obj, 'kind', path, `one of ${quoteList(SPECIAL_KINDS)}`), childPath(path, 'kind'), SPECIAL_KINDS);
  switch (kind) {
    case 'root':
    case 'minimal':
    case 'tmpdir':
    case 'slash_tmp':
      rejectUnknownFields(obj, path, ['kind']);
      return { kind };
    case 'project_roots':
    case 'current_working_directory': {
      rejectUnknownFields(obj, path, ['kind', 'subpath']);
      const subpath = parseOptionalString(obj, 'subpath', path);
      return subpath === undefined ? { kind: 'project_roots' } : { kind: 'project_roots', subpath };
    }
    case 'unknown': {
      rejectUnknownFields(obj, path, ['kind', 'path', 'subpath']);
      const p = expectString(requireField(obj, 'path', path, 'the special token as a string'), childPath(path, 'path'));
      const subpath = parseOptionalString(obj, 'subpath', path);
      return subpath === undefined ? { kind: 'unknown', path: p } : { kind: 'unknown', path: p, subpath };
    }
  }
}

function parseAbsolutePath(value: unknown, path: string): FileSystemPath & { type: 'path' } {
  const text = expectString(value, path, ABSOLUTE_PATH);
  if (text.includes('\0')) fail(path, `${ABSOLUTE_PATH} without NUL characters`, text);
  const uri = inferConvention(text) === undefined ? undefined : pathUriFromNative(text);
  if (uri === undefined) fail(path, ABSOLUTE_PATH, text);
  return { type: 'path', path: uri };
}

function parseFileSystemPath(value: unknown, path: string): FileSystemPath {
  const obj = expectObject(value, path, 'a path object with "type" "path", "glob_pattern" or "special"');
  const type = expectEnum(
    requireField(obj, 'type', path, 'one of "path", "glob_pattern", "special"'),
    childPath(path, 'type'),
    ['path', 'glob_pattern', 'special'] as const,
  );
  switch (type) {
    case 'path':
      rejectUnknownFields(obj, path, ['type', 'path']);
      return parseAbsolutePath(requireField(obj, 'path', path, ABSOLUTE_PATH), childPath(path, 'path'));
    case 'glob_pattern': {
      rejectUnknownFields(obj, path, ['type', 'pattern']);
      const pattern = expectString(requireField(obj, 'pattern', path, 'a glob pattern string'), childPath(path, 'pattern'), 'a non-empty glob pattern string');
      if (pattern === '') fail(childPath(path, 'pattern'), 'a non-empty glob pattern string', pattern);
      return { type: 'glob_pattern', pattern };
    }
    case 'special':
      rejectUnknownFields(obj, path, ['type', 'value']);
      return { type: 'special', value: parseSpecial(requireField(obj, 'value', path, 'a special path object'), childPath(path, 'value')) };
  }
}

function parseEntry(value: unknown, path: string): FileSystemSandboxEntry {
  const obj = expectObject(value, path, 'an entry object {"path":...,"access":...}');
  rejectUnknownFields(obj, path, ['path', 'access', 'missing_path_behavior']);
  const entry: FileSystemSandboxEntry = {
    path: parseFileSystemPath(requireField(obj, 'path', path, 'a path object'), childPath(path, 'path')),
    access: parseAccess(requireField(obj, 'access', path, `one of ${quoteList(ACCESS_INPUTS)}`), childPath(path, 'access')),
  };
  const mpb = optionalField(obj, 'missing_path_behavior');
  if (mpb !== undefined) entry.missingPathBehavior = expectEnum(mpb, childPath(path, 'missing_path_behavior'), ['skip'] as const);
  return entry;
}

function parseEntries(value: unknown, path: string): FileSystemSandboxEntry[] {
  return expectArray(value, path, 'an array of entries').map((e, i) => parseEntry(e, childPath(path, i)));
}

function parseManagedFileSystem(value: unknown, path: string): ManagedFileSystemPermissions {
  const obj = expectObject(value, path, 'an object with "type" "restricted" or "unrestricted"');
  const type = expectEnum(
    requireField(obj, 'type', path, 'one of "restricted", "unrestricted"'),
    childPath(path, 'type'),
    ['restricted', 'unrestricted'] as const,
  );
  if (type === 'unrestricted') {
    rejectUnknownFields(obj, path, ['type']);
    return { type };
  }
  rejectUnknownFields(obj, path, ['type', 'entries', 'glob_scan_max_depth']);
  const out: ManagedFileSystemPermissions = {
    type,
    entries: parseEntries(requireField(obj, 'entries', path, 'an array of entries'), childPath(path, 'entries')),
  };
  const depth = optionalField(obj, 'glob_scan_max_depth');
  if (depth !== undefined) out.globScanMaxDepth = expectNonZeroInt(depth, childPath(path, 'glob_scan_max_depth'));
  return out;
}

function parseNetworkPermissions(value: unknown, path: string): { enabled?: boolean } {
  const obj = expectObject(value, path, 'an object {"enabled": true|false|null}');
  rejectUnknownFields(obj, path, ['enabled']);
  const enabled = optionalField(obj, 'enabled');
  return enabled === undefined ? {} : { enabled: expectBool(enabled, childPath(path, 'enabled')) };
}

function parseRootList(value: unknown, path: string): FileSystemSandboxEntry['path'][] {
  return expectArray(value, path, `an array of ${ABSOLUTE_PATH}s`).map((p, i) => parseAbsolutePath(p, childPath(path, i)));
}

/** `FileSystemPermissions`: canonical `{entries, glob_scan_max_depth}` or legacy `{read, write}`. */
function parseFileSystemPermissions(value: unknown, path: string): FileSystemPermissions {
  const obj = expectObject(value, path, 'an object {"entries":[...]} or {"read":[...],"write":[...]}');
  const keys = Object.keys(obj);
  const legacy = keys.length > 0 && keys.every((k) => k === 'read' || k === 'write');
  if (legacy) {
    const entries: FileSystemSandboxEntry[] = [];
    const read = optionalField(obj, 'read');
    const write = optionalField(obj, 'write');
    if (read !== undefined) for (const p of parseRootList(read, childPath(path, 'read'))) entries.push({ path: p, access: 'read' });
    if (write !== undefined) for (const p of parseRootList(write, childPath(path, 'write'))) entries.push({ path: p, access: 'write' });
    return { entries };
  }
  rejectUnknownFields(obj, path, ['entries', 'glob_scan_max_depth']);
  const entriesValue = optionalField(obj, 'entries');
  const out: FileSystemPermissions = {
    entries: entriesValue === undefined ? [] : parseEntries(entriesValue, childPath(path, 'entries')),
  };
  const depth = optionalField(obj, 'glob_scan_max_depth');
  if (depth !== undefined) out.globScanMaxDepth = expectNonZeroInt(depth, childPath(path, 'glob_scan_max_depth'));
  return out;
}

function parseProfileValue(value: unknown, path: string): PermissionProfile {
  const obj = expectObject(value, path, 'a permission profile object');
  if (!Object.prototype.hasOwnProperty.call(obj, 'type')) {
    // Pre-tagged rollout shape: {"network": {"enabled": bool?}?, "file_system": FileSystemPermissions?}.
    rejectUnknownFields(obj, path, ['network', 'file_system']);
    const network = optionalField(obj, 'network');
    const fsValue = optionalField(obj, 'file_system');
    const enabled = network === undefined ? undefined : parseNetworkPermissions(network, childPath(path, 'network')).enabled;
    const fsPerms = fsValue === undefined ? { entries: [] } : parseFileSystemPermissions(fsValue, childPath(path, 'file_system'));
    const fileSystem: ManagedFileSystemPermissions = { type: 'restricted', entries: fsPerms.entries };
    if (fsPerms.globScanMaxDepth !== undefined) fileSystem.globScanMaxDepth = fsPerms.globScanMaxDepth;
    return { type: 'managed', fileSystem, network: enabled === true ? 'enabled' : 'restricted' };
  }
  const type = expectEnum(obj['type'], childPath(path, 'type'), ['managed', 'disabled', 'external'] as const);
  switch (type) {
    case 'managed':
      rejectUnknownFields(obj, path, ['type', 'file_system', 'network']);
      return {
        type,
        fileSystem: parseManagedFileSystem(requireField(obj, 'file_system', path, 'a file_system object'), childPath(path, 'file_system')),
        network: parseNetwork(requireField(obj, 'network', path, 'one of "restricted", "enabled"'), childPath(path, 'network')),
      };
    case 'disabled':
      rejectUnknownFields(obj, path, ['type']);
      return { type };
    case 'external':
      rejectUnknownFields(obj, path, ['type', 'network']);
      return { type, network: parseNetwork(requireField(obj, 'network', path, 'one of "restricted", "enabled"'), childPath(path, 'network')) };
  }
}

/** Parses a `PermissionProfile` (JSON text or an already-parsed value); throws `ProfileError`. */
export function parsePermissionProfile(json: unknown): PermissionProfile {
  return parseProfileValue(toJsonValue(json), '$');
}

/**
 * Older Codex wrote `access`/`read_only_access` on legacy policies. Full read access is what the
 * policy means anyway; a restricted read set is not expressible here and is refused, not widened.
 */
function checkLegacyReadAccess(obj: JsonObject, key: string, path: string): void {
  const v = optionalField(obj, key);
  if (v === undefined) return;
  const p = childPath(path, key);
  const access = expectObject(v, p, '{"type":"full-access"}');
  const t = expectString(requireField(access, 'type', p, '"full-access"'), childPath(p, 'type'));
  if (t !== 'full-access') {
    throw new ProfileError(
      childPath(p, 'type'),
      `expected "full-access"; got ${JSON.stringify(t)} (restricted read access is not supported by the legacy policy: use a permission profile with explicit read entries)`,
    );
  }
  rejectUnknownFields(access, p, ['type']);
}

function parseSandboxPolicyValue(value: unknown, path: string): SandboxPolicy {
  const obj = expectObject(value, path, 'a sandbox policy object');
  const type = expectEnum(
    requireField(obj, 'type', path, 'one of "danger-full-access", "read-only", "external-sandbox", "workspace-write"'),
    childPath(path, 'type'),
    ['danger-full-access', 'read-only', 'external-sandbox', 'workspace-write'] as const,
  );
  const bool = (key: string): boolean => {
    const v = obj[key];
    return v === undefined ? false : expectBool(v, childPath(path, key));
  };
  switch (type) {
    case 'danger-full-access':
      rejectUnknownFields(obj, path, ['type']);
      return { type };
    case 'read-only':
      rejectUnknownFields(obj, path, ['type', 'access', 'network_access']);
      checkLegacyReadAccess(obj, 'access', path);
      return { type, networkAccess: bool('network_access') };
    case 'external-sandbox': {
      rejectUnknownFields(obj, path, ['type', 'network_access']);
      const n = obj['network_access'];
      return { type, networkAccess: n === undefined ? 'restricted' : parseNetwork(n, childPath(path, 'network_access')) };
    }
    case 'workspace-write': {
      rejectUnknownFields(obj, path, [
        'type',
        'writable_roots',
        'read_only_access',
        'network_access',
        'exclude_tmpdir_env_var',
        'exclude_slash_tmp',
      ]);
      checkLegacyReadAccess(obj, 'read_only_access', path);
      const rootsValue = obj['writable_roots'];
      const writableRoots =
        rootsValue === undefined
          ? []
          : expectArray(rootsValue, childPath(path, 'writable_roots'), `an array of ${ABSOLUTE_PATH}s`).map((r, i) => {
              const p = childPath(childPath(path, 'writable_roots'), i);
              const text = expectString(r, p, ABSOLUTE_PATH);
              if (text.includes('\0') || pathUriFromNative(text) === undefined) fail(p, ABSOLUTE_PATH, text);
              return text;
            });
      return {
        type,
        writableRoots,
        networkAccess: bool('network_access'),
        excludeTmpdirEnvVar: bool('exclude_tmpdir_env_var'),
        excludeSlashTmp: bool('exclude_slash_tmp'),
      };
    }
  }
}

/** Parses a legacy `SandboxPolicy` (JSON text or an already-parsed value); throws `ProfileError`. */
export function parseSandboxPolicy(json: unknown): SandboxPolicy {
  return parseSandboxPolicyValue(toJsonValue(json), '$');
}

/** Parses an `AdditionalPermissionProfile` overlay; throws `ProfileError`. */
export function parseAdditionalPermissionProfile(json: unknown): AdditionalPermissionProfile {
  const path = '$';
  const obj = expectObject(toJsonValue(json), path, 'an object {"network":...,"file_system":...}');
  rejectUnknownFields(obj, path, ['network', 'file_system']);
  const out: AdditionalPermissionProfile = {};
  const network = optionalField(obj, 'network');
  if (network !== undefined) out.network = parseNetworkPermissions(network, childPath(path, 'network'));
  const fsValue = optionalField(obj, 'file_system');
  if (fsValue !== undefined) out.fileSystem = parseFileSystemPermissions(fsValue, childPath(path, 'file_system'));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Serialising

function specialToWire(v: FileSystemSpecialPath): WireSpecialPath {
  switch (v.kind) {
    case 'project_roots':
      return v.subpath === undefined ? { kind: v.kind } : { kind: v.kind, subpath: v.subpath };
    case 'unknown':
      return v.subpath === undefined ? { kind: v.kind, path: v.path } : { kind: v.kind, path: v.path, subpath: v.subpath };
    default:
      return { kind: v.kind };
  }
}

function pathToWire(p: FileSystemPath, jsonPath: string): WireFileSystemPath {
  switch (p.type) {
    case 'path': {
      const text = nativeFromPathUri(p.path);
      if (text === undefined) throw new ProfileError(childPath(jsonPath, 'path'), `${NOT_LOSSLESS_MESSAGE}: ${p.path.toString()}`);
      return { type: 'path', path: text };
    }
    case 'glob_pattern':
      return { type: 'glob_pattern', pattern: p.pattern };
    case 'special':
      return { type: 'special', value: specialToWire(p.value) };
  }
}

function entryToWire(e: FileSystemSandboxEntry, jsonPath: string): WireFileSystemSandboxEntry {
  const out: WireFileSystemSandboxEntry = { path: pathToWire(e.path, childPath(jsonPath, 'path')), access: e.access };
  if (e.missingPathBehavior !== undefined) out.missing_path_behavior = e.missingPathBehavior;
  return out;
}

function entriesToWire(entries: readonly FileSystemSandboxEntry[], jsonPath: string): WireFileSystemSandboxEntry[] {
  return entries.map((e, i) => entryToWire(e, childPath(jsonPath, i)));
}

function managedToWire(m: ManagedFileSystemPermissions, jsonPath: string): WireManagedFileSystemPermissions {
  if (m.type === 'unrestricted') return { type: 'unrestricted' };
  const out: WireManagedFileSystemPermissions = { type: 'restricted', entries: entriesToWire(m.entries, childPath(jsonPath, 'entries')) };
  if (m.globScanMaxDepth !== undefined) out.glob_scan_max_depth = expectNonZeroInt(m.globScanMaxDepth, childPath(jsonPath, 'glob_scan_max_depth'));
  return out;
}

/** The wire object of a profile (field order = Codex's). Throws `ProfileError` for a path that is not representable. */
export function permissionProfileToWire(profile: PermissionProfile): WirePermissionProfile {
  switch (profile.type) {
    case 'managed':
      return { type: 'managed', file_system: managedToWire(profile.fileSystem, '$.file_system'), network: profile.network };
    case 'disabled':
      return { type: 'disabled' };
    case 'external':
      return { type: 'external', network: profile.network };
  }
}

/** Compact JSON exactly as Codex serialises a `PermissionProfile`. */
export function serializePermissionProfile(profile: PermissionProfile): string {
  return JSON.stringify(permissionProfileToWire(profile));
}

export function sandboxPolicyToWire(policy: SandboxPolicy): WireSandboxPolicy {
  switch (policy.type) {
    case 'danger-full-access':
      return { type: policy.type };
    case 'read-only':
      return policy.networkAccess ? { type: policy.type, network_access: true } : { type: policy.type };
    case 'external-sandbox':
      return { type: policy.type, network_access: policy.networkAccess };
    case 'workspace-write':
      return {
        type: policy.type,
        ...(policy.writableRoots.length > 0 ? { writable_roots: [...policy.writableRoots] } : {}),
        network_access: policy.networkAccess,
        exclude_tmpdir_env_var: policy.excludeTmpdirEnvVar,
        exclude_slash_tmp: policy.excludeSlashTmp,
      };
  }
}

/** Compact JSON exactly as Codex serialises a legacy `SandboxPolicy`. */
export function serializeSandboxPolicy(policy: SandboxPolicy): string {
  return JSON.stringify(sandboxPolicyToWire(policy));
}

/**
 * Legacy `{read, write}` form when the permissions are only read/write literal paths without a glob
 * depth (Codex's rule). Entries carrying `missing_path_behavior` keep the canonical form here so the
 * flag is never dropped (Codex's legacy form would lose it).
 */
function fileSystemPermissionsToWire(p: FileSystemPermissions, jsonPath: string): WireLegacyReadWriteRoots | WireCanonicalFileSystemPermissions {
  if (p.globScanMaxDepth === undefined) {
    const read: string[] = [];
    const write: string[] = [];
    let legacy = true;
    for (const e of p.entries) {
      if (e.path.type !== 'path' || e.access === 'deny' || e.missingPathBehavior !== undefined) {
        legacy = false;
        break;
      }
      const text = nativeFromPathUri(e.path.path);
      if (text === undefined) {
        legacy = false;
        break;
      }
      (e.access === 'read' ? read : write).push(text);
    }
    if (legacy) {
      const out: WireLegacyReadWriteRoots = {};
      if (read.length > 0) out.read = read;
      if (write.length > 0) out.write = write;
      return out;
    }
  }
  const out: WireCanonicalFileSystemPermissions = {};
  if (p.entries.length > 0) out.entries = entriesToWire(p.entries, childPath(jsonPath, 'entries'));
  if (p.globScanMaxDepth !== undefined) out.glob_scan_max_depth = expectNonZeroInt(p.globScanMaxDepth, childPath(jsonPath, 'glob_scan_max_depth'));
  return out;
}

export function additionalPermissionProfileToWire(p: AdditionalPermissionProfile): WireAdditionalPermissionProfile {
  return {
    network: p.network === undefined ? null : { enabled: p.network.enabled ?? null },
    file_system: p.fileSystem === undefined ? null : fileSystemPermissionsToWire(p.fileSystem, '$.file_system'),
  };
}

/** Compact JSON exactly as Codex serialises an `AdditionalPermissionProfile` (absent parts are `null`). */
export function serializeAdditionalPermissionProfile(p: AdditionalPermissionProfile): string {
  return JSON.stringify(additionalPermissionProfileToWire(p));
}

/**
 * `codex-sandbox/permissions`: the permission model for callers that work with profiles themselves —
 * Codex's wire shapes (parse/serialise), presets, the legacy `SandboxPolicy` conversions, additional-
 * permission overlays, and resolution into the roots a platform enforces (with per-path queries).
 */
export type {
  AdditionalPermissionProfile,
  FileSystemAccessMode,
  FileSystemPath,
  FileSystemPermissions,
  FileSystemSandboxEntry,
  FileSystemSandboxPolicy,
  FileSystemSpecialPath,
  ManagedFileSystemPermissions,
  MissingPathBehavior,
  NetworkSandboxPolicy,
  SandboxEnforcement,
  SandboxPolicy,
  WireAccessMode,
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
export type { ResolvedFileSystem, ResolvedPermissions, WritableRoot, NetworkPolicy, Enforcement } from './resolved.js';
export type { FsInspector, FsEntryKind, FsEntryStat, GlobScanRequest, GlobScanResult } from './fs-facts.js';

export { PermissionProfile, PROFILE_NAMES } from './profile.js';
export type { ProfileName, WorkspaceWriteOptions } from './profile.js';
export { ProfileError, LegacyConversionError, ResolveError } from './errors.js';
export {
  parsePermissionProfile,
  serializePermissionProfile,
  permissionProfileToWire,
  parseSandboxPolicy,
  serializeSandboxPolicy,
  sandboxPolicyToWire,
  parseAdditionalPermissionProfile,
  serializeAdditionalPermissionProfile,
  additionalPermissionProfileToWire,
} from './wire.js';
export { readOnlyFileSystem, workspaceWriteFileSystem, unrestrictedFileSystem, externalSandboxFileSystem } from './presets.js';
export {
  SandboxPolicies,
  sandboxPolicyToPermissionProfile,
  sandboxPolicyToPermissionProfileForCwd,
  fileSystemPolicyToSandboxPolicy,
  permissionProfileToSandboxPolicy,
} from './legacy.js';
export type { LegacyCwdContext, LegacyProjectionContext } from './legacy.js';
export { resolvePermissions, accessForPath, canWritePath, canReadPath } from './resolve.js';
export type { ResolveContext } from './resolve.js';
export { applyAdditionalPermissions, mergeAdditionalPermissions, intersectAdditionalPermissions, normalizeAdditionalPermissions } from './overlay.js';
export { PROTECTED_METADATA_NAMES } from './metadata.js';

/**
 * The permission model's public API: Codex-compatible profiles, their wire form, legacy policies,
 * overlays, and resolution into what platform planners enforce.
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
  WireAdditionalPermissionProfile,
  WireFileSystemPath,
  WireFileSystemSandboxEntry,
  WireManagedFileSystemPermissions,
  WirePermissionProfile,
  WireSandboxPolicy,
} from './types.js';
export type { ResolvedFileSystem, ResolvedPermissions, WritableRoot, NetworkPolicy, Enforcement } from './resolved.js';
export type { FsInspector, FsEntryKind, GlobScanRequest, GlobScanResult } from './fs-facts.js';

export { PermissionProfile, PROFILE_NAMES } from './profile.js';
export type { ProfileName, WorkspaceWriteOptions } from './profile.js';
export { ProfileError, LegacyConversionError, ResolveError, WRITES_OUTSIDE_WORKSPACE_MESSAGE, NOT_LOSSLESS_MESSAGE, GLOB_DENY_ONLY_MESSAGE } from './errors.js';
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
  legacyEnforcement,
  legacyNetwork,
  sandboxPolicyToFileSystemPolicy,
  sandboxPolicyToPermissionProfile,
  sandboxPolicyToPermissionProfileForCwd,
  fileSystemPolicyToSandboxPolicy,
  permissionProfileToSandboxPolicy,
  needsDirectRuntimeEnforcement,
} from './legacy.js';
export type { LegacyCwdContext, LegacyProjectionContext } from './legacy.js';
export {
  resolvePermissions,
  accessForPath,
  canWritePath,
  canReadPath,
  forbiddenMetadataWrite,
  hasFullDiskReadAccess,
  hasFullDiskWriteAccess,
} from './resolve.js';
export { materializeProjectRoots, projectRootsGlobPattern, PROJECT_ROOTS_GLOB_PREFIX } from './materialize.js';
export type { ResolveContext } from './resolve.js';
export {
  applyAdditionalPermissions,
  mergeAdditionalPermissions,
  intersectAdditionalPermissions,
  normalizeAdditionalPermissions,
} from './overlay.js';
export { PROTECTED_METADATA_NAMES } from './metadata.js';
export { CACHE_TOOLS, CACHE_TOOL_NAMES, cacheDirs, isCacheTool } from './caches.js';
export type { CacheTool } from './caches.js';
export { GIT_PROTECTED_ENTRIES } from './git-layout.js';
export type { GitProtectedEntry } from './git-layout.js';
export { globMatches, globToRegExp } from './glob.js';
export { createReadDenyMatcher } from './read-deny.js';
export type { ReadDenyContext } from './read-deny.js';
export {
  EMPTY_NETWORK_ACCESS,
  NetworkRuleError,
  parseNetworkRule,
  compileNetworkPolicy,
  decideHost,
  decideAddress,
  canonicalHost,
  parseIp,
  formatIp,
  isSpecialAddress,
} from './network-rules.js';
export type { NetworkAccessPolicy, CompiledNetworkPolicy, NetworkDecision, NetworkRule, IpAddress } from './network-rules.js';

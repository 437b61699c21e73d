/**
 * The permission model inside the package: everything `codex-sandbox/permissions` exports
 * (./public.ts, one list, so the two cannot drift), and what only the package's own modules use.
 */
export * from './public.js';
export { WRITES_OUTSIDE_WORKSPACE_MESSAGE, NOT_LOSSLESS_MESSAGE, GLOB_DENY_ONLY_MESSAGE } from './errors.js';
export { legacyEnforcement, legacyNetwork, sandboxPolicyToFileSystemPolicy, needsDirectRuntimeEnforcement } from './legacy.js';
export { forbiddenMetadataWrite, hasFullDiskReadAccess, hasFullDiskWriteAccess } from './resolve.js';
export { materializeProjectRoots, projectRootsGlobPattern, PROJECT_ROOTS_GLOB_PREFIX } from './materialize.js';
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

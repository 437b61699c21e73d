/** Configuration files (codex-sandbox.toml, Codex's config.toml) → permission profiles. */
export { ConfigError, UnknownProfileError } from './errors.js';
export type { Origin, ProfileOrigin } from './origin.js';
export { describeOrigin } from './origin.js';
export { parseSandboxConfig, BUILT_IN_PROFILE_NAMES, CODEX_BUILT_IN_IDS } from './sandbox-config.js';
export type { SandboxConfig, SandboxProfileSpec } from './sandbox-config.js';
export { parseCodexConfig } from './codex-config.js';
export type { CodexConfig, CodexPermissionsSpec, SandboxMode, SandboxWorkspaceWriteSpec, Located, ConfigOrigin } from './codex-config.js';
export { findConfigFiles, loadConfig } from './load.js';
export type { ConfigFiles, ConfigFileDecision, FindOptions, LoadOptions, LoadedConfig } from './load.js';
export { resolveProfileName, resolveDefaultProfile, listProfiles, defaultProfileName, readProfileFile, checkProjectBound, projectBoundRefusals, ProjectBoundError, FALLBACK_PROFILE } from './resolve.js';
export type { ResolveProfileOptions, ResolvedProfileChoice, ProfileListing, BoundRefusal, BoundContext } from './resolve.js';
export { readIfTrusted, trustProblem, currentCaller } from './trust.js';
export type { CallerIdentity, TrustedRead } from './trust.js';
export { KeyLines, formatKeyPath } from './key-lines.js';
export type { KeyPath } from './key-lines.js';

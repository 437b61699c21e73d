/**
 * `codex-sandbox/config`: configuration files (codex-sandbox.toml, Codex's config.toml) → permission
 * profiles, with where each part came from — what `codex-sandbox run --profile NAME` and `explain` use.
 */
export { ConfigError, UnknownProfileError } from './errors.js';
export { ProjectBoundError } from './resolve.js';
export { loadConfig } from './load.js';
export type { ConfigFiles, ConfigFileDecision, LoadOptions, LoadedConfig } from './load.js';
export { resolveProfileName, resolveDefaultProfile, listProfiles } from './resolve.js';
export type { ResolveProfileOptions, ResolvedProfileChoice, ProfileListing, BoundRefusal } from './resolve.js';
export { describeOrigin } from './origin.js';
export type { ConfigOrigin, Origin, ProfileOrigin } from './origin.js';
export type { SandboxConfig, SandboxProfileSpec } from './sandbox-config.js';
export type { CodexConfig, CodexPermissionsSpec, Located, SandboxMode, SandboxWorkspaceWriteSpec } from './codex-config.js';
export type { FilesystemTable, FsRule } from './fs-rules.js';
export type { LimitsSpec } from './limits.js';
export type { KeyPath } from './key-lines.js';

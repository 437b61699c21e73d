/**
 * Errors of the permission model. Every message names what is wrong and what was expected.
 */
import { SandboxError } from '../errors.js';

/**
 * Malformed profile / policy input. `jsonPath` is where the offending value sits (`$` is the
 * document), e.g. `$.file_system.entries[2].access: expected one of "read", "write", "deny", "none"; got "rw"`.
 */
export class ProfileError extends SandboxError {
  constructor(
    readonly jsonPath: string,
    readonly detail: string,
  ) {
    super('InvalidProfile', `${jsonPath}: ${detail}`);
    this.name = 'ProfileError';
  }
}

/**
 * A profile that the legacy `SandboxPolicy` (codex-rs/protocol/src/protocol.rs) cannot express, or a path
 * that cannot
 * be written back as a native string. Codex returns these as `io::ErrorKind::InvalidInput`.
 */
export class LegacyConversionError extends SandboxError {
  constructor(message: string) {
    super('NotLegacyExpressible', message);
    this.name = 'LegacyConversionError';
  }
}

/** A profile that cannot be resolved for this context without widening it (fails closed). */
export class ResolveError extends SandboxError {
  constructor(message: string) {
    super('Unresolvable', message);
    this.name = 'ResolveError';
  }
}

/** Codex's exact text for the lossy new → legacy direction (`to_legacy_sandbox_policy`). */
export const WRITES_OUTSIDE_WORKSPACE_MESSAGE =
  'permissions profile requests filesystem writes outside the workspace root, which is not supported until the runtime enforces FileSystemSandboxPolicy directly';

/** Codex's exact text when a `PathUri` has no native string that parses back to it. */
export const NOT_LOSSLESS_MESSAGE = 'permission path cannot be represented losslessly';

/** Codex's exact text for a non-deny glob in additional permissions. */
export const GLOB_DENY_ONLY_MESSAGE = 'glob file system permissions only support deny-read entries';

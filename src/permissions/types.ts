/**
 * The permission model's types (Codex codex-rs/protocol/src/{models,permissions,protocol}.rs). Two families:
 *
 * - `Wire*` types are Codex's JSON exactly (snake_case, serde tags), what `wire.ts` reads and writes.
 * - The runtime types (no prefix) are what the rest of the code works with: `path` entries hold a
 *   `PathUri`, multi-word fields are camelCase.
 */
import type { PathUri } from '../path-uri/index.js';

/** `restricted` (default) | `enabled` (Codex `NetworkSandboxPolicy`, permissions.rs). Legacy `NetworkAccess` has the same two values. */
export type NetworkSandboxPolicy = 'restricted' | 'enabled';

/**
 * `read` < `write` < `deny` is the tie-break precedence at equal specificity (deny beats write beats
 * read). `none` is accepted on input as an alias of `deny` and never written.
 */
export type FileSystemAccessMode = 'read' | 'write' | 'deny';

export type MissingPathBehavior = 'skip';

/** Special path tokens (`:root`, `:minimal`, ...). `unknown` keeps a newer token so it can be ignored with a warning. */
export type FileSystemSpecialPath =
  | { kind: 'root' }
  | { kind: 'minimal' }
  | { kind: 'project_roots'; subpath?: string }
  | { kind: 'tmpdir' }
  | { kind: 'slash_tmp' }
  | { kind: 'unknown'; path: string; subpath?: string };

/** Runtime filesystem path: a `PathUri`, a git-style glob (deny-only), or a special token. */
export type FileSystemPath =
  | { type: 'path'; path: PathUri }
  | { type: 'glob_pattern'; pattern: string }
  | { type: 'special'; value: FileSystemSpecialPath };

export interface FileSystemSandboxEntry {
  path: FileSystemPath;
  access: FileSystemAccessMode;
  /** `skip`: the entry is dropped at resolution when its path does not exist. */
  missingPathBehavior?: MissingPathBehavior;
}

/** `ManagedFileSystemPermissions`: what a `managed` profile says about the filesystem. */
export type ManagedFileSystemPermissions =
  | {
      type: 'restricted';
      entries: FileSystemSandboxEntry[];
      /** Cap on pre-launch glob expansion depth; never 0 (Codex's `NonZeroUsize`). */
      globScanMaxDepth?: number;
    }
  | { type: 'unrestricted' };

/** Codex's `PermissionProfile` (codex-rs/protocol/src/models.rs). Constructors live on the `PermissionProfile` value in profile.ts. */
export type PermissionProfile =
  | { type: 'managed'; fileSystem: ManagedFileSystemPermissions; network: NetworkSandboxPolicy }
  /** No outer sandbox: unrestricted filesystem, network enabled. */
  | { type: 'disabled' }
  /** Filesystem isolation is someone else's job. */
  | { type: 'external'; network: NetworkSandboxPolicy };

export type SandboxEnforcement = 'managed' | 'disabled' | 'external';

/** Codex's runtime `FileSystemSandboxPolicy` (codex-rs/protocol/src/permissions.rs): the filesystem half of a profile. */
export interface FileSystemSandboxPolicy {
  kind: 'restricted' | 'unrestricted' | 'external-sandbox';
  globScanMaxDepth?: number;
  entries: FileSystemSandboxEntry[];
}

/** Legacy `SandboxPolicy` (codex-rs/protocol/src/protocol.rs). Writable roots are native absolute path strings. */
export type SandboxPolicy =
  | { type: 'danger-full-access' }
  | { type: 'read-only'; networkAccess: boolean }
  | { type: 'external-sandbox'; networkAccess: NetworkSandboxPolicy }
  | {
      type: 'workspace-write';
      writableRoots: string[];
      networkAccess: boolean;
      excludeTmpdirEnvVar: boolean;
      excludeSlashTmp: boolean;
    };

/** `FileSystemPermissions` inside an `AdditionalPermissionProfile` (codex-rs/protocol/src/models.rs). */
export interface FileSystemPermissions {
  entries: FileSystemSandboxEntry[];
  globScanMaxDepth?: number;
}

/** Partial overlay for one command or an approved grant (Codex `AdditionalPermissionProfile`). `undefined` = Codex's `None` (JSON null). */
export interface AdditionalPermissionProfile {
  network?: { enabled?: boolean };
  fileSystem?: FileSystemPermissions;
}

// ---------------------------------------------------------------------------------------------
// Wire shapes (Codex's JSON). Field order here is the order serialisation writes.

export type WireAccessMode = 'read' | 'write' | 'deny';

export type WireFileSystemPath =
  | { type: 'path'; path: string }
  | { type: 'glob_pattern'; pattern: string }
  | { type: 'special'; value: WireSpecialPath };

export type WireSpecialPath = FileSystemSpecialPath;

export interface WireFileSystemSandboxEntry {
  path: WireFileSystemPath;
  access: WireAccessMode;
  missing_path_behavior?: MissingPathBehavior;
}

export type WireManagedFileSystemPermissions =
  | { type: 'restricted'; entries: WireFileSystemSandboxEntry[]; glob_scan_max_depth?: number }
  | { type: 'unrestricted' };

export type WirePermissionProfile =
  | { type: 'managed'; file_system: WireManagedFileSystemPermissions; network: NetworkSandboxPolicy }
  | { type: 'disabled' }
  | { type: 'external'; network: NetworkSandboxPolicy };

export type WireSandboxPolicy =
  | { type: 'danger-full-access' }
  | { type: 'read-only'; network_access?: true }
  | { type: 'external-sandbox'; network_access: NetworkSandboxPolicy }
  | {
      type: 'workspace-write';
      writable_roots?: string[];
      network_access: boolean;
      exclude_tmpdir_env_var: boolean;
      exclude_slash_tmp: boolean;
    };

/** Legacy `{read, write}` form, used whenever a `FileSystemPermissions` is only read/write paths. */
export interface WireLegacyReadWriteRoots {
  read?: string[];
  write?: string[];
}

export interface WireCanonicalFileSystemPermissions {
  entries?: WireFileSystemSandboxEntry[];
  glob_scan_max_depth?: number;
}

export interface WireAdditionalPermissionProfile {
  network: { enabled: boolean | null } | null;
  file_system: WireLegacyReadWriteRoots | WireCanonicalFileSystemPermissions | null;
}

/**
 * `PermissionProfile`: the type (from types.ts) and, under the same name, its constructors and
 * conversions (Codex codex-rs/protocol/src/models.rs `PermissionProfile`: `read_only()`,
 * `workspace_write()`). `PermissionProfile.readOnly()` etc. return plain data.
 */
import { ProfileError } from './errors.js';
import type { FsInspector } from './fs-facts.js';
import { externalSandboxFileSystem, readOnlyFileSystem, unrestrictedFileSystem, workspaceWriteFileSystem } from './presets.js';
import type {
  FileSystemSandboxPolicy,
  ManagedFileSystemPermissions,
  NetworkSandboxPolicy,
  PermissionProfile as PermissionProfileData,
  SandboxEnforcement,
} from './types.js';

export type PermissionProfile = PermissionProfileData;

export interface WorkspaceWriteOptions {
  /** Extra writable roots (native absolute paths) beyond the project roots. */
  writableRoots?: readonly string[];
  network?: NetworkSandboxPolicy;
  excludeTmpdirEnvVar?: boolean;
  excludeSlashTmp?: boolean;
  /**
   * Host view used to pin the explicit roots' existing `.git`/`.agents`/`.codex` as read entries,
   * as Codex does. Optional: resolution protects the same paths from the host either way.
   */
  fs?: FsInspector;
}

/** Names accepted by `PermissionProfile.named` (and Codex's built-in ids `:read-only`, `:workspace`, `:danger-full-access`). */
export const PROFILE_NAMES = ['read-only', 'workspace-write', 'danger-full-access'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

const BUILT_IN_IDS: Record<string, ProfileName> = {
  'read-only': 'read-only',
  'workspace-write': 'workspace-write',
  'danger-full-access': 'danger-full-access',
  ':read-only': 'read-only',
  ':workspace': 'workspace-write',
  ':danger-full-access': 'danger-full-access',
};

function managedFromPolicy(fs: FileSystemSandboxPolicy): ManagedFileSystemPermissions {
  if (fs.kind === 'restricted') {
    const m: ManagedFileSystemPermissions = { type: 'restricted', entries: fs.entries };
    if (fs.globScanMaxDepth !== undefined && fs.globScanMaxDepth > 0) m.globScanMaxDepth = fs.globScanMaxDepth;
    return m;
  }
  return { type: 'unrestricted' };
}

function toFileSystemPolicy(profile: PermissionProfileData): FileSystemSandboxPolicy {
  switch (profile.type) {
    case 'managed': {
      const f = profile.fileSystem;
      if (f.type === 'unrestricted') return unrestrictedFileSystem();
      const out: FileSystemSandboxPolicy = { kind: 'restricted', entries: f.entries };
      if (f.globScanMaxDepth !== undefined) out.globScanMaxDepth = f.globScanMaxDepth;
      return out;
    }
    case 'disabled':
      return unrestrictedFileSystem();
    case 'external':
      return externalSandboxFileSystem();
  }
}

function fromRuntime(
  fileSystem: FileSystemSandboxPolicy,
  network: NetworkSandboxPolicy,
  enforcement?: SandboxEnforcement,
): PermissionProfileData {
  const enf = enforcement ?? (fileSystem.kind === 'external-sandbox' ? 'external' : 'managed');
  if (fileSystem.kind === 'external-sandbox') return { type: 'external', network };
  // Codex: unrestricted + disabled enforcement is `disabled` whatever the network says.
  if (fileSystem.kind === 'unrestricted' && enf === 'disabled') return { type: 'disabled' };
  return { type: 'managed', fileSystem: managedFromPolicy(fileSystem), network };
}

export const PermissionProfile = {
  /** Codex's `Default`: managed, restricted, no entries (nothing readable), network restricted. */
  default(): PermissionProfileData {
    return { type: 'managed', fileSystem: { type: 'restricted', entries: [] }, network: 'restricted' };
  },

  /** Managed `[:root → read]`, network restricted. */
  readOnly(): PermissionProfileData {
    return { type: 'managed', fileSystem: managedFromPolicy(readOnlyFileSystem()), network: 'restricted' };
  },

  /** Codex's `workspace_write_with(roots, network, exclude_tmpdir_env_var, exclude_slash_tmp)`. */
  workspaceWrite(opts: WorkspaceWriteOptions = {}): PermissionProfileData {
    const fs = workspaceWriteFileSystem(
      opts.writableRoots ?? [],
      opts.excludeTmpdirEnvVar ?? false,
      opts.excludeSlashTmp ?? false,
      opts.fs,
    );
    return { type: 'managed', fileSystem: managedFromPolicy(fs), network: opts.network ?? 'restricted' };
  },

  disabled(): PermissionProfileData {
    return { type: 'disabled' };
  },

  external(network: NetworkSandboxPolicy): PermissionProfileData {
    return { type: 'external', network };
  },

  /** `read-only` | `workspace-write` | `danger-full-access` (or Codex's `:read-only` | `:workspace` | `:danger-full-access`). */
  named(name: string, opts: WorkspaceWriteOptions = {}): PermissionProfileData {
    const canonical = BUILT_IN_IDS[name];
    if (canonical === 'read-only') return PermissionProfile.readOnly();
    if (canonical === 'workspace-write') return PermissionProfile.workspaceWrite(opts);
    if (canonical === 'danger-full-access') return PermissionProfile.disabled();
    throw new ProfileError(
      '$',
      `unknown permission profile name ${JSON.stringify(name)}: expected one of ${PROFILE_NAMES.map((n) => JSON.stringify(n)).join(', ')}`,
    );
  },

  enforcement(profile: PermissionProfileData): SandboxEnforcement {
    return profile.type;
  },

  /** The runtime pair Codex's `to_runtime_permissions()` returns. */
  toRuntime(profile: PermissionProfileData): { fileSystem: FileSystemSandboxPolicy; network: NetworkSandboxPolicy } {
    return {
      fileSystem: toFileSystemPolicy(profile),
      network: profile.type === 'disabled' ? 'enabled' : profile.network,
    };
  },

  /** `from_runtime_permissions[_with_enforcement]`. */
  fromRuntime(fileSystem: FileSystemSandboxPolicy, network: NetworkSandboxPolicy, enforcement?: SandboxEnforcement): PermissionProfileData {
    return fromRuntime(fileSystem, network, enforcement);
  },

  /**
   * Every write becomes read (deny stays), unrestricted becomes the read-only preset, network becomes
   * restricted; `undefined` for `external` (the filesystem is not ours to narrow).
   */
  intersectWithReadOnly(profile: PermissionProfileData): PermissionProfileData | undefined {
    const { fileSystem } = PermissionProfile.toRuntime(profile);
    if (fileSystem.kind === 'external-sandbox') return undefined;
    if (fileSystem.kind === 'unrestricted') return fromRuntime(readOnlyFileSystem(), 'restricted');
    const narrowed: FileSystemSandboxPolicy = {
      ...fileSystem,
      entries: fileSystem.entries.map((e) => ({ ...e, access: e.access === 'deny' ? 'deny' : 'read' })),
    };
    return fromRuntime(narrowed, 'restricted');
  },
};

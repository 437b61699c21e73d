/**
 * Legacy `SandboxPolicy` ↔ `PermissionProfile` (Codex codex-rs/protocol/src/protocol.rs `SandboxPolicy`).
 *
 * Legacy → new is total. New → legacy is lossy: read restrictions and deny entries are dropped by the
 * projection (as in Codex), and writes outside the workspace that the legacy shape cannot express are
 * an error with Codex's exact message.
 */
import { conventionOf } from '../path-uri/index.js';
import type { Platform } from '../path-uri/index.js';
import { appendDefaultReadOnlyIfNoExplicitRule, canWrite } from './entry-ops.js';
import { LegacyConversionError, ResolveError, WRITES_OUTSIDE_WORKSPACE_MESSAGE } from './errors.js';
import { materializeProjectRoots } from './materialize.js';
import type { FsInspector } from './fs-facts.js';
import { dedupPaths, defaultReadOnlySubpaths } from './metadata.js';
import { nativePaths } from './native-path.js';
import { pathUriFromNative } from './path-text.js';
import { externalSandboxFileSystem, readOnlyFileSystem, unrestrictedFileSystem, workspaceWriteFileSystem } from './presets.js';
import { PermissionProfile } from './profile.js';
import type { ResolvedFileSystem } from './resolved.js';
import { hasFullDiskWriteAccess, resolvePermissions } from './resolve.js';
import type { ResolveContext } from './resolve.js';
import type { FileSystemSandboxPolicy, NetworkSandboxPolicy, SandboxEnforcement, SandboxPolicy } from './types.js';

export const SandboxPolicies = {
  /** Codex `new_read_only_policy()`. */
  readOnly(): SandboxPolicy {
    return { type: 'read-only', networkAccess: false };
  },
  /** Codex `new_workspace_write_policy()`: all flags false, no extra roots. */
  workspaceWrite(): SandboxPolicy {
    return { type: 'workspace-write', writableRoots: [], networkAccess: false, excludeTmpdirEnvVar: false, excludeSlashTmp: false };
  },
};

export function legacyNetwork(policy: SandboxPolicy): NetworkSandboxPolicy {
  switch (policy.type) {
    case 'danger-full-access':
      return 'enabled';
    case 'external-sandbox':
      return policy.networkAccess;
    default:
      return policy.networkAccess ? 'enabled' : 'restricted';
  }
}

/** DangerFullAccess → disabled, ExternalSandbox → external, ReadOnly/WorkspaceWrite → managed. */
export function legacyEnforcement(policy: SandboxPolicy): SandboxEnforcement {
  return policy.type === 'danger-full-access' ? 'disabled' : policy.type === 'external-sandbox' ? 'external' : 'managed';
}

/** Codex `From<&SandboxPolicy> for FileSystemSandboxPolicy` (cwd-free; `:project_roots` stays symbolic). */
export function sandboxPolicyToFileSystemPolicy(policy: SandboxPolicy, fs?: FsInspector): FileSystemSandboxPolicy {
  switch (policy.type) {
    case 'danger-full-access':
      return unrestrictedFileSystem();
    case 'external-sandbox':
      return externalSandboxFileSystem();
    case 'read-only':
      return readOnlyFileSystem();
    case 'workspace-write':
      return workspaceWriteFileSystem(policy.writableRoots, policy.excludeTmpdirEnvVar, policy.excludeSlashTmp, fs);
  }
}

/**
 * Legacy → profile without a cwd (Codex `PermissionProfile::from_legacy_sandbox_policy`): the
 * workspace stays symbolic (`:project_roots`). Pass `fs` to also pin the explicit roots' existing
 * metadata as Codex does.
 */
export function sandboxPolicyToPermissionProfile(policy: SandboxPolicy, opts: { fs?: FsInspector } = {}): PermissionProfile {
  return PermissionProfile.fromRuntime(sandboxPolicyToFileSystemPolicy(policy, opts.fs), legacyNetwork(policy), legacyEnforcement(policy));
}

export interface LegacyCwdContext {
  /** Native absolute working directory. */
  cwd: string;
  /** Project roots the workspace means (native absolute); default `[cwd]`. */
  projectRoots?: string[];
  platform: Platform;
  fs: FsInspector;
}

/**
 * Legacy → profile bound to one cwd: Codex's `from_legacy_sandbox_policy_for_cwd` with the workspace
 * materialised. `:project_roots` entries become literal paths for each project root; cwd's `.git`
 * (and gitdir target), `.agents` and `.codex` — `.codex` even when missing — and the explicit roots'
 * existing metadata are pinned as absolute read entries unless an entry already targets them.
 */
export function sandboxPolicyToPermissionProfileForCwd(policy: SandboxPolicy, ctx: LegacyCwdContext): PermissionProfile {
  const paths = nativePaths(ctx.platform);
  if (!paths.isAbsolute(ctx.cwd)) throw new ResolveError(`cwd ${JSON.stringify(ctx.cwd)} is not an absolute ${ctx.platform} path`);
  const cwd = paths.normalize(ctx.cwd);
  const symbolic = PermissionProfile.fromRuntime(sandboxPolicyToFileSystemPolicy(policy, ctx.fs), legacyNetwork(policy), legacyEnforcement(policy));
  const profile = materializeProjectRoots(symbolic, ctx.projectRoots ?? [cwd], ctx.platform);
  if (policy.type !== 'workspace-write' || profile.type !== 'managed' || profile.fileSystem.type !== 'restricted') return profile;
  const entries = [...profile.fileSystem.entries];
  const convention = conventionOf(ctx.platform);
  for (const p of defaultReadOnlySubpaths(cwd, true, paths, ctx.fs)) {
    const uri = pathUriFromNative(p);
    if (uri !== undefined) appendDefaultReadOnlyIfNoExplicitRule(entries, { type: 'path', path: uri }, convention);
  }
  return { ...profile, fileSystem: { ...profile.fileSystem, entries } };
}

export interface LegacyProjectionContext {
  /** Native absolute working directory the legacy policy's workspace means. */
  cwd: string;
  platform: Platform;
}

/**
 * Codex `FileSystemSandboxPolicy::to_legacy_sandbox_policy(net, cwd)`. Throws `LegacyConversionError`
 * with Codex's message when the profile writes outside the workspace in a way the legacy shape cannot say.
 */
export function fileSystemPolicyToSandboxPolicy(
  fsPolicy: FileSystemSandboxPolicy,
  network: NetworkSandboxPolicy,
  ctx: LegacyProjectionContext,
): SandboxPolicy {
  const enabled = network === 'enabled';
  if (fsPolicy.kind === 'external-sandbox') return { type: 'external-sandbox', networkAccess: network };
  const unrestrictedProjection = (): SandboxPolicy =>
    enabled ? { type: 'danger-full-access' } : { type: 'external-sandbox', networkAccess: 'restricted' };
  if (fsPolicy.kind === 'unrestricted') return unrestrictedProjection();

  const paths = nativePaths(ctx.platform);
  const cwd = paths.isAbsolute(ctx.cwd) ? paths.normalize(ctx.cwd) : undefined;
  let workspaceRootWritable = false;
  const writableRoots: string[] = [];
  let tmpdirWritable = false;
  let slashTmpWritable = false;
  let unbridgeableRootWrite = false;

  for (const entry of fsPolicy.entries) {
    const p = entry.path;
    if (p.type === 'glob_pattern') continue;
    if (p.type === 'path') {
      if (!canWrite(entry.access)) continue;
      let text: string;
      try {
        if (p.path.convention() !== conventionOf(ctx.platform)) throw new Error('foreign path convention');
        text = paths.normalize(p.path.toAbsPathString({ platform: ctx.platform }));
      } catch {
        throw new LegacyConversionError(`'${p.path.toString()}' is invalid on '${ctx.platform}'`);
      }
      if (cwd !== undefined && paths.equals(cwd, text)) workspaceRootWritable = true;
      else writableRoots.push(text);
      continue;
    }
    const v = p.value;
    switch (v.kind) {
      case 'root':
        if (entry.access === 'write') unbridgeableRootWrite = true;
        break;
      case 'project_roots':
        if (v.subpath === undefined && canWrite(entry.access)) workspaceRootWritable = true;
        else if (v.subpath !== undefined && canWrite(entry.access) && cwd !== undefined) writableRoots.push(paths.join(cwd, v.subpath));
        break;
      case 'tmpdir':
        if (canWrite(entry.access)) tmpdirWritable = true;
        break;
      case 'slash_tmp':
        if (canWrite(entry.access)) slashTmpWritable = true;
        break;
      case 'minimal':
      case 'unknown':
        break;
    }
  }

  if (hasFullDiskWriteAccess(fsPolicy, ctx.platform)) return unrestrictedProjection();
  if (workspaceRootWritable) {
    return {
      type: 'workspace-write',
      writableRoots: dedupPaths(writableRoots, paths),
      networkAccess: enabled,
      excludeTmpdirEnvVar: !tmpdirWritable,
      excludeSlashTmp: !slashTmpWritable,
    };
  }
  if (unbridgeableRootWrite || writableRoots.length > 0 || tmpdirWritable || (ctx.platform !== 'win32' && slashTmpWritable)) {
    throw new LegacyConversionError(WRITES_OUTSIDE_WORKSPACE_MESSAGE);
  }
  return { type: 'read-only', networkAccess: enabled };
}

/** Codex `PermissionProfile::to_legacy_sandbox_policy(cwd)`. */
export function permissionProfileToSandboxPolicy(profile: PermissionProfile, ctx: LegacyProjectionContext): SandboxPolicy {
  switch (profile.type) {
    case 'disabled':
      return { type: 'danger-full-access' };
    case 'external':
      return { type: 'external-sandbox', networkAccess: profile.network };
    case 'managed': {
      const { fileSystem, network } = PermissionProfile.toRuntime(profile);
      return fileSystemPolicyToSandboxPolicy(fileSystem, network, ctx);
    }
  }
}


/**
 * The filesystem policy a legacy runtime actually enforces for one cwd (Codex
 * `legacy_runtime_file_system_policy_for_cwd`): metadata is pinned only where it exists (plus cwd's
 * `.codex`), never symbolically.
 */
function legacyRuntimeFileSystemPolicy(policy: SandboxPolicy, cwd: string, platform: Platform, fs: FsInspector): FileSystemSandboxPolicy {
  if (policy.type !== 'workspace-write') return sandboxPolicyToFileSystemPolicy(policy);
  const paths = nativePaths(platform);
  const convention = conventionOf(platform);
  const entries = workspaceWriteFileSystem(policy.writableRoots, policy.excludeTmpdirEnvVar, policy.excludeSlashTmp).entries.filter(
    (e) => !(e.path.type === 'special' && e.path.value.kind === 'project_roots' && e.path.value.subpath !== undefined),
  );
  const pin = (root: string, protectMissingDotCodex: boolean): void => {
    for (const p of defaultReadOnlySubpaths(paths.normalize(root), protectMissingDotCodex, paths, fs)) {
      const uri = pathUriFromNative(p);
      if (uri !== undefined) appendDefaultReadOnlyIfNoExplicitRule(entries, { type: 'path', path: uri }, convention);
    }
  };
  pin(cwd, true);
  for (const root of policy.writableRoots) pin(root, false);
  return { kind: 'restricted', entries };
}

function signature(r: ResolvedFileSystem): string {
  const sort = (xs: readonly string[]): string[] => [...xs].sort();
  return JSON.stringify({
    fullDiskRead: r.fullDiskRead,
    fullDiskWrite: r.fullDiskWrite,
    includePlatformDefaults: r.includePlatformDefaults,
    readableRoots: sort(r.readableRoots),
    writableRoots: [...r.writableRoots]
      .sort((a, b) => (a.root < b.root ? -1 : a.root > b.root ? 1 : 0))
      .map((w) => ({ root: w.root, readOnlySubpaths: sort(w.readOnlySubpaths), protectedMetadataNames: sort(w.protectedMetadataNames) })),
    unreadableRoots: sort(r.unreadableRoots),
    unreadableGlobs: sort(r.unreadableGlobs),
  });
}

/**
 * Codex `needs_direct_runtime_enforcement`: true when a restricted profile means more than its legacy
 * projection enforces for this cwd (nested carve-outs, deny entries, missing-metadata protection, or a
 * projection error), so a legacy-only backend must refuse it rather than run it wider.
 */
export function needsDirectRuntimeEnforcement(profile: PermissionProfile, ctx: ResolveContext): boolean {
  const { fileSystem, network } = PermissionProfile.toRuntime(profile);
  if (fileSystem.kind !== 'restricted') return false;
  let legacy: SandboxPolicy;
  try {
    legacy = fileSystemPolicyToSandboxPolicy(fileSystem, network, ctx);
  } catch {
    return true;
  }
  const paths = nativePaths(ctx.platform);
  const legacyCtx: ResolveContext = { ...ctx, projectRoots: [ctx.cwd] };
  const mine = resolvePermissions(profile, ctx).fileSystem;
  const theirs = resolvePermissions(
    PermissionProfile.fromRuntime(legacyRuntimeFileSystemPolicy(legacy, paths.normalize(ctx.cwd), ctx.platform, ctx.fs), network),
    legacyCtx,
  ).fileSystem;
  const uncoveredMetadata = mine.writableRoots.some((w) => {
    const legacyRoot = theirs.writableRoots.find((l) => paths.equals(l.root, w.root));
    if (legacyRoot === undefined) return w.protectedMetadataNames.length > 0;
    return w.protectedMetadataNames.some((name) => !legacyRoot.readOnlySubpaths.some((s) => paths.equals(s, paths.join(w.root, name))));
  });
  return uncoveredMetadata || signature(mine) !== signature(theirs);
}

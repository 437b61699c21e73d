/**
 * `AdditionalPermissionProfile` overlays (Codex codex-rs/protocol/src/models.rs and
 * codex-rs/sandboxing/src/policy_transforms.rs): per-command requests and approved grants
 * layered over a base profile.
 */
import { canRead, canWrite, entriesEqual } from './entry-ops.js';
import { GLOB_DENY_ONLY_MESSAGE, ProfileError } from './errors.js';
import { globMatches } from './glob.js';
import { nativePaths } from './native-path.js';
import { pathUriFromNative } from './path-text.js';
import { PolicyView } from './resolve.js';
import type { ResolveContext } from './resolve.js';
import type { AdditionalPermissionProfile, FileSystemPermissions, FileSystemSandboxEntry, PermissionProfile } from './types.js';

function dedupEntries(entries: readonly FileSystemSandboxEntry[]): FileSystemSandboxEntry[] {
  const out: FileSystemSandboxEntry[] = [];
  for (const e of entries) if (!out.some((o) => entriesEqual(o, e))) out.push(e);
  return out;
}

/** Globs can only take read away; a read/write glob grant is refused (Codex's message). */
function checkGlobsAreDenyOnly(fsPerms: FileSystemPermissions | undefined): void {
  fsPerms?.entries.forEach((e, i) => {
    if (e.path.type === 'glob_pattern' && e.access !== 'deny') {
      throw new ProfileError(`$.file_system.entries[${i}].access`, `${GLOB_DENY_ONLY_MESSAGE}; got ${JSON.stringify(e.access)}`);
    }
  });
}

/**
 * Codex `normalize_additional_permissions`: drops an empty network part, refuses non-deny globs,
 * de-duplicates entries. (Codex also canonicalises path entries against the host; here paths stay
 * as given and resolution canonicalises them.)
 */
export function normalizeAdditionalPermissions(p: AdditionalPermissionProfile): AdditionalPermissionProfile {
  checkGlobsAreDenyOnly(p.fileSystem);
  const out: AdditionalPermissionProfile = {};
  if (p.network?.enabled !== undefined) out.network = { enabled: p.network.enabled };
  if (p.fileSystem !== undefined) {
    out.fileSystem = { entries: dedupEntries(p.fileSystem.entries) };
    if (p.fileSystem.globScanMaxDepth !== undefined) out.fileSystem.globScanMaxDepth = p.fileSystem.globScanMaxDepth;
  }
  return out;
}

function hasDenyGlobs(entries: readonly FileSystemSandboxEntry[]): boolean {
  return entries.some((e) => e.path.type === 'glob_pattern' && e.access === 'deny');
}

/** Unbounded if either side has deny globs without a depth; otherwise the larger depth. */
function mergeDepth(
  a: { entries: readonly FileSystemSandboxEntry[]; globScanMaxDepth?: number } | undefined,
  b: { entries: readonly FileSystemSandboxEntry[]; globScanMaxDepth?: number } | undefined,
): number | undefined {
  const unbounded = [a, b].some((x) => x !== undefined && x.globScanMaxDepth === undefined && hasDenyGlobs(x.entries));
  if (unbounded) return undefined;
  const depths = [a?.globScanMaxDepth, b?.globScanMaxDepth].filter((d): d is number => d !== undefined);
  return depths.length === 0 ? undefined : Math.max(...depths);
}

/** Codex `merge_permission_profiles(base, extra)`: network enabled if either enables it; entries united. */
export function mergeAdditionalPermissions(
  base: AdditionalPermissionProfile | undefined,
  extra: AdditionalPermissionProfile | undefined,
): AdditionalPermissionProfile {
  const out: AdditionalPermissionProfile = {};
  if (base?.network?.enabled === true || extra?.network?.enabled === true) out.network = { enabled: true };
  const a = base?.fileSystem;
  const b = extra?.fileSystem;
  if (a !== undefined || b !== undefined) {
    out.fileSystem = { entries: dedupEntries([...(a?.entries ?? []), ...(b?.entries ?? [])]) };
    const depth = mergeDepth(a, b);
    if (depth !== undefined) out.fileSystem.globScanMaxDepth = depth;
  }
  return out;
}

/**
 * Codex `effective_permission_profile`: a restricted filesystem gets the overlay's entries appended
 * (unrestricted/external filesystems are untouched); network = base enabled OR overlay `enabled: true`.
 */
export function applyAdditionalPermissions(profile: PermissionProfile, overlay: AdditionalPermissionProfile): PermissionProfile {
  checkGlobsAreDenyOnly(overlay.fileSystem);
  const extraNetwork = overlay.network?.enabled === true;
  switch (profile.type) {
    case 'disabled':
      return profile;
    case 'external':
      return { type: 'external', network: profile.network === 'enabled' || extraNetwork ? 'enabled' : 'restricted' };
    case 'managed': {
      const network = profile.network === 'enabled' || extraNetwork ? 'enabled' : 'restricted';
      const f = profile.fileSystem;
      if (f.type !== 'restricted' || overlay.fileSystem === undefined) return { type: 'managed', fileSystem: f, network };
      const fileSystem: typeof f = { type: 'restricted', entries: [...f.entries, ...overlay.fileSystem.entries] };
      const depth = mergeDepth(f, overlay.fileSystem);
      if (depth !== undefined) fileSystem.globScanMaxDepth = depth;
      return { type: 'managed', fileSystem, network };
    }
  }
}

/**
 * Codex `intersect_permission_profiles(requested, granted, cwd)`: the part of a grant the request
 * actually asked for. Grants are materialised for this context (`:project_roots` → concrete paths;
 * `:slash_tmp` off-Unix names nothing), kept only where the request's own access covers them and no
 * requested deny glob matches; granted deny entries survive when they overlap an accepted grant.
 */
export function intersectAdditionalPermissions(
  requested: AdditionalPermissionProfile,
  granted: AdditionalPermissionProfile,
  ctx: ResolveContext,
): AdditionalPermissionProfile {
  const out: AdditionalPermissionProfile = {};
  if (requested.network?.enabled === true && granted.network?.enabled === true) out.network = { enabled: true };
  if (granted.fileSystem === undefined || requested.fileSystem === undefined) return out;

  const paths = nativePaths(ctx.platform);
  const requestView = new PolicyView({ kind: 'restricted', entries: requested.fileSystem.entries }, ctx);
  const requestDenyGlobs = requestView.unreadableGlobs();
  const accepted: FileSystemSandboxEntry[] = [];
  const acceptedPaths: string[] = [];
  const denies: Array<{ entry: FileSystemSandboxEntry; locations: string[] }> = [];

  for (const entry of granted.fileSystem.entries) {
    if (entry.path.type === 'glob_pattern') {
      if (entry.access === 'deny') denies.push({ entry, locations: [] });
      continue;
    }
    const locations = new PolicyView({ kind: 'restricted', entries: [{ ...entry, missingPathBehavior: undefined }] }, ctx).entries;
    if (entry.access === 'deny') {
      denies.push({ entry, locations: locations.map((l) => l.path) });
      continue;
    }
    for (const loc of locations) {
      const requestedAccess = requestView.resolveAccess(loc.path);
      const covered = entry.access === 'write' ? canWrite(requestedAccess) : canRead(requestedAccess);
      if (!covered || requestDenyGlobs.some((g) => globMatches(g, loc.path, ctx.platform))) continue;
      const uri = pathUriFromNative(loc.path);
      if (uri === undefined) continue;
      const kept: FileSystemSandboxEntry = { path: { type: 'path', path: uri }, access: entry.access };
      if (entry.missingPathBehavior !== undefined) kept.missingPathBehavior = entry.missingPathBehavior;
      accepted.push(kept);
      acceptedPaths.push(loc.path);
    }
  }
  for (const { entry, locations } of denies) {
    const overlaps =
      entry.path.type === 'glob_pattern'
        ? acceptedPaths.length > 0
        : locations.some((d) => acceptedPaths.some((a) => paths.startsWith(a, d) || paths.startsWith(d, a)));
    if (overlaps) accepted.push(entry);
  }
  out.fileSystem = { entries: dedupEntries(accepted) };
  const depth = granted.fileSystem.globScanMaxDepth;
  if (depth !== undefined && hasDenyGlobs(accepted)) out.fileSystem.globScanMaxDepth = depth;
  return out;
}

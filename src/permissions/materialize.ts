/**
 * Replacing symbolic `:project_roots` entries (and `codex-project-roots://` globs) with concrete
 * entries for known project roots (Codex `materialize_project_roots_with_workspace_roots`,
 * codex-rs/protocol/src/permissions.rs).
 */
import type { Platform } from '../path-uri/index.js';
import { ResolveError } from './errors.js';
import { nativePaths } from './native-path.js';
import type { NativePaths } from './native-path.js';
import { pathUriFromNative } from './path-text.js';
import type { FileSystemSandboxEntry, PermissionProfile } from './types.js';

/** Symbolic prefix Codex uses for project-root-relative globs until the roots are known. */
export const PROJECT_ROOTS_GLOB_PREFIX = 'codex-project-roots://';

/** A glob scoped to the project roots, e.g. `projectRootsGlobPattern('**\/*.env')`. */
export function projectRootsGlobPattern(subpath: string): string {
  return `${PROJECT_ROOTS_GLOB_PREFIX}${subpath}`;
}

/** Codex `resolve_scoped_workspace_path`: `root` joined with a plain relative descendant, or undefined. */
export function scopedSubpath(root: string, subpath: string, paths: NativePaths): string | undefined {
  const win = paths.platform === 'win32';
  // `..`, absolute subpaths and drive changes would let a `:project_roots` entry name a path outside the project.
  if (subpath.startsWith('/') || (win && subpath.startsWith('\\'))) return undefined;
  const segments = subpath.split(win ? /[\\/]/ : /\//);
  if (segments.some((s) => s === '.' || s === '..' || (win && s.includes(':')))) return undefined;
  const joined = paths.join(root, subpath);
  return paths.startsWith(joined, root) ? joined : undefined;
}

/**
 * Expands `:project_roots` entries into one literal path entry per project root. A read/deny subpath
 * that is not a plain relative path denies the whole root (fail closed, as Codex does); such a write
 * subpath is dropped.
 */
export function materializeProjectRoots(profile: PermissionProfile, projectRoots: readonly string[], platform: Platform): PermissionProfile {
  if (profile.type !== 'managed' || profile.fileSystem.type !== 'restricted') return profile;
  const paths = nativePaths(platform);
  const roots = projectRoots.map((r) => {
    if (!paths.isAbsolute(r)) throw new ResolveError(`project root ${JSON.stringify(r)} is not an absolute ${platform} path`);
    return paths.normalize(r);
  });
  const literal = (p: string, e: FileSystemSandboxEntry, access = e.access): FileSystemSandboxEntry => {
    const uri = pathUriFromNative(p);
    if (uri === undefined) throw new ResolveError(`project path ${JSON.stringify(p)} cannot be represented as a PathUri`);
    const out: FileSystemSandboxEntry = { path: { type: 'path', path: uri }, access };
    if (e.missingPathBehavior !== undefined) out.missingPathBehavior = e.missingPathBehavior;
    return out;
  };
  const entries: FileSystemSandboxEntry[] = [];
  for (const e of profile.fileSystem.entries) {
    const p = e.path;
    if (p.type === 'special' && p.value.kind === 'project_roots') {
      const subpath = p.value.subpath;
      for (const root of roots) {
        if (subpath === undefined) {
          entries.push(literal(root, e));
          continue;
        }
        const scoped = scopedSubpath(root, subpath, paths);
        if (scoped !== undefined) entries.push(literal(scoped, e));
        else if (e.access !== 'write') entries.push(literal(root, e, 'deny'));
      }
    } else if (p.type === 'glob_pattern' && p.pattern.startsWith(PROJECT_ROOTS_GLOB_PREFIX)) {
      const sub = p.pattern.slice(PROJECT_ROOTS_GLOB_PREFIX.length);
      for (const root of roots) entries.push({ ...e, path: { type: 'glob_pattern', pattern: paths.join(root, sub) } });
    } else {
      entries.push(e);
    }
  }
  return { ...profile, fileSystem: { ...profile.fileSystem, entries } };
}

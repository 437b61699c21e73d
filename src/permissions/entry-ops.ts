/**
 * Small operations on entries that presets, legacy conversion and resolution share.
 */
import type { PathConvention, PathUri } from '../path-uri/index.js';
import type { FileSystemAccessMode, FileSystemPath, FileSystemSandboxEntry, FileSystemSpecialPath } from './types.js';

const RANK: Record<FileSystemAccessMode, number> = { read: 0, write: 1, deny: 2 };

/** Tie-break precedence at equal specificity: deny > write > read. */
export function accessRank(access: FileSystemAccessMode): number {
  return RANK[access];
}

export function canRead(access: FileSystemAccessMode): boolean {
  return access !== 'deny';
}

export function canWrite(access: FileSystemAccessMode): boolean {
  return access === 'write';
}

export function specialPathsShareTarget(a: FileSystemSpecialPath, b: FileSystemSpecialPath): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'project_roots' && b.kind === 'project_roots') return a.subpath === b.subpath;
  if (a.kind === 'unknown' && b.kind === 'unknown') return a.path === b.path && a.subpath === b.subpath;
  return true;
}

function isRootUri(uri: PathUri): boolean {
  return !uri.isOpaque() && uri.parent() === undefined;
}

function isSlashTmpUri(uri: PathUri): boolean {
  if (uri.isOpaque() || uri.convention() !== 'posix') return false;
  const parent = uri.parent();
  return parent !== undefined && parent.parent() === undefined && uri.basename() === 'tmp';
}

/** Only cwd-independent specials (`:root`, `:slash_tmp`) can name the same place as a literal path. */
function specialMatchesUri(value: FileSystemSpecialPath, uri: PathUri): boolean {
  if (value.kind === 'root') return isRootUri(uri);
  if (value.kind === 'slash_tmp') return isSlashTmpUri(uri);
  return false;
}

/** Whether two entry paths name the same target before any prefix matching (Codex `file_system_paths_share_target`). */
export function pathsShareTarget(a: FileSystemPath, b: FileSystemPath, convention: PathConvention): boolean {
  if (a.type === 'path' && b.type === 'path') return a.path.equals(b.path);
  if (a.type === 'special' && b.type === 'special') return specialPathsShareTarget(a.value, b.value);
  if (a.type === 'glob_pattern' && b.type === 'glob_pattern') return a.pattern === b.pattern;
  if (a.type === 'glob_pattern' || b.type === 'glob_pattern') return false;
  const uri = a.type === 'path' ? a.path : (b as { type: 'path'; path: PathUri }).path;
  const special = a.type === 'special' ? a.value : (b as { type: 'special'; value: FileSystemSpecialPath }).value;
  return uri.convention() === convention && specialMatchesUri(special, uri);
}

/** Appends `path` as a `read` + `missing_path_behavior: skip` entry unless some entry already targets it. */
export function appendDefaultReadOnlyIfNoExplicitRule(
  entries: FileSystemSandboxEntry[],
  path: FileSystemPath,
  convention: PathConvention,
): void {
  if (entries.some((e) => pathsShareTarget(e.path, path, convention))) return;
  entries.push({ path, access: 'read', missingPathBehavior: 'skip' });
}

export function entriesEqual(a: FileSystemSandboxEntry, b: FileSystemSandboxEntry): boolean {
  if (a.access !== b.access || a.missingPathBehavior !== b.missingPathBehavior) return false;
  if (a.path.type !== b.path.type) return false;
  if (a.path.type === 'path' && b.path.type === 'path') return a.path.path.equals(b.path.path);
  if (a.path.type === 'glob_pattern' && b.path.type === 'glob_pattern') return a.path.pattern === b.path.pattern;
  if (a.path.type === 'special' && b.path.type === 'special') return specialPathsShareTarget(a.path.value, b.path.value);
  return false;
}

/**
 * Protected workspace metadata (`.git`, `.agents`, `.codex`) and the default read-only subpaths of a
 * writable root (Codex codex-rs/protocol/src/permissions.rs `default_read_only_subpaths_for_writable_root`).
 */
import type { FsEntryKind, FsInspector } from './fs-facts.js';
import type { NativePaths } from './native-path.js';

/**
 * Writable `.git` lets a command plant hooks or rewrite config that the user's next `git` runs
 * outside the sandbox; `.codex`/`.agents` hold agent config, and `codex-sandbox.toml` picks the next run's
 * profile (a run that writes `default_profile = "danger-full-access"` there would choose its successor's
 * sandbox; cf. Codex `default_read_only_subpaths_for_writable_root`). All stay read-only under every
 * writable root unless the profile grants them explicitly.
 */
export const PROTECTED_METADATA_NAMES = ['.git', '.agents', '.codex', 'codex-sandbox.toml'] as const;
export type ProtectedMetadataName = (typeof PROTECTED_METADATA_NAMES)[number];

/** Kind of `p` following a final symlink (like Rust's `is_dir`/`is_file`); `missing` for a dangling link. */
export function followKind(fs: FsInspector, p: string): FsEntryKind {
  const k = fs.kind(p);
  if (k !== 'symlink') return k;
  const real = fs.realpath(p);
  if (real === undefined) return 'missing';
  const rk = fs.kind(real);
  return rk === 'symlink' ? 'other' : rk;
}

/** The gitdir a worktree/submodule `.git` pointer file names (`gitdir: <path>`), if it exists. */
export function resolveGitdirFromFile(dotGit: string, paths: NativePaths, fs: FsInspector): string | undefined {
  const contents = fs.readSmallFile(dotGit);
  if (contents === undefined) return undefined;
  const trimmed = contents.trim();
  const colon = trimmed.indexOf(':');
  if (colon < 0 || trimmed.slice(0, colon).trim() !== 'gitdir') return undefined;
  const raw = trimmed.slice(colon + 1).trim();
  if (raw === '') return undefined;
  const base = paths.parent(dotGit);
  if (base === undefined) return undefined;
  const gitdir = paths.join(base, raw);
  return followKind(fs, gitdir) === 'missing' ? undefined : gitdir;
}

/**
 * `<root>/.git` if it is a directory or a file (a `gitdir:` pointer file also protects its target,
 * so a worktree's real git dir cannot be rewritten through the pointer); `<root>/.agents` if a
 * directory; `<root>/.codex` if a directory and `<root>/codex-sandbox.toml` if a file, each also when
 * `protectMissingDotCodex` (the cwd root: first-time creation must not slip through).
 */
export function defaultReadOnlySubpaths(
  root: string,
  protectMissingDotCodex: boolean,
  paths: NativePaths,
  fs: FsInspector,
): string[] {
  const out: string[] = [];
  const git = paths.join(root, '.git');
  const gitKind = followKind(fs, git);
  if (gitKind === 'dir' || gitKind === 'file') {
    if (gitKind === 'file') {
      const gitdir = resolveGitdirFromFile(git, paths, fs);
      if (gitdir !== undefined) out.push(gitdir);
    }
    out.push(git);
  }
  const agents = paths.join(root, '.agents');
  if (followKind(fs, agents) === 'dir') out.push(agents);
  const codex = paths.join(root, '.codex');
  if (protectMissingDotCodex || followKind(fs, codex) === 'dir') out.push(codex);
  const sandboxToml = paths.join(root, 'codex-sandbox.toml');
  if (protectMissingDotCodex || followKind(fs, sandboxToml) === 'file') out.push(sandboxToml);
  return dedupPaths(out, paths);
}

export function dedupPaths(list: string[], paths: NativePaths): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of list) {
    const k = paths.key(p);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(p);
  }
  return out;
}

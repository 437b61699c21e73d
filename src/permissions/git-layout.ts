/**
 * Which parts of a `.git` directory stay read-only when git may write the rest (the `git: 'commit'`
 * mode). Git executes or redirects through these names (gitrepository-layout(5), githooks(5),
 * git-config(1), gitattributes(5)); the rest (objects, refs, logs, index, HEAD, packed-refs, stash,
 * COMMIT_EDITMSG, ORIG_HEAD, ...) is data git verifies by hash or only stores, and is what
 * `git add`/`commit`/`branch`/`checkout`/`stash` write.
 * Pure: the filesystem is only looked at through an FsInspector.
 */
import type { FsInspector } from './fs-facts.js';

/**
 * What replaces a protected name that does not exist, so the command cannot create it:
 * `dir` an empty read-only directory, `file` an empty read-only file, `commondir-self` a read-only
 * file that reads "." (git dies on an empty `commondir`; "." means "this directory"), `none` nothing
 * (the name stays creatable; see `why`).
 */
export type GitPlaceholder = 'dir' | 'file' | 'commondir-self' | 'none';

export interface GitProtectedEntry {
  /** Path relative to the git directory. */
  name: string;
  whenMissing: GitPlaceholder;
  /** The attack the protection stops (shown by docs and tests). */
  why: string;
}

/** Checked against gitrepository-layout(5) (git 2.39). Order: the most direct code execution first. */
export const GIT_PROTECTED_ENTRIES: readonly GitProtectedEntry[] = [
  { name: 'hooks', whenMissing: 'dir', why: 'scripts git runs on commit, checkout, merge, rebase and push (githooks(5))' },
  {
    name: 'config',
    whenMissing: 'file',
    why: 'core.hooksPath, core.fsmonitor, core.sshCommand, core.pager, core.editor, alias.*, filter/diff drivers and include.path run programs or load other files (git-config(1))',
  },
  { name: 'config.worktree', whenMissing: 'file', why: 'the same keys as config, read when extensions.worktreeConfig is set' },
  { name: 'commondir', whenMissing: 'commondir-self', why: 'points git at another directory whose config and hooks it then uses' },
  { name: 'info', whenMissing: 'dir', why: 'info/attributes selects filter and diff drivers (programs) per path (gitattributes(5)); info/grafts rewrites history; info/exclude, info/sparse-checkout' },
  { name: 'objects/info', whenMissing: 'dir', why: 'objects/info/alternates and http-alternates make git read objects from another repository' },
  { name: 'worktrees', whenMissing: 'dir', why: "linked worktrees' git directories, each with its own config.worktree and commondir" },
  { name: 'modules', whenMissing: 'dir', why: "submodules' git directories, each with its own config and hooks" },
  { name: 'remotes', whenMissing: 'dir', why: 'legacy remote definitions (URLs git fetches from and pushes to)' },
  { name: 'branches', whenMissing: 'dir', why: 'legacy remote shorthands (URLs)' },
  {
    name: 'rebase-merge',
    whenMissing: 'none',
    why: 'git-rebase-todo `exec` lines run on `git rebase --continue`; read-only when present; not masked when absent, because git takes any entry of that name for a rebase in progress',
  },
  { name: 'rebase-apply', whenMissing: 'none', why: 'state of `git am`/`git rebase` (as rebase-merge)' },
  { name: 'sequencer', whenMissing: 'none', why: 'cherry-pick/revert todo list (as rebase-merge)' },
];

/** One protection inside a git directory that lets git write the rest. */
export interface GitCarveOut {
  path: string;
  whenMissing: GitPlaceholder;
}

/**
 * The read-only carve-outs that let git write `<gitdir>`, or `why` not: `.git` is left wholly
 * read-only (the stricter default) when it is a pointer file or symlink (a worktree's gitdir lies
 * elsewhere), empty (a placeholder another sandbox left), or when a protected name or `objects`
 * is a symlink (a planner cannot mask a link the command could re-point).
 */
export function gitWritableLayout(gitdir: string, fs: FsInspector): { carveOuts: GitCarveOut[] } | { why: string } {
  const kind = fs.lstat?.(gitdir)?.kind ?? fs.kind(gitdir);
  if (kind !== 'dir') return { why: kind === 'missing' ? 'it does not exist (a run may not create it)' : `it is a ${kind}, not a directory` };
  if (fs.isEmptyDir(gitdir) !== false) return { why: 'it is empty' };
  const objects = fs.kind(`${gitdir}/objects`);
  if (objects !== 'dir' && objects !== 'missing') return { why: `${gitdir}/objects is a ${objects}` };
  const carveOuts: GitCarveOut[] = [];
  for (const e of GIT_PROTECTED_ENTRIES) {
    const p = `${gitdir}/${e.name}`;
    const k = fs.kind(p);
    if (k === 'symlink' || k === 'other') return { why: `${p} is a ${k}` };
    if (k === 'missing' && e.whenMissing === 'none') continue;
    carveOuts.push({ path: p, whenMissing: e.whenMissing });
  }
  return { carveOuts };
}

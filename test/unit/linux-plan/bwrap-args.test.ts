/**
 * The Linux mount plan as a table: (filesystem facts, resolved profile) → the bwrap argv fragments that
 * must appear, in this order, and those that must not. Pure: buildBwrapArgs over a fake FsInspector;
 * every expectation is written out by hand from bwrap(1) semantics, never computed by the planner.
 * The real mounts (and the attacks they stop) are in test/integration/linux/.
 */
import { describe, expect, it } from 'vitest';
import type { HostFacts } from '../../../src/contracts/index.js';
import type { FsEntryKind, FsEntryStat, FsInspector, GlobScanResult } from '../../../src/permissions/fs-facts.js';
import type { ResolvedFileSystem, WritableRoot } from '../../../src/permissions/resolved.js';
import { buildBwrapArgs } from '../../../src/platforms/linux/plan.js';
import type { BwrapArgs, BwrapArgsInput } from '../../../src/platforms/linux/plan.js';

interface Entry {
  kind: FsEntryKind;
  uid?: number;
  mode?: number;
  /** Symlink target (absolute). */
  target?: string;
  /** A directory with no entries (a placeholder another sandbox left). */
  empty?: boolean;
}

const dir = (uid = 0): Entry => ({ kind: 'dir', uid });
const file = (uid = 0): Entry => ({ kind: 'file', uid });
const MISSING: Entry = { kind: 'missing' };

/** The host every row starts from: the caller is uid 1000, its workspace /home/me/ws. */
const HOST: Record<string, Entry> = {
  '/': dir(),
  '/bin': dir(),
  '/etc': dir(),
  '/etc/shadow': file(),
  '/lib': dir(),
  '/usr': dir(),
  '/usr/share': dir(),
  '/opt': dir(),
  '/opt/l': file(),
  '/home': dir(),
  '/home/me': dir(1000),
  '/home/me/ws': dir(1000),
  '/home/me/ws/.git': dir(1000),
  '/home/me/ws/.env': file(1000),
  '/home/me/ws/secrets': dir(1000),
  '/home/me/ws/src': dir(1000),
  '/home/me/ws/conf': dir(1000),
  '/home/me/ws/conf/secret.json': file(1000),
  '/home/me/ws/d': dir(1000),
  '/srv': dir(),
  '/srv/real': dir(1000),
  '/srv/real/.git': dir(1000),
  '/run': dir(),
  '/run/user': dir(),
  '/run/user/1000': dir(1000),
  '/proc': dir(),
  '/proc/bus': dir(),
  '/proc/fs': dir(),
  '/proc/irq': dir(),
  '/proc/sys': dir(),
  '/proc/sysrq-trigger': file(),
  '/proc/kcore': file(),
  '/proc/keys': file(),
  '/proc/timer_list': file(),
  // no /proc/sched_debug (kernels without CONFIG_SCHED_DEBUG)
};

/** Glob pattern → the directory the planner must scan and what the scan finds. */
type GlobAnswers = Record<string, { root: string } & Partial<GlobScanResult>>;

function fakeFs(extra: Record<string, Entry>, globs: GlobAnswers): FsInspector {
  const entries: Record<string, Entry> = { ...HOST, ...extra };
  const at = (p: string): Entry | undefined => (entries[p]?.kind === 'missing' ? undefined : entries[p]);
  const ids = new Map(Object.keys(entries).map((p, i) => [p, String(100 + i)]));
  const realpath = (p: string): string | undefined => {
    let out = '';
    for (const c of p.split('/').filter(Boolean)) {
      const e = at(`${out}/${c}`);
      if (e === undefined) return undefined;
      out = e.kind === 'symlink' ? (e.target as string) : `${out}/${c}`;
    }
    return out === '' ? '/' : out;
  };
  return {
    kind: (p) => at(p)?.kind ?? 'missing',
    lstat: (p): FsEntryStat | undefined => {
      const e = at(p);
      return e === undefined ? undefined : { kind: e.kind, dev: '1', ino: ids.get(p) as string, uid: e.uid ?? 0, mode: e.mode ?? (e.kind === 'dir' ? 0o40755 : 0o100644) };
    },
    realpath,
    readlink: (p) => at(p)?.target,
    readSmallFile: () => undefined,
    isEmptyDir: (p) => (at(p)?.kind === 'dir' ? at(p)?.empty === true : undefined),
    fileSize: (p) => (at(p)?.kind === 'file' ? 100 : undefined),
    scanGlob: (req) => {
      const answer = globs[req.pattern];
      if (answer === undefined) throw new Error(`unexpected glob scan of ${req.pattern}`);
      if (req.root !== answer.root) throw new Error(`glob ${req.pattern} scanned from ${req.root}, expected ${answer.root}`);
      return { matches: [], truncated: false, visited: 1, ...answer };
    },
  };
}

interface Row {
  name: string;
  /** Entries added to (or, with kind 'missing', removed from) HOST. */
  tree?: Record<string, Entry>;
  globs?: GlobAnswers;
  fs?: Partial<ResolvedFileSystem>;
  roots?: Array<Partial<WritableRoot> & { root: string }>;
  network?: 'restricted' | 'enabled';
  cwd?: string;
  pinRoots?: boolean;
  disableUserns?: boolean;
  sessionSupervisor?: boolean;
  allowSymlinkedRoots?: string[];
  registryDir?: string;
  /** The whole argv, when the row pins all of it. */
  exact?: string[];
  /** Fragments (contiguous; `*` matches any one argument) that appear in this order. */
  inOrder?: string[][];
  /** Fragments that must not appear anywhere. */
  absent?: string[][];
  /** Placeholders the launcher registers (and removes after the last sandbox using them). */
  synthetic?: string[];
  /** The plan is refused with a PlanError whose message matches. */
  error?: RegExp;
  /** git: 'commit' (BwrapArgsInput.gitCommondirSelf): the package's "." file. */
  gitCommondirSelf?: string;
  /** What the plan reports about each .git. */
  git?: BwrapArgs['git'];
}

const G = '/home/me/ws/.git';
const DOT = '/opt/pkg/native/placeholders/git-commondir';
/** A repository as `git init` leaves it (2.39), without the optional names. */
const REPO: Record<string, Entry> = {
  [`${G}/hooks`]: dir(1000),
  [`${G}/config`]: file(1000),
  [`${G}/info`]: dir(1000),
  [`${G}/objects`]: dir(1000),
  [`${G}/objects/info`]: dir(1000),
  [`${G}/refs`]: dir(1000),
};
const ROOT_WITH_GIT = [{ root: '/home/me/ws', readOnlySubpaths: [G], protectedMetadataNames: ['.git'] }];
const roDir = (p: string): string[] => ['--perms', '555', '--tmpfs', p, '--remount-ro', p];

const REG = '/run/user/1000/reg';
const REGISTRY_MASK = ['--perms', '000', '--tmpfs', REG, '--remount-ro', REG];
const PROC = [
  '--proc', '/proc',
  '--ro-bind', '/proc/bus', '/proc/bus',
  '--ro-bind', '/proc/fs', '/proc/fs',
  '--ro-bind', '/proc/irq', '/proc/irq',
  '--ro-bind', '/proc/sys', '/proc/sys',
  '--ro-bind', '/proc/sysrq-trigger', '/proc/sysrq-trigger',
  '--ro-bind', '/dev/null', '/proc/kcore',
  '--ro-bind', '/dev/null', '/proc/keys',
  '--ro-bind', '/dev/null', '/proc/timer_list',
];
const TAIL = ['--cap-drop', 'ALL', '--seccomp', '3', '--info-fd', '4', '--chdir', '/home/me/ws'];

const ROWS: Row[] = [
  // Base, namespaces, /proc, the tail.
  {
    name: 'read-only, full-disk read, network off: the whole argv',
    exact: ['--new-session', '--die-with-parent', '--ro-bind', '/', '/', '--dev', '/dev', ...REGISTRY_MASK, '--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-net', ...PROC, ...TAIL],
  },
  {
    name: 'network on: the host network namespace (no --unshare-net)',
    network: 'enabled',
    inOrder: [['--unshare-user', '--unshare-pid', '--unshare-ipc', '--proc', '/proc']],
    absent: [['--unshare-net']],
  },
  {
    name: '/proc: only the read-only paths and masked files that exist are covered',
    tree: { '/proc/bus': MISSING, '/proc/keys': dir() },
    inOrder: [['--ro-bind', '/proc/fs', '/proc/fs'], ['--ro-bind', '/dev/null', '/proc/kcore', '--ro-bind', '/dev/null', '/proc/timer_list']],
    absent: [['/proc/bus'], ['/proc/keys'], ['/proc/sched_debug']],
  },
  {
    name: '--disable-userns (when the bwrap has it) comes after /proc, before --cap-drop',
    disableUserns: true,
    inOrder: [['--ro-bind', '/dev/null', '/proc/timer_list', '--disable-userns', '--cap-drop', 'ALL']],
  },
  {
    name: 'session supervisor: CAP_SYS_ADMIN and CAP_SETPCAP kept, no /proc binds (the supervisor masks each command\'s /proc), no --disable-userns',
    disableUserns: true,
    sessionSupervisor: true,
    inOrder: [['--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-net', '--proc', '/proc', '--cap-drop', 'ALL', '--cap-add', 'CAP_SYS_ADMIN', '--cap-add', 'CAP_SETPCAP', '--seccomp']],
    absent: [['--ro-bind', '/proc/sys', '/proc/sys'], ['--ro-bind', '/dev/null', '/proc/keys'], ['--disable-userns']],
  },
  {
    name: 'not a session supervisor: no capability kept',
    absent: [['--cap-add']],
  },
  {
    name: 'restricted read with :minimal: empty root, existing system dirs and the launcher read-only, nested roots folded',
    fs: { fullDiskRead: false, includePlatformDefaults: true, readableRoots: ['/usr/share', '/srv/real'] },
    inOrder: [
      ['--new-session', '--die-with-parent', '--tmpfs', '/'],
      ['--ro-bind', '/bin', '/bin', '--ro-bind', '/etc', '/etc', '--ro-bind', '/lib', '/lib', '--ro-bind', '/usr', '/usr'],
      ['--ro-bind', '/opt/l', '/opt/l', '--ro-bind', '/srv/real', '/srv/real', '--dev', '/dev'],
    ],
    absent: [['/usr/share'], ['/sbin'], ['/lib64'], ['/nix/store'], ['--ro-bind', '/', '/'], ['--tmpfs', REG]],
  },
  {
    name: 'restricted read: a readable root inside a writable root is covered by the writable bind, not bound read-only',
    fs: { fullDiskRead: false, readableRoots: ['/home/me/ws/src'] },
    roots: [{ root: '/home/me/ws' }],
    inOrder: [['--tmpfs', '/'], ['--dev', '/dev'], ['--bind', '/home/me/ws', '/home/me/ws']],
    absent: [['--ro-bind', '/home/me/ws/src', '/home/me/ws/src']],
  },

  // Writable roots and what stays read-only inside them.
  {
    name: 'protected metadata: an existing .git bound read-only, missing .agents/.codex masked by read-only empty dirs, after the root',
    roots: [{ root: '/home/me/ws', readOnlySubpaths: ['/home/me/ws/.git'], protectedMetadataNames: ['.git', '.agents', '.codex'] }],
    inOrder: [
      ['--ro-bind', '/', '/', '--dev', '/dev', '--bind', '/home/me/ws', '/home/me/ws'],
      ['--perms', '555', '--tmpfs', '/home/me/ws/.agents', '--remount-ro', '/home/me/ws/.agents'],
      ['--perms', '555', '--tmpfs', '/home/me/ws/.codex', '--remount-ro', '/home/me/ws/.codex'],
      ['--ro-bind', '/home/me/ws/.git', '/home/me/ws/.git'],
      REGISTRY_MASK,
    ],
    synthetic: ['/home/me/ws/.agents', '/home/me/ws/.codex'],
  },
  {
    name: 'an empty .git (a placeholder a concurrent sandbox left) is masked and registered, never bound',
    tree: { '/home/me/ws/.git': { kind: 'dir', uid: 1000, empty: true } },
    roots: [{ root: '/home/me/ws', protectedMetadataNames: ['.git'] }],
    inOrder: [['--bind', '/home/me/ws', '/home/me/ws', '--perms', '555', '--tmpfs', '/home/me/ws/.git', '--remount-ro', '/home/me/ws/.git']],
    absent: [['--ro-bind', '/home/me/ws/.git', '/home/me/ws/.git']],
    synthetic: ['/home/me/ws/.git'],
  },
  {
    name: 'a read-only file deep in a writable root: its parent directory is bound onto itself first (cannot be renamed away)',
    roots: [{ root: '/home/me/ws', readOnlySubpaths: ['/home/me/ws/conf/secret.json'] }],
    inOrder: [['--bind', '/home/me/ws', '/home/me/ws', '--bind', '/home/me/ws/conf', '/home/me/ws/conf', '--ro-bind', '/home/me/ws/conf/secret.json', '/home/me/ws/conf/secret.json']],
  },
  {
    name: 'nested writable roots: the shallower one first, each followed by its own protections',
    tree: { '/home/me/ws/d/.git': MISSING },
    roots: [
      { root: '/home/me/ws/d', protectedMetadataNames: ['.git'] },
      { root: '/home/me/ws', readOnlySubpaths: ['/home/me/ws/.git'], protectedMetadataNames: ['.git'] },
    ],
    inOrder: [
      ['--bind', '/home/me/ws', '/home/me/ws', '--ro-bind', '/home/me/ws/.git', '/home/me/ws/.git'],
      ['--bind', '/home/me/ws/d', '/home/me/ws/d', '--perms', '555', '--tmpfs', '/home/me/ws/d/.git', '--remount-ro', '/home/me/ws/d/.git'],
    ],
    synthetic: ['/home/me/ws/d/.git'],
  },
  {
    name: 'pinned roots: the root is bound through the fd the launcher opened and checked (--bind-fd), never by path',
    pinRoots: true,
    roots: [{ root: '/home/me/ws' }],
    inOrder: [['--dev', '/dev', '--bind-fd', '*', '/home/me/ws']],
    absent: [['--bind', '/home/me/ws', '/home/me/ws']],
  },
  {
    name: 'a symlinked root the caller accepted is bound at its target, and its protections remapped onto the target',
    tree: { '/home/me/ws/pkg': { kind: 'symlink', uid: 1000, target: '/srv/real' } },
    allowSymlinkedRoots: ['/home/me/ws/pkg'],
    roots: [{ root: '/home/me/ws/pkg', readOnlySubpaths: ['/home/me/ws/pkg/.git'], protectedMetadataNames: ['.git'] }],
    inOrder: [['--bind', '/srv/real', '/srv/real', '--ro-bind', '/srv/real/.git', '/srv/real/.git']],
    absent: [['/home/me/ws/pkg'], ['/home/me/ws/pkg/.git']],
  },
  {
    name: 'a symlinked root the caller did not accept is refused',
    tree: { '/home/me/ws/pkg': { kind: 'symlink', uid: 1000, target: '/srv/real' } },
    roots: [{ root: '/home/me/ws/pkg' }],
    error: /writable root \/home\/me\/ws\/pkg goes through the symlink \/home\/me\/ws\/pkg \(→ \/srv\/real\)/,
  },
  // The directories roots share are walked once per plan (issue #21): a link past the shared part is still seen.
  {
    name: 'a planted symlink below the directories a checked root shares with the next root is refused',
    tree: { '/home/me/ws/pkg': { kind: 'symlink', uid: 1000, target: '/srv/real' }, '/home/me/ws/pkg/sub': dir(1000), '/srv/real/sub': dir(1000) },
    roots: [{ root: '/home/me/ws/src' }, { root: '/home/me/ws/pkg/sub' }],
    error: /writable root \/home\/me\/ws\/pkg\/sub goes through the symlink \/home\/me\/ws\/pkg \(→ \/srv\/real\)/,
  },
  {
    name: 'a planted symlink that is the last component of a root whose parent was checked for the cwd is refused',
    cwd: '/home/me/ws/d',
    tree: { '/home/me/ws/dd': { kind: 'symlink', uid: 1000, target: '/srv/real' } },
    roots: [{ root: '/home/me/ws/d' }, { root: '/home/me/ws/dd' }],
    error: /writable root \/home\/me\/ws\/dd goes through the symlink \/home\/me\/ws\/dd/,
  },
  {
    name: 'roots that share an accepted symlink are each bound at their target',
    tree: {
      '/home/me/ws/pkg': { kind: 'symlink', uid: 1000, target: '/srv/real' },
      '/home/me/ws/pkg/a': dir(1000),
      '/home/me/ws/pkg/b': dir(1000),
      '/srv/real/a': dir(1000),
      '/srv/real/b': dir(1000),
    },
    allowSymlinkedRoots: ['/home/me/ws/pkg'],
    roots: [{ root: '/home/me/ws/src' }, { root: '/home/me/ws/pkg/a' }, { root: '/home/me/ws/pkg/b' }],
    inOrder: [['--bind', '/srv/real/a', '/srv/real/a'], ['--bind', '/srv/real/b', '/srv/real/b']],
    absent: [['/home/me/ws/pkg/a'], ['/home/me/ws/pkg/b']],
  },
  {
    name: 'a read-only path through a symlink inside a writable root fails closed (the sandbox could re-point it)',
    tree: { '/home/me/ws/link': { kind: 'symlink', uid: 1000, target: '/srv/real' } },
    roots: [{ root: '/home/me/ws', readOnlySubpaths: ['/home/me/ws/link/x'] }],
    error: /read-only path \/home\/me\/ws\/link\/x because it crosses writable symlink \/home\/me\/ws\/link/,
  },

  // Deny-read masks around and inside writable roots.
  {
    name: 'a denied directory above a writable root is masked first (--perms 111), and the root reopened inside it',
    fs: { unreadableRoots: ['/home/me'] },
    roots: [{ root: '/home/me/ws' }],
    inOrder: [['--ro-bind', '/', '/', '--dev', '/dev', '--perms', '111', '--tmpfs', '/home/me', '--dir', '/home/me/ws', '--remount-ro', '/home/me', '--bind', '/home/me/ws', '/home/me/ws']],
  },
  {
    name: 'denied paths inside a writable root come after its bind: a file, a directory, and a missing path (placeholder on its first missing component)',
    fs: { unreadableRoots: ['/home/me/ws/.env', '/home/me/ws/secrets', '/home/me/ws/new/key'] },
    roots: [{ root: '/home/me/ws' }],
    inOrder: [
      ['--bind', '/home/me/ws', '/home/me/ws'],
      ['--perms', '000', '--ro-bind-data', '*', '/home/me/ws/.env'],
      ['--perms', '000', '--tmpfs', '/home/me/ws/secrets', '--remount-ro', '/home/me/ws/secrets'],
      ['--perms', '000', '--ro-bind-data', '*', '/home/me/ws/new'],
    ],
    absent: [['/home/me/ws/new/key']],
    synthetic: ['/home/me/ws/new'],
  },
  {
    name: 'a denied path outside every writable root comes after the roots; a missing one there is skipped (nothing can create it)',
    fs: { unreadableRoots: ['/etc/shadow', '/etc/missing'] },
    roots: [{ root: '/home/me/ws' }],
    inOrder: [['--bind', '/home/me/ws', '/home/me/ws'], ['--perms', '000', '--ro-bind-data', '*', '/etc/shadow'], REGISTRY_MASK],
    absent: [['/etc/missing']],
  },
  {
    name: 'a denied path inside another denied directory is already hidden by that mask',
    fs: { unreadableRoots: ['/srv', '/srv/real'] },
    inOrder: [['--perms', '000', '--tmpfs', '/srv', '--remount-ro', '/srv']],
    absent: [['/srv/real']],
  },
  {
    name: 'the whole mount order: base, /dev, masks around roots, roots, their protections, their masks, other masks, registry, namespaces, /proc, tail',
    fs: { unreadableRoots: ['/home/me', '/etc/shadow', '/home/me/ws/.env'] },
    roots: [{ root: '/home/me/ws', readOnlySubpaths: ['/home/me/ws/.git'], protectedMetadataNames: ['.git'] }],
    inOrder: [
      ['--new-session', '--die-with-parent', '--ro-bind', '/', '/', '--dev', '/dev'],
      ['--perms', '111', '--tmpfs', '/home/me', '--dir', '/home/me/ws', '--remount-ro', '/home/me'],
      ['--bind', '/home/me/ws', '/home/me/ws'],
      ['--ro-bind', '/home/me/ws/.git', '/home/me/ws/.git'],
      ['--perms', '000', '--ro-bind-data', '*', '/home/me/ws/.env'],
      ['--perms', '000', '--ro-bind-data', '*', '/etc/shadow'],
      REGISTRY_MASK,
      ['--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-net', ...PROC, ...TAIL],
    ],
  },

  // Deny-read globs.
  {
    name: 'a deny glob: the scan starts at its fixed prefix; each match is masked, the directories above it guarded',
    tree: { '/home/me/ws/a.pem': file(1000), '/home/me/ws/d/b.pem': file(1000) },
    globs: { '/home/me/ws/**/*.pem': { root: '/home/me/ws', matches: ['/home/me/ws/a.pem', '/home/me/ws/d/b.pem'] } },
    fs: { unreadableGlobs: ['/home/me/ws/**/*.pem'] },
    roots: [{ root: '/home/me/ws' }],
    inOrder: [
      ['--bind', '/home/me/ws', '/home/me/ws', '--bind', '/home/me/ws/d', '/home/me/ws/d'],
      ['--perms', '000', '--ro-bind-data', '*', '/home/me/ws/a.pem'],
      ['--perms', '000', '--ro-bind-data', '*', '/home/me/ws/d/b.pem'],
    ],
  },
  {
    name: 'DIR/** hides DIR itself (files created there later are hidden too), without a scan',
    fs: { unreadableGlobs: ['/home/me/ws/secrets/**'] },
    roots: [{ root: '/home/me/ws' }],
    inOrder: [['--bind', '/home/me/ws', '/home/me/ws'], ['--perms', '000', '--tmpfs', '/home/me/ws/secrets', '--remount-ro', '/home/me/ws/secrets']],
  },
  {
    name: 'a glob whose fixed prefix is / is refused (it cannot be expanded within bounds)',
    fs: { unreadableGlobs: ['/**/*.pem'] },
    error: /fixed prefix is the filesystem root/,
  },
  {
    name: 'a glob matching more paths than the cap is refused',
    globs: { '/home/me/ws/*.log': { root: '/home/me/ws', truncated: true } },
    fs: { unreadableGlobs: ['/home/me/ws/*.log'] },
    error: /matches more than 8192 paths under \/home\/me\/ws/,
  },
  {
    name: 'a glob scan that stopped at the depth limit is refused (a match could hide below it)',
    globs: { '/home/me/ws/**/*.key': { root: '/home/me/ws', depthLimitedDirs: ['/home/me/ws/d'] } },
    fs: { unreadableGlobs: ['/home/me/ws/**/*.key'] },
    error: /\/home\/me\/ws\/d is at the scan limit/,
  },

  // The placeholder registry and the working directory.
  {
    name: 'the registry inside a writable root is masked even with restricted read',
    fs: { fullDiskRead: false },
    roots: [{ root: '/home/me/ws' }],
    registryDir: '/home/me/ws/.reg',
    inOrder: [['--bind', '/home/me/ws', '/home/me/ws'], ['--perms', '000', '--tmpfs', '/home/me/ws/.reg', '--remount-ro', '/home/me/ws/.reg', '--unshare-user']],
  },
  {
    name: 'the registry under a deny-read mask needs no mask of its own',
    fs: { unreadableRoots: ['/run/user'] },
    inOrder: [['--perms', '000', '--tmpfs', '/run/user', '--remount-ro', '/run/user']],
    absent: [REGISTRY_MASK],
  },
  {
    name: 'restricted read: the cwd is canonicalised (the sandbox sees real paths only)',
    tree: { '/home/me/wl': { kind: 'symlink', uid: 1000, target: '/home/me/ws' } },
    allowSymlinkedRoots: ['/home/me/wl'],
    cwd: '/home/me/wl',
    fs: { fullDiskRead: false },
    inOrder: [['--chdir', '/home/me/ws']],
  },
  {
    name: 'full-disk read: the cwd is kept as the caller spelled it',
    tree: { '/home/me/wl': { kind: 'symlink', uid: 1000, target: '/home/me/ws' } },
    allowSymlinkedRoots: ['/home/me/wl'],
    cwd: '/home/me/wl',
    inOrder: [['--chdir', '/home/me/wl']],
  },
  {
    name: "git: 'commit': .git is writable (and pinned as a mount point), its code-executing names read-only; missing ones masked (\".\" for commondir); absent rebase state left alone",
    tree: REPO,
    roots: ROOT_WITH_GIT,
    gitCommondirSelf: DOT,
    inOrder: [
      ['--bind', '/home/me/ws', '/home/me/ws'],
      ['--bind', G, G, '--bind', `${G}/objects`, `${G}/objects`],
      roDir(`${G}/branches`),
      ['--ro-bind', DOT, `${G}/commondir`],
      ['--ro-bind', `${G}/config`, `${G}/config`],
      ['--ro-bind-data', '*', `${G}/config.worktree`],
      ['--ro-bind', `${G}/hooks`, `${G}/hooks`],
      ['--ro-bind', `${G}/info`, `${G}/info`],
      roDir(`${G}/modules`),
      roDir(`${G}/remotes`),
      roDir(`${G}/worktrees`),
      ['--ro-bind', `${G}/objects/info`, `${G}/objects/info`],
    ],
    absent: [['--ro-bind', G, G], ['*', `${G}/rebase-merge`], ['*', `${G}/rebase-apply`], ['*', `${G}/sequencer`], ['*', `${G}/refs`]],
    synthetic: [`${G}/branches`, `${G}/commondir`, `${G}/config.worktree`, `${G}/modules`, `${G}/remotes`, `${G}/worktrees`],
    git: [{ gitdir: G, protectedNames: ['hooks', 'config', 'config.worktree', 'commondir', 'info', 'objects/info', 'worktrees', 'modules', 'remotes', 'branches'] }],
  },
  {
    name: "git: 'commit': rebase state that exists (a rebase the user started) is read-only",
    tree: { ...REPO, [`${G}/rebase-merge`]: dir(1000) },
    roots: ROOT_WITH_GIT,
    gitCommondirSelf: DOT,
    inOrder: [['--ro-bind', `${G}/rebase-merge`, `${G}/rebase-merge`]],
  },
  {
    name: "git: 'read-only' (no commondir file): all of .git is bound read-only, as before",
    tree: REPO,
    roots: ROOT_WITH_GIT,
    inOrder: [['--bind', '/home/me/ws', '/home/me/ws', '--ro-bind', G, G]],
    absent: [['--ro-bind', `${G}/hooks`, `${G}/hooks`], ['*', `${G}/commondir`]],
    git: [{ gitdir: G, why: 'git: read-only was asked for' }],
  },
  {
    name: "git: 'commit' but .git/hooks is a symlink (a link the command could re-point cannot be masked): all of .git stays read-only",
    tree: { ...REPO, [`${G}/hooks`]: { kind: 'symlink', uid: 1000, target: '/home/me/shared-hooks' } },
    roots: ROOT_WITH_GIT,
    gitCommondirSelf: DOT,
    inOrder: [['--bind', '/home/me/ws', '/home/me/ws', '--ro-bind', G, G]],
    git: [{ gitdir: G, why: `${G}/hooks is a symlink` }],
  },
  {
    name: "git: 'commit' and an empty .git (a placeholder another sandbox left): masked and registered as before, never opened",
    tree: { [G]: { kind: 'dir', uid: 1000, empty: true } },
    roots: [{ root: '/home/me/ws', protectedMetadataNames: ['.git'] }],
    gitCommondirSelf: DOT,
    inOrder: [['--bind', '/home/me/ws', '/home/me/ws', ...roDir(G)]],
    synthetic: [G],
  },
  {
    name: "git: 'commit' and no .git: it cannot be created (masked), as before",
    tree: { [G]: MISSING },
    roots: [{ root: '/home/me/ws', protectedMetadataNames: ['.git'] }],
    gitCommondirSelf: DOT,
    inOrder: [['--bind', '/home/me/ws', '/home/me/ws', ...roDir(G)]],
    synthetic: [G],
    git: [],
  },
];

function plan(row: Row): ReturnType<typeof buildBwrapArgs> {
  const fs: ResolvedFileSystem = {
    kind: 'restricted',
    fullDiskRead: true,
    fullDiskWrite: false,
    includePlatformDefaults: false,
    readableRoots: [],
    writableRoots: (row.roots ?? []).map((r) => ({ readOnlySubpaths: [], protectedMetadataNames: [], ...r })),
    unreadableRoots: [],
    unreadableGlobs: [],
    globScanMaxDepth: undefined,
    ...row.fs,
  };
  const registryDir = row.registryDir ?? REG;
  const facts = {
    platform: 'linux',
    arch: 'x64',
    tmpdir: undefined,
    home: '/home/me',
    fs: fakeFs(row.tree ?? {}, row.globs ?? {}),
    linux: { uid: 1000, launcherPath: '/opt/l', syntheticRegistry: registryDir },
  } as unknown as HostFacts;
  // One place builds the input, so a change of BwrapArgsInput touches this function only.
  const input = {
    fs,
    network: row.network ?? 'restricted',
    cwd: row.cwd ?? '/home/me/ws',
    command: ['true'],
    facts,
    launcherPath: '/opt/l',
    registryDir,
    argv0Supported: false,
    seccomp: true,
    disableUserns: row.disableUserns ?? false,
    sessionSupervisor: row.sessionSupervisor ?? false,
    allowSymlinkedRoots: row.allowSymlinkedRoots,
    pinRoots: row.pinRoots ?? false,
    gitCommondirSelf: row.gitCommondirSelf,
  } as BwrapArgsInput;
  return buildBwrapArgs(input);
}

/** Index just past `fragment` in args at or after `from` (`*` matches any one argument), or -1. */
function findFragment(args: readonly string[], fragment: readonly string[], from: number): number {
  for (let i = from; i + fragment.length <= args.length; i++) {
    if (fragment.every((f, k) => f === '*' || args[i + k] === f)) return i + fragment.length;
  }
  return -1;
}

describe('linux plan: bwrap argv as a table', () => {
  it.each(ROWS.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    if (row.error !== undefined) {
      expect(() => plan(row)).toThrow(row.error);
      return;
    }
    const r = plan(row);
    const shown = r.args.join(' ');
    if (row.exact !== undefined) expect(r.args).toEqual(row.exact);
    let at = 0;
    for (const fragment of row.inOrder ?? []) {
      const next = findFragment(r.args, fragment, at);
      expect(next, `"${fragment.join(' ')}" missing, or not after what precedes it in the row, in:\n${shown}`).toBeGreaterThan(0);
      at = next;
    }
    for (const fragment of row.absent ?? []) {
      expect(findFragment(r.args, fragment, 0), `"${fragment.join(' ')}" must not appear in:\n${shown}`).toBe(-1);
    }
    if (row.synthetic !== undefined) expect([...r.syntheticTargets].sort()).toEqual([...row.synthetic].sort());
    if (row.git !== undefined) expect(r.git).toEqual(row.git);
    // Every --ro-bind-data consumes its own /dev/null fd, in argv order.
    const dataFds = r.args.flatMap((a, i) => (a === '--ro-bind-data' ? [Number(r.args[i + 1])] : []));
    expect(dataFds).toEqual(r.devNullFds);
  });
});

describe('linux plan: the session supervisor gets the /proc masks to apply', () => {
  it('lists the same paths bwrap would have covered', () => {
    const r = plan({ name: 'supervisor', sessionSupervisor: true });
    expect(r.procMasks).toEqual({ readOnly: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'], masked: ['/proc/kcore', '/proc/keys', '/proc/timer_list'] });
  });
});

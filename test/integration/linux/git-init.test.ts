/**
 * Real git in a real bubblewrap sandbox, in a project without `.git` (workspace-write, the default
 * `git: 'commit'`): `git init` works, the repository is staged in the launcher's private directory while
 * the run lasts, and only repository data is accepted into the project after the run ends
 * (native/launcher/fresh_git.cc). Each attack is one a hostile command would make so that the user's
 * next `git` outside runs its code; the test then runs that `git` on the host and checks nothing ran.
 * Always fresh sandboxes (`sb.spawn`), also under CODEX_SANDBOX_TEST_SESSIONS: a session accepts at its end.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxSetupError } from '../../../src/errors.js';
import { syntheticRegistryDir } from '../../../src/host/facts.js';
import { launch } from '../../../src/launch/run.js';
import { isLinux, sandbox, scratch } from './helpers.js';
import type { Scratch } from './helpers.js';

const hasGit = isLinux && existsSync('/usr/bin/git');
const ID = '-c user.name=t -c user.email=t@example.com';

describe.skipIf(!hasGit)('linux sandbox: git init in a project without .git (staged new repository, real git, real bwrap)', () => {
  let s: Scratch;
  let git: string;
  let marker: string;
  const env = (): NodeJS.ProcessEnv => ({ PATH: '/usr/bin:/bin', HOME: s.outside, GIT_CONFIG_NOSYSTEM: '1', GIT_CEILING_DIRECTORIES: s.base });
  /** git on the host, as the user would run it after (or during) the sandboxed command. */
  const hostGit = (...args: string[]): string =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: s.ws, encoding: 'utf8', env: env() });
  const hostGitStatus = (...args: string[]): number | null => spawnSync('git', args, { cwd: s.ws, env: env(), stdio: 'ignore' }).status;
  const start = async (script: string, git?: 'read-only') =>
    (await sandbox()).spawn(['/bin/sh', '-c', script], 'workspace-write', { cwd: s.ws, reject: false, stdin: 'ignore', env: env(), ...(git ? { git } : {}) });
  const stagingDirs = (): string[] => readdirSync(syntheticRegistryDir()).filter((n) => n.startsWith(`fresh-git-`));

  beforeEach(() => {
    s = scratch('csbx-gitinit-');
    git = join(s.ws, '.git');
    marker = join(s.outside, 'PWNED');
    writeFileSync(join(s.ws, 'f'), 'one\n');
  });
  afterEach(() => s.cleanup());

  it('init, add, commit, branch and stash work; the host sees the commit, the branch and the stash afterwards', async () => {
    // A name only this run writes into its staging directory (other tests' runs stage concurrently).
    const mark = `mark-${process.pid}-${Date.now()}`;
    const r = await start(`git init -q -b main . && git add f && git ${ID} commit -qm one && git branch topic && echo two >> f && git ${ID} stash -q && : > .git/${mark} && git log --oneline --all | wc -l`);
    expect(r.exitCode).toBe(0);
    expect(String(r.stdout).trim()).toBe('3');
    expect(String(r.stderr)).toContain(`codex-sandbox: git: new repository accepted at ${git}`);
    expect(hostGit('log', '--format=%s', 'main').trim()).toBe('one');
    expect(hostGit('branch', '--format=%(refname:short)').split('\n').filter(Boolean).sort()).toEqual(['main', 'topic']);
    expect(hostGit('stash', 'list')).toMatch(/^stash@\{0\}: WIP on main/);
    expect(hostGit('status', '--short')).toBe('');
    expect(hostGit('config', '--local', '--list').split('\n').filter(Boolean).sort()).toEqual(
      ['core.bare=false', 'core.filemode=true', 'core.logallrefupdates=true', 'core.repositoryformatversion=0'],
    );
    // Not accepted (not repository data), and the staging directory is gone from the launcher's private directory.
    expect(String(r.stderr)).toContain(mark);
    expect(existsSync(join(git, mark))).toBe(false);
    expect(stagingDirs().filter((n) => existsSync(join(syntheticRegistryDir(), n, mark)))).toEqual([]);
  });

  it('hooks, code-running config keys, attributes, alternates and symlinks written in the run are not accepted; the user’s next commit runs nothing', async () => {
    const evil = join(s.ws, 'evil-hooks');
    const payload = `#!/bin/sh\\ntouch ${marker}\\n`;
    mkdirSync(join(s.outside, 'objects'));
    const r = await start(
      `git init -q -b main . && git add f && git ${ID} commit -qm one && ` +
        `printf '${payload}' > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit && ` +
        `mkdir -p ${evil} && printf '${payload}' > ${evil}/post-commit && chmod +x ${evil}/post-commit && ` +
        `git config core.hooksPath ${evil} && git config core.fsmonitor 'touch ${marker}' && git config include.path ${s.outside}/inc && ` +
        `git config alias.st '!touch ${marker}' && git config core.pager 'touch ${marker}; cat' && ` +
        `echo '* filter=evil' > .git/info/attributes && echo ${s.outside}/objects > .git/objects/info/alternates && ` +
        `ln -s /etc .git/objects/zz && ln -s ${s.outside}/x .git/refs/heads/evil && mkfifo .git/refs/heads/fifo && ` +
        `ln -s /etc/passwd .git/packed-refs && mkdir .git/worktrees .git/modules && echo ${s.outside} > .git/commondir`,
    );
    expect(r.exitCode).toBe(0);
    const stderr = String(r.stderr);
    expect(stderr).toContain(`codex-sandbox: git: new repository accepted at ${git}`);
    for (const name of ['hooks/pre-commit', 'config core.hookspath', 'config core.fsmonitor', 'config include.path', 'config alias.st', 'config core.pager',
      'info/attributes', 'objects/info/alternates', 'objects/zz (symlink)', 'refs/heads/evil (symlink)', 'refs/heads/fifo (not a regular file)', 'worktrees/', 'modules/', 'commondir']) {
      expect(stderr).toContain(name);
    }
    expect(existsSync(join(git, 'hooks'))).toBe(false);
    expect(readFileSync(join(git, 'config'), 'utf8')).not.toMatch(/hooksPath|fsmonitor|include|alias|pager/i);
    expect(existsSync(join(git, 'info', 'attributes'))).toBe(false);
    expect(readdirSync(join(git, 'objects', 'info'))).toEqual([]);
    for (const p of ['objects/zz', 'refs/heads/evil', 'refs/heads/fifo', 'packed-refs', 'worktrees', 'modules', 'commondir']) expect(existsSync(join(git, p))).toBe(false);
    writeFileSync(join(s.ws, 'g'), 'by the user\n');
    hostGit('add', 'g');
    hostGit('commit', '-qm', 'by the user');
    hostGit('status', '--short');
    expect(hostGit('log', '--format=%s').split('\n').filter(Boolean)).toEqual(['by the user', 'one']);
    expect(existsSync(marker)).toBe(false);
  });

  it("while the run lasts the host sees an empty .git (no repository) and a second sandbox sees only its own empty staging; a repository the host made meanwhile is kept, the staged one dropped", async () => {
    const go = join(s.ws, 'go');
    const sub = start(`git init -q -b main . && git add f && git ${ID} commit -qm staged && : > ready && while [ ! -e go ]; do sleep 0.02; done`);
    const deadline = Date.now() + 20_000;
    while (!existsSync(join(s.ws, 'ready')) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    expect(existsSync(join(s.ws, 'ready'))).toBe(true);
    // The run has a repository; the host has only the empty mount point: nothing for git (or an IDE) to run.
    expect(statSync(git).isDirectory()).toBe(true);
    expect(readdirSync(git)).toEqual([]);
    expect(hostGitStatus('rev-parse', '--git-dir')).not.toBe(0);
    // Planned now, .git is an empty directory (the first run's mount point): the second sandbox gets a
    // staging directory of its own there, empty — nothing of the first run's repository.
    const second = await start('ls -A .git | wc -l');
    expect(String(second.stdout).trim()).toBe('0');
    expect(readdirSync(git)).toEqual([]);
    // The user makes a repository there meanwhile: it wins, the staged one is not merged into it.
    hostGit('init', '-q', '-b', 'main', '.');
    hostGit('commit', '-q', '--allow-empty', '-m', 'host');
    writeFileSync(go, '');
    const r = await sub;
    expect(r.exitCode).toBe(0);
    expect(String(r.stderr)).toContain(`codex-sandbox: git: new repository NOT accepted at ${git}`);
    expect(hostGit('log', '--format=%s').trim()).toBe('host');
  });

  it('two runs started together in the same project: at most one repository is accepted, never a mix', async () => {
    // Each run commits a file of its own: two runs rewriting and indexing one shared file can make the
    // command's own `git add` fail (git: "short read while indexing"), leaving a repository without a commit.
    const script = (n: string): string => `git init -q -b main . && echo ${n} > ${n} && git add ${n} && git ${ID} commit -qm ${n}; true`;
    // A run launched after the other accepted is refused before anything runs (125, ".git appeared since the sandbox was planned").
    const settle = (n: string): Promise<{ stderr: unknown }> => start(script(n)).then((r) => ({ stderr: r.stderr }), (e: Error) => ({ stderr: e.message }));
    const [a, b] = await Promise.all([settle('A'), settle('B')]);
    const said = `A's stderr: ${String(a.stderr)}\nB's stderr: ${String(b.stderr)}`;
    const accepted = [a, b].filter((r) => String(r.stderr).includes(`new repository accepted at ${git}`));
    expect(accepted.length, said).toBe(1);
    // The other was planned with .git missing (its own staging: NOT accepted) or saw the mount point (read-only: init failed).
    const other = accepted[0] === a ? b : a;
    expect(String(other.stderr), said).toMatch(/new repository NOT accepted|Read-only file system|Permission denied|appeared since the sandbox was planned/);
    const name = accepted[0] === a ? 'A' : 'B';
    expect(hostGit('log', '--format=%s').trim(), said).toBe(name);
    // Never a mix: the accepted repository holds exactly its own commit, tree and blob, and tracks only its own file.
    expect(hostGit('ls-files').trim()).toBe(name);
    expect(hostGit('cat-file', '--batch-all-objects', '--batch-check=%(objecttype)').split('\n').filter(Boolean).sort()).toEqual(['blob', 'commit', 'tree']);
  });

  it('two runs that end together: one repository is accepted whole, the other not at all (the acceptances do not overlap)', async () => {
    // "Still empty? then copy" must be one step (the lock on ROOT/.git, fresh_git.cc is_mount_point_dir).
    // Each staged repository carries many junk entries sorting before its first repository file: they
    // are only dropped, so the time between finding ROOT/.git empty and writing into it is long, and
    // without the lock both launchers would find it empty and copy into it (a mix, or no HEAD).
    const junk = 40_000;
    const script = (n: string): string =>
      `git init -q -b main . && echo ${n} > ${n} && git add ${n} && git ${ID} commit -qm ${n} && ` +
      `seq ${junk} | sed 's/^/AAA/' | (cd .git && xargs touch) && : > ready-${n} && read x < go; exit 0`;
    // Both commands block reading the fifo `go`; closing the host's end gives both EOF at once.
    const go = join(s.ws, 'go');
    execFileSync('mkfifo', [go]);
    const runs = ['A', 'B'].map((n) => start(script(n)).then((r) => ({ n, stderr: String(r.stderr) }), (e: Error) => ({ n, stderr: e.message })));
    const deadline = Date.now() + 30_000;
    while (!(existsSync(join(s.ws, 'ready-A')) && existsSync(join(s.ws, 'ready-B'))) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    const writer = openSync(go, constants.O_RDWR | constants.O_NONBLOCK);
    await new Promise((res) => setTimeout(res, 200)); // both are in their read, waiting for a writer's close
    closeSync(writer);
    const done = await Promise.all(runs);
    const said = done.map((r) => `${r.n}'s stderr: ${r.stderr}`).join('\n');
    expect(existsSync(join(s.ws, 'ready-A')) && existsSync(join(s.ws, 'ready-B')), said).toBe(true);
    const accepted = done.filter((r) => r.stderr.includes(`new repository accepted at ${git}`));
    expect(accepted.map((r) => r.n), said).toHaveLength(1);
    const other = done.find((r) => r !== accepted[0]);
    expect(other?.stderr, said).toContain(`new repository NOT accepted at ${git}`);
    const name = accepted[0]?.n ?? '';
    expect(hostGit('log', '--format=%s').trim(), said).toBe(name);
    expect(hostGit('ls-files').trim(), said).toBe(name);
    expect(readdirSync(git).filter((e) => e.startsWith('AAA')), said).toEqual([]);
    expect(hostGitStatus('fsck', '--strict', '--no-dangling'), said).toBe(0);
  }, 60_000);

  it('a .git made between planning and launch stops the launch (125, SandboxSetupError): nothing runs over it, nothing is staged', async () => {
    const sb = await sandbox();
    const req = sb.plan(['/bin/sh', '-c', 'echo ran > ran'], 'workspace-write', { cwd: s.ws, env: env() });
    // Planned with .git missing (a staged new repository); a racing process fills it before the launch.
    mkdirSync(join(git, 'hooks'), { recursive: true });
    writeFileSync(join(git, 'hooks', 'pre-commit'), '#!/bin/sh\n');
    const err = await launch(req, { stdin: 'ignore', reject: false }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxSetupError);
    expect((err as SandboxSetupError).step).toBe('staging a new repository');
    expect((err as SandboxSetupError).message).toMatch(/\.git appeared since the sandbox was planned/);
    expect(existsSync(join(s.ws, 'ran'))).toBe(false);
    expect(readdirSync(git).sort()).toEqual(['hooks']);
    expect(stagingDirs().filter((n) => existsSync(join(syntheticRegistryDir(), n, 'ran')))).toEqual([]);
  });

  it('a project that is a shared sticky directory (like /tmp): no repository is staged or accepted there, so git outside never finds one above other directories', async () => {
    // git looks for .git upward from any directory (git(1) GIT_CEILING_DIRECTORIES): a repository accepted into
    // /tmp would take in every directory below it that has none of its own.
    chmodSync(s.ws, 0o1777);
    const r = await start('git init -q . ; echo init=$?');
    expect(String(r.stdout)).not.toContain('init=0');
    expect(String(r.stderr)).not.toContain('new repository accepted');
    expect(existsSync(git)).toBe(false);
    expect(readdirSync(s.ws).sort()).toEqual(['f']);
  });

  it('a run that makes no repository leaves no .git, and sweeps staging directories killed launchers left; git: read-only keeps a missing .git uncreatable', async () => {
    // As a SIGKILLed launcher leaves them: unlocked; the old one is removed, a new one (maybe still being set up) is not.
    const reg = syntheticRegistryDir();
    const stale = join(reg, `fresh-git-999999-${Date.now()}`);
    const young = `${stale}-young`;
    mkdirSync(join(stale, 'hooks'), { recursive: true });
    writeFileSync(join(stale, 'hooks', 'pre-commit'), 'x');
    mkdirSync(young);
    utimesSync(stale, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    try {
      const r = await start('true');
      expect(r.exitCode).toBe(0);
      expect(String(r.stderr)).toBe('');
      expect(existsSync(git)).toBe(false);
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(young)).toBe(true);
    } finally {
      rmSync(stale, { recursive: true, force: true });
      rmSync(young, { recursive: true, force: true });
    }
    const ro = await start(`git init -q . ; mkdir -p .git/hooks; printf '#!/bin/sh\\ntouch ${marker}\\n' > .git/hooks/pre-commit; true`, 'read-only');
    expect(String(ro.stderr)).toMatch(/Read-only file system|Permission denied/);
    expect(existsSync(git)).toBe(false);
    expect(readdirSync(s.ws).sort()).toEqual(['f']);
  });
});

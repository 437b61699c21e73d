/**
 * Real git in a real bubblewrap sandbox (workspace-write, the default `git: 'commit'`): git can commit
 * in the project while the names git runs code from or follows elsewhere stay read-only and cannot be
 * created. Each attack is the one a hostile command would make to get code run by the user's next
 * `git` outside the sandbox; the test then runs that `git` on the host and checks nothing ran.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLinux, scratch, settle, sh } from './helpers.js';
import type { Scratch } from './helpers.js';

const hasGit = isLinux && existsSync('/usr/bin/git');
const ID = '-c user.name=t -c user.email=t@example.com';

/** git on the host, as the user would run it after the sandboxed command. */
function hostGit(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin', HOME: cwd, GIT_CONFIG_NOSYSTEM: '1' },
  });
}

describe.skipIf(!hasGit)('linux sandbox: git in the project (real git, real bwrap)', () => {
  let s: Scratch;
  let git: string;
  let marker: string;
  beforeEach(() => {
    s = scratch('csbx-git-');
    git = join(s.ws, '.git');
    marker = join(s.outside, 'PWNED');
    hostGit(s.ws, 'init', '-q', '-b', 'main', '.');
    writeFileSync(join(s.ws, 'f'), 'one\n');
    hostGit(s.ws, 'add', 'f');
    hostGit(s.ws, 'commit', '-qm', 'init');
  });
  afterEach(() => s.cleanup());

  /** The user's next commit outside the sandbox: whatever a planted hook or config would run, runs now. */
  function userCommitsOutside(): void {
    writeFileSync(join(s.ws, 'g'), `${Date.now()}\n`);
    hostGit(s.ws, 'add', 'g');
    hostGit(s.ws, 'commit', '-qm', 'by the user');
    hostGit(s.ws, 'status', '--short');
  }

  it('add, commit, branch, checkout, stash and stash pop work under workspace-write', async () => {
    const r = await sh(
      `echo two >> f && git add f && git ${ID} commit -qm two && git branch topic && git checkout -q topic && echo three >> f && ` +
        `git ${ID} stash -q && git ${ID} stash pop -q && git ${ID} commit -qam three && git checkout -q main && git log --oneline --all | wc -l`,
      'workspace-write',
      { cwd: s.ws },
    );
    // Under CODEX_SANDBOX_TEST_SESSIONS the user's git runs once the session is closed: a session masks a missing
    // .git/commondir for its whole life, and git outside fails meanwhile (docs/sessions.md). No-op otherwise.
    await settle();
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe('3');
    expect(hostGit(s.ws, 'log', '--format=%s', 'topic').split('\n').filter(Boolean)).toEqual(['three', 'two', 'init']);
    expect(hostGit(s.ws, 'stash', 'list')).toBe('');
    // No placeholder of the run is left on the host (a missing commondir/worktrees/modules was masked).
    expect(existsSync(join(git, 'commondir'))).toBe(false);
    expect(existsSync(join(git, 'worktrees'))).toBe(false);
    expect(existsSync(join(git, 'modules'))).toBe(false);
    expect(hostGit(s.ws, 'status', '--short')).toBe('');
  });

  it('a hook cannot be written (.git/hooks/pre-commit), so the user’s next commit runs nothing', async () => {
    const r = await sh(`printf '#!/bin/sh\\ntouch ${marker}\\n' > .git/hooks/pre-commit; chmod +x .git/hooks/pre-commit`, 'workspace-write', { cwd: s.ws });
    await settle();
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(existsSync(join(git, 'hooks', 'pre-commit'))).toBe(false);
    userCommitsOutside();
    expect(existsSync(marker)).toBe(false);
  });

  it('a missing hooks directory cannot be created, and its placeholder is gone after the run', async () => {
    rmSync(join(git, 'hooks'), { recursive: true });
    const r = await sh(`rm -rf .git/hooks; mkdir -p .git/hooks; printf '#!/bin/sh\\ntouch ${marker}\\n' > .git/hooks/post-commit; chmod +x .git/hooks/post-commit`, 'workspace-write', { cwd: s.ws });
    await settle();
    expect(r.exitCode).not.toBe(0);
    expect(existsSync(join(git, 'hooks'))).toBe(false);
    userCommitsOutside();
    expect(existsSync(marker)).toBe(false);
  });

  it('.git/config cannot be changed: core.hooksPath, core.fsmonitor and a rewrite of the file are refused', async () => {
    const before = readFileSync(join(git, 'config'), 'utf8');
    const evil = join(s.ws, 'evil-hooks');
    const r = await sh(
      `mkdir -p ${evil}; printf '#!/bin/sh\\ntouch ${marker}\\n' > ${evil}/pre-commit; chmod +x ${evil}/pre-commit; ` +
        `git config core.hooksPath ${evil}; git config core.fsmonitor 'touch ${marker}'; echo '[core] fsmonitor = touch ${marker}' >> .git/config; ` +
        `cp .git/config c2 && echo '[core] hooksPath = ${evil}' >> c2 && mv -f c2 .git/config; true`,
      'workspace-write',
      { cwd: s.ws },
    );
    await settle();
    expect(r.stderr).toMatch(/could not write config file|Device or resource busy|Read-only file system/);
    expect(readFileSync(join(git, 'config'), 'utf8')).toBe(before);
    userCommitsOutside();
    expect(existsSync(marker)).toBe(false);
  });

  it('.git/info/attributes (filter drivers) and .git/objects/info/alternates cannot be written', async () => {
    const r = await sh(
      "echo '* filter=evil diff=evil' > .git/info/attributes; echo /tmp/elsewhere/objects > .git/objects/info/alternates; true",
      'workspace-write',
      { cwd: s.ws },
    );
    await settle();
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(existsSync(join(git, 'info', 'attributes'))).toBe(false);
    expect(existsSync(join(git, 'objects', 'info', 'alternates'))).toBe(false);
  });

  it('.git/commondir (pointing git at another directory’s config and hooks) cannot be created; git works inside meanwhile', async () => {
    const elsewhere = join(s.outside, 'common');
    hostGit(s.outside, 'init', '-q', '--bare', elsewhere);
    writeFileSync(join(elsewhere, 'hooks', 'pre-commit'), `#!/bin/sh\ntouch ${marker}\n`);
    chmodSync(join(elsewhere, 'hooks', 'pre-commit'), 0o755);
    const r = await sh(`echo ${elsewhere} > .git/commondir; git status --short; cat .git/commondir`, 'workspace-write', { cwd: s.ws });
    await settle();
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(r.stdout).toBe('.\n');
    expect(existsSync(join(git, 'commondir'))).toBe(false);
    userCommitsOutside();
    expect(existsSync(marker)).toBe(false);
  });

  it('.git/modules, worktrees, remotes, branches and config.worktree cannot be created or written, and a rebase in progress keeps its todo list', async () => {
    // The user's own rebase, stopped: `exec` lines in git-rebase-todo run on the user's `git rebase --continue`.
    mkdirSync(join(git, 'rebase-merge'));
    writeFileSync(join(git, 'rebase-merge', 'git-rebase-todo'), 'pick 0000000 one\n');
    const script = [
      // A submodule's and a linked worktree's git directories: their own config and hooks, which git uses there.
      'mkdir -p .git/modules/sub/hooks && echo "[core] fsmonitor = touch PWNED" > .git/modules/sub/config',
      'mkdir -p .git/worktrees/w && echo "[core] fsmonitor = touch PWNED" > .git/worktrees/w/config.worktree',
      // Legacy remote definitions: the URLs git fetches from and pushes to.
      'mkdir -p .git/remotes; echo "URL: /elsewhere" > .git/remotes/origin',
      'mkdir -p .git/branches; echo /elsewhere > .git/branches/origin',
      'echo "[core] fsmonitor = touch PWNED" > .git/config.worktree',
      'echo "exec touch PWNED" >> .git/rebase-merge/git-rebase-todo',
      'true',
    ].join('; ');
    const r = await sh(script, 'workspace-write', { cwd: s.ws });
    await settle();
    expect(r.exitCode, r.stderr).toBe(0);
    // Missing before the run (its placeholder gone after it), or the empty directory `git init` made.
    for (const name of ['modules', 'worktrees', 'remotes', 'branches']) {
      expect(existsSync(join(git, name)) ? readdirSync(join(git, name)) : [], name).toEqual([]);
    }
    expect(existsSync(join(git, 'config.worktree'))).toBe(false);
    expect(readFileSync(join(git, 'rebase-merge', 'git-rebase-todo'), 'utf8')).toBe('pick 0000000 one\n');
  });

  it('the protected names cannot be carried away by renaming .git or removing them', async () => {
    const before = readFileSync(join(git, 'config'), 'utf8');
    const r = await sh(
      `mv .git g2 && mkdir .git; mv .git/hooks h2; rm -rf .git/info .git/config; printf '#!/bin/sh\\ntouch ${marker}\\n' > .git/hooks/pre-commit; true`,
      'workspace-write',
      { cwd: s.ws },
    );
    await settle();
    expect(r.exitCode).toBe(0);
    expect(existsSync(join(s.ws, 'g2'))).toBe(false);
    expect(statSync(join(git, 'hooks')).isDirectory()).toBe(true);
    expect(readFileSync(join(git, 'config'), 'utf8')).toBe(before);
    expect(existsSync(join(git, 'info', 'exclude'))).toBe(true);
    userCommitsOutside();
    expect(existsSync(marker)).toBe(false);
  });

  it("git: 'read-only' keeps all of .git read-only (commit fails, nothing under .git changes)", async () => {
    const head = hostGit(s.ws, 'rev-parse', 'HEAD');
    const r = await sh(`echo two >> f && git add f && git ${ID} commit -qm two`, 'workspace-write', { cwd: s.ws, git: 'read-only' });
    await settle();
    expect(r.exitCode).not.toBe(0);
    expect(hostGit(s.ws, 'rev-parse', 'HEAD')).toBe(head);
  });

  // Under the default `git: 'commit'` a missing .git is staged and accepted from an allow-list (git-init.test.ts).
  it("git: 'read-only': a missing .git cannot be created (git init fails), so no run can make a repository with its own hooks and config", async () => {
    rmSync(git, { recursive: true });
    const r = await sh(`git init -q . ; mkdir -p .git/hooks; printf '#!/bin/sh\\ntouch ${marker}\\n' > .git/hooks/pre-commit; true`, 'workspace-write', { cwd: s.ws, git: 'read-only' });
    await settle();
    expect(r.stderr).toMatch(/Read-only file system|Permission denied/);
    expect(existsSync(git)).toBe(false);
    expect(readdirSync(s.ws).sort()).toEqual(['f']);
  });
});

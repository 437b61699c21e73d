/** Real bubblewrap: what a workspace-write / read-only sandbox lets a command do to files. */
import { existsSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLinux, scratch, settle, sh } from './helpers.js';
import type { Scratch } from './helpers.js';

describe.skipIf(!isLinux)('linux sandbox: filesystem (real bwrap)', () => {
  let s: Scratch;
  beforeEach(() => {
    s = scratch();
    writeFileSync(join(s.outside, 'victim'), 'original\n');
  });
  afterEach(() => s.cleanup());

  it('writes inside the workspace are allowed and land on the host', async () => {
    const r = await sh('echo hello > inside.txt && cat inside.txt', 'workspace-write', { cwd: s.ws });
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(s.ws, 'inside.txt'), 'utf8')).toBe('hello\n');
  });

  it('writes outside the workspace fail and leave the host untouched', async () => {
    const r = await sh(`echo pwned > ${s.outside}/victim`, 'workspace-write', { cwd: s.ws });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/Read-only file system|Permission denied/);
    expect(readFileSync(join(s.outside, 'victim'), 'utf8')).toBe('original\n');
  });

  it('a ../ path out of the workspace cannot write', async () => {
    const r = await sh('echo pwned > ../outside/victim; echo created > ../outside/new', 'workspace-write', { cwd: s.ws });
    expect(r.exitCode).not.toBe(0);
    expect(readFileSync(join(s.outside, 'victim'), 'utf8')).toBe('original\n');
    expect(existsSync(join(s.outside, 'new'))).toBe(false);
  });

  it('an existing symlink from the workspace to outside does not grant writes', async () => {
    symlinkSync(s.outside, join(s.ws, 'link'));
    const r = await sh('echo pwned > link/victim', 'workspace-write', { cwd: s.ws });
    expect(r.exitCode).not.toBe(0);
    expect(readFileSync(join(s.outside, 'victim'), 'utf8')).toBe('original\n');
  });

  it('a symlink created inside the sandbox does not grant writes outside', async () => {
    const r = await sh(`ln -s ${s.outside} newlink && echo pwned > newlink/victim`, 'workspace-write', { cwd: s.ws });
    expect(r.exitCode).not.toBe(0);
    expect(readFileSync(join(s.outside, 'victim'), 'utf8')).toBe('original\n');
  });

  it('/proc/self/root and /proc/1/root do not lead out of the sandbox', async () => {
    const r = await sh(`echo a > /proc/self/root${s.outside}/victim; echo b > /proc/1/root${s.outside}/victim; true`, 'workspace-write', { cwd: s.ws });
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(s.outside, 'victim'), 'utf8')).toBe('original\n');
  });

  it('hard links: an existing in-workspace link to an outside file is writable (as in Codex: path-based sandboxes cannot see inode sharing); a new one cannot be made', async () => {
    linkSync(join(s.outside, 'victim'), join(s.ws, 'hardlink'));
    const through = await sh('echo through-link > hardlink', 'workspace-write', { cwd: s.ws });
    expect(through.exitCode).toBe(0);
    expect(readFileSync(join(s.outside, 'victim'), 'utf8')).toBe('through-link\n');
    writeFileSync(join(s.outside, 'other'), 'other\n');
    const make = await sh(`ln ${s.outside}/other newhard`, 'workspace-write', { cwd: s.ws });
    expect(make.exitCode).not.toBe(0);
    expect(existsSync(join(s.ws, 'newhard'))).toBe(false);
  });

  it('delete and rename outside the workspace fail', async () => {
    const r1 = await sh(`rm -f ${s.outside}/victim`, 'workspace-write', { cwd: s.ws });
    const r2 = await sh(`mv ${s.outside}/victim ./stolen`, 'workspace-write', { cwd: s.ws });
    expect(r1.exitCode).not.toBe(0);
    expect(r2.exitCode).not.toBe(0);
    expect(readFileSync(join(s.outside, 'victim'), 'utf8')).toBe('original\n');
  });

  it('read-only profile: nothing is writable, reads work', async () => {
    writeFileSync(join(s.ws, 'f'), 'data\n');
    const r = await sh('cat f && echo x > g', 'read-only', { cwd: s.ws });
    expect(r.stdout).toBe('data\n');
    expect(r.exitCode).not.toBe(0);
    expect(existsSync(join(s.ws, 'g'))).toBe(false);
  });

  it('extra writable roots are writable, their siblings are not', async () => {
    const extra = join(s.base, 'extra');
    mkdirSync(extra);
    const r = await sh(`echo ok > ${extra}/f && echo no > ${s.outside}/f2`, 'workspace-write', { cwd: s.ws, writableRoots: [extra] });
    expect(readFileSync(join(extra, 'f'), 'utf8')).toBe('ok\n');
    expect(r.exitCode).not.toBe(0);
    expect(existsSync(join(s.outside, 'f2'))).toBe(false);
  });
});

describe.skipIf(!isLinux)('linux sandbox: protected metadata (.git, .codex, .agents)', () => {
  let s: Scratch;
  beforeEach(() => {
    s = scratch();
  });
  afterEach(() => s.cleanup());

  it('an existing .git and .git/hooks stay read-only', async () => {
    mkdirSync(join(s.ws, '.git', 'hooks'), { recursive: true });
    writeFileSync(join(s.ws, '.git', 'config'), '[core]\n');
    const r = await sh('echo evil >> .git/config; echo "#!/bin/sh" > .git/hooks/pre-commit; rm -rf .git; true', 'workspace-write', { cwd: s.ws });
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(s.ws, '.git', 'config'), 'utf8')).toBe('[core]\n');
    expect(existsSync(join(s.ws, '.git', 'hooks', 'pre-commit'))).toBe(false);
  });

  it('.codex, .agents and .git cannot be created when absent, and no placeholder is left behind', async () => {
    // .git under the default git: 'commit' is staged (git-init.test.ts): what is not a repository is dropped.
    const r = await sh('mkdir .codex; echo x > .codex/config.toml; mkdir -p .agents/x; mkdir .git/hooks; true', 'workspace-write', { cwd: s.ws });
    expect(r.exitCode).toBe(0);
    await settle();
    expect(existsSync(join(s.ws, '.codex'))).toBe(false);
    expect(existsSync(join(s.ws, '.agents'))).toBe(false);
    expect(existsSync(join(s.ws, '.git'))).toBe(false);
  });

  it('a protected name cannot be replaced by a symlink to a decoy', async () => {
    mkdirSync(join(s.ws, '.codex'));
    writeFileSync(join(s.ws, '.codex', 'config.toml'), 'safe\n');
    const decoy = join(s.ws, 'decoy');
    const r = await sh(`mkdir ${decoy}; echo evil > ${decoy}/config.toml; rm -rf .codex; mv .codex .codex-old; ln -sfn ${decoy} .codex; true`, 'workspace-write', { cwd: s.ws });
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(s.ws, '.codex', 'config.toml'), 'utf8')).toBe('safe\n');
  });

  it('a pre-existing symlinked .codex fails closed with a message (exit 125)', async () => {
    mkdirSync(join(s.outside, 'decoy'));
    symlinkSync(join(s.outside, 'decoy'), join(s.ws, '.codex'));
    await expect(sh('true', 'workspace-write', { cwd: s.ws })).rejects.toThrow(/crosses writable symlink/);
  });

  it('a worktree .git pointer file and its gitdir target are protected', async () => {
    const gitdir = join(s.ws, 'real-gitdir');
    mkdirSync(gitdir);
    writeFileSync(join(gitdir, 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(s.ws, '.git'), `gitdir: ${gitdir}\n`);
    const r = await sh('echo evil > real-gitdir/HEAD; echo "gitdir: /tmp" > .git; true', 'workspace-write', { cwd: s.ws });
    expect(r.exitCode).toBe(0);
    expect(readFileSync(join(gitdir, 'HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
    expect(readFileSync(join(s.ws, '.git'), 'utf8')).toBe(`gitdir: ${gitdir}\n`);
  });
});

describe.skipIf(!isLinux)('linux sandbox: deny-read', () => {
  let s: Scratch;
  beforeEach(() => {
    s = scratch();
    writeFileSync(join(s.ws, 'secret.env'), 'TOKEN=1\n');
    mkdirSync(join(s.ws, 'private'));
    writeFileSync(join(s.ws, 'private', 'key'), 'k\n');
    mkdirSync(join(s.ws, 'sub', 'deep'), { recursive: true });
    writeFileSync(join(s.ws, 'sub', 'deep', 'x.env'), 'X=1\n');
    writeFileSync(join(s.ws, 'public.txt'), 'public\n');
  });
  afterEach(() => s.cleanup());

  it('a denied file reads as nothing and cannot be rewritten', async () => {
    const r = await sh('cat secret.env; echo; cat public.txt', 'workspace-write', { cwd: s.ws, denyRead: [join(s.ws, 'secret.env')] });
    expect(r.stdout).not.toContain('TOKEN');
    expect(r.stdout).toContain('public');
  });

  it('a denied directory cannot be listed or read', async () => {
    const r = await sh('ls private; cat private/key; true', 'workspace-write', { cwd: s.ws, denyRead: [join(s.ws, 'private')] });
    expect(r.stdout).not.toContain('k');
    expect(r.stderr).toMatch(/Permission denied|No such file/);
  });

  it('a deny glob hides every match at any depth', async () => {
    const r = await sh('cat secret.env sub/deep/x.env 2>&1; cat public.txt', 'workspace-write', { cwd: s.ws, denyRead: [join(s.ws, '**/*.env')] });
    expect(r.stdout).not.toContain('TOKEN');
    expect(r.stdout).not.toContain('X=1');
    expect(r.stdout).toContain('public');
  });

  it('deny-read of the protected metadata names: a present .agents is unreadable, a missing .codex and .git cannot be created, and the sandbox launches', async () => {
    // Each name is both a read-only carve-out and a deny mask: only the mask is mounted (a second mount of
    // another kind on a missing name's placeholder would fail the launch).
    mkdirSync(join(s.ws, '.agents'));
    writeFileSync(join(s.ws, '.agents', 'notes'), 'TOPSECRET\n');
    const denyRead = ['.agents', '.codex', '.git'].map((n) => join(s.ws, n));
    const r = await sh('cat .agents/notes; mkdir -p .codex/x .git/hooks; echo end', 'workspace-write', { cwd: s.ws, denyRead });
    expect(r.stdout, r.stderr).toBe('end\n');
    await settle();
    expect(existsSync(join(s.ws, '.codex'))).toBe(false);
    expect(existsSync(join(s.ws, '.git'))).toBe(false);
  });

  it('a deny glob spelled through a symlink hides the real files (only the real directory is readable)', async () => {
    // The glob names data/ through `link`; with restricted reads, `link` itself is not in the sandbox, so a
    // mask at the spelled path alone would land on bwrap's empty root and leave data/x.env readable.
    const data = join(s.base, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'x.env'), 'TOPSECRET\n');
    writeFileSync(join(data, 'pub.txt'), 'public\n');
    symlinkSync(data, join(s.base, 'link'));
    const profile = {
      file_system: {
        entries: [
          { path: { type: 'special', value: { kind: 'minimal' } }, access: 'read' },
          { path: { type: 'path', path: data }, access: 'read' },
          { path: { type: 'path', path: s.ws }, access: 'write' },
          { path: { type: 'glob_pattern', pattern: `${s.base}/link/**/*.env` }, access: 'deny' },
        ],
      },
      network: { enabled: false },
    };
    const r = await sh(`cat ${data}/x.env; cat ${data}/pub.txt`, profile, { cwd: s.ws });
    expect(r.stdout, r.stderr).not.toContain('TOPSECRET');
    expect(r.stdout).toContain('public');
  });

  it('a deny glob that matches a symlink hides what it points to, and the launch does not fail on the link', async () => {
    // bwrap cannot mount on a symlink: masking the matched link itself failed every launch (125).
    const data = join(s.base, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'real.txt'), 'TOPSECRET\n');
    writeFileSync(join(data, 'pub.txt'), 'public\n');
    symlinkSync('real.txt', join(data, 'a.env'));
    const r = await sh(`cat ${data}/a.env; cat ${data}/real.txt; cat ${data}/pub.txt`, 'workspace-write', { cwd: s.ws, denyRead: [`${data}/**/*.env`] });
    expect(r.stdout, r.stderr).not.toContain('TOPSECRET');
    expect(r.stdout).toContain('public');
  });

  it('a glob whose fixed prefix is / fails closed (exit 125)', async () => {
    await expect(sh('true', 'workspace-write', { cwd: s.ws, denyRead: ['/**/*.pem'] })).rejects.toThrow(/cannot be safely expanded/);
  });
});

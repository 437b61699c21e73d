/** `--git` and `--cache` through the built binary: what `explain` says is and is not writable, and usage errors. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scratch, requireBuilt } from './helpers.js';

const isLinux = process.platform === 'linux';
let s: Scratch;
beforeAll(() => {
  requireBuilt();
  s = new Scratch();
  if (isLinux) execFileSync('git', ['init', '-q', s.project]);
});
afterAll(() => s?.dispose());

/** The report's entry for the project's .git (a concurrent sandbox may have a placeholder .git in /tmp, also a writable root). */
function projectGit(r: Report): Report['git'] {
  return r.git.filter((g) => g.gitdir === path.join(s.project, '.git'));
}

interface Report {
  git: Array<{ gitdir: string; protectedNames?: string[]; why?: string }>;
  caches: Array<{ tool: string; dir: string; exists: boolean; from: string }>;
  entries: Array<{ access: string; path: string; from: string }>;
  enforcement: string[];
}

describe('codex-sandbox --git / --cache', () => {
  it.skipIf(!isLinux)('explain lists the .git names that stay read-only while git may write the rest (Linux planner)', () => {
    const r = s.cli(['explain', '--', 'git', 'commit']);
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).toContain(`${path.join(s.project, '.git')}: git may write it (add, commit, branch, checkout, stash); read-only and cannot be created: hooks, config, config.worktree, commondir, info, objects/info, worktrees, modules, remotes, branches`);
    const json = JSON.parse(s.cli(['explain', '--json', '--', 'git', 'commit']).stdout) as Report;
    expect(projectGit(json)).toEqual([{ gitdir: path.join(s.project, '.git'), protectedNames: ['hooks', 'config', 'config.worktree', 'commondir', 'info', 'objects/info', 'worktrees', 'modules', 'remotes', 'branches'] }]);
    expect(json.enforcement.some((l) => l.startsWith(`git: ${path.join(s.project, '.git')} is writable`))).toBe(true);
  });

  it.skipIf(!isLinux)('--git read-only: explain says all of .git is read-only', () => {
    const json = JSON.parse(s.cli(['explain', '--json', '--git', 'read-only', '--', 'true']).stdout) as Report;
    expect(projectGit(json)).toEqual([{ gitdir: path.join(s.project, '.git'), why: 'git: read-only was asked for' }]);
  });

  it('--cache npm,pip: explain names each directory, its flag, and the missing ones (created only when a command runs)', () => {
    mkdirSync(path.join(s.home, '.npm', '_cacache'), { recursive: true });
    const r = s.cli(['explain', '--json', '--cache', 'npm,pip', '--', 'npm', 'ci']);
    expect(r.status, r.report).toBe(0);
    const json = JSON.parse(r.stdout) as Report;
    expect(json.caches).toEqual([
      { tool: 'npm', dir: path.join(s.home, '.npm', '_cacache'), exists: true, from: 'flag --cache npm' },
      { tool: 'npm', dir: path.join(s.home, '.npm', '_logs'), exists: false, from: 'flag --cache npm' },
      { tool: 'pip', dir: path.join(s.home, '.cache', 'pip'), exists: false, from: 'flag --cache pip' },
    ]);
    expect(json.entries).toContainEqual({ access: 'write', path: path.join(s.home, '.cache', 'pip'), origin: { kind: 'flag', flag: '--cache pip' }, from: 'flag --cache pip' });
    // explain plans; it creates nothing.
    expect(existsSync(path.join(s.home, '.cache', 'pip'))).toBe(false);
    const text = s.cli(['explain', '--cache', 'pip', '--', 'true']).stdout;
    expect(text).toContain(`caches (--cache; nothing else of the home directory is writable):\n  pip    ${path.join(s.home, '.cache', 'pip')}  from flag --cache pip  (missing: created before the command runs)`);
  });

  it.skipIf(!isLinux)('run --cache creates the missing cache directories before the command runs (mode 0700)', () => {
    const dir = path.join(s.home, '.cargo', 'registry');
    expect(existsSync(dir)).toBe(false);
    const r = s.cli(['run', '--cache', 'cargo', '--', 'true']);
    expect(r.status, r.report).toBe(0);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(existsSync(path.join(s.home, '.cargo', 'git'))).toBe(true);
    expect(existsSync(path.join(s.home, '.cargo', 'bin'))).toBe(false);
  });

  it('an unknown --cache or --git value is a usage error (exit 2) naming the known ones', () => {
    const c = s.cli(['explain', '--cache', 'npm,maven', '--', 'true']);
    expect(c.status, c.report).toBe(2);
    expect(c.stderr).toContain('--cache maven: unknown cache; known caches are npm, pip, cargo, go, yarn');
    const g = s.cli(['explain', '--git', 'yes', '--', 'true']);
    expect(g.status, g.report).toBe(2);
    expect(g.stderr).toMatch(/--git <mode>.*yes.*commit, read-only/);
  });

  it('a profile in the user config may set caches and git; explain names the file and line', () => {
    const cfg = s.write('home/.config/codex-sandbox/config.toml', '[profiles.dev]\nextends = "workspace-write"\ncaches = ["pip"]\ngit = "read-only"\n');
    try {
      const r = s.cli(['explain', '--json', '-p', 'dev', '--', 'true']);
      expect(r.status, r.report).toBe(0);
      const json = JSON.parse(r.stdout) as Report;
      expect(json.caches).toEqual([{ tool: 'pip', dir: path.join(s.home, '.cache', 'pip'), exists: false, from: `${cfg}:3 profiles.dev.caches` }]);
      if (isLinux) expect(projectGit(json)).toEqual([{ gitdir: path.join(s.project, '.git'), why: 'git: read-only was asked for' }]);
      // The flag wins over the profile.
      const flag = JSON.parse(s.cli(['explain', '--json', '-p', 'dev', '--git', 'commit', '--', 'true']).stdout) as Report;
      if (isLinux) expect(projectGit(flag)[0]?.protectedNames).toContain('hooks');
    } finally {
      s.write('home/.config/codex-sandbox/config.toml', '');
    }
  });

  it("a project file's caches are refused (a command that writes codex-sandbox.toml would pick which of your caches its successor may poison) unless trusted", () => {
    const toml = s.write('home/proj/codex-sandbox.toml', '[profiles.p]\nextends = "workspace-write"\ncaches = ["npm"]\n');
    try {
      const r = s.cli(['explain', '-p', 'p', '--', 'true']);
      expect(r.status, r.report).toBe(2);
      expect(r.stderr).toContain(`${toml}:3: profiles.p.caches: it makes cache directories under your home directory writable, but this profile comes from a project-level file`);
      const trusted = s.cli(['explain', '--json', '--trust-project-config', '-p', 'p', '--', 'true']);
      expect(trusted.status, trusted.report).toBe(0);
      expect((JSON.parse(trusted.stdout) as Report).caches.map((c) => c.tool)).toEqual(['npm', 'npm']);
    } finally {
      s.write('home/proj/codex-sandbox.toml', '');
    }
  });

  it('an unknown cache in a profile is a configuration error naming file, line and key', () => {
    const cfg = s.write('home/.config/codex-sandbox/config.toml', '[profiles.dev]\nextends = "workspace-write"\ncaches = ["maven"]\n');
    try {
      const r = s.cli(['explain', '-p', 'dev', '--', 'true']);
      expect(r.status, r.report).toBe(2);
      expect(r.stderr).toContain(`${cfg}:3: profiles.dev.caches: unknown cache "maven"; known caches are npm, pip, cargo, go, yarn`);
    } finally {
      s.write('home/.config/codex-sandbox/config.toml', '');
    }
  });
});

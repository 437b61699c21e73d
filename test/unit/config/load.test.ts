import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { ConfigError, UnknownProfileError, findConfigFiles, listProfiles, loadConfig, resolveProfileName } from '../../../src/config/index.js';
import { PermissionProfile } from '../../../src/permissions/index.js';
import { compact, wire } from './helpers.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/config');

let root: string;
let home: string;
let project: string;
let cwd: string;

function write(file: string, text: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

beforeEach(() => {
  root = realpathSync(mkdtempSync(path.join(tmpdir(), 'cs-config-')));
  home = path.join(root, 'home');
  project = path.join(home, 'src', 'proj');
  cwd = path.join(project, 'pkg', 'sub');
  mkdirSync(cwd, { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const env = () => ({ HOME: home });

describe('findConfigFiles', () => {
  it('finds the project file upward, the user file under XDG_CONFIG_HOME, and both Codex files', () => {
    const p = write(path.join(project, 'codex-sandbox.toml'), '');
    const u = write(path.join(root, 'xdg', 'codex-sandbox', 'config.toml'), '');
    const cu = write(path.join(home, '.codex', 'config.toml'), '');
    const cp = write(path.join(project, 'pkg', '.codex', 'config.toml'), '');
    expect(findConfigFiles({ cwd, env: { XDG_CONFIG_HOME: path.join(root, 'xdg') }, home })).toEqual({ project: p, user: u, codexUser: cu, codexProject: cp });
  });

  it('defaults to ~/.config and ~/.codex, honours CODEX_HOME, and never takes the user Codex file for a project one', () => {
    const u = write(path.join(home, '.config', 'codex-sandbox', 'config.toml'), '');
    write(path.join(home, '.codex', 'config.toml'), '');
    expect(findConfigFiles({ cwd, env: {}, home })).toEqual({ user: u, codexUser: path.join(home, '.codex', 'config.toml') });
    const ch = write(path.join(root, 'ch', 'config.toml'), '');
    // With CODEX_HOME elsewhere, ~/.codex/config.toml is an ordinary project-level file found upward.
    expect(findConfigFiles({ cwd, env: { CODEX_HOME: path.join(root, 'ch') }, home })).toEqual({
      user: u,
      codexUser: ch,
      codexProject: path.join(home, '.codex', 'config.toml'),
    });
  });

  it('finds nothing when there is nothing (search stops at the filesystem root)', () => {
    expect(findConfigFiles({ cwd, env: {}, home: path.join(root, 'nohome') })).toEqual({});
  });
});

describe('loadConfig + resolveProfileName: resolution order', () => {
  it('built-ins, then project profiles, then user profiles, then Codex profiles, then a file path', () => {
    write(path.join(project, 'codex-sandbox.toml'), '[profiles.both]\ndescription = "project"\nextends = "read-only"\n');
    write(
      path.join(home, '.config', 'codex-sandbox', 'config.toml'),
      '[profiles.both]\nextends = "workspace-write"\n[profiles.useronly]\nextends = "read-only"\nnetwork = "enabled"\n',
    );
    write(path.join(home, '.codex', 'config.toml'), 'sandbox_mode = "workspace-write"\n[permissions.ci.filesystem]\n":root" = "read"\n');
    const loaded = loadConfig({ cwd, env: env() });
    const opts = { cwd, platform: 'linux' as const };
    expect(wire(resolveProfileName('workspace-write', loaded, opts).profile)).toEqual(wire(PermissionProfile.workspaceWrite()));
    expect(resolveProfileName('workspace-write', loaded, opts).origin.source).toBe('built-in');
    // An untrusted project file cannot redefine a name the user defined: the user's profile wins.
    expect(resolveProfileName('both', loaded, opts).origin.source).toBe(path.join(home, '.config', 'codex-sandbox', 'config.toml'));
    // A trusted project file comes first.
    const both = resolveProfileName('both', loadConfig({ cwd, env: env(), trustProjectConfig: true }), opts);
    expect(both.origin.source).toBe(path.join(project, 'codex-sandbox.toml'));
    expect(wire(both.profile)).toEqual(wire(PermissionProfile.readOnly()));
    expect(resolveProfileName('useronly', loaded, opts).origin.source).toBe(path.join(home, '.config', 'codex-sandbox', 'config.toml'));
    expect(wire(resolveProfileName('codex', loaded, opts).profile)).toEqual(wire(PermissionProfile.workspaceWrite()));
    expect(compact(resolveProfileName('codex:ci', loaded, opts).profile)).toEqual([':root=read']);
    expect(wire(resolveProfileName(path.join(FIXTURES, 'read-only.json'), loaded, opts).profile)).toEqual(wire(PermissionProfile.readOnly()));
    expect(listProfiles(loaded).map((p) => p.name)).toEqual(['read-only', 'workspace-write', 'danger-full-access', 'both', 'useronly', 'codex', 'codex:ci']);
  });

  it('reads a legacy SandboxPolicy from a .toml file path (relative to cwd)', () => {
    const loaded = loadConfig({ cwd: FIXTURES, env: env(), trustProjectConfig: true });
    const r = resolveProfileName('legacy-workspace.toml', loaded, { cwd: FIXTURES, platform: 'linux' });
    expect(wire(r.profile)).toEqual(wire(PermissionProfile.workspaceWrite({ writableRoots: ['/opt/cache'], excludeSlashTmp: true })));
  });

  it('a profile file inside the working directory is project data: held to workspace-write unless trusted', () => {
    const loaded = loadConfig({ cwd: FIXTURES, env: env() });
    expect(() => resolveProfileName('legacy-workspace.toml', loaded, { cwd: FIXTURES, platform: 'linux' })).toThrow(
      /legacy-workspace\.toml:1: file_system\.entries\[3\]: it grants write access to \/opt\/cache outside the project/,
    );
    // The same file named from elsewhere is the caller's own choice.
    const outside = loadConfig({ cwd, env: env() });
    expect(wire(resolveProfileName(path.join(FIXTURES, 'legacy-workspace.toml'), outside, { cwd, platform: 'linux' }).profile)).toEqual(
      wire(PermissionProfile.workspaceWrite({ writableRoots: ['/opt/cache'], excludeSlashTmp: true })),
    );
  });

  it('a bad profile file names its line and key', () => {
    const loaded = loadConfig({ cwd: FIXTURES, env: env() });
    let err: unknown;
    try {
      resolveProfileName('bad-access.toml', loaded, { cwd: FIXTURES, platform: 'linux' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      `${path.join(FIXTURES, 'bad-access.toml')}:8: file_system.entries[1].access: expected one of "read", "write", "deny", "none"; got "rw"`,
    );
  });

  it('an unknown name lists what exists', () => {
    const loaded = loadConfig({ cwd, env: env() });
    expect(() => resolveProfileName('nope', loaded, { cwd, platform: 'linux' })).toThrow(UnknownProfileError);
    expect(() => resolveProfileName('nope', loaded, { cwd, platform: 'linux' })).toThrow(
      'unknown profile "nope"; use one of read-only, workspace-write, danger-full-access, or a path to a .json or .toml profile file',
    );
  });

  it('a bad file stops loading with its file, line and key', () => {
    const f = write(path.join(project, 'codex-sandbox.toml'), '[profiles.dev]\nnetwork = 1\n');
    expect(() => loadConfig({ cwd, env: env() })).toThrow(`${f}:2: profiles.dev.network: expected "restricted" or "enabled", got the number 1`);
  });
});

describe('project-level files may not widen beyond workspace-write unless trusted', () => {
  const opts = () => ({ cwd, platform: 'linux' as const });

  it('refuses a project profile that writes outside the project, names the line', () => {
    const f = write(path.join(project, 'codex-sandbox.toml'), '[profiles.evil]\nextends = "workspace-write"\nwritable_roots = ["~/.bashrc"]\n');
    const loaded = loadConfig({ cwd, env: env() });
    let err: unknown;
    try {
      resolveProfileName('evil', loaded, opts());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).file).toBe(f);
    expect((err as ConfigError).line).toBe(3);
    expect((err as ConfigError).key).toBe('profiles.evil.writable_roots[0]');
    expect((err as ConfigError).detail).toMatch(/^it grants write access to \/.*\/home\/\.bashrc outside the project and temp directories, but this profile comes from a project-level file/);
  });

  it('refuses danger-full-access, network and secret-passing env from a project file', () => {
    write(
      path.join(project, 'codex-sandbox.toml'),
      '[profiles.a]\nextends = "danger-full-access"\n[profiles.b]\nextends = "read-only"\nnetwork = "enabled"\n[profiles.c]\nextends = "read-only"\nenv = { ignore_default_excludes = true }\n',
    );
    const loaded = loadConfig({ cwd, env: env() });
    expect(() => resolveProfileName('a', loaded, opts())).toThrow(/profiles\.a: it disables the sandbox/);
    expect(() => resolveProfileName('b', loaded, opts())).toThrow(/:5: profiles\.b\.network: it enables network access/);
    expect(() => resolveProfileName('c', loaded, opts())).toThrow(/profiles\.c\.env: it passes secret-named environment variables/);
  });

  it('refuses a widening project .codex/config.toml too', () => {
    write(path.join(project, '.codex', 'config.toml'), 'sandbox_mode = "danger-full-access"\n');
    expect(() => resolveProfileName('codex', loadConfig({ cwd, env: env() }), opts())).toThrow(/config\.toml:1: sandbox_mode: it disables the sandbox/);
  });

  it('allows narrowing profiles from a project file, and anything once trusted', () => {
    write(
      path.join(project, 'codex-sandbox.toml'),
      '[profiles.narrow]\nextends = "workspace-write"\ndeny_read = ["**/*.pem"]\n[profiles.wide]\nextends = "workspace-write"\nnetwork = "enabled"\n',
    );
    expect(compact(resolveProfileName('narrow', loadConfig({ cwd, env: env() }), opts()).profile)).toContain('glob:codex-project-roots://**/*.pem=deny');
    const trusted = loadConfig({ cwd, env: env(), trustProjectConfig: true });
    expect(wire(resolveProfileName('wide', trusted, opts()).profile)).toMatchObject({ network: 'enabled' });
  });

  it("an untrusted project .codex/config.toml cannot override the user's Codex profile (it only fills gaps)", () => {
    write(path.join(home, '.codex', 'config.toml'), 'default_permissions = "ci"\n[permissions.ci.filesystem]\n":root" = "read"\n"/secrets" = "deny"\n');
    write(path.join(project, '.codex', 'config.toml'), 'default_permissions = "ci"\n[permissions.ci.filesystem]\n":root" = "read"\n');
    expect(compact(resolveProfileName('codex:ci', loadConfig({ cwd, env: env() }), opts()).profile)).toContain('/secrets=deny');
    expect(compact(resolveProfileName('codex', loadConfig({ cwd, env: env() }), opts()).profile)).toContain('/secrets=deny');
    expect(compact(resolveProfileName('codex:ci', loadConfig({ cwd, env: env(), trustProjectConfig: true }), opts()).profile)).not.toContain('/secrets=deny');
  });

  it("an untrusted project .codex/config.toml cannot fill the user's sandbox_mode = \"workspace-write\" with its own writable roots or network", () => {
    write(path.join(home, '.codex', 'config.toml'), 'sandbox_mode = "workspace-write"\n');
    const f = write(path.join(project, '.codex', 'config.toml'), '[sandbox_workspace_write]\nwritable_roots = ["/opt/evil"]\n');
    expect(() => resolveProfileName('codex', loadConfig({ cwd, env: env() }), opts())).toThrow(
      `${f}:2: sandbox_workspace_write.writable_roots[0]: it grants write access to /opt/evil outside the project and temp directories`,
    );
    write(f, '[sandbox_workspace_write]\nnetwork_access = true\n');
    expect(() => resolveProfileName('codex', loadConfig({ cwd, env: env() }), opts())).toThrow(`${f}:2: sandbox_workspace_write.network_access: it enables network access`);
    // With --trust-project-config they apply.
    const trusted = resolveProfileName('codex', loadConfig({ cwd, env: env(), trustProjectConfig: true }), opts());
    expect(wire(trusted.profile)).toMatchObject({ network: 'enabled' });
  });

  it('user-level files are trusted', () => {
    write(path.join(home, '.config', 'codex-sandbox', 'config.toml'), '[profiles.net]\nextends = "workspace-write"\nnetwork = "enabled"\n');
    expect(wire(resolveProfileName('net', loadConfig({ cwd, env: env() }), opts()).profile)).toMatchObject({ network: 'enabled' });
  });
});

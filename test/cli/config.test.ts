/** Config-file profiles through the built binary: resolution order, default_profile, and bad config (exit 2, file:line: key). */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Scratch, lineOf, repo, requireBuilt } from './helpers.js';

let s: Scratch;
beforeAll(requireBuilt);
beforeEach(() => {
  s = new Scratch();
});
afterEach(() => s.dispose());

const WRITE_PROBE = ['/bin/sh', '-c', 'echo x > probe.txt'];

describe('config-file profiles in run (Linux sandbox)', () => {
  it.runIf(process.platform === 'linux')('default_profile from the project codex-sandbox.toml applies when --profile is absent; --profile overrides it', () => {
    s.write('home/proj/codex-sandbox.toml', 'default_profile = "ro"\n\n[profiles.ro]\nextends = "read-only"\n');
    const denied = s.cli(['run', '--', ...WRITE_PROBE]);
    expect(denied.status, denied.report).not.toBe(0);
    expect(existsSync(path.join(s.project, 'probe.txt'))).toBe(false);
    const allowed = s.cli(['run', '--profile', 'workspace-write', '--', ...WRITE_PROBE]);
    expect(allowed.status, allowed.report).toBe(0);
    expect(readFileSync(path.join(s.project, 'probe.txt'), 'utf8')).toBe('x\n');
  });

  it.runIf(process.platform === 'linux')('a [profiles.NAME] in the user config ($HOME/.config/codex-sandbox/config.toml) adds its writable root', () => {
    s.write('home/cache/.keep', '');
    s.write('home/.config/codex-sandbox/config.toml', '[profiles.cache]\nextends = "read-only"\nwritable_roots = ["~/cache"]\n');
    const r = s.cli(['run', '--profile', 'cache', '--', '/bin/sh', '-c', 'echo y > "$HOME/cache/out"; echo z > probe.txt']);
    expect(r.status, r.report).not.toBe(0);
    expect(readFileSync(path.join(s.home, 'cache', 'out'), 'utf8')).toBe('y\n');
    expect(existsSync(path.join(s.project, 'probe.txt'))).toBe(false);
  });

  it.runIf(process.platform === 'linux')('$XDG_CONFIG_HOME moves the user config', () => {
    s.write('xdg/codex-sandbox/config.toml', '[profiles.ro2]\nextends = "read-only"\n');
    const r = s.cli(['run', '--profile', 'ro2', '--', ...WRITE_PROBE], { env: s.env({ XDG_CONFIG_HOME: path.join(s.root, 'xdg') }) });
    expect(r.status, r.report).not.toBe(0);
    expect(existsSync(path.join(s.project, 'probe.txt'))).toBe(false);
  });

  it('the project file is found from a subdirectory (searched upward)', () => {
    s.write('home/proj/codex-sandbox.toml', '[profiles.up]\ndescription = "found upward"\nextends = "read-only"\n');
    const sub = path.dirname(s.write('home/proj/a/b/.keep', ''));
    const r = s.cli(['profiles', '--json'], { cwd: sub });
    expect(r.status, r.report).toBe(0);
    const names = (JSON.parse(r.stdout) as { profiles: Array<{ name: string; source: string }> }).profiles;
    expect(names).toContainEqual({ name: 'up', source: path.join(s.project, 'codex-sandbox.toml'), description: 'found upward' });
  });

  it("Codex's config.toml is read: codex:NAME from [permissions.NAME]", () => {
    s.write('home/.codex/config.toml', 'default_permissions = "ci"\n\n[permissions.ci.filesystem]\n":root" = "read"\n');
    const r = s.cli(['explain', '--json', '--profile', 'codex:ci', '--', 'true']);
    expect(r.status, r.report).toBe(0);
    const report = JSON.parse(r.stdout) as { entries: Array<{ access: string; path: string; from: string }> };
    expect(report.entries).toEqual([
      expect.objectContaining({ access: 'read', path: ':root', from: expect.stringContaining(path.join(s.home, '.codex', 'config.toml')) as unknown }),
    ]);
  });
});

describe('bad configuration exits 2 with file, line and key', () => {
  it('a bad value in the user config', () => {
    const text = '[profiles.x]\nextends = "workspace-write"\nnetwork = "on"\n';
    const file = s.write('home/.config/codex-sandbox/config.toml', text);
    const r = s.cli(['run', '--profile', 'x', '--', 'true']);
    expect(r.status, r.report).toBe(2);
    expect(r.stderr.trim()).toBe(`codex-sandbox: ${file}:${lineOf(text, 'network')}: profiles.x.network: expected "restricted" or "enabled", got "on"`);
  });

  it('an unknown key in the project file (a typo must not drop a restriction)', () => {
    const text = '[profiles.x]\nextends = "read-only"\ndeny_reed = ["/etc"]\n';
    const file = s.write('home/proj/codex-sandbox.toml', text);
    const r = s.cli(['run', '--profile', 'x', '--', 'true']);
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toContain(`${file}:${lineOf(text, 'deny_reed')}: profiles.x.deny_reed: unknown key`);
  });

  it('a TOML syntax error names the file', () => {
    const file = s.write('home/.config/codex-sandbox/config.toml', '[profiles.x\nextends = "read-only"\n');
    const r = s.cli(['profiles']);
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toContain(`${file}:`);
    expect(r.stderr).toContain('not valid TOML');
  });

  it('a bad config breaks even a built-in --profile (it is never silently ignored)', () => {
    s.write('home/.config/codex-sandbox/config.toml', '[profiles.x]\nnetwork = 1\n');
    const r = s.cli(['run', '--profile', 'read-only', '--', 'true']);
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toContain('profiles.x.network');
  });

  it('a project profile that enables the network is refused unless --trust-project-config', () => {
    const text = '[profiles.net]\nextends = "workspace-write"\nnetwork = "enabled"\n';
    const file = s.write('home/proj/codex-sandbox.toml', text);
    const r = s.cli(['run', '--dry-run', '--profile', 'net', '--', 'true']);
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toContain(`${file}:${lineOf(text, 'network')}: profiles.net.network: it enables network access`);
    expect(r.stderr).toContain('--trust-project-config');
    const trusted = s.cli(['run', '--dry-run', '--json', '--trust-project-config', '--profile', 'net', '--', 'true']);
    expect(trusted.status, trusted.report).toBe(0);
    expect((JSON.parse(trusted.stdout) as { permissions: { network: string } }).permissions.network).toBe('enabled');
  });

  it('a profile file with a bad access value names its line and key', () => {
    const fixture = path.join(repo, 'test', 'fixtures', 'config', 'bad-access.toml');
    const text = readFileSync(fixture, 'utf8');
    const r = s.cli(['run', '--profile', fixture, '--', 'true']);
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toContain(`${fixture}:${lineOf(text, '"rw"')}: file_system.entries[1].access:`);
  });

  it('a profile file that is not JSON', () => {
    const file = s.write('home/proj/p.json', '{bad');
    const r = s.cli(['run', '--profile', 'p.json', '--', 'true']);
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toContain(`${file}:1: (document): not valid JSON`);
  });

  it('an extends cycle is an error naming the key', () => {
    s.write('home/.config/codex-sandbox/config.toml', '[profiles.a]\nextends = "b"\n[profiles.b]\nextends = "a"\n');
    const r = s.cli(['run', '--profile', 'a', '--', 'true']);
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toMatch(/config\.toml:\d+: profiles\.[ab]\.extends: /);
  });
});

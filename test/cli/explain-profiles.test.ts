/** `codex-sandbox explain` and `codex-sandbox profiles` through the built binary. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scratch, lineOf, requireBuilt } from './helpers.js';

let s: Scratch;
const PROJECT_TOML = 'default_profile = "dev"\n\n[profiles.dev]\ndescription = "daily work"\nextends = "workspace-write"\ndeny_read = ["**/*.pem"]\n';
const USER_TOML = '[profiles.ci]\ndescription = "CI with network"\nextends = "workspace-write"\nnetwork = "enabled"\n';
let projectFile: string;
let userFile: string;
beforeAll(() => {
  requireBuilt();
  s = new Scratch();
  projectFile = s.write('home/proj/codex-sandbox.toml', PROJECT_TOML);
  userFile = s.write('home/.config/codex-sandbox/config.toml', USER_TOML);
});
afterAll(() => s.dispose());

interface Report {
  profile: { name: string; chosenBy: string; definedAt: string };
  entries: Array<{ access: string; path: string; origin: { kind: string }; from: string }>;
  network: { value: string; from: string };
  launchRequest: unknown;
  enforcement: string[];
}

describe('codex-sandbox explain', () => {
  it('names where each entry came from: preset, config file:line key, flag', () => {
    const extra = path.join(s.root, 'extra');
    // explain refuses a missing writable root as run does (exit 2).
    mkdirSync(extra, { recursive: true });
    const r = s.cli(['explain', '--json', '--writable-root', extra, '--', 'make', 'test']);
    expect(r.status, r.report).toBe(0);
    const rep = JSON.parse(r.stdout) as Report;
    expect(rep.profile.name).toBe('dev');
    expect(rep.profile.chosenBy).toBe(`${projectFile}:${lineOf(PROJECT_TOML, 'default_profile')} default_profile`);
    expect(rep.profile.definedAt).toBe(`${projectFile}:${lineOf(PROJECT_TOML, '[profiles.dev]')} profiles.dev`);
    expect(rep.entries).toContainEqual(expect.objectContaining({ access: 'write', path: ':project_roots', from: 'preset workspace-write' }));
    expect(rep.entries).toContainEqual(
      expect.objectContaining({ access: 'deny', path: ':project_roots/**/*.pem', from: `${projectFile}:${lineOf(PROJECT_TOML, 'deny_read')} profiles.dev.deny_read[0]` }),
    );
    expect(rep.entries).toContainEqual(expect.objectContaining({ access: 'write', path: extra, from: `flag --writable-root ${extra}` }));
    expect(rep.network).toEqual({ value: 'restricted', from: 'preset workspace-write' });
  });

  it('the flag that changed the network is named', () => {
    const r = s.cli(['explain', '--json', '--profile', 'ci', '--no-network', '--', 'true']);
    expect(r.status, r.report).toBe(0);
    const rep = JSON.parse(r.stdout) as Report;
    expect(rep.profile.definedAt).toBe(`${userFile}:${lineOf(USER_TOML, '[profiles.ci]')} profiles.ci`);
    expect(rep.network).toEqual({ value: 'restricted', from: 'flag --no-network' });
  });

  it('its launchRequest is exactly what run --dry-run --json prints for the same arguments', () => {
    const args = ['--profile', 'read-only', '--deny-read', '/etc/shadow', '--', '/bin/ls', '-l'];
    const explain = s.cli(['explain', '--json', ...args]);
    const dry = s.cli(['run', '--dry-run', '--json', ...args]);
    expect(explain.status, explain.report).toBe(0);
    expect(dry.status, dry.report).toBe(0);
    expect((JSON.parse(explain.stdout) as Report).launchRequest).toEqual(JSON.parse(dry.stdout));
  });

  it('the text form shows the profile, its entries with origins, the resolved roots and what is enforced', () => {
    const r = s.cli(['explain', '--', 'true']);
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).toMatch(/^profile: dev$/m);
    expect(r.stdout).toContain(`from ${projectFile}:${lineOf(PROJECT_TOML, 'deny_read')} profiles.dev.deny_read[0]`);
    expect(r.stdout).toMatch(/^resolved for \w+ \(cwd /m);
    expect(r.stdout).toMatch(/^ {2}enforcement:$/m);
  });

  it('--platform win32 explains the Windows plan from any host', () => {
    const r = s.cli(['explain', '--json', '--platform', 'win32', '--profile', 'read-only', '--cwd', 'C:\\work', '--', 'cmd.exe', '/c', 'dir']);
    expect(r.status, r.report).toBe(0);
    expect((JSON.parse(r.stdout) as { launchRequest: { kind: string } }).launchRequest.kind).toBe('windows-token');
  });
});

describe('codex-sandbox profiles', () => {
  it('lists built-ins, then project and user profiles with their files, and marks the default', () => {
    const r = s.cli(['profiles']);
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).toMatch(/^ {2}read-only\s+.*\(built-in\)$/m);
    expect(r.stdout).toMatch(/^ {2}danger-full-access\s+.*\(built-in\)$/m);
    expect(r.stdout).toContain(`* dev`);
    expect(r.stdout).toContain(`daily work  (${projectFile})`);
    expect(r.stdout).toContain(`CI with network  (${userFile})`);
    expect(r.stdout).toContain('* default: dev');
  });

  it('--json gives names, sources, the default and the files read', () => {
    const r = s.cli(['profiles', '--json']);
    expect(r.status, r.report).toBe(0);
    const rep = JSON.parse(r.stdout) as { default: string; profiles: Array<{ name: string; source: string }>; files: Record<string, string> };
    expect(rep.default).toBe('dev');
    expect(rep.profiles.map((p) => p.name)).toEqual(['read-only', 'workspace-write', 'danger-full-access', 'dev', 'ci']);
    expect(rep.files).toEqual({ project: projectFile, user: userFile });
  });

  it('without configuration the default is workspace-write', () => {
    const bare = new Scratch();
    try {
      const r = bare.cli(['profiles', '--json']);
      expect(r.status, r.report).toBe(0);
      expect((JSON.parse(r.stdout) as { default: string }).default).toBe('workspace-write');
    } finally {
      bare.dispose();
    }
  });
});

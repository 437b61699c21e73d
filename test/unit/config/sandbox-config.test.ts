import { describe, it, expect } from 'vitest';
import { ConfigError, parseSandboxConfig, resolveProfileName, listProfiles, defaultProfileName } from '../../../src/config/index.js';
import { PermissionProfile } from '../../../src/permissions/index.js';
import { compact, loaded, wire } from './helpers.js';

const OPTS = { cwd: '/work/p', platform: 'linux' as const };

const DEV = `
default_profile = "dev"

[profiles.dev]
description = "daily work"
extends = "workspace-write"
network = "enabled"
writable_roots = ["~/cache", "/opt/x"]
deny_read = ["**/*.pem", "/home/u/.ssh", "secrets"]
glob_scan_max_depth = 8
env = { inherit = "core", exclude = ["AWS_*"], set = { FOO = "1" } }

[profiles.dev.filesystem]
":project_roots" = { "." = "write", "**/*.env" = "deny" }
`;

describe('parseSandboxConfig + resolveProfileName (codex-sandbox.toml)', () => {
  it('extends a built-in and adds roots, deny rules, filesystem keys, network and env', () => {
    const cfg = parseSandboxConfig(DEV, '/work/p/codex-sandbox.toml');
    const r = resolveProfileName('dev', loaded({ user: cfg }), OPTS);
    const base = compact(PermissionProfile.workspaceWrite());
    expect(compact(r.profile)).toEqual([
      ...base,
      '/home/u/cache=write',
      '/opt/x=write',
      'glob:codex-project-roots://**/*.pem=deny',
      '/home/u/.ssh=deny',
      ':project_roots/secrets=deny',
      ':project_roots=write',
      'glob:codex-project-roots://**/*.env=deny',
    ]);
    expect(r.profile.type === 'managed' && r.profile.network).toBe('enabled');
    expect(r.profile.type === 'managed' && r.profile.fileSystem.type === 'restricted' && r.profile.fileSystem.globScanMaxDepth).toBe(8);
    expect(r.envPolicy).toEqual({ inherit: 'core', ignoreDefaultExcludes: false, exclude: ['AWS_*'], set: { FOO: '1' } });
  });

  it('records where every entry, the network and the env policy came from', () => {
    const cfg = parseSandboxConfig(DEV, 'codex-sandbox.toml');
    const r = resolveProfileName('dev', loaded({ user: cfg }), OPTS);
    expect(r.origin.entries).toHaveLength(compact(r.profile).length);
    expect(r.origin.entries[0]).toEqual({ kind: 'preset', name: 'workspace-write' });
    const n = compact(PermissionProfile.workspaceWrite()).length;
    expect(r.origin.entries[n + 1]).toEqual({ kind: 'config', file: 'codex-sandbox.toml', line: 8, key: 'profiles.dev.writable_roots[1]' });
    expect(r.origin.entries[n + 6]).toEqual({ kind: 'config', file: 'codex-sandbox.toml', line: 14, key: 'profiles.dev.filesystem.":project_roots"."**/*.env"' });
    expect(r.origin.network).toEqual({ kind: 'config', file: 'codex-sandbox.toml', line: 7, key: 'profiles.dev.network' });
    expect(r.origin.envPolicy).toMatchObject({ line: 11, key: 'profiles.dev.env' });
    expect(r.origin.source).toBe('codex-sandbox.toml');
  });

  it('follows extends chains through profiles of the same file, child after parent', () => {
    const cfg = parseSandboxConfig(
      `[profiles.a]\nextends = "read-only"\nwritable_roots = ["/a"]\n[profiles.b]\nextends = "a"\ndeny_read = ["/a/secret"]\n[profiles.c]\nextends = "b"\nnetwork = "enabled"\n`,
      'f.toml',
    );
    const r = resolveProfileName('c', loaded({ user: cfg }), OPTS);
    expect(compact(r.profile)).toEqual([':root=read', '/a=write', '/a/secret=deny']);
    expect(r.origin.entries.map((o) => (o.kind === 'config' ? o.line : o.kind))).toEqual(['preset', 3, 6]);
    expect(wire(r.profile)).toMatchObject({ network: 'enabled' });
  });

  it('rejects extends cycles with the chain in the message', () => {
    const cfg = parseSandboxConfig(`[profiles.a]\nextends = "b"\n[profiles.b]\nextends = "c"\n[profiles.c]\nextends = "a"\n`, 'f.toml');
    const err = (() => {
      try {
        resolveProfileName('a', loaded({ user: cfg }), OPTS);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe('f.toml:6: profiles.c.extends: extends cycle: a → b → c → a; break the cycle by removing one extends');
  });

  it('a profile without extends starts from nothing readable (Codex [permissions] semantics)', () => {
    const cfg = parseSandboxConfig(`[profiles.min.filesystem]\n":minimal" = "read"\n"/usr" = "read"\n`, 'f.toml');
    expect(compact(resolveProfileName('min', loaded({ user: cfg }), OPTS).profile)).toEqual([':minimal=read', '/usr=read']);
  });

  it('accepts a raw Codex profile in permission_profile, with per-entry origins', () => {
    const text = `[profiles.raw]
permission_profile = { type = "managed", network = "restricted", file_system = { type = "restricted", entries = [
  { path = { type = "special", value = { kind = "root" } }, access = "read" },
  { path = { type = "path", path = "/opt/y" }, access = "write" },
] } }
`;
    const r = resolveProfileName('raw', loaded({ user: parseSandboxConfig(text, 'f.toml') }), OPTS);
    expect(compact(r.profile)).toEqual([':root=read', '/opt/y=write']);
    expect(r.origin.entries.map((o) => (o.kind === 'config' ? o.line : 0))).toEqual([3, 4]);
  });

  it('danger-full-access + network = "restricted" keeps the network blocked', () => {
    const cfg = parseSandboxConfig(`[profiles.d]\nextends = "danger-full-access"\nnetwork = "restricted"\n`, 'f.toml');
    expect(wire(resolveProfileName('d', loaded({ user: cfg }), OPTS).profile)).toEqual({
      type: 'managed',
      file_system: { type: 'unrestricted' },
      network: 'restricted',
    });
  });

  it('default_profile: project file first, then user file', () => {
    const project = parseSandboxConfig(`default_profile = "p"\n[profiles.p]\nextends = "read-only"\n`, '/p/codex-sandbox.toml');
    const user = parseSandboxConfig(`default_profile = "u"\n`, '/u/config.toml');
    expect(defaultProfileName(loaded({ project, user }))?.name).toBe('p');
    expect(defaultProfileName(loaded({ user }))?.name).toBe('u');
  });

  it('lists built-ins, then project profiles, then user profiles not shadowed', () => {
    const project = parseSandboxConfig(`[profiles.x]\ndescription = "px"\nextends = "read-only"\n`, '/p/codex-sandbox.toml');
    const user = parseSandboxConfig(`[profiles.x]\nextends = "read-only"\n[profiles.y]\nextends = "read-only"\n`, '/u/config.toml');
    expect(listProfiles(loaded({ project, user })).map((p) => `${p.name}@${p.source}`)).toEqual([
      'read-only@built-in',
      'workspace-write@built-in',
      'danger-full-access@built-in',
      'x@/p/codex-sandbox.toml',
      'y@/u/config.toml',
    ]);
  });
});

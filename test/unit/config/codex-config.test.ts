import { describe, it, expect } from 'vitest';
import { parseCodexConfig, resolveProfileName, listProfiles } from '../../../src/config/index.js';
import { PermissionProfile } from '../../../src/permissions/index.js';
import { compact, loaded, wire } from './helpers.js';

const OPTS = { cwd: '/work/p', platform: 'linux' as const };
const codex = (text: string, file = '/home/u/.codex/config.toml') => loaded({ codex: [parseCodexConfig(text, file)] });

describe('Codex config.toml → profiles', () => {
  it('sandbox_mode = "read-only" → the read-only preset', () => {
    expect(wire(resolveProfileName('codex', codex('model = "o3"\nsandbox_mode = "read-only"\n'), OPTS).profile)).toEqual(wire(PermissionProfile.readOnly()));
  });

  it('sandbox_mode = "workspace-write" with [sandbox_workspace_write] knobs and roots', () => {
    const r = resolveProfileName(
      'codex',
      codex(`sandbox_mode = "workspace-write"
[sandbox_workspace_write]
writable_roots = ["/opt/cache", "~/tmp2"]
network_access = true
exclude_slash_tmp = true
`),
      OPTS,
    );
    expect(wire(r.profile)).toEqual(
      wire(PermissionProfile.workspaceWrite({ writableRoots: ['/opt/cache', '/home/u/tmp2'], network: 'enabled', excludeSlashTmp: true })),
    );
    const rootIndex = compact(r.profile).indexOf('/opt/cache=write');
    expect(r.origin.entries[rootIndex]).toMatchObject({ kind: 'config', line: 3, key: 'sandbox_workspace_write.writable_roots[0]' });
    expect(r.origin.network).toMatchObject({ line: 4, key: 'sandbox_workspace_write.network_access' });
    expect(r.origin.defined).toMatchObject({ line: 1, key: 'sandbox_mode' });
  });

  it('sandbox_mode = "danger-full-access" → disabled; no mode at all → read-only (Codex default)', () => {
    expect(wire(resolveProfileName('codex', codex('sandbox_mode = "danger-full-access"\n'), OPTS).profile)).toEqual({ type: 'disabled' });
    const r = resolveProfileName('codex', codex('model = "o3"\n'), OPTS);
    expect(wire(r.profile)).toEqual(wire(PermissionProfile.readOnly()));
    expect(r.origin.defined).toEqual({ kind: 'preset', name: 'read-only (Codex default)' });
  });

  it('default_permissions = ":workspace" ignores sandbox_workspace_write.writable_roots but keeps the knobs', () => {
    const r = resolveProfileName(
      'codex',
      codex(`default_permissions = ":workspace"
[sandbox_workspace_write]
writable_roots = ["/opt/cache"]
network_access = true
exclude_tmpdir_env_var = true
`),
      OPTS,
    );
    expect(wire(r.profile)).toEqual(wire(PermissionProfile.workspaceWrite({ network: 'enabled', excludeTmpdirEnvVar: true })));
    expect(compact(r.profile)).not.toContain('/opt/cache=write');
  });

  it('[permissions.x] with scoped tables, globs, ~, network and extends of :workspace', () => {
    const text = `default_permissions = "dev"
[permissions.base]
extends = ":read-only"
[permissions.base.filesystem]
"/opt/tools" = "read"

[permissions.dev]
description = "dev box"
extends = "base"
[permissions.dev.filesystem]
glob_scan_max_depth = 4
":workspace_roots" = { "." = "write", ".git" = "read", "**/*.env" = "deny", "build/**" = "write" }
"~/.ssh" = "deny"
"/home/u/**/*.pem" = "deny"
":future_thing" = "read"
[permissions.dev.network]
enabled = true
`;
    const r = resolveProfileName('codex:dev', codex(text), OPTS);
    expect(compact(r.profile)).toEqual([
      ':root=read',
      '/opt/tools=read',
      ':project_roots=write',
      ':project_roots/.git=read',
      'glob:codex-project-roots://**/*.env=deny',
      ':project_roots/build=write',
      '/home/u/.ssh=deny',
      'glob:/home/u/**/*.pem=deny',
      ':unknown=read',
    ]);
    expect(wire(r.profile)).toMatchObject({ network: 'enabled', file_system: { glob_scan_max_depth: 4 } });
    expect(r.origin.warnings.some((w) => w.includes('`:future_thing` is not recognized'))).toBe(true);
    expect(r.origin.entries[0]).toEqual({ kind: 'preset', name: ':read-only' });
    expect(r.origin.entries[6]).toMatchObject({ line: 13, key: 'permissions.dev.filesystem."~/.ssh"' });
    // `codex` is the same profile, selected by default_permissions.
    expect(wire(resolveProfileName('codex', codex(text), OPTS).profile)).toEqual(wire(r.profile));
    expect(listProfiles(codex(text)).map((p) => p.name)).toContain('codex:base');
  });

  it('extends from :workspace; a child key replaces the parent key', () => {
    const r = resolveProfileName(
      'codex:w',
      codex(`[permissions.w]\nextends = ":workspace"\n[permissions.w.filesystem]\n":slash_tmp" = "deny"\n`),
      OPTS,
    );
    expect(compact(r.profile)).toEqual([
      ':root=read',
      ':project_roots=write',
      ':project_roots/.git=read',
      ':project_roots/.agents=read',
      ':project_roots/.codex=read',
      ':tmpdir=write',
      ':slash_tmp=deny',
    ]);
  });

  it('warns about ** deny globs without glob_scan_max_depth on Linux only', () => {
    const text = `[permissions.g.filesystem]\n":root" = "read"\n":workspace_roots" = { "**/*.env" = "deny" }\n`;
    expect(resolveProfileName('codex:g', codex(text), OPTS).origin.warnings.join('\n')).toContain('glob_scan_max_depth');
    expect(resolveProfileName('codex:g', codex(text), { ...OPTS, platform: 'darwin' }).origin.warnings).toEqual([]);
  });

  it('shell_environment_policy → EnvPolicy with Codex defaults (inherit all, default excludes off)', () => {
    const r = resolveProfileName('codex', codex(`[shell_environment_policy]\nexclude = ["AWS_*"]\ninclude_only = ["PATH", "HOME"]\nset = { CI = "1" }\n`), OPTS);
    expect(r.envPolicy).toEqual({ inherit: 'all', ignoreDefaultExcludes: true, exclude: ['AWS_*'], includeOnly: ['PATH', 'HOME'], set: { CI: '1' } });
    expect(r.origin.envPolicy).toMatchObject({ line: 1, key: 'shell_environment_policy' });
  });

  it('a project .codex/config.toml layer overrides the user layer', () => {
    const user = parseCodexConfig('sandbox_mode = "read-only"\n[permissions.x.filesystem]\n":root" = "read"\n', '/home/u/.codex/config.toml');
    const project = parseCodexConfig('sandbox_mode = "workspace-write"\n[permissions.x.filesystem]\n":root" = "deny"\n', '/p/.codex/config.toml');
    const l = loaded({ codex: [user, project] });
    expect(wire(resolveProfileName('codex', l, OPTS).profile)).toEqual(wire(PermissionProfile.workspaceWrite()));
    expect(compact(resolveProfileName('codex:x', l, OPTS).profile)).toEqual([':root=deny']);
  });
});

import { afterAll, describe, expect, it } from 'vitest';
import {
  PermissionProfile,
  SandboxPolicies,
  sandboxPolicyToPermissionProfile,
  serializePermissionProfile,
} from '../../../src/permissions/index.js';
import { makeTree, realFs, removeTree } from './helpers.js';

const special = (kind: string, access: string, extra = ''): string =>
  `{"path":{"type":"special","value":{"kind":"${kind}"${extra}}},"access":"${access}"}`;
const metaSkip = (name: string): string => special('project_roots', 'read', `,"subpath":"${name}"`).replace(/}$/, ',"missing_path_behavior":"skip"}');
const pathEntry = (p: string, access: string, skip = false): string =>
  `{"path":{"type":"path","path":${JSON.stringify(p)}},"access":"${access}"${skip ? ',"missing_path_behavior":"skip"' : ''}}`;
const managed = (entries: string[], network = 'restricted'): string =>
  `{"type":"managed","file_system":{"type":"restricted","entries":[${entries.join(',')}]},"network":"${network}"}`;

describe('presets (Codex FileSystemSandboxPolicy::read_only / workspace_write)', () => {
  const trees: string[] = [];
  afterAll(() => trees.forEach(removeTree));

  it('read-only = managed [:root read], network restricted', () => {
    expect(serializePermissionProfile(PermissionProfile.readOnly())).toBe(managed([special('root', 'read')]));
  });

  it('workspace-write = :root read, :project_roots write, :slash_tmp, :tmpdir, then skip-if-missing metadata reads', () => {
    expect(serializePermissionProfile(PermissionProfile.workspaceWrite())).toBe(
      managed([
        special('root', 'read'),
        special('project_roots', 'write'),
        special('slash_tmp', 'write'),
        special('tmpdir', 'write'),
        metaSkip('.git'),
        metaSkip('.agents'),
        metaSkip('.codex'),
      ]),
    );
  });

  const knobTable: Array<[string, Parameters<typeof PermissionProfile.workspaceWrite>[0], string[], string]> = [
    ['exclude_slash_tmp', { excludeSlashTmp: true }, ['tmpdir'], 'restricted'],
    ['exclude_tmpdir_env_var', { excludeTmpdirEnvVar: true }, ['slash_tmp'], 'restricted'],
    ['both excluded + network', { excludeSlashTmp: true, excludeTmpdirEnvVar: true, network: 'enabled' }, [], 'enabled'],
  ];
  for (const [name, opts, tmpKinds, network] of knobTable) {
    it(`workspace-write knobs: ${name}`, () => {
      expect(serializePermissionProfile(PermissionProfile.workspaceWrite(opts))).toBe(
        managed(
          [
            special('root', 'read'),
            special('project_roots', 'write'),
            ...tmpKinds.map((k) => special(k, 'write')),
            metaSkip('.git'),
            metaSkip('.agents'),
            metaSkip('.codex'),
          ],
          network,
        ),
      );
    });
  }

  it('explicit writable roots add a write entry and pin their existing metadata (gitdir pointer target first)', () => {
    const t = makeTree({
      'extra/.git': 'gitdir: ../real-gitdir\n',
      'real-gitdir/HEAD': 'ref: refs/heads/main\n',
      'extra/.codex': { dir: true },
      'plain/file.txt': 'x',
    });
    trees.push(t);
    const profile = PermissionProfile.workspaceWrite({ writableRoots: [`${t}/extra`, `${t}/plain`], fs: realFs });
    expect(serializePermissionProfile(profile)).toBe(
      managed([
        special('root', 'read'),
        special('project_roots', 'write'),
        special('slash_tmp', 'write'),
        special('tmpdir', 'write'),
        pathEntry(`${t}/extra`, 'write'),
        pathEntry(`${t}/plain`, 'write'),
        metaSkip('.git'),
        metaSkip('.agents'),
        metaSkip('.codex'),
        pathEntry(`${t}/real-gitdir`, 'read', true),
        pathEntry(`${t}/extra/.git`, 'read', true),
        pathEntry(`${t}/extra/.codex`, 'read', true),
      ]),
    );
  });

  it('permission_profile_presets_match_legacy_defaults', () => {
    expect(sandboxPolicyToPermissionProfile(SandboxPolicies.readOnly())).toEqual(PermissionProfile.readOnly());
    expect(sandboxPolicyToPermissionProfile(SandboxPolicies.workspaceWrite())).toEqual(PermissionProfile.workspaceWrite());
  });

  it('named profiles: read-only, workspace-write, danger-full-access (and Codex built-in ids)', () => {
    expect(PermissionProfile.named('read-only')).toEqual(PermissionProfile.readOnly());
    expect(PermissionProfile.named('workspace-write')).toEqual(PermissionProfile.workspaceWrite());
    expect(PermissionProfile.named('danger-full-access')).toEqual({ type: 'disabled' });
    expect(PermissionProfile.named(':read-only')).toEqual(PermissionProfile.readOnly());
    expect(PermissionProfile.named(':workspace')).toEqual(PermissionProfile.workspaceWrite());
    expect(PermissionProfile.named(':danger-full-access')).toEqual({ type: 'disabled' });
  });

  it('default = managed restricted with no entries (nothing readable)', () => {
    expect(serializePermissionProfile(PermissionProfile.default())).toBe(managed([]));
  });

  it('disabled_permission_profile_ignores_runtime_network_policy', () => {
    const unrestricted = { kind: 'unrestricted' as const, entries: [] };
    expect(PermissionProfile.fromRuntime(unrestricted, 'restricted', 'disabled')).toEqual({ type: 'disabled' });
    expect(PermissionProfile.fromRuntime(unrestricted, 'restricted', 'external')).toEqual({
      type: 'managed',
      fileSystem: { type: 'unrestricted' },
      network: 'restricted',
    });
  });

  it('intersectWithReadOnly downgrades writes to reads, keeps denies, restricts network', () => {
    const p = PermissionProfile.workspaceWrite({ network: 'enabled' });
    const r = PermissionProfile.intersectWithReadOnly(p);
    expect(r?.type).toBe('managed');
    if (r?.type !== 'managed' || r.fileSystem.type !== 'restricted') throw new Error('expected managed restricted');
    expect(r.network).toBe('restricted');
    expect(r.fileSystem.entries.every((e) => e.access === 'read')).toBe(true);
    expect(PermissionProfile.intersectWithReadOnly({ type: 'disabled' })).toEqual(PermissionProfile.readOnly());
    expect(PermissionProfile.intersectWithReadOnly({ type: 'external', network: 'enabled' })).toBeUndefined();
  });
});

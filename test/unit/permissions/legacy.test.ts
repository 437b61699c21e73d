import { afterAll, describe, expect, it } from 'vitest';
import {
  LegacyConversionError,
  PermissionProfile,
  SandboxPolicies,
  WRITES_OUTSIDE_WORKSPACE_MESSAGE,
  legacyEnforcement,
  needsDirectRuntimeEnforcement,
  parsePermissionProfile,
  parseSandboxPolicy,
  permissionProfileToSandboxPolicy,
  sandboxPolicyToPermissionProfile,
  sandboxPolicyToPermissionProfileForCwd,
  serializePermissionProfile,
  serializeSandboxPolicy,
} from '../../../src/permissions/index.js';
import type { PermissionProfile as Profile, SandboxPolicy } from '../../../src/permissions/index.js';
import { makeTree, realFs, removeTree } from './helpers.js';

const CWD = '/work/proj';
const linux = { cwd: CWD, platform: 'linux' as const };

const special = (kind: string, access: string, extra = ''): string =>
  `{"path":{"type":"special","value":{"kind":"${kind}"${extra}}},"access":"${access}"}`;
const pathEntry = (p: string, access: string): string => `{"path":{"type":"path","path":${JSON.stringify(p)}},"access":"${access}"}`;
const managed = (entries: string[], network = 'restricted'): Profile =>
  parsePermissionProfile(`{"type":"managed","file_system":{"type":"restricted","entries":[${entries.join(',')}]},"network":"${network}"}`);

describe('legacy SandboxPolicy → PermissionProfile (Codex SandboxPolicy, protocol.rs)', () => {
  const table: Array<[string, string]> = [
    ['{"type":"danger-full-access"}', '{"type":"disabled"}'],
    ['{"type":"external-sandbox","network_access":"enabled"}', '{"type":"external","network":"enabled"}'],
    ['{"type":"external-sandbox","network_access":"restricted"}', '{"type":"external","network":"restricted"}'],
    ['{"type":"read-only"}', serializePermissionProfile(PermissionProfile.readOnly())],
    [
      '{"type":"read-only","network_access":true}',
      '{"type":"managed","file_system":{"type":"restricted","entries":[{"path":{"type":"special","value":{"kind":"root"}},"access":"read"}]},"network":"enabled"}',
    ],
    [
      '{"type":"workspace-write","network_access":true,"exclude_tmpdir_env_var":true,"exclude_slash_tmp":false}',
      serializePermissionProfile(PermissionProfile.workspaceWrite({ network: 'enabled', excludeTmpdirEnvVar: true })),
    ],
    [
      '{"type":"workspace-write","writable_roots":["/nonexistent-extra"],"network_access":false,"exclude_tmpdir_env_var":false,"exclude_slash_tmp":true}',
      serializePermissionProfile(PermissionProfile.workspaceWrite({ writableRoots: ['/nonexistent-extra'], excludeSlashTmp: true })),
    ],
  ];
  for (const [policy, profile] of table) {
    it(`${policy} → ${profile.slice(0, 60)}…`, () => {
      expect(serializePermissionProfile(sandboxPolicyToPermissionProfile(parseSandboxPolicy(policy)))).toBe(profile);
    });
  }

  it('enforcement: danger → disabled, external → external, read-only/workspace-write → managed', () => {
    expect(legacyEnforcement({ type: 'danger-full-access' })).toBe('disabled');
    expect(legacyEnforcement({ type: 'external-sandbox', networkAccess: 'enabled' })).toBe('external');
    expect(legacyEnforcement({ type: 'read-only', networkAccess: false })).toBe('managed');
  });
});

describe('legacy conversion bound to a cwd (from_legacy_sandbox_policy_for_cwd)', () => {
  const trees: string[] = [];
  afterAll(() => trees.forEach(removeTree));

  it("materialises the workspace for the cwd and pins cwd's metadata (missing .codex too) and the extra roots' metadata", () => {
    const t = makeTree({ 'proj/.git/HEAD': 'x', 'proj/.agents': { dir: true }, 'extra/.codex': { dir: true } });
    trees.push(t);
    const policy = parseSandboxPolicy(
      `{"type":"workspace-write","writable_roots":["${t}/extra"],"network_access":false,"exclude_tmpdir_env_var":true,"exclude_slash_tmp":true}`,
    );
    const p = sandboxPolicyToPermissionProfileForCwd(policy, { cwd: `${t}/proj`, platform: 'linux', fs: realFs });
    const skip = (s: string): string => `{"path":{"type":"path","path":"${s}"},"access":"read","missing_path_behavior":"skip"}`;
    expect(serializePermissionProfile(p)).toBe(
      '{"type":"managed","file_system":{"type":"restricted","entries":[' +
        [
          special('root', 'read'),
          pathEntry(`${t}/proj`, 'write'),
          pathEntry(`${t}/extra`, 'write'),
          skip(`${t}/proj/.git`),
          skip(`${t}/proj/.agents`),
          skip(`${t}/proj/.codex`),
          skip(`${t}/extra/.codex`),
          skip(`${t}/proj/codex-sandbox.toml`),
        ].join(',') +
        ']},"network":"restricted"}',
    );
    // And back: the cwd path is the workspace, the extra root stays an extra root.
    expect(serializeSandboxPolicy(permissionProfileToSandboxPolicy(p, { cwd: `${t}/proj`, platform: 'linux' }))).toBe(serializeSandboxPolicy(policy));
  });

  it('pins cwd metadata that the project roots do not cover (cwd outside the project roots)', () => {
    const t = makeTree({ 'proj/.git/HEAD': 'x', 'cwd/.git/HEAD': 'x' });
    trees.push(t);
    const p = sandboxPolicyToPermissionProfileForCwd(SandboxPolicies.workspaceWrite(), {
      cwd: `${t}/cwd`,
      projectRoots: [`${t}/proj`],
      platform: 'linux',
      fs: realFs,
    });
    const json = serializePermissionProfile(p);
    expect(json).toContain(pathEntry(`${t}/proj`, 'write'));
    expect(json).toContain(`{"path":{"type":"path","path":"${t}/cwd/.git"},"access":"read","missing_path_behavior":"skip"}`);
    expect(json).toContain(`{"path":{"type":"path","path":"${t}/cwd/.codex"},"access":"read","missing_path_behavior":"skip"}`);
  });

  it('non-workspace policies are unchanged by the cwd', () => {
    const ro = parseSandboxPolicy('{"type":"read-only"}');
    expect(sandboxPolicyToPermissionProfileForCwd(ro, { cwd: CWD, platform: 'linux', fs: realFs })).toEqual(PermissionProfile.readOnly());
  });
});

describe('PermissionProfile → legacy SandboxPolicy (to_legacy_sandbox_policy)', () => {
  const ok: Array<[string, Profile, string]> = [
    ['disabled', { type: 'disabled' }, '{"type":"danger-full-access"}'],
    ['external', { type: 'external', network: 'enabled' }, '{"type":"external-sandbox","network_access":"enabled"}'],
    ['managed unrestricted + network', { type: 'managed', fileSystem: { type: 'unrestricted' }, network: 'enabled' }, '{"type":"danger-full-access"}'],
    [
      'managed unrestricted, network restricted',
      { type: 'managed', fileSystem: { type: 'unrestricted' }, network: 'restricted' },
      '{"type":"external-sandbox","network_access":"restricted"}',
    ],
    ['full-disk write (:root write) + network', managed([special('root', 'write')], 'enabled'), '{"type":"danger-full-access"}'],
    ['read-only preset', PermissionProfile.readOnly(), '{"type":"read-only"}'],
    ['read-only + network', managed([special('root', 'read')], 'enabled'), '{"type":"read-only","network_access":true}'],
    [
      'workspace-write preset',
      PermissionProfile.workspaceWrite(),
      '{"type":"workspace-write","network_access":false,"exclude_tmpdir_env_var":false,"exclude_slash_tmp":false}',
    ],
    [
      'cwd Path write counts as the workspace; other write paths and subpath project roots become writable_roots',
      managed([
        special('root', 'read'),
        pathEntry(CWD, 'write'),
        pathEntry('/data/out', 'write'),
        special('project_roots', 'write', ',"subpath":"build"'),
        special('tmpdir', 'write'),
      ]),
      '{"type":"workspace-write","writable_roots":["/data/out","/work/proj/build"],"network_access":false,"exclude_tmpdir_env_var":false,"exclude_slash_tmp":true}',
    ],
    [
      'read restrictions and deny entries are dropped by the projection',
      managed([special('minimal', 'read'), special('project_roots', 'write'), pathEntry('/work/proj/secret', 'deny'), special('unknown', 'write', ',"path":":x"')]),
      '{"type":"workspace-write","network_access":false,"exclude_tmpdir_env_var":true,"exclude_slash_tmp":true}',
    ],
  ];
  for (const [name, profile, legacy] of ok) {
    it(name, () => {
      expect(serializeSandboxPolicy(permissionProfileToSandboxPolicy(profile, linux))).toBe(legacy);
    });
  }

  const lossy: Array<[string, Profile]> = [
    ['a write outside the workspace', managed([special('root', 'read'), pathEntry('/elsewhere', 'write')])],
    ['a :tmpdir write without the workspace', managed([special('root', 'read'), special('tmpdir', 'write')])],
    ['a :slash_tmp write without the workspace (Unix)', managed([special('root', 'read'), special('slash_tmp', 'write')])],
    ['a :root write narrowed by a read-only child', managed([special('root', 'write'), pathEntry('/etc', 'read')])],
  ];
  for (const [name, profile] of lossy) {
    it(`errors exactly like Codex for ${name}`, () => {
      expect(() => permissionProfileToSandboxPolicy(profile, linux)).toThrow(new LegacyConversionError(WRITES_OUTSIDE_WORKSPACE_MESSAGE));
    });
  }

  it('a :slash_tmp write alone is not an outside write on Windows (no /tmp there)', () => {
    const p = managed([special('root', 'read'), special('slash_tmp', 'write')]);
    expect(permissionProfileToSandboxPolicy(p, { cwd: 'C:\\work', platform: 'win32' })).toEqual({ type: 'read-only', networkAccess: false });
  });

  it('a write path of the other convention cannot be projected', () => {
    const p = managed([special('project_roots', 'write'), pathEntry('C:\\data', 'write')]);
    expect(() => permissionProfileToSandboxPolicy(p, linux)).toThrow(new LegacyConversionError("'file:///C:/data' is invalid on 'linux'"));
  });

  it('legacy → profile → legacy is the identity for every legacy shape', () => {
    const policies: SandboxPolicy[] = [
      { type: 'danger-full-access' },
      { type: 'read-only', networkAccess: false },
      { type: 'read-only', networkAccess: true },
      { type: 'external-sandbox', networkAccess: 'enabled' },
      { type: 'external-sandbox', networkAccess: 'restricted' },
      { type: 'workspace-write', writableRoots: ['/data/a', '/data/b'], networkAccess: true, excludeTmpdirEnvVar: false, excludeSlashTmp: true },
    ];
    for (const policy of policies) {
      expect(permissionProfileToSandboxPolicy(sandboxPolicyToPermissionProfile(policy), linux)).toEqual(policy);
    }
  });
});

describe('needsDirectRuntimeEnforcement', () => {
  const trees: string[] = [];
  afterAll(() => trees.forEach(removeTree));
  const ctxFor = (cwd: string) => ({ cwd, platform: 'linux' as const, tmpdir: undefined, fs: realFs });

  it('the workspace preset in a repo whose metadata exists is fully expressed by the legacy policy', () => {
    const t = makeTree({ 'proj/.git/HEAD': 'x', 'proj/.agents': { dir: true } });
    trees.push(t);
    expect(needsDirectRuntimeEnforcement(PermissionProfile.workspaceWrite({ excludeSlashTmp: true }), ctxFor(`${t}/proj`))).toBe(false);
    expect(needsDirectRuntimeEnforcement(PermissionProfile.readOnly(), ctxFor(`${t}/proj`))).toBe(false);
  });

  it('missing_symbolic_metadata_carveouts_need_direct_runtime_enforcement', () => {
    const t = makeTree({ 'proj/src/a': 'a' });
    trees.push(t);
    expect(needsDirectRuntimeEnforcement(PermissionProfile.workspaceWrite({ excludeSlashTmp: true }), ctxFor(`${t}/proj`))).toBe(true);
  });

  it('split_only_nested_carveouts_need_direct_runtime_enforcement', () => {
    const t = makeTree({ 'proj/.git/HEAD': 'x', 'proj/.agents': { dir: true }, 'proj/vendor/x': 'x' });
    trees.push(t);
    const p = managed([special('root', 'read'), special('project_roots', 'write'), pathEntry(`${t}/proj/vendor`, 'read')]);
    expect(needsDirectRuntimeEnforcement(p, ctxFor(`${t}/proj`))).toBe(true);
  });

  it('deny entries and projection errors need direct enforcement; unrestricted and external never do', () => {
    const t = makeTree({ 'proj/.git/HEAD': 'x', 'proj/.agents': { dir: true } });
    trees.push(t);
    const c = ctxFor(`${t}/proj`);
    expect(needsDirectRuntimeEnforcement(managed([special('root', 'read'), pathEntry(`${t}/proj/secret`, 'deny')]), c)).toBe(true);
    expect(needsDirectRuntimeEnforcement(managed([special('root', 'read'), pathEntry('/elsewhere', 'write')]), c)).toBe(true);
    expect(needsDirectRuntimeEnforcement({ type: 'disabled' }, c)).toBe(false);
    expect(needsDirectRuntimeEnforcement({ type: 'external', network: 'restricted' }, c)).toBe(false);
  });
});

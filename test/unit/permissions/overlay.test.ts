import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PermissionProfile,
  ProfileError,
  applyAdditionalPermissions,
  intersectAdditionalPermissions,
  mergeAdditionalPermissions,
  normalizeAdditionalPermissions,
  parseAdditionalPermissionProfile,
  resolvePermissions,
  serializeAdditionalPermissionProfile,
  serializePermissionProfile,
} from '../../../src/permissions/index.js';
import type { ResolveContext } from '../../../src/permissions/index.js';
import { makeTree, realFs, removeTree } from './helpers.js';

const overlay = parseAdditionalPermissionProfile;
let t = '';
let ctx: ResolveContext;
beforeAll(() => {
  t = makeTree({ 'proj/src/a': 'a', 'data/x': 'x', 'other/y': 'y' });
  ctx = { cwd: `${t}/proj`, platform: 'linux', tmpdir: undefined, fs: realFs };
});
afterAll(() => removeTree(t));

describe('applyAdditionalPermissions (effective_permission_profile)', () => {
  it('appends entries to a restricted filesystem and enables network only when asked', () => {
    const eff = applyAdditionalPermissions(PermissionProfile.readOnly(), overlay(`{"network":{"enabled":true},"file_system":{"write":["${t}/data"]}}`));
    expect(serializePermissionProfile(eff)).toBe(
      `{"type":"managed","file_system":{"type":"restricted","entries":[{"path":{"type":"special","value":{"kind":"root"}},"access":"read"},{"path":{"type":"path","path":"${t}/data"},"access":"write"}]},"network":"enabled"}`,
    );
    expect(resolvePermissions(eff, ctx).fileSystem.writableRoots.map((w) => w.root)).toEqual([`${t}/data`]);
  });

  it('an overlay with network unset leaves a restricted base restricted', () => {
    const eff = applyAdditionalPermissions(PermissionProfile.readOnly(), overlay('{"network":{"enabled":null},"file_system":null}'));
    expect(eff).toEqual(PermissionProfile.readOnly());
  });

  it('transform_additional_permissions_enable_network_for_external_sandbox', () => {
    expect(applyAdditionalPermissions({ type: 'external', network: 'restricted' }, overlay('{"network":{"enabled":true}}'))).toEqual({
      type: 'external',
      network: 'enabled',
    });
  });

  it('transform_additional_permissions_preserves_denied_entries', () => {
    const eff = applyAdditionalPermissions(
      PermissionProfile.workspaceWrite(),
      overlay(`{"file_system":{"entries":[{"path":{"type":"path","path":"${t}/proj/src"},"access":"deny"}]}}`),
    );
    expect(resolvePermissions(eff, ctx).fileSystem.unreadableRoots).toEqual([`${t}/proj/src`]);
  });

  it('unrestricted filesystems are untouched', () => {
    const base = { type: 'managed' as const, fileSystem: { type: 'unrestricted' as const }, network: 'restricted' as const };
    expect(applyAdditionalPermissions(base, overlay('{"file_system":{"write":["/x"]}}'))).toEqual(base);
  });

  it('normalize_additional_permissions_rejects_glob_read_grants', () => {
    const o = overlay('{"file_system":{"entries":[{"path":{"type":"glob_pattern","pattern":"/data/**"},"access":"read"}]}}');
    const expected = new ProfileError('$.file_system.entries[0].access', 'glob file system permissions only support deny-read entries; got "read"');
    expect(() => normalizeAdditionalPermissions(o)).toThrow(expected);
    expect(() => applyAdditionalPermissions(PermissionProfile.readOnly(), o)).toThrow(expected);
  });
});

describe('merge and intersect (policy_transforms)', () => {
  it('merge: network enabled if either enables it; entries united; glob depth unbounded if a side has depth-less deny globs', () => {
    const a = overlay('{"network":{"enabled":false},"file_system":{"read":["/a"]}}');
    const b = overlay('{"network":{"enabled":true},"file_system":{"entries":[{"path":{"type":"path","path":"/a"},"access":"read"},{"path":{"type":"glob_pattern","pattern":"*.env"},"access":"deny"}],"glob_scan_max_depth":2}}');
    const m = mergeAdditionalPermissions(a, b);
    expect(serializeAdditionalPermissionProfile(m)).toBe(
      '{"network":{"enabled":true},"file_system":{"entries":[{"path":{"type":"path","path":"/a"},"access":"read"},{"path":{"type":"glob_pattern","pattern":"*.env"},"access":"deny"}],"glob_scan_max_depth":2}}',
    );
    const c = overlay('{"file_system":{"entries":[{"path":{"type":"glob_pattern","pattern":"*.pem"},"access":"deny"}]}}');
    expect(mergeAdditionalPermissions(b, c).fileSystem?.globScanMaxDepth).toBeUndefined();
    expect(mergeAdditionalPermissions(undefined, undefined)).toEqual({});
  });

  it('intersect keeps only grants the request covers, and denies that overlap them', () => {
    const requested = overlay(`{"network":{"enabled":true},"file_system":{"write":["${t}/data"],"read":["${t}/other"]}}`);
    const granted = overlay(
      `{"network":{"enabled":true},"file_system":{"entries":[` +
        `{"path":{"type":"path","path":"${t}/data/x"},"access":"write"},` +
        `{"path":{"type":"path","path":"${t}/other"},"access":"write"},` +
        `{"path":{"type":"path","path":"/etc"},"access":"read"},` +
        `{"path":{"type":"path","path":"${t}/data/x/secret"},"access":"deny"},` +
        `{"path":{"type":"path","path":"/var/secret"},"access":"deny"}]}}`,
    );
    const r = intersectAdditionalPermissions(requested, granted, ctx);
    expect(serializeAdditionalPermissionProfile(r)).toBe(
      `{"network":{"enabled":true},"file_system":{"entries":[` +
        `{"path":{"type":"path","path":"${t}/data/x"},"access":"write"},` +
        `{"path":{"type":"path","path":"${t}/data/x/secret"},"access":"deny"}]}}`,
    );
  });

  it('intersect materialises :project_roots grants for the cwd and drops grants matched by requested deny globs', () => {
    const requested = overlay(
      `{"file_system":{"entries":[{"path":{"type":"path","path":"${t}/proj"},"access":"write"},{"path":{"type":"glob_pattern","pattern":"**/src"},"access":"deny"}]}}`,
    );
    const granted = overlay(
      '{"file_system":{"entries":[{"path":{"type":"special","value":{"kind":"project_roots"}},"access":"write"},{"path":{"type":"special","value":{"kind":"project_roots","subpath":"src"}},"access":"write"}]}}',
    );
    const r = intersectAdditionalPermissions(requested, granted, ctx);
    expect(serializeAdditionalPermissionProfile(r)).toBe(`{"network":null,"file_system":{"write":["${t}/proj"]}}`);
  });

  it('intersect grants nothing for :slash_tmp off-Unix', () => {
    const requested = overlay('{"file_system":{"entries":[{"path":{"type":"special","value":{"kind":"root"}},"access":"write"}]}}');
    const granted = overlay('{"file_system":{"entries":[{"path":{"type":"special","value":{"kind":"slash_tmp"}},"access":"write"}]}}');
    const win: ResolveContext = { cwd: 'C:\\w', platform: 'win32', tmpdir: undefined, fs: realFs };
    expect(intersectAdditionalPermissions(requested, granted, win).fileSystem?.entries).toEqual([]);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accessForPath,
  canWritePath,
  parsePermissionProfile,
  resolvePermissions,
  serializePermissionProfile,
} from '../../../src/permissions/index.js';
import type { FileSystemSandboxEntry, PermissionProfile, ResolveContext } from '../../../src/permissions/index.js';
import { emptyFs, uri } from './helpers.js';

const ctx: ResolveContext = { cwd: '/w/p', platform: 'linux', tmpdir: '/w/tmp', fs: emptyFs };
const component = fc.constantFrom('w', 'p', 'a', 'b', '.git', '.codex', '.agents', 'tmp');
const absPath = fc.array(component, { minLength: 1, maxLength: 4 }).map((cs) => `/${cs.join('/')}`);
const access = fc.constantFrom('read' as const, 'write' as const, 'deny' as const);
const specialValue = fc.oneof(
  fc.constantFrom({ kind: 'root' as const }, { kind: 'minimal' as const }, { kind: 'tmpdir' as const }, { kind: 'slash_tmp' as const }, { kind: 'project_roots' as const }),
  fc.constantFrom('.git', 'a', 'a/b').map((subpath) => ({ kind: 'project_roots' as const, subpath })),
  fc.constantFrom(':future').map((path) => ({ kind: 'unknown' as const, path })),
);
const entry: fc.Arbitrary<FileSystemSandboxEntry> = fc.record({
  path: fc.oneof(
    absPath.map((p) => ({ type: 'path' as const, path: uri(p) })),
    fc.constantFrom('**/*.env', '/w/**/secret', '*.pem').map((pattern) => ({ type: 'glob_pattern' as const, pattern })),
    specialValue.map((value) => ({ type: 'special' as const, value })),
  ),
  access,
});
const profile: fc.Arbitrary<PermissionProfile> = fc.oneof(
  fc.record({
    type: fc.constant('managed' as const),
    fileSystem: fc.oneof(
      fc.record({ type: fc.constant('restricted' as const), entries: fc.array(entry, { maxLength: 6 }) }),
      fc.constant({ type: 'unrestricted' as const }),
    ),
    network: fc.constantFrom('restricted' as const, 'enabled' as const),
  }),
  fc.constant({ type: 'disabled' as const }),
  fc.constantFrom('restricted' as const, 'enabled' as const).map((network) => ({ type: 'external' as const, network })),
);
const restrictedEntries = fc.array(entry.filter((e) => e.path.type !== 'glob_pattern'), { minLength: 1, maxLength: 6 });
const PERMISSIVENESS = { deny: 0, read: 1, write: 2 } as const;

describe('properties', () => {
  it('serialise → parse → serialise is the identity for any profile', () => {
    fc.assert(
      fc.property(profile, (p) => {
        const json = serializePermissionProfile(p);
        expect(serializePermissionProfile(parsePermissionProfile(json))).toBe(json);
      }),
    );
  });

  it('adding a deny entry never widens access to any path, and denies everything below it', () => {
    fc.assert(
      fc.property(restrictedEntries, absPath, absPath, (entries, denied, probe) => {
        const base: PermissionProfile = { type: 'managed', fileSystem: { type: 'restricted', entries }, network: 'restricted' };
        const narrowed: PermissionProfile = {
          type: 'managed',
          fileSystem: { type: 'restricted', entries: [...entries, { path: { type: 'path', path: uri(denied) }, access: 'deny' }] },
          network: 'restricted',
        };
        expect(PERMISSIVENESS[accessForPath(narrowed, probe, ctx)]).toBeLessThanOrEqual(PERMISSIVENESS[accessForPath(base, probe, ctx)]);
        // No generated entry has an `x` component, so nothing is more specific than the deny below it.
        expect(accessForPath(narrowed, `${denied}/x`, ctx)).toBe('deny');
      }),
    );
  });

  it('writes below a protected metadata name of a writable root are refused', () => {
    fc.assert(
      fc.property(restrictedEntries, fc.constantFrom('.git', '.codex', '.agents'), (entries, name) => {
        const p: PermissionProfile = { type: 'managed', fileSystem: { type: 'restricted', entries }, network: 'restricted' };
        const r = resolvePermissions(p, ctx);
        if (r.fileSystem.fullDiskWrite) return;
        for (const root of r.fileSystem.writableRoots) {
          // A name is listed only when no entry grants `<root>/<name>` (generated paths never reach `x`).
          const target = root.root === '/' ? `/${name}/x` : `${root.root}/${name}/x`;
          if (root.protectedMetadataNames.includes(name)) expect(canWritePath(p, target, ctx)).toBe(false);
        }
      }),
    );
  });

  it('every writable root is writable and every read-only subpath under it is not', () => {
    fc.assert(
      fc.property(restrictedEntries, (entries) => {
        const p: PermissionProfile = { type: 'managed', fileSystem: { type: 'restricted', entries }, network: 'restricted' };
        for (const w of resolvePermissions(p, ctx).fileSystem.writableRoots) {
          expect(canWritePath(p, w.root, ctx)).toBe(true);
          for (const sub of w.readOnlySubpaths) expect(canWritePath(p, sub, ctx)).toBe(false);
        }
      }),
    );
  });
});

/**
 * applyOverrides says where every filesystem entry of the profile it returns came from (explain prints
 * it), for every kind of profile and every mix of --writable-root, --deny-read and --network.
 */
import { describe, expect, it } from 'vitest';
import { applyOverrides } from '../../../src/manager/overrides.js';
import type { EntrySource, ProfileOverrides } from '../../../src/manager/overrides.js';
import { PermissionProfile } from '../../../src/permissions/index.js';
import type { FileSystemSandboxEntry, PermissionProfile as Profile } from '../../../src/permissions/types.js';

const profiles: Record<string, Profile> = {
  'read-only': PermissionProfile.readOnly(),
  'workspace-write': PermissionProfile.workspaceWrite(),
  'managed unrestricted': { type: 'managed', fileSystem: { type: 'unrestricted' }, network: 'restricted' },
  disabled: PermissionProfile.disabled(),
  external: PermissionProfile.external('restricted'),
};

const overrides: Record<string, ProfileOverrides> = {
  none: {},
  network: { network: 'restricted' },
  'writable root': { writableRoots: ['/w1', '/w2'] },
  'deny read': { denyRead: ['/secret', '/x/{a,b}'] },
  both: { writableRoots: ['/w1'], denyRead: ['/secret'], network: 'enabled' },
};

function entriesOf(p: Profile): FileSystemSandboxEntry[] {
  return p.type === 'managed' && p.fileSystem.type === 'restricted' ? p.fileSystem.entries : [];
}

/** What each source must produce: the profile's own entry, `:root` write, or the flag's entry. */
function expectedEntry(base: Profile, s: EntrySource): Pick<FileSystemSandboxEntry, 'access'> & { text: string } {
  switch (s.from) {
    case 'profile': {
      const e = entriesOf(base)[s.index];
      if (!e) throw new Error(`source points at entry ${s.index}, which the base profile does not have`);
      return { access: e.access, text: JSON.stringify(e.path) };
    }
    case 'unrestricted-profile':
      return { access: 'write', text: JSON.stringify({ type: 'special', value: { kind: 'root' } }) };
    case 'writable-root':
      return { access: 'write', text: s.path };
    case 'deny-read':
      return { access: 'deny', text: s.path };
  }
}

function entryText(e: FileSystemSandboxEntry): string {
  if (e.path.type === 'path') return e.path.path.toAbsPath({ platform: 'linux' }) as string;
  if (e.path.type === 'glob_pattern') return e.path.pattern;
  return JSON.stringify(e.path);
}

describe('applyOverrides reports where each entry came from', () => {
  for (const [pName, base] of Object.entries(profiles)) {
    for (const [oName, o] of Object.entries(overrides)) {
      const refused = base.type === 'external' && ((o.writableRoots?.length ?? 0) > 0 || (o.denyRead?.length ?? 0) > 0);
      if (refused) continue; // the last test: refused, nothing to trace
      it(`${pName} + ${oName}: one source per entry, each naming the entry it produced`, () => {
        const { profile, entrySources } = applyOverrides(base, o, 'linux');
        const entries = entriesOf(profile);
        expect(entrySources).toHaveLength(entries.length);
        entries.forEach((e, i) => {
          const want = expectedEntry(base, entrySources[i] as EntrySource);
          expect(e.access).toBe(want.access);
          expect(entryText(e)).toBe(want.text);
        });
        // Every flag shows up once, in order, whenever the result has entries.
        const flags = entrySources.flatMap((s) => (s.from === 'writable-root' || s.from === 'deny-read' ? [s.path] : []));
        if (entries.length) expect(flags).toEqual([...(o.writableRoots ?? []), ...(o.denyRead ?? [])]);
      });
    }
  }

  it('an external profile refuses filesystem overrides', () => {
    expect(() => applyOverrides(profiles.external as Profile, { denyRead: ['/x'] }, 'linux')).toThrow('an `external` profile leaves the filesystem to another sandbox');
  });
});

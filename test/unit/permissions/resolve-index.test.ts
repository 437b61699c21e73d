/**
 * PolicyView looks up the entries containing a path by its prefixes instead of scanning every entry
 * (issue #21). Property test (fast-check): on random policies and paths, `resolveAccess`,
 * `metadataWriteDenial` and `canWrite` equal the scans they replaced (written out below as they were).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PathUri } from '../../../src/path-uri/index.js';
import { accessRank, canWrite } from '../../../src/permissions/entry-ops.js';
import type { FsInspector } from '../../../src/permissions/fs-facts.js';
import { PROTECTED_METADATA_NAMES } from '../../../src/permissions/metadata.js';
import { PolicyView } from '../../../src/permissions/resolve.js';
import type { FileSystemAccessMode, FileSystemSandboxEntry } from '../../../src/permissions/types.js';

const nothing: FsInspector = {
  kind: () => 'missing',
  realpath: () => undefined,
  readlink: () => undefined,
  readSmallFile: () => undefined,
  isEmptyDir: () => undefined,
  fileSize: () => undefined,
  scanGlob: () => ({ matches: [], truncated: false, visited: 0 }),
};

/** The scans as they were before the index. */
function scanResolveAccess(view: PolicyView, p: string): FileSystemAccessMode {
  let best: PolicyView['entries'][number] | undefined;
  for (const e of view.entries) {
    if (!view.paths.startsWith(p, e.path)) continue;
    if (best === undefined || e.depth > best.depth || (e.depth === best.depth && accessRank(e.access) > accessRank(best.access))) best = e;
  }
  return best?.access ?? 'deny';
}

function scanMetadataWriteDenial(view: PolicyView, p: string): string | undefined {
  let hit: { protectedPath: string; name: string } | undefined;
  for (const e of view.entries) {
    if (!canWrite(e.access)) continue;
    for (const name of PROTECTED_METADATA_NAMES) {
      const protectedPath = view.paths.join(e.path, name);
      if (view.paths.startsWith(p, protectedPath)) {
        hit = { protectedPath, name };
        break;
      }
    }
    if (hit !== undefined) break;
  }
  if (hit === undefined) return undefined;
  const { protectedPath, name } = hit;
  const granted = view.entries.some((e) => canWrite(e.access) && view.paths.startsWith(p, e.path) && view.paths.startsWith(e.path, protectedPath));
  return granted ? undefined : name;
}

const seg = fc.constantFrom('a', 'ab', 'b', '.git', '.codex', '.agents', 'x y');
const absPath = fc.oneof(
  { weight: 1, arbitrary: fc.constant('/') },
  { weight: 9, arbitrary: fc.array(seg, { minLength: 1, maxLength: 5 }).map((s) => '/' + s.join('/')) },
);
const access = fc.constantFrom<FileSystemAccessMode>('read', 'write', 'deny');
const entry = fc.oneof(
  { weight: 9, arbitrary: fc.tuple(absPath, access).map(([p, a]): FileSystemSandboxEntry => ({ path: { type: 'path', path: PathUri.fromAbsPath(p, { platform: 'linux' }) }, access: a })) },
  { weight: 1, arbitrary: access.map((a): FileSystemSandboxEntry => ({ path: { type: 'special', value: { kind: 'root' } }, access: a })) },
);

describe('PolicyView entry lookup equals the scan it replaced', () => {
  it('resolveAccess, metadataWriteDenial and canWrite on random policies and paths (Linux)', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 25 }), fc.array(absPath, { minLength: 1, maxLength: 15 }), (entries, probes) => {
        const view = new PolicyView({ kind: 'restricted', entries }, { cwd: '/a', platform: 'linux', tmpdir: undefined, fs: nothing });
        for (const p of [...probes, ...view.entries.map((e) => e.path)]) {
          expect(view.resolveAccess(p)).toBe(scanResolveAccess(view, p));
          expect(view.metadataWriteDenial(p)).toBe(scanMetadataWriteDenial(view, p));
          const denial = scanMetadataWriteDenial(view, p);
          expect(view.canWrite(p)).toBe(canWrite(scanResolveAccess(view, p)) && (view.fullDiskWrite() || denial === undefined));
        }
      }),
      { numRuns: 500 },
    );
  });
});

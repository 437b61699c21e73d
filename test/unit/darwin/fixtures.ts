/** Test inputs for the darwin planner: ResolvedPermissions built by hand and a fake FsInspector. */
import { posix } from 'node:path';
import type { HostFacts, PlanInput } from '../../../src/contracts/index.js';
import type { FsEntryKind, FsInspector } from '../../../src/permissions/fs-facts.js';
import type { ResolvedFileSystem, ResolvedPermissions, WritableRoot } from '../../../src/permissions/resolved.js';

export interface FakeFsSpec {
  dirs?: string[];
  files?: string[];
  /** link path → absolute target */
  symlinks?: Record<string, string>;
}

/** An in-memory filesystem: ancestors of listed entries are directories; `/` always exists. */
export function fakeFs(spec: FakeFsSpec = {}): FsInspector {
  const kinds = new Map<string, FsEntryKind>([['/', 'dir']]);
  const addAncestors = (p: string): void => {
    for (let d = posix.dirname(p); !kinds.has(d); d = posix.dirname(d)) kinds.set(d, 'dir');
  };
  for (const d of spec.dirs ?? []) {
    kinds.set(d, 'dir');
    addAncestors(d);
  }
  for (const f of spec.files ?? []) {
    kinds.set(f, 'file');
    addAncestors(f);
  }
  const links = new Map(Object.entries(spec.symlinks ?? {}));
  for (const l of links.keys()) {
    kinds.set(l, 'symlink');
    addAncestors(l);
  }
  const realpath = (path: string): string | undefined => {
    let rest = path.split('/').filter((c) => c !== '');
    let cur = '/';
    for (let hops = 0; rest.length > 0; ) {
      const next = posix.join(cur, rest[0]!);
      const kind = kinds.get(next);
      if (kind === undefined) return undefined;
      if (kind === 'symlink') {
        if (++hops > 40) return undefined;
        const target = links.get(next)!;
        rest = [...target.split('/').filter((c) => c !== ''), ...rest.slice(1)];
        cur = '/';
        continue;
      }
      cur = next;
      rest = rest.slice(1);
    }
    return cur;
  };
  return {
    kind: (p) => kinds.get(p) ?? 'missing',
    realpath,
    readlink: (p) => links.get(p),
    readSmallFile: () => undefined,
    isEmptyDir: (p) => (kinds.get(p) === 'dir' ? ![...kinds.keys()].some((k) => k !== p && posix.dirname(k) === p) : undefined),
    fileSize: () => undefined,
    scanGlob: () => ({ matches: [], truncated: false, visited: 0 }),
  };
}

export function fileSystem(over: Partial<ResolvedFileSystem>): ResolvedFileSystem {
  return {
    kind: 'restricted',
    fullDiskRead: false,
    fullDiskWrite: false,
    includePlatformDefaults: false,
    readableRoots: [],
    writableRoots: [],
    unreadableRoots: [],
    unreadableGlobs: [],
    globScanMaxDepth: undefined,
    ...over,
  };
}

export function permissions(fs: Partial<ResolvedFileSystem>, network: 'restricted' | 'enabled' = 'restricted'): ResolvedPermissions {
  return { enforcement: 'managed', fileSystem: fileSystem(fs), network, warnings: [] };
}

export function root(path: string, readOnlySubpaths: string[] = [], protectedMetadataNames: string[] = []): WritableRoot {
  return { root: path, readOnlySubpaths, protectedMetadataNames };
}

export function facts(fs: FsInspector): HostFacts {
  return { platform: 'darwin', arch: 'arm64', tmpdir: '/var/folders/zz/T', home: '/Users/dev', fs };
}

export function planInput(perms: ResolvedPermissions, fs: FsInspector, over: Partial<PlanInput> = {}): PlanInput {
  return {
    command: ['/bin/echo', 'hi'],
    cwd: '/Users/dev/proj',
    permissions: perms,
    env: { PATH: '/usr/bin:/bin', __CF_USER_TEXT_ENCODING: '0x1F5:0x0:0x0' },
    facts: facts(fs),
    ...over,
  };
}

/** A Mac-like tree: `/tmp` and `/var` are symlinks into /private, the project has a `.git` dir. */
export const MAC_FS: FakeFsSpec = {
  dirs: ['/private/tmp', '/private/var/folders/zz/T', '/private/etc', '/Users/dev/proj/.git', '/Users/dev/proj/src', '/Users/dev/cache', '/Users/dev/proj/secrets'],
  files: ['/Users/dev/proj/package.json', '/Users/dev/notes.txt'],
  symlinks: { '/tmp': 'private/tmp', '/var': 'private/var', '/etc': 'private/etc' },
};

const CWD = '/Users/dev/proj';
const CWD_ROOT = root(CWD, [`${CWD}/.git`], ['.git', '.codex', '.agents']);

/** The scenarios written to test/fixtures/darwin/<name>.sb and compared by the golden test. */
export const SCENARIOS: Record<string, { perms: ResolvedPermissions; fs: FakeFsSpec }> = {
  'read-only': { perms: permissions({ fullDiskRead: true }), fs: MAC_FS },
  'read-only-minimal': {
    perms: permissions({ includePlatformDefaults: true, readableRoots: [CWD, '/Users/dev/cache'] }),
    fs: MAC_FS,
  },
  'workspace-write': {
    perms: permissions({
      fullDiskRead: true,
      writableRoots: [CWD_ROOT, root('/Users/dev/cache', [], ['.git', '.codex', '.agents']), root('/tmp'), root('/var/folders/zz/T')],
    }),
    fs: MAC_FS,
  },
  'workspace-write-network': {
    perms: permissions({ fullDiskRead: true, writableRoots: [CWD_ROOT, root('/tmp')] }, 'enabled'),
    fs: MAC_FS,
  },
  'workspace-write-deny-read': {
    perms: permissions({
      fullDiskRead: true,
      writableRoots: [root(CWD, [`${CWD}/.git`, `${CWD}/secrets`], ['.git', '.codex', '.agents']), root('/tmp')],
      unreadableRoots: [`${CWD}/secrets`, '/Users/dev/notes.txt'],
      unreadableGlobs: [`${CWD}/**/*.pem`, '/tmp/{a,b/c}/key?.txt'],
    }),
    fs: MAC_FS,
  },
  'nested-protected': {
    perms: permissions({
      fullDiskRead: true,
      writableRoots: [root(CWD, [`${CWD}/vendor/lib/.git`, `${CWD}/.git`], ['.git', '.codex', '.agents']), root('/Users/dev/proj/package.json')],
    }),
    fs: { ...MAC_FS, dirs: [...(MAC_FS.dirs ?? []), `${CWD}/vendor/lib/.git`] },
  },
  'full-write-no-network': {
    perms: { enforcement: 'managed', fileSystem: fileSystem({ kind: 'unrestricted', fullDiskRead: true, fullDiskWrite: true }), network: 'restricted', warnings: [] },
    fs: MAC_FS,
  },
  'hostile-paths': {
    perms: permissions({
      fullDiskRead: true,
      writableRoots: [
        root('/Users/dev/we"ird (proj)', ['/Users/dev/we"ird (proj)/.git'], ['.git', '.codex']),
        root('/Users/dev/new\nline") (allow file-write* (subpath "/"))'),
      ],
      unreadableRoots: ['/Users/dev/back\\slash;comment #"x"'],
    }),
    fs: MAC_FS,
  },
};

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PermissionProfile,
  ResolveError,
  accessForPath,
  canWritePath,
  forbiddenMetadataWrite,
  materializeProjectRoots,
  parsePermissionProfile,
  projectRootsGlobPattern,
  resolvePermissions,
  serializePermissionProfile,
} from '../../../src/permissions/index.js';
import type { PermissionProfile as Profile, ResolveContext } from '../../../src/permissions/index.js';
import { emptyFs, makeTree, realFs, removeTree } from './helpers.js';

const special = (kind: string, access: string, extra = ''): string =>
  `{"path":{"type":"special","value":{"kind":"${kind}"${extra}}},"access":"${access}"}`;
const pathEntry = (p: string, access: string, skip = false): string =>
  `{"path":{"type":"path","path":${JSON.stringify(p)}},"access":"${access}"${skip ? ',"missing_path_behavior":"skip"' : ''}}`;
const glob = (pattern: string, access = 'deny'): string => `{"path":{"type":"glob_pattern","pattern":${JSON.stringify(pattern)}},"access":"${access}"}`;
const managed = (entries: string[], network = 'restricted'): Profile =>
  parsePermissionProfile(`{"type":"managed","file_system":{"type":"restricted","entries":[${entries.join(',')}]},"network":"${network}"}`);
const sorted = (xs: readonly string[]): string[] => [...xs].sort();

let t = '';
let proj = '';
let ctx: ResolveContext;

beforeAll(() => {
  t = makeTree({
    'proj/.git/HEAD': 'ref: refs/heads/main\n',
    'proj/.agents': { dir: true },
    'proj/src/a.ts': 'x',
    'proj/secret/key': 'k',
    'proj/secret/pub/readme': 'r',
    'proj/link-out': { symlink: '../outside' },
    'outside/data': 'd',
    'wt/.git': 'gitdir: ../gitdirs/wt\n',
    'wt/file': 'f',
    'gitdirs/wt/HEAD': 'h',
    'bare-root/file': 'f',
    'proj-link': { symlink: 'proj' },
    'tmpdir': { dir: true },
  });
  proj = `${t}/proj`;
  ctx = { cwd: proj, platform: 'linux', tmpdir: `${t}/tmpdir`, fs: realFs };
});
afterAll(() => removeTree(t));

describe('access resolution (resolve_access_with_cwd)', () => {
  it('resolve_access_with_cwd_uses_most_specific_entry', () => {
    const p = managed([special('root', 'read'), pathEntry(proj, 'write'), pathEntry(`${proj}/secret`, 'deny'), pathEntry(`${proj}/secret/pub`, 'read')]);
    expect(accessForPath(p, '/etc/passwd', ctx)).toBe('read');
    expect(accessForPath(p, `${proj}/src/a.ts`, ctx)).toBe('write');
    expect(accessForPath(p, 'src/a.ts', ctx)).toBe('write');
    expect(accessForPath(p, `${proj}/secret/key`, ctx)).toBe('deny');
    expect(accessForPath(p, `${proj}/secret/pub/readme`, ctx)).toBe('read');
    // Component boundaries: /proj/secretive is not under /proj/secret.
    expect(accessForPath(p, `${proj}/secretive`, ctx)).toBe('write');
    // `..` is folded lexically before matching.
    expect(accessForPath(p, `${proj}/src/../secret/key`, ctx)).toBe('deny');
  });

  it('equal specificity: deny beats write beats read', () => {
    expect(accessForPath(managed([pathEntry(proj, 'read'), pathEntry(proj, 'write')]), proj, ctx)).toBe('write');
    expect(accessForPath(managed([pathEntry(proj, 'write'), pathEntry(proj, 'deny')]), proj, ctx)).toBe('deny');
  });

  it('no matching entry means deny (the default profile reads nothing)', () => {
    expect(accessForPath(PermissionProfile.default(), '/etc/passwd', ctx)).toBe('deny');
    expect(accessForPath(managed([pathEntry(proj, 'read')]), '/etc', ctx)).toBe('deny');
  });

  it('unrestricted, disabled and external profiles allow writes everywhere', () => {
    expect(accessForPath({ type: 'disabled' }, '/etc', ctx)).toBe('write');
    expect(accessForPath({ type: 'external', network: 'restricted' }, '/etc', ctx)).toBe('write');
  });

  it('filesystem_policy_blocks_protected_metadata_path_writes_by_default', () => {
    const ws = PermissionProfile.workspaceWrite();
    expect(canWritePath(ws, `${proj}/src/a.ts`, ctx)).toBe(true);
    expect(canWritePath(ws, `${proj}/.git/config`, ctx)).toBe(false);
    expect(canWritePath(ws, `${proj}/.git`, ctx)).toBe(false);
    expect(canWritePath(ws, `${proj}/.codex/config.toml`, ctx)).toBe(false);
    expect(canWritePath(ws, `${proj}/.agents/x`, ctx)).toBe(false);
    expect(canWritePath(ws, `${proj}/src/.git/x`, ctx)).toBe(true);
    expect(forbiddenMetadataWrite(ws, `${proj}/.codex/new`, ctx)).toBe('.codex');
    expect(forbiddenMetadataWrite(ws, `${proj}/src/a.ts`, ctx)).toBeUndefined();
  });

  it('an explicit write entry at or below the metadata path grants it', () => {
    const p = managed([special('root', 'read'), special('project_roots', 'write'), pathEntry(`${proj}/.git/hooks`, 'write')]);
    expect(canWritePath(p, `${proj}/.git/hooks/pre-commit`, ctx)).toBe(true);
    expect(canWritePath(p, `${proj}/.git/config`, ctx)).toBe(false);
  });

  it('full-disk write skips the metadata rule', () => {
    expect(canWritePath(managed([special('root', 'write')]), `${proj}/.git/config`, ctx)).toBe(true);
  });
});

describe('resolvePermissions: writable roots and carve-outs', () => {
  it('workspace-write preset: cwd, /tmp and $TMPDIR roots; metadata read-only; everything readable', () => {
    const r = resolvePermissions(PermissionProfile.workspaceWrite(), ctx);
    expect(r.enforcement).toBe('managed');
    expect(r.network).toBe('restricted');
    expect(r.fileSystem.kind).toBe('restricted');
    expect(r.fileSystem.fullDiskRead).toBe(true);
    expect(r.fileSystem.fullDiskWrite).toBe(false);
    expect(r.fileSystem.readableRoots).toEqual([]);
    expect(r.fileSystem.unreadableRoots).toEqual([]);
    expect(r.warnings).toEqual([]);
    const roots = r.fileSystem.writableRoots.map((w) => w.root);
    expect(roots).toEqual([proj, '/tmp', `${t}/tmpdir`]);
    const cwdRoot = r.fileSystem.writableRoots[0];
    expect(sorted(cwdRoot?.readOnlySubpaths ?? [])).toEqual(sorted([`${proj}/.git`, `${proj}/.agents`, `${proj}/.codex`, `${proj}/codex-sandbox.toml`]));
    expect(cwdRoot?.protectedMetadataNames).toEqual(['.git', '.agents', '.codex', 'codex-sandbox.toml']);
  });

  it('writable_roots_proactively_protect_missing_dot_codex (only for the cwd root)', () => {
    const extra = `${t}/bare-root`;
    const r = resolvePermissions(PermissionProfile.workspaceWrite({ writableRoots: [extra], excludeSlashTmp: true, excludeTmpdirEnvVar: true }), ctx);
    const byRoot = new Map(r.fileSystem.writableRoots.map((w) => [w.root, w]));
    expect(byRoot.get(proj)?.readOnlySubpaths).toContain(`${proj}/.codex`);
    expect(byRoot.get(extra)?.readOnlySubpaths).toEqual([]);
    // Still not creatable: the names are protected whether or not they exist.
    expect(byRoot.get(extra)?.protectedMetadataNames).toEqual(['.git', '.agents', '.codex', 'codex-sandbox.toml']);
  });

  it('a .git pointer file protects the file and the gitdir it names', () => {
    const wt = `${t}/wt`;
    const r = resolvePermissions(PermissionProfile.workspaceWrite({ excludeSlashTmp: true, excludeTmpdirEnvVar: true }), { ...ctx, cwd: wt });
    expect(sorted(r.fileSystem.writableRoots[0]?.readOnlySubpaths ?? [])).toEqual(sorted([`${t}/gitdirs/wt`, `${wt}/.git`, `${wt}/.codex`, `${wt}/codex-sandbox.toml`]));
  });

  it('writable_roots_preserve_explicit_symlinked_carveouts_that_escape_root', () => {
    const p = managed([special('root', 'read'), pathEntry(proj, 'write'), pathEntry(`${proj}/link-out`, 'read')]);
    const r = resolvePermissions(p, ctx);
    // The literal in-root spelling is kept so the sandbox masks the link itself.
    expect(r.fileSystem.writableRoots[0]?.readOnlySubpaths).toContain(`${proj}/link-out`);
  });

  it('a symlinked writable root keeps its spelling; carve-outs follow that spelling', () => {
    const link = `${t}/proj-link`;
    const p = managed([special('root', 'read'), pathEntry(link, 'write'), pathEntry(`${proj}/secret`, 'read')]);
    const r = resolvePermissions(p, { ...ctx, cwd: link });
    expect(r.fileSystem.writableRoots.map((w) => w.root)).toEqual([link]);
    expect(sorted(r.fileSystem.writableRoots[0]?.readOnlySubpaths ?? [])).toEqual(
      sorted([`${link}/.git`, `${link}/.agents`, `${link}/.codex`, `${link}/codex-sandbox.toml`, `${link}/secret`]),
    );
  });

  it('the same root named twice (project roots and a cwd path) is one writable root', () => {
    const p = managed([special('root', 'read'), special('project_roots', 'write'), pathEntry(proj, 'write')]);
    expect(resolvePermissions(p, ctx).fileSystem.writableRoots.map((w) => w.root)).toEqual([proj]);
  });

  it('root_write_with_read_only_child_is_not_full_disk_write', () => {
    const p = managed([special('root', 'write'), pathEntry(`${proj}/secret`, 'read')]);
    const r = resolvePermissions(p, ctx);
    expect(r.fileSystem.fullDiskWrite).toBe(false);
    expect(r.fileSystem.writableRoots.map((w) => w.root)).toEqual(['/']);
    expect(r.fileSystem.writableRoots[0]?.readOnlySubpaths).toEqual([`${proj}/secret`]);
  });

  it('same_specificity_write_override_keeps_full_disk_write_access', () => {
    const p = managed([special('root', 'write'), pathEntry(`${proj}/secret`, 'read'), pathEntry(`${proj}/secret`, 'write')]);
    const r = resolvePermissions(p, ctx);
    expect(r.fileSystem.fullDiskWrite).toBe(true);
    expect(r.fileSystem.writableRoots).toEqual([]);
  });

  it('duplicate_root_deny_prevents_full_disk_write_access', () => {
    const r = resolvePermissions(managed([special('root', 'write'), special('root', 'deny')]), ctx);
    expect(r.fileSystem.fullDiskWrite).toBe(false);
    expect(r.fileSystem.fullDiskRead).toBe(false);
  });

  it('project roots: every root is writable; a bad write subpath is ignored with a warning', () => {
    const other = `${t}/bare-root`;
    const p = managed([special('root', 'read'), special('project_roots', 'write'), special('project_roots', 'write', ',"subpath":"../escape"')]);
    const r = resolvePermissions(p, { ...ctx, projectRoots: [proj, other] });
    expect(r.fileSystem.writableRoots.map((w) => w.root)).toEqual([proj, other]);
    expect(r.warnings).toEqual(['"../escape" is not a plain relative path; write entry ignored'].map((w) => `:project_roots subpath ${w}`));
  });

  it('a read/deny project-root subpath that cannot be placed denies the whole root (fails closed)', () => {
    const p = managed([special('root', 'read'), special('project_roots', 'deny', ',"subpath":"/etc"')]);
    const r = resolvePermissions(p, ctx);
    expect(r.fileSystem.unreadableRoots).toEqual([proj]);
  });
});

describe('resolvePermissions: reads, denies, globs', () => {
  it('deny entries become unreadable roots and carve-outs of the writable root', () => {
    const p = managed([special('root', 'read'), pathEntry(proj, 'write'), pathEntry(`${proj}/secret`, 'deny')]);
    const r = resolvePermissions(p, ctx);
    expect(r.fileSystem.fullDiskRead).toBe(false);
    expect(r.fileSystem.readableRoots).toEqual(['/']);
    expect(r.fileSystem.unreadableRoots).toEqual([`${proj}/secret`]);
    expect(r.fileSystem.writableRoots[0]?.readOnlySubpaths).toContain(`${proj}/secret`);
  });

  it('a deny through a symlink covers both the link spelling and its target', () => {
    const p = managed([special('root', 'read'), pathEntry(`${proj}/link-out`, 'deny')]);
    expect(resolvePermissions(p, ctx).fileSystem.unreadableRoots).toEqual([`${proj}/link-out`, `${t}/outside`]);
  });

  it('root_deny_does_not_materialize_as_unreadable_root', () => {
    const p = managed([special('root', 'deny'), pathEntry(proj, 'read')]);
    const r = resolvePermissions(p, ctx);
    expect(r.fileSystem.unreadableRoots).toEqual([]);
    expect(r.fileSystem.readableRoots).toEqual([proj]);
    expect(r.fileSystem.fullDiskRead).toBe(false);
  });

  it('readable roots exclude writable roots; :minimal asks for platform defaults', () => {
    const p = managed([special('minimal', 'read'), pathEntry(`${t}/outside`, 'read'), pathEntry(proj, 'write')]);
    const r = resolvePermissions(p, ctx);
    expect(r.fileSystem.includePlatformDefaults).toBe(true);
    expect(r.fileSystem.readableRoots).toEqual([`${t}/outside`]);
    expect(r.fileSystem.writableRoots.map((w) => w.root)).toEqual([proj]);
  });

  it('deny globs resolve against cwd, home and project roots; sorted and de-duplicated', () => {
    const p = managed([
      special('root', 'read'),
      glob('**/*.env'),
      glob('/etc/**/*.key'),
      glob(projectRootsGlobPattern('**/*.pem')),
      glob('~/.ssh/**'),
      glob('**/*.env'),
    ]);
    const other = `${t}/bare-root`;
    const r = resolvePermissions(p, { ...ctx, projectRoots: [proj, other], home: '/home/u' });
    expect(r.fileSystem.unreadableGlobs).toEqual(sorted([`${proj}/**/*.env`, '/etc/**/*.key', `${proj}/**/*.pem`, `${other}/**/*.pem`, '/home/u/.ssh/**']));
    expect(r.fileSystem.fullDiskRead).toBe(false);
  });

  it('a ~/ deny glob without a home directory is an error, never dropped', () => {
    expect(() => resolvePermissions(managed([special('root', 'read'), glob('~/.aws/**')]), ctx)).toThrow(ResolveError);
  });

  it('read/write globs are ignored with a warning (globs are deny-only)', () => {
    const r = resolvePermissions(managed([special('root', 'read'), glob('/data/**', 'write')]), ctx);
    expect(r.fileSystem.writableRoots).toEqual([]);
    expect(r.warnings).toEqual(['glob entry "/data/**" with access "write" is ignored: glob patterns only support deny']);
  });

  it('glob_scan_max_depth is passed through', () => {
    const p = parsePermissionProfile(
      `{"type":"managed","file_system":{"type":"restricted","entries":[${special('root', 'read')},${glob('**/x')}],"glob_scan_max_depth":3},"network":"restricted"}`,
    );
    expect(resolvePermissions(p, ctx).fileSystem.globScanMaxDepth).toBe(3);
  });
});

describe('resolvePermissions: special paths and missing paths', () => {
  it(':tmpdir needs a non-empty absolute $TMPDIR', () => {
    const p = managed([special('root', 'read'), special('tmpdir', 'write')]);
    expect(resolvePermissions(p, { ...ctx, tmpdir: undefined }).fileSystem.writableRoots).toEqual([]);
    expect(resolvePermissions(p, { ...ctx, tmpdir: '' }).fileSystem.writableRoots).toEqual([]);
    expect(resolvePermissions(p, { ...ctx, tmpdir: 'relative/tmp' }).fileSystem.writableRoots).toEqual([]);
    expect(resolvePermissions(p, ctx).fileSystem.writableRoots.map((w) => w.root)).toEqual([`${t}/tmpdir`]);
  });

  it(':slash_tmp is /tmp only when it is a directory, and never on Windows', () => {
    const p = managed([special('root', 'read'), special('slash_tmp', 'write')]);
    expect(resolvePermissions(p, ctx).fileSystem.writableRoots.map((w) => w.root)).toEqual(['/tmp']);
    expect(resolvePermissions(p, { ...ctx, fs: emptyFs }).fileSystem.writableRoots).toEqual([]);
    expect(resolvePermissions(p, { ...ctx, cwd: 'C:\\work', platform: 'win32', tmpdir: undefined, fs: realFs }).fileSystem.writableRoots).toEqual([]);
  });

  it('missing_path_behavior skip drops a missing path silently and keeps an existing one', () => {
    const p = managed([special('minimal', 'read'), pathEntry(`${t}/nope`, 'read', true), pathEntry(`${t}/outside`, 'read', true)]);
    const r = resolvePermissions(p, ctx);
    expect(r.fileSystem.readableRoots).toEqual([`${t}/outside`]);
    expect(r.warnings).toEqual([]);
  });

  it('unknown special paths are ignored with a warning', () => {
    const r = resolvePermissions(managed([special('root', 'read'), special('unknown', 'write', ',"path":":future_roots"')]), ctx);
    expect(r.fileSystem.writableRoots).toEqual([]);
    expect(r.warnings).toEqual(['ignoring unknown special path ":future_roots" (written by a newer Codex?)']);
  });

  it('a path of the other convention names nothing on this platform', () => {
    const r = resolvePermissions(managed([special('root', 'read'), pathEntry('C:\\data', 'write')]), ctx);
    expect(r.fileSystem.writableRoots).toEqual([]);
    expect(r.warnings).toEqual(['entry file:///C:/data is not a linux path; ignored']);
  });

  it('disabled: enforcement disabled, unrestricted filesystem, network enabled', () => {
    const r = resolvePermissions({ type: 'disabled' }, ctx);
    expect(r.enforcement).toBe('disabled');
    expect(r.network).toBe('enabled');
    expect(r.fileSystem).toMatchObject({ kind: 'unrestricted', fullDiskRead: true, fullDiskWrite: true, writableRoots: [], unreadableRoots: [] });
  });

  it('external: the filesystem is enforced elsewhere; network as given', () => {
    const r = resolvePermissions({ type: 'external', network: 'restricted' }, ctx);
    expect(r.enforcement).toBe('external');
    expect(r.network).toBe('restricted');
    expect(r.fileSystem.kind).toBe('external');
  });

  it('a relative cwd is refused', () => {
    expect(() => resolvePermissions(PermissionProfile.readOnly(), { ...ctx, cwd: 'proj' })).toThrow(ResolveError);
  });
});

describe('Windows targets (resolved on any host)', () => {
  const win: ResolveContext = { cwd: 'C:\\Work\\Proj', platform: 'win32', tmpdir: 'C:\\Users\\u\\AppData\\Local\\Temp', fs: emptyFs };

  it('workspace-write on win32: drive root readable, cwd and %TMP% writable, no /tmp', () => {
    const r = resolvePermissions(PermissionProfile.workspaceWrite(), win);
    expect(r.fileSystem.writableRoots.map((w) => w.root)).toEqual(['C:\\Work\\Proj', 'C:\\Users\\u\\AppData\\Local\\Temp']);
    expect(r.fileSystem.writableRoots[0]?.readOnlySubpaths).toEqual(['C:\\Work\\Proj\\.codex', 'C:\\Work\\Proj\\codex-sandbox.toml']);
  });

  it('paths compare ASCII-case-insensitively (as Codex PathUri equality)', () => {
    const ws = PermissionProfile.workspaceWrite();
    expect(accessForPath(ws, 'c:\\work\\proj\\SRC\\a.ts', win)).toBe('write');
    expect(accessForPath(ws, 'src\\a.ts', win)).toBe('write');
    expect(accessForPath(ws, 'D:\\other', win)).toBe('deny');
    expect(canWritePath(ws, 'C:\\WORK\\PROJ\\.CODEX\\config.toml', win)).toBe(false);
    expect(canWritePath(ws, 'C:\\Work\\Proj\\.Git\\config', win)).toBe(false);
  });

  it('Windows path entries resolve on win32', () => {
    const p = managed([special('root', 'read'), pathEntry('C:\\Work\\Proj', 'write'), pathEntry('C:\\Work\\Proj\\Secret', 'deny')]);
    const r = resolvePermissions(p, win);
    expect(r.fileSystem.writableRoots.map((w) => w.root)).toEqual(['C:\\Work\\Proj']);
    expect(r.fileSystem.unreadableRoots).toEqual(['C:\\Work\\Proj\\Secret']);
    expect(accessForPath(p, 'c:\\work\\proj\\secret\\x', win)).toBe('deny');
  });
});

describe('materializeProjectRoots', () => {
  it('expands :project_roots entries and project-root globs for each root; bad read subpaths deny the root', () => {
    const p = managed([
      special('project_roots', 'write'),
      special('project_roots', 'read', ',"subpath":".git"').replace(/}$/, ',"missing_path_behavior":"skip"}'),
      special('project_roots', 'read', ',"subpath":"../up"'),
      special('project_roots', 'write', ',"subpath":"../up"'),
      glob(projectRootsGlobPattern('**/*.pem')),
      special('tmpdir', 'write'),
    ]);
    const m = materializeProjectRoots(p, ['/a', '/b/'], 'linux');
    expect(serializePermissionProfile(m)).toBe(
      serializePermissionProfile(
        managed([
          pathEntry('/a', 'write'),
          pathEntry('/b', 'write'),
          pathEntry('/a/.git', 'read', true),
          pathEntry('/b/.git', 'read', true),
          pathEntry('/a', 'deny'),
          pathEntry('/b', 'deny'),
          glob('/a/**/*.pem'),
          glob('/b/**/*.pem'),
          special('tmpdir', 'write'),
        ]),
      ),
    );
  });

  it('resolving a materialised profile gives the same result as resolving the symbolic one', () => {
    const ws = PermissionProfile.workspaceWrite();
    expect(resolvePermissions(materializeProjectRoots(ws, [proj], 'linux'), ctx)).toEqual(resolvePermissions(ws, ctx));
  });
});

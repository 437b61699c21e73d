/**
 * fs/* through the real server (Codex exec-server tests/file_system/shared.rs and file_system_unix.rs,
 * §5.3 of the reference): each shared test runs twice, in-process (no `sandbox`) and through the fs
 * helper in a real bwrap sandbox (workspace-write on the test's workspace).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, truncateSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64, built, isLinux, scratch, startServer, WsClient } from './helpers.js';
import type { ServerProcess } from './helpers.js';
import { FsClient, MODES, uri } from './fs-helpers.js';

describe.skipIf(!isLinux || !built).each(MODES)('exec-server fs/* (Codex §5.3), %s', (mode) => {
  let server: ServerProcess;
  let c: WsClient;
  let fs: FsClient;
  const dir = scratch('csbx-fs-');
  let n = 0;
  /** A fresh directory under the workspace (the workspace root itself holds the sandbox's metadata mount points). */
  const fresh = (): string => {
    const d = join(dir.ws, `t${(n += 1)}`);
    mkdirSync(d);
    return d;
  };
  beforeAll(async () => {
    server = await startServer();
    c = await WsClient.connect(server.url);
    await c.initialize();
    fs = FsClient.forMode(c, mode, dir.wsUri);
  });
  afterAll(async () => {
    await c.close();
    await server.stop();
    dir.cleanup();
  });

  it('file_system_get_metadata_reports_files_and_directories: file size 5, dir size = stat size, mtime > 0', async () => {
    const d = fresh();
    writeFileSync(join(d, 'f.txt'), 'hello');
    const f = await fs.call('fs/getMetadata', { path: uri(join(d, 'f.txt')) });
    expect(f).toMatchObject({ isDirectory: false, isFile: true, isSymlink: false, size: 5 });
    expect(f.modifiedAtMs).toBeGreaterThan(0);
    const m = await fs.call('fs/getMetadata', { path: uri(d) });
    expect(m).toMatchObject({ isDirectory: true, isFile: false, isSymlink: false, size: statSync(d).size });
  });

  it('file_system_create_directory_creates_nested_directories (recursive default true); non-recursive with a missing parent fails', async () => {
    const d = fresh();
    expect(await fs.call('fs/createDirectory', { path: uri(join(d, 'a/b/c')) })).toEqual({});
    expect(statSync(join(d, 'a/b/c')).isDirectory()).toBe(true);
    const e = await fs.error('fs/createDirectory', { path: uri(join(d, 'x/y')), recursive: false });
    expect(e).toEqual({ code: -32004, message: 'No such file or directory (os error 2)' });
  });

  it('file_system_write_file_writes_bytes / file_system_read_file_returns_bytes (binary, all 256 byte values)', async () => {
    const d = fresh();
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(await fs.call('fs/writeFile', { path: uri(join(d, 'bin')), dataBase64: bytes.toString('base64') })).toEqual({});
    expect(readFileSync(join(d, 'bin'))).toEqual(bytes);
    const r = await fs.call('fs/readFile', { path: uri(join(d, 'bin')) });
    expect(Buffer.from(String(r.dataBase64), 'base64')).toEqual(bytes);
  });

  it('file_system_write_file_reports_missing_parent: NotFound, nothing created', async () => {
    const d = fresh();
    const e = await fs.error('fs/writeFile', { path: uri(join(d, 'missing/f.txt')), dataBase64: b64('x') });
    expect(e).toEqual({ code: -32004, message: 'No such file or directory (os error 2)' });
    expect(existsSync(join(d, 'missing'))).toBe(false);
  });

  it('file_system_copy_copies_file and file_system_copy_copies_directory_recursively', async () => {
    const d = fresh();
    writeFileSync(join(d, 'src.txt'), 'copy me');
    await fs.call('fs/copy', { sourcePath: uri(join(d, 'src.txt')), destinationPath: uri(join(d, 'dst.txt')), recursive: false });
    expect(readFileSync(join(d, 'dst.txt'), 'utf8')).toBe('copy me');
    // Onto itself, by its own path and through a hard link: a no-op, never an emptied file.
    linkSync(join(d, 'src.txt'), join(d, 'hard.txt'));
    await fs.call('fs/copy', { sourcePath: uri(join(d, 'src.txt')), destinationPath: uri(join(d, 'src.txt')), recursive: false });
    await fs.call('fs/copy', { sourcePath: uri(join(d, 'hard.txt')), destinationPath: uri(join(d, 'src.txt')), recursive: false });
    expect(readFileSync(join(d, 'src.txt'), 'utf8')).toBe('copy me');
    mkdirSync(join(d, 'tree/sub'), { recursive: true });
    writeFileSync(join(d, 'tree/sub/leaf.txt'), 'leaf');
    await fs.call('fs/copy', { sourcePath: uri(join(d, 'tree')), destinationPath: uri(join(d, 'tree2')), recursive: true });
    expect(readFileSync(join(d, 'tree2/sub/leaf.txt'), 'utf8')).toBe('leaf');
  });

  it('file_system_copy_rejects_directory_without_recursive and file_system_copy_rejects_copying_directory_into_descendant (exact messages)', async () => {
    const d = fresh();
    mkdirSync(join(d, 'tree'));
    expect(await fs.error('fs/copy', { sourcePath: uri(join(d, 'tree')), destinationPath: uri(join(d, 'x')), recursive: false })).toEqual({
      code: -32600,
      message: 'fs/copy requires recursive: true when sourcePath is a directory',
    });
    expect(await fs.error('fs/copy', { sourcePath: uri(join(d, 'tree')), destinationPath: uri(join(d, 'tree/inner')), recursive: true })).toEqual({
      code: -32600,
      message: 'fs/copy cannot copy a directory to itself or one of its descendants',
    });
    expect(existsSync(join(d, 'tree/inner'))).toBe(false);
    // The same destination spelled through a symlink to the tree (else: a copy into itself, level after level).
    symlinkSync('tree', join(d, 'alias'));
    expect(await fs.error('fs/copy', { sourcePath: uri(join(d, 'tree')), destinationPath: uri(join(d, 'alias/inner')), recursive: true })).toEqual({
      code: -32600,
      message: 'fs/copy cannot copy a directory to itself or one of its descendants',
    });
    expect(existsSync(join(d, 'tree/inner'))).toBe(false);
  });

  it('file_system_copy_preserves_symlink_source, _preserves_symlinks_in_recursive_copy, _ignores_unknown_special_files_in_recursive_copy, _rejects_standalone_fifo_source', async () => {
    const d = fresh();
    writeFileSync(join(d, 'target.txt'), 't');
    symlinkSync('target.txt', join(d, 'link'));
    await fs.call('fs/copy', { sourcePath: uri(join(d, 'link')), destinationPath: uri(join(d, 'link2')), recursive: false });
    expect(readlinkSync(join(d, 'link2'))).toBe('target.txt');
    mkdirSync(join(d, 'tree'));
    symlinkSync('../target.txt', join(d, 'tree/l'));
    execFileSync('mkfifo', [join(d, 'tree/fifo')]);
    await fs.call('fs/copy', { sourcePath: uri(join(d, 'tree')), destinationPath: uri(join(d, 'tree2')), recursive: true });
    expect(readlinkSync(join(d, 'tree2/l'))).toBe('../target.txt');
    expect(existsSync(join(d, 'tree2/fifo'))).toBe(false);
    expect(await fs.error('fs/copy', { sourcePath: uri(join(d, 'tree/fifo')), destinationPath: uri(join(d, 'f2')), recursive: false })).toEqual({
      code: -32600,
      message: 'fs/copy only supports regular files, directories, and symlinks',
    });
  });

  it('file_system_read_directory_lists_entries and file_system_metadata_and_directory_listing_follow_symlinks (broken links omitted)', async () => {
    const d = fresh();
    mkdirSync(join(d, 'sub'));
    writeFileSync(join(d, 'f.txt'), 'x');
    symlinkSync('sub', join(d, 'dirlink'));
    symlinkSync('nowhere', join(d, 'broken'));
    const r = await fs.call('fs/readDirectory', { path: uri(d) });
    const entries = (r.entries as Array<{ fileName: string }>).sort((a, b) => a.fileName.localeCompare(b.fileName));
    expect(entries).toEqual([
      { fileName: 'dirlink', isDirectory: true, isFile: false },
      { fileName: 'f.txt', isDirectory: false, isFile: true },
      { fileName: 'sub', isDirectory: true, isFile: false },
    ]);
    expect(await fs.call('fs/getMetadata', { path: uri(join(d, 'dirlink')) })).toMatchObject({ isSymlink: true, isDirectory: true });
    expect(await fs.call('fs/getMetadata', { path: uri(join(d, 'dirlink')), followSymlinks: false })).toMatchObject({ isSymlink: true, isDirectory: false });
  });

  it('file_system_canonicalize_resolves_directory_symlink', async () => {
    const d = fresh();
    mkdirSync(join(d, 'real'));
    symlinkSync(join(d, 'real'), join(d, 'alias'));
    expect(await fs.call('fs/canonicalize', { path: uri(join(d, 'alias')) })).toEqual({ path: uri(join(d, 'real')) });
  });

  it('file_system_walk_returns_a_bounded_tree: breadth-first, sorted, depth and entry limits', async () => {
    const d = fresh();
    mkdirSync(join(d, 'b/deep/deeper'), { recursive: true });
    writeFileSync(join(d, 'a.txt'), '');
    writeFileSync(join(d, 'b/c.txt'), '');
    const all = await fs.call('fs/walk', { path: uri(d), options: { maxDepth: 64, maxDirectories: 100, maxEntries: 100, followDirectorySymlinks: false } });
    expect(all).toEqual({
      entries: [
        { path: uri(join(d, 'a.txt')), kind: 'file' },
        { path: uri(join(d, 'b')), kind: 'directory' },
        { path: uri(join(d, 'b/c.txt')), kind: 'file' },
        { path: uri(join(d, 'b/deep')), kind: 'directory' },
        { path: uri(join(d, 'b/deep/deeper')), kind: 'directory' },
      ],
      errors: [],
      truncated: false,
    });
    const shallow = await fs.call('fs/walk', { path: uri(d), options: { maxDepth: 0, maxDirectories: 100, maxEntries: 100, followDirectorySymlinks: false } });
    expect((shallow.entries as unknown[]).length).toBe(2);
    const few = await fs.call('fs/walk', { path: uri(d), options: { maxDepth: 64, maxDirectories: 100, maxEntries: 3, followDirectorySymlinks: false } });
    expect((few.entries as unknown[]).length).toBe(3);
    expect(few.truncated).toBe(true);
    // maxDirectories counts the root: with 2, `b` is entered and `b/deep` is listed but not entered.
    const dirs = await fs.call('fs/walk', { path: uri(d), options: { maxDepth: 64, maxDirectories: 2, maxEntries: 100, followDirectorySymlinks: false } });
    expect(dirs).toEqual({ entries: (all.entries as unknown[]).slice(0, 4), errors: [], truncated: true });
  });

  // Hundreds of long entries once are enough: the budget is the same code in-process and in the helper.
  it.runIf(mode === 'direct')('fs/walk stops at its 4 MiB response budget (truncated), however many entries the limits allow', async () => {
    // 14 directories of 255-byte names, then 400 files of 200-byte names, every byte percent-encoded in
    // the URI (`#` → %23): ~11 KB per entry's URI, ~4.6 MB in all.
    const root = fresh();
    let deep = root;
    for (let i = 0; i < 14; i += 1) deep = join(deep, '#'.repeat(255));
    mkdirSync(deep, { recursive: true });
    for (let i = 0; i < 400; i += 1) writeFileSync(join(deep, `${String(i).padStart(4, '0')}${'#'.repeat(196)}`), '');
    const r = await fs.call('fs/walk', { path: uri(root), options: { maxDepth: 64, maxDirectories: 100, maxEntries: 50_000, followDirectorySymlinks: false } });
    const entries = r.entries as Array<{ path: string }>;
    expect(r.truncated).toBe(true);
    expect(entries.length).toBeGreaterThan(300);
    expect(entries.length).toBeLessThan(414);
    expect(entries.reduce((n, e) => n + Buffer.byteLength(e.path) + 64, 0)).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  it('file_system_walk_handles_invalid_roots_and_limits: file root → empty, missing root → -32004, bad limits → -32600', async () => {
    const d = fresh();
    writeFileSync(join(d, 'f'), '');
    const opts = { maxDepth: 1, maxDirectories: 1, maxEntries: 1, followDirectorySymlinks: false };
    expect(await fs.call('fs/walk', { path: uri(join(d, 'f')), options: opts })).toEqual({ entries: [], errors: [], truncated: false });
    expect((await fs.error('fs/walk', { path: uri(join(d, 'nope')), options: opts })).code).toBe(-32004);
    expect(await fs.error('fs/walk', { path: uri(d), options: { ...opts, maxEntries: 0 } })).toEqual({ code: -32600, message: 'filesystem walk limits must be greater than zero' });
    expect(await fs.error('fs/walk', { path: uri(d), options: { ...opts, maxDepth: 65 } })).toEqual({
      code: -32600,
      message: 'filesystem walk limits exceed maximums: depth=64, directories=10000, entries=50000',
    });
  });

  it('file_system_walk_handles_directory_symlinks (listed and entered only when following; cycles entered once) and prunes hidden directories', async () => {
    const d = fresh();
    mkdirSync(join(d, 'real/.hidden'), { recursive: true });
    writeFileSync(join(d, 'real/.hidden/h.txt'), '');
    writeFileSync(join(d, 'real/r.txt'), '');
    symlinkSync('real', join(d, 'zlink'));
    symlinkSync('..', join(d, 'real/up'));
    const opts = { maxDepth: 8, maxDirectories: 100, maxEntries: 100 };
    const noFollow = await fs.call('fs/walk', { path: uri(d), options: { ...opts, followDirectorySymlinks: false } });
    expect((noFollow.entries as Array<{ path: string }>).map((e) => e.path)).not.toContain(uri(join(d, 'zlink')));
    // A root that is a symlink (a directory a command swapped for a link to elsewhere) is not walked when not following.
    expect(await fs.call('fs/walk', { path: uri(join(d, 'zlink')), options: { ...opts, followDirectorySymlinks: false } })).toEqual({ entries: [], errors: [], truncated: false });
    const followed = await fs.call('fs/walk', { path: uri(d), options: { ...opts, followDirectorySymlinks: true, pruneHiddenDirectories: true } });
    const paths = (followed.entries as Array<{ path: string }>).map((e) => e.path);
    expect(paths).toContain(uri(join(d, 'zlink')));
    expect(paths).toContain(uri(join(d, 'real/.hidden')));
    expect(paths).not.toContain(uri(join(d, 'real/.hidden/h.txt')));
    // real is entered once (the alias zlink and the cycle real/up are listed, not walked again).
    expect(paths.filter((p) => p.endsWith('/r.txt'))).toEqual([uri(join(d, 'real/r.txt'))]);
  });

  it('file_system_walk_reports_non_utf8_names; the fallback form file:///%00/bad/path/<base64url> of such a path is refused (it has a canonical URI)', async () => {
    const d = fresh();
    const name = Buffer.concat([Buffer.from(`${d}/bad-`), Buffer.from([0xff, 0xfe])]);
    writeFileSync(name, 'raw');
    const r = await fs.call('fs/walk', { path: uri(d), options: { maxDepth: 1, maxDirectories: 1, maxEntries: 10, followDirectorySymlinks: false } });
    const entries = r.entries as Array<{ path: string; kind: string }>;
    expect(entries).toEqual([{ path: `${uri(d)}/bad-%FF%FE`, kind: 'file' }]);
    expect(await fs.call('fs/getMetadata', { path: entries[0]?.path })).toMatchObject({ isFile: true, size: 3 });
    // The fallback form is decoded, and refused for a path that has a canonical URI (one path, one URI):
    // InvalidInput with the PathUri error, before anything is opened.
    const fallback = `file:///%00/bad/path/${name.toString('base64url')}`;
    expect(await fs.error('fs/readFile', { path: fallback })).toEqual({
      code: -32600,
      message: `'${fallback}' is invalid on 'linux': its fallback payload does not decode to an absolute path that encodes back to this URI`,
    });
    // A fallback whose payload is not canonical base64url is not a PathUri at all (-32602).
    expect((await fs.error('fs/readFile', { path: `${fallback}=` })).code).toBe(-32602);
  });

  it('file_system_remove_removes_directory, _removes_symlink_not_target, force ignores NotFound', async () => {
    const d = fresh();
    mkdirSync(join(d, 'tree/sub'), { recursive: true });
    writeFileSync(join(d, 'tree/sub/f'), '');
    await fs.call('fs/remove', { path: uri(join(d, 'tree')) });
    expect(existsSync(join(d, 'tree'))).toBe(false);
    mkdirSync(join(d, 'target'));
    writeFileSync(join(d, 'target/keep'), 'k');
    symlinkSync(join(d, 'target'), join(d, 'link'));
    await fs.call('fs/remove', { path: uri(join(d, 'link')) });
    expect(existsSync(join(d, 'link'))).toBe(false);
    expect(readFileSync(join(d, 'target/keep'), 'utf8')).toBe('k');
    expect(await fs.call('fs/remove', { path: uri(join(d, 'gone')) })).toEqual({});
    expect((await fs.error('fs/remove', { path: uri(join(d, 'gone')), force: false })).code).toBe(-32004);
  });

  it('file_system_remove_no_follow_removes_file_and_empty_directory', async () => {
    const d = fresh();
    writeFileSync(join(d, 'f'), '');
    mkdirSync(join(d, 'empty'));
    await fs.call('fs/remove', { path: uri(join(d, 'f')), followSymlinks: false, recursive: false });
    await fs.call('fs/remove', { path: uri(join(d, 'empty')), followSymlinks: false, recursive: false });
    expect(existsSync(join(d, 'f')) || existsSync(join(d, 'empty'))).toBe(false);
  });

  it('file_system_operations_can_reject_symlinks_in_any_path_component: no-follow ops fail on a symlinked directory or leaf; target unchanged', async () => {
    const d = fresh();
    mkdirSync(join(d, 'real'));
    writeFileSync(join(d, 'real/f.txt'), 'original');
    symlinkSync('real', join(d, 'dirlink'));
    symlinkSync('real/f.txt', join(d, 'leaflink'));
    const nf = { followSymlinks: false };
    for (const p of [join(d, 'dirlink/f.txt'), join(d, 'leaflink')]) {
      expect((await fs.request('fs/readFile', { path: uri(p), ...nf })).error).toBeDefined();
      expect((await fs.request('fs/writeFile', { path: uri(p), dataBase64: b64('changed'), ...nf })).error).toBeDefined();
    }
    expect((await fs.request('fs/createDirectory', { path: uri(join(d, 'dirlink/new')), ...nf })).error).toBeDefined();
    // A symlink (to a directory) where the directory should be is not taken as that directory.
    expect((await fs.error('fs/createDirectory', { path: uri(join(d, 'dirlink')), recursive: true, ...nf })).message).toMatch(/exists \(os error 17\)$/);
    expect((await fs.request('fs/remove', { path: uri(join(d, 'dirlink/f.txt')), ...nf })).error).toBeDefined();
    expect((await fs.request('fs/getMetadata', { path: uri(join(d, 'dirlink/f.txt')), ...nf })).error).toBeDefined();
    expect(readFileSync(join(d, 'real/f.txt'), 'utf8')).toBe('original');
    expect(existsSync(join(d, 'real/new'))).toBe(false);
    // The same calls following symlinks work (the refusal is the option, not the path).
    expect(Buffer.from(String((await fs.call('fs/readFile', { path: uri(join(d, 'dirlink/f.txt')) })).dataBase64), 'base64').toString()).toBe('original');
  });

  it('file_system_no_follow_operations_support_search_only_ancestors (0o300 ancestor) and no-follow recursive mkdir', async () => {
    const d = fresh();
    mkdirSync(join(d, 'search-only/inner'), { recursive: true });
    writeFileSync(join(d, 'search-only/inner/f'), 'ok');
    chmodSync(join(d, 'search-only'), 0o300);
    try {
      const r = await fs.call('fs/readFile', { path: uri(join(d, 'search-only/inner/f')), followSymlinks: false });
      expect(Buffer.from(String(r.dataBase64), 'base64').toString()).toBe('ok');
      await fs.call('fs/createDirectory', { path: uri(join(d, 'search-only/inner/x/y')), followSymlinks: false });
      expect(statSync(join(d, 'search-only/inner/x/y')).isDirectory()).toBe(true);
    } finally {
      chmodSync(join(d, 'search-only'), 0o755);
    }
  });

  it('file_system_no_follow_write_rejects_fifo_without_blocking; reads of a FIFO fail at once (file_reads_reject_fifo_without_waiting_for_a_writer)', async () => {
    const d = fresh();
    execFileSync('mkfifo', [join(d, 'fifo')]);
    const t0 = Date.now();
    expect((await fs.request('fs/writeFile', { path: uri(join(d, 'fifo')), dataBase64: b64('x'), followSymlinks: false })).error).toBeDefined();
    expect(await fs.error('fs/readFile', { path: uri(join(d, 'fifo')) })).toEqual({ code: -32600, message: `path \`${join(d, 'fifo')}\` is not a file` });
    // A FIFO planted where a copy goes: refused at once, not a copy (and the connection behind it) stuck
    // until a reader comes; the FIFO is left as it was and the next request is served.
    writeFileSync(join(d, 'src.txt'), 'data');
    expect((await fs.request('fs/copy', { sourcePath: uri(join(d, 'src.txt')), destinationPath: uri(join(d, 'fifo')), recursive: false })).error).toBeDefined();
    expect(lstatSync(join(d, 'fifo')).isFIFO()).toBe(true);
    expect(await fs.call('fs/readFile', { path: uri(join(d, 'src.txt')) })).toEqual({ dataBase64: b64('data') });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(lstatSync(join(d, 'fifo')).isFIFO()).toBe(true);
  });

  it('fs/readFile over 512 MiB: -32600 `file is too large to read: limit is 536870912 bytes` (a sparse file)', async () => {
    const d = fresh();
    writeFileSync(join(d, 'big'), '');
    truncateSync(join(d, 'big'), 512 * 1024 * 1024 + 1);
    expect(await fs.error('fs/readFile', { path: uri(join(d, 'big')) })).toEqual({ code: -32600, message: 'file is too large to read: limit is 536870912 bytes' });
  });
  // 50 001 files once is enough: the limit is checked in the same code in-process and in the helper.
  it.runIf(mode === 'direct')('fs/readDirectory over 50 000 entries: -32603 `fs/readDirectory returned 50001 entries; limit is 50000` (in-process run only)', async () => {
    const d = fresh();
    for (let i = 0; i <= 50_000; i += 1) writeFileSync(join(d, String(i)), '');
    expect(await fs.error('fs/readDirectory', { path: uri(d) })).toEqual({ code: -32603, message: 'fs/readDirectory returned 50001 entries; limit is 50000' });
  });
});

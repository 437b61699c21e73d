/**
 * The filesystem operations themselves (Codex exec-server local_file_system.rs), on this host's
 * paths. The exec-server runs them in-process for unsandboxed requests; the fs helper runs the same
 * code inside the sandbox for restricted ones (helper-main.ts).
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rm, rmdir, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { PathUri, PathUriError } from '../../path-uri/index.js';
import type { Platform } from '../../path-uri/index.js';
import { copyPath } from './copy.js';
import { fsInternal, invalidInput, notFound, toFsFailure } from './errors.js';
import { withParent } from './nofollow.js';
import type { FsRequest } from './requests.js';
import { MAX_READ_BLOCK_BYTES, MAX_READ_DIRECTORY_ENTRIES, MAX_READ_FILE_BYTES } from './requests.js';
import { walk } from './walk.js';

export type NativePath = string | Buffer;

const platform = process.platform as Platform;

/** A PathUri's native path here; a URI for another host is Codex's InvalidInput (-32600). */
export function nativePath(uri: string): NativePath {
  try {
    return PathUri.parse(uri).toAbsPath({ platform });
  } catch (e) {
    throw invalidInput(e instanceof PathUriError ? e.message : String(e));
  }
}

export function uriOf(path: NativePath): string {
  return PathUri.fromAbsPath(path, { platform }).toString();
}

const display = (p: NativePath): string => (typeof p === 'string' ? p : p.toString('utf8'));

/** A no-follow path must be text (it is walked component by component). */
function textPath(p: NativePath): string {
  if (typeof p !== 'string') throw invalidInput('no-follow filesystem operations need a UTF-8 path');
  return p;
}

const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** Reads a whole regular file through an open handle, refusing more than `limit` bytes. */
async function readAll(fh: FileHandle, shown: NativePath): Promise<Buffer> {
  const st = await fh.stat();
  // O_NONBLOCK open + this check: a FIFO or device neither hangs the server nor streams forever.
  if (!st.isFile()) throw invalidInput(`path \`${display(shown)}\` is not a file`);
  if (st.size > MAX_READ_FILE_BYTES) throw invalidInput(`file is too large to read: limit is ${MAX_READ_FILE_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const buf = Buffer.allocUnsafe(Math.min(1 << 20, MAX_READ_FILE_BYTES + 1 - total));
    const { bytesRead } = await fh.read(buf, 0, buf.length, null);
    if (bytesRead === 0) break;
    chunks.push(buf.subarray(0, bytesRead));
    total += bytesRead;
    // The file grew after the stat: still bounded.
    if (total > MAX_READ_FILE_BYTES) throw invalidInput(`file is too large to read: limit is ${MAX_READ_FILE_BYTES} bytes`);
  }
  return Buffer.concat(chunks, total);
}

async function openRegular(path: NativePath, followSymlinks: boolean): Promise<FileHandle> {
  if (followSymlinks) return open(path, READ_FLAGS);
  return withParent(textPath(path), (p) => open(p.leafPath, READ_FLAGS | constants.O_NOFOLLOW));
}

async function readFile(path: NativePath, followSymlinks: boolean): Promise<object> {
  const fh = await openRegular(path, followSymlinks);
  try {
    return { dataBase64: (await readAll(fh, path)).toString('base64') };
  } finally {
    await fh.close();
  }
}

async function writeFile(path: NativePath, data: Buffer, followSymlinks: boolean): Promise<object> {
  // No O_TRUNC at open: a FIFO or device target is refused (not blocked on, not truncated) first;
  // truncating in place keeps an existing hard link's inode (Codex #21819).
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_NONBLOCK;
  const fh = followSymlinks ? await open(path, flags, 0o666) : await withParent(textPath(path), (p) => open(p.leafPath, flags | constants.O_NOFOLLOW, 0o666));
  try {
    if (!(await fh.stat()).isFile()) throw invalidInput(`path \`${display(path)}\` is not a file`);
    await fh.truncate(0);
    await fh.write(data, 0, data.length, 0);
  } finally {
    await fh.close();
  }
  return {};
}

async function createDirectory(path: NativePath, recursive: boolean, followSymlinks: boolean): Promise<object> {
  if (followSymlinks) {
    await mkdir(path, { recursive });
    return {};
  }
  await withParent(
    textPath(path),
    async (p) => {
      try {
        await mkdir(p.leafPath);
      } catch (e) {
        if (!recursive || (e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        if (!(await lstat(p.leafPath)).isDirectory()) throw e;
      }
    },
    recursive,
  );
  return {};
}

const ms = (v: number): number => (Number.isFinite(v) && v > 0 ? Math.floor(v) : 0);

function metadataOf(st: Stats, isSymlink: boolean): object {
  return { isDirectory: st.isDirectory(), isFile: st.isFile(), isSymlink, size: st.size, createdAtMs: ms(st.birthtimeMs), modifiedAtMs: ms(st.mtimeMs) };
}

async function getMetadata(path: NativePath, followSymlinks: boolean): Promise<object> {
  if (!followSymlinks) {
    return withParent(textPath(path), async (p) => {
      const l = await lstat(p.leafPath);
      return metadataOf(l, l.isSymbolicLink());
    });
  }
  const l = await lstat(path);
  return metadataOf(l.isSymbolicLink() ? await stat(path) : l, l.isSymbolicLink());
}

async function readDirectory(path: NativePath): Promise<object> {
  const dir = typeof path === 'string' ? Buffer.from(path) : path;
  const names = await readdir(dir, { encoding: 'buffer', withFileTypes: true });
  if (names.length > MAX_READ_DIRECTORY_ENTRIES) throw fsInternal(`fs/readDirectory returned ${names.length} entries; limit is ${MAX_READ_DIRECTORY_ENTRIES}`);
  const entries: object[] = [];
  for (const d of names) {
    let isDirectory = d.isDirectory();
    let isFile = d.isFile();
    if (d.isSymbolicLink() || (!isDirectory && !isFile && !d.isFIFO() && !d.isSocket() && !d.isCharacterDevice() && !d.isBlockDevice())) {
      // Symlinks are reported as their target; a broken link or an unreadable type is left out (Codex).
      try {
        const st = await stat(Buffer.concat([dir, Buffer.from('/'), d.name]));
        isDirectory = st.isDirectory();
        isFile = st.isFile();
      } catch {
        continue;
      }
    }
    entries.push({ fileName: d.name.toString('utf8'), isDirectory, isFile });
  }
  return { entries };
}

async function remove(path: NativePath, recursive: boolean, force: boolean, followSymlinks: boolean): Promise<object> {
  // lstat-based throughout: a symlink is removed itself, never what it points to.
  const removeAt = async (at: NativePath): Promise<void> => {
    let st: Stats;
    try {
      st = await lstat(at);
    } catch (e) {
      if (force && (e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    if (st.isDirectory()) {
      if (recursive) await rm(at, { recursive: true, force });
      else await rmdir(at);
    } else {
      await unlink(at);
    }
  };
  if (followSymlinks) await removeAt(path);
  else {
    try {
      await withParent(textPath(path), (p) => removeAt(p.leafPath));
    } catch (e) {
      if (force && toFsFailure(e).code === notFound('').code) return {};
      throw e;
    }
  }
  return {};
}

/** Streamed reads: handles opened here and read positionally (Codex sandboxed_file_open.rs, file_read.rs). */
export class OpenFiles {
  private readonly files = new Map<string, FileHandle>();

  async open(handleId: string, path: NativePath): Promise<void> {
    const fh = await open(path, READ_FLAGS);
    try {
      if (!(await fh.stat()).isFile()) throw invalidInput(`path \`${display(path)}\` is not a file`);
    } catch (e) {
      await fh.close();
      throw e;
    }
    const old = this.files.get(handleId);
    if (old) await old.close();
    this.files.set(handleId, fh);
  }

  async readBlock(handleId: string, offset: number, len: number): Promise<object> {
    const fh = this.files.get(handleId);
    if (!fh) throw notFound(`unknown file read handle \`${handleId}\``);
    const buf = Buffer.allocUnsafe(Math.min(len, MAX_READ_BLOCK_BYTES));
    try {
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return { chunk: buf.subarray(0, got).toString('base64'), eof: got < len };
    } catch (e) {
      // Codex: any read error also closes the handle.
      await this.close(handleId);
      throw e;
    }
  }

  async close(handleId: string): Promise<void> {
    const fh = this.files.get(handleId);
    this.files.delete(handleId);
    await fh?.close();
  }

  async closeAll(): Promise<void> {
    const all = [...this.files.values()];
    this.files.clear();
    await Promise.allSettled(all.map((f) => f.close()));
  }
}

/** Runs one request; failures are FsFailure with Codex's code and text. */
export async function runFsRequest(req: FsRequest, files: OpenFiles): Promise<object> {
  try {
    switch (req.operation) {
      case 'fs/readFile':
        return await readFile(nativePath(req.path), req.followSymlinks);
      case 'fs/writeFile':
        return await writeFile(nativePath(req.path), Buffer.from(req.dataBase64, 'base64'), req.followSymlinks);
      case 'fs/createDirectory':
        return await createDirectory(nativePath(req.path), req.recursive, req.followSymlinks);
      case 'fs/getMetadata':
        return await getMetadata(nativePath(req.path), req.followSymlinks);
      case 'fs/canonicalize':
        return { path: uriOf(await realpath(nativePath(req.path), { encoding: 'buffer' })) };
      case 'fs/readDirectory':
        return await readDirectory(nativePath(req.path));
      case 'fs/walk':
        return await walk(nativePath(req.path), req.options);
      case 'fs/remove':
        return await remove(nativePath(req.path), req.recursive, req.force, req.followSymlinks);
      case 'fs/copy':
        await copyPath(nativePath(req.sourcePath), nativePath(req.destinationPath), req.recursive);
        return {};
      case 'fs/open':
        await files.open(req.handleId, nativePath(req.path));
        return { handleId: req.handleId };
      case 'fs/readBlock':
        return await files.readBlock(req.handleId, req.offset, req.len);
      case 'fs/close':
        await files.close(req.handleId);
        return {};
    }
  } catch (e) {
    throw toFsFailure(e);
  }
}

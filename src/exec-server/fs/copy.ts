/** `fs/copy` (Codex local_file_system.rs copy): files, symlinks recreated as symlinks, directories recursively. */
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, realpath, symlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { invalidInput } from './errors.js';

type NativePath = string | Buffer;

const asBuf = (p: NativePath): Buffer => (typeof p === 'string' ? Buffer.from(p) : p);
const join = (dir: NativePath, name: Buffer): Buffer => Buffer.concat([asBuf(dir), Buffer.from('/'), name]);

async function canonicalDestination(dest: NativePath): Promise<string> {
  const d = asBuf(dest).toString('latin1');
  try {
    return Buffer.from(await realpath(Buffer.from(d, 'latin1'), { encoding: 'buffer' })).toString('latin1');
  } catch {
    const parent = await realpath(Buffer.from(dirname(d), 'latin1'), { encoding: 'buffer' }).catch(() => Buffer.from(dirname(d), 'latin1'));
    return `${parent.toString('latin1').replace(/\/$/, '')}/${basename(d)}`;
  }
}

/**
 * Copies one regular file. Both ends are opened O_NONBLOCK and checked with fstat first: a FIFO at either
 * path (planted, or swapped in after the listing) fails or is skipped at once instead of blocking in open(2)
 * for a partner that never comes (fifo(7)), which would hold the server's thread and the connection forever.
 * Returns false when the source is not a regular file after all.
 */
async function copyRegular(from: NativePath, to: NativePath): Promise<boolean> {
  const src = await open(from, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  try {
    const st = await src.stat();
    if (!st.isFile()) return false;
    // No O_TRUNC at open: a FIFO or device destination is refused before anything is changed.
    const dst = await open(to, constants.O_WRONLY | constants.O_CREAT | constants.O_NONBLOCK, st.mode & 0o7777);
    try {
      const dt = await dst.stat();
      if (!dt.isFile()) throw invalidInput(`fs/copy destination \`${asBuf(to).toString('utf8')}\` is not a regular file`);
      // The same file (the same path, a hard link, a symlinked directory): nothing to copy, and truncating the
      // destination would empty the source (copyFile, libuv uv_fs_copyfile, does nothing here too).
      if (dt.dev === st.dev && dt.ino === st.ino) return true;
      await dst.truncate(0);
      const buf = Buffer.allocUnsafe(1 << 20);
      for (let pos = 0; ; ) {
        const { bytesRead } = await src.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        await dst.write(buf, 0, bytesRead, pos);
        pos += bytesRead;
      }
      await dst.chmod(st.mode & 0o7777);
    } finally {
      await dst.close();
    }
    return true;
  } finally {
    await src.close();
  }
}

async function copyTree(src: NativePath, dest: NativePath): Promise<void> {
  await mkdir(dest);
  for (const d of await readdir(asBuf(src), { encoding: 'buffer', withFileTypes: true })) {
    const from = join(src, d.name);
    const to = join(dest, d.name);
    if (d.isSymbolicLink()) await symlink(await readlink(from, { encoding: 'buffer' }), to);
    else if (d.isDirectory()) await copyTree(from, to);
    else if (d.isFile()) await copyRegular(from, to);
    // Inside a recursive copy other special files (FIFOs, sockets, devices) are skipped (Codex).
  }
}

export async function copyPath(src: NativePath, dest: NativePath, recursive: boolean): Promise<void> {
  const st = await lstat(src);
  if (st.isSymbolicLink()) {
    await symlink(await readlink(src, { encoding: 'buffer' }), dest);
    return;
  }
  if (st.isFile()) {
    if (!(await copyRegular(src, dest))) throw invalidInput('fs/copy only supports regular files, directories, and symlinks');
    return;
  }
  if (!st.isDirectory()) throw invalidInput('fs/copy only supports regular files, directories, and symlinks');
  if (!recursive) throw invalidInput('fs/copy requires recursive: true when sourcePath is a directory');
  const from = (await realpath(asBuf(src), { encoding: 'buffer' })).toString('latin1');
  const to = await canonicalDestination(dest);
  if (to === from || to.startsWith(from.endsWith('/') ? from : `${from}/`)) {
    throw invalidInput('fs/copy cannot copy a directory to itself or one of its descendants');
  }
  await copyTree(src, dest);
}

/** `fs/copy` (Codex local_file_system.rs copy): files, symlinks recreated as symlinks, directories recursively. */
import { copyFile, lstat, mkdir, readdir, readlink, realpath, symlink } from 'node:fs/promises';
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

async function copyTree(src: NativePath, dest: NativePath): Promise<void> {
  await mkdir(dest);
  for (const d of await readdir(asBuf(src), { encoding: 'buffer', withFileTypes: true })) {
    const from = join(src, d.name);
    const to = join(dest, d.name);
    if (d.isSymbolicLink()) await symlink(await readlink(from, { encoding: 'buffer' }), to);
    else if (d.isDirectory()) await copyTree(from, to);
    else if (d.isFile()) await copyFile(from, to);
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
    await copyFile(src, dest);
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

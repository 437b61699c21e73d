/**
 * The client's typed fs/* methods (src/exec-server/client, `FsMethods`) driven against the REAL server
 * (`node dist/cli/main.js exec-server`, which follows reference §3.9–3.11): every method, once
 * unsandboxed and once with a restricting sandbox context (workspace-write, served by the bwrap fs
 * helper), plus a write the sandbox refuses (the error as the server gives it) and a streamed read.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectExecServer, ExecServerRequestError } from '../../../src/exec-server/client/index.js';
import type { ExecServerClient } from '../../../src/exec-server/client/index.js';
import { uri } from './fs-helpers.js';
import { built, isLinux, scratch, startServer, workspaceWriteSandbox } from './helpers.js';
import type { ServerProcess } from './helpers.js';

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

describe.skipIf(!isLinux || !built)('client fs/* methods against the real server', () => {
  let server: ServerProcess;
  let c: ExecServerClient;
  const dir = scratch('csbx-clientfs-');
  beforeAll(async () => {
    server = await startServer();
    c = await connectExecServer(server.url);
  });
  afterAll(async () => {
    await c.close();
    await server.stop();
    dir.cleanup();
  });

  for (const mode of ['unsandboxed', 'sandboxed'] as const) {
    it(`every fs method round-trips through the client (${mode})`, async () => {
      const sandbox = mode === 'sandboxed' ? workspaceWriteSandbox(dir.wsUri) : undefined;
      const root = join(dir.ws, mode);
      const u = (p: string): string => uri(join(root, p));

      expect(await c.fsCreateDirectory({ path: u('a/b'), recursive: true, sandbox })).toEqual({});
      const data = Buffer.from([0, 1, 2, 255, 10, 13]);
      expect(await c.fsWriteFile({ path: u('a/b/f.bin'), dataBase64: b64(data), sandbox })).toEqual({});
      expect(readFileSync(join(root, 'a/b/f.bin'))).toEqual(data);
      expect(Buffer.from((await c.fsReadFile({ path: u('a/b/f.bin'), sandbox })).dataBase64, 'base64')).toEqual(data);

      const meta = await c.fsGetMetadata({ path: u('a/b/f.bin'), sandbox });
      expect(meta).toMatchObject({ isDirectory: false, isFile: true, isSymlink: false, size: data.length });
      expect(typeof meta.modifiedAtMs).toBe('number');
      symlinkSync('b/f.bin', join(root, 'a/link'));
      expect(await c.fsGetMetadata({ path: u('a/link'), followSymlinks: false, sandbox })).toMatchObject({ isSymlink: true });
      expect(await c.fsCanonicalize({ path: u('a/link'), sandbox })).toEqual({ path: u('a/b/f.bin') });

      const listing = await c.fsReadDirectory({ path: u('a'), sandbox });
      expect(listing.entries.sort((x, y) => x.fileName.localeCompare(y.fileName))).toEqual([
        { fileName: 'b', isDirectory: true, isFile: false },
        { fileName: 'link', isDirectory: false, isFile: true },
      ]);

      const walked = await c.fsWalk({ path: u('a'), options: { maxDepth: 4, maxDirectories: 10, maxEntries: 10, followDirectorySymlinks: false }, sandbox });
      expect(walked.truncated).toBe(false);
      expect(walked.errors).toEqual([]);
      // §3.11: a symlink is listed only when following and it points to a directory, so `link` is not.
      expect(walked.entries).toEqual([
        { path: u('a/b'), kind: 'directory' },
        { path: u('a/b/f.bin'), kind: 'file' },
      ]);

      expect(await c.fsCopy({ sourcePath: u('a/b'), destinationPath: u('copy'), recursive: true, sandbox })).toEqual({});
      expect(readFileSync(join(root, 'copy/f.bin'))).toEqual(data);

      expect(await c.fsRemove({ path: u('copy'), recursive: true, force: false, sandbox })).toEqual({});
      expect(existsSync(join(root, 'copy'))).toBe(false);
      // A missing path without force: -32004 with the OS text, as ExecServerRequestError.
      const missing = await c.fsRemove({ path: u('copy'), recursive: true, force: false, sandbox }).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(ExecServerRequestError);
      expect(missing).toMatchObject({ method: 'fs/remove', code: -32004, serverMessage: 'No such file or directory (os error 2)', message: 'fs/remove: No such file or directory (os error 2)' });
    });

    it(`streamed read: fs/open + fs/readBlock in blocks + fs/close (${mode})`, async () => {
      const sandbox = mode === 'sandboxed' ? workspaceWriteSandbox(dir.wsUri) : undefined;
      const file = join(dir.ws, `stream-${mode}.bin`);
      const content = Buffer.alloc(3 * 65536 + 123);
      for (let i = 0; i < content.length; i++) content[i] = (i * 31 + 7) & 0xff;
      writeFileSync(file, content);
      const handleId = `h-${mode}`;
      expect(await c.fsOpen({ handleId, path: uri(file), sandbox })).toEqual({ handleId });
      const parts: Buffer[] = [];
      let offset = 0;
      for (;;) {
        const block = await c.fsReadBlock({ handleId, offset, len: 65536 });
        const bytes = Buffer.from(block.chunk, 'base64');
        parts.push(bytes);
        offset += bytes.length;
        if (block.eof) break;
      }
      expect(parts.length).toBe(4);
      expect(Buffer.concat(parts)).toEqual(content);
      expect(await c.fsClose({ handleId })).toEqual({});
      // After close the handle is unknown to the server: -32004.
      await expect(c.fsReadBlock({ handleId, offset: 0, len: 1 })).rejects.toMatchObject({ method: 'fs/readBlock', code: -32004 });
    });
  }

  it('a write outside the writable roots is refused by the sandbox with the server\'s code and message; nothing is written', async () => {
    const sandbox = workspaceWriteSandbox(dir.wsUri);
    const target = join(dir.outside, 'refused.txt');
    const err = await c.fsWriteFile({ path: uri(target), dataBase64: b64('x'), sandbox }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecServerRequestError);
    // bwrap binds everything outside the roots read-only: EROFS, which map_fs_error sends as -32603.
    expect(err).toMatchObject({ method: 'fs/writeFile', code: -32603, serverMessage: 'Read-only file system (os error 30)' });
    expect(existsSync(target)).toBe(false);
    // Control: the refusal is the sandbox's, not the path's.
    mkdirSync(dir.outside, { recursive: true });
    await c.fsWriteFile({ path: uri(target), dataBase64: b64('x') });
    expect(readFileSync(target, 'utf8')).toBe('x');
  });
});

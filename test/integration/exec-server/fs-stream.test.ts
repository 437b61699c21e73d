/**
 * Streamed reads fs/open, fs/readBlock, fs/close (Codex tests/file_stream.rs) and bad fs input, each
 * with Codex's code and message; streams run in-process and inside a read-only sandbox (the file is
 * opened and read in the fs helper).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64, built, isLinux, scratch, startServer, WsClient } from './helpers.js';
import type { ServerProcess } from './helpers.js';
import { FsClient, MODES, readOnlySandbox, uri } from './fs-helpers.js';

const MiB = 1024 * 1024;

describe.skipIf(!isLinux || !built).each(MODES)('exec-server fs/open, fs/readBlock, fs/close (Codex file_stream.rs), %s', (mode) => {
  let server: ServerProcess;
  let c: WsClient;
  let fs: FsClient;
  const dir = scratch('csbx-fss-');
  let n = 0;
  const fresh = (): string => {
    const d = join(dir.ws, `t${(n += 1)}`);
    mkdirSync(d);
    return d;
  };
  beforeAll(async () => {
    server = await startServer();
    c = await WsClient.connect(server.url);
    await c.initialize();
    fs = new FsClient(c, mode === 'sandboxed' ? readOnlySandbox(dir.wsUri) : undefined);
  });
  afterAll(async () => {
    await c.close();
    await server.stop();
    dir.cleanup();
  });

  const block = async (handleId: string, offset: number, len: number): Promise<{ data: Buffer; eof: boolean }> => {
    const r = await c.call('fs/readBlock', { handleId, offset, len });
    return { data: Buffer.from(String(r.chunk), 'base64'), eof: r.eof as boolean };
  };

  it('file_system_read_file_stream_returns_bounded_chunks: 2 MiB + 17 bytes in non-empty chunks of at most 1 MiB', async () => {
    const d = fresh();
    const content = Buffer.alloc(2 * MiB + 17);
    for (let i = 0; i < content.length; i += 1) content[i] = (i * 31) & 0xff;
    writeFileSync(join(d, 'big'), content);
    expect(await fs.call('fs/open', { handleId: 'big', path: uri(join(d, 'big')) })).toEqual({ handleId: 'big' });
    const parts: Buffer[] = [];
    for (let off = 0; ; ) {
      const { data, eof } = await block('big', off, MiB);
      if (data.length > 0) parts.push(data);
      expect(data.length).toBeLessThanOrEqual(MiB);
      off += data.length;
      if (eof) break;
    }
    expect(parts.every((p) => p.length > 0)).toBe(true);
    expect(Buffer.concat(parts).equals(content)).toBe(true);
    expect(await c.call('fs/close', { handleId: 'big' })).toEqual({});
  });

  it('stream_stops_after_an_exact_block_boundary and read_block_supports_non_sequential_offsets_and_lengths', async () => {
    const d = fresh();
    writeFileSync(join(d, 'f'), '0123456789');
    await fs.call('fs/open', { handleId: 'b', path: uri(join(d, 'f')) });
    expect(await block('b', 0, 5)).toEqual({ data: Buffer.from('01234'), eof: false });
    expect(await block('b', 5, 5)).toEqual({ data: Buffer.from('56789'), eof: false });
    expect(await block('b', 10, 5)).toEqual({ data: Buffer.alloc(0), eof: true });
    expect(await block('b', 7, 2)).toEqual({ data: Buffer.from('78'), eof: false });
    expect(await block('b', 1, 100)).toEqual({ data: Buffer.from('123456789'), eof: true });
    await c.call('fs/close', { handleId: 'b' });
  });

  it('stream_keeps_reading_the_open_file_after_path_replacement', async () => {
    const d = fresh();
    writeFileSync(join(d, 'f'), 'original');
    await fs.call('fs/open', { handleId: 'r', path: uri(join(d, 'f')) });
    writeFileSync(join(d, 'g'), 'replacement');
    renameSync(join(d, 'g'), join(d, 'f'));
    expect((await block('r', 0, 100)).data.toString()).toBe('original');
    await c.call('fs/close', { handleId: 'r' });
  });

  it('file_reads_reject_fifo_without_waiting_for_a_writer; a directory is not a file either', async () => {
    const d = fresh();
    execFileSync('mkfifo', [join(d, 'fifo')]);
    expect(await fs.error('fs/open', { handleId: 'fifo', path: uri(join(d, 'fifo')) })).toEqual({ code: -32600, message: `path \`${join(d, 'fifo')}\` is not a file` });
    expect((await fs.error('fs/open', { handleId: 'dir', path: uri(d) })).code).toBe(-32600);
    // A failed open leaves no handle behind.
    expect(await c.request('fs/readBlock', { handleId: 'fifo', offset: 0, len: 1 }).then((m) => m.error)).toEqual({ code: -32004, message: 'unknown file read handle `fifo`' });
  });

  it('open_enforces_the_per_connection_limit_and_close_releases_capacity (128, exact message); completed_streams_release_handle_capacity; duplicates', async () => {
    const d = fresh();
    writeFileSync(join(d, 'f'), 'x');
    const path = uri(join(d, 'f'));
    for (let i = 0; i < 128; i += 1) await fs.call('fs/open', { handleId: `h${i}`, path });
    expect(await fs.error('fs/open', { handleId: 'one-more', path })).toEqual({ code: -32600, message: 'at most 128 file reads may be open per connection' });
    expect(await fs.error('fs/open', { handleId: 'h0', path })).toEqual({ code: -32600, message: 'file read handle `h0` already exists' });
    await c.call('fs/close', { handleId: 'h0' });
    await c.call('fs/close', { handleId: 'h0' });
    expect(await fs.call('fs/open', { handleId: 'one-more', path })).toEqual({ handleId: 'one-more' });
    await c.call('fs/close', { handleId: 'one-more' });
    for (let i = 1; i < 128; i += 1) await c.call('fs/close', { handleId: `h${i}` });
  });

  it('a read handle belongs to its connection: another client cannot read or close it, and its own handle of the same id reads its own file', async () => {
    const d = fresh();
    writeFileSync(join(d, 'mine'), 'private');
    writeFileSync(join(d, 'theirs'), 'other');
    await fs.call('fs/open', { handleId: 'mine', path: uri(join(d, 'mine')) });
    const c2 = await WsClient.connect(server.url);
    try {
      await c2.initialize();
      expect(await c2.request('fs/readBlock', { handleId: 'mine', offset: 0, len: 100 }).then((m) => m.error)).toEqual({ code: -32004, message: 'unknown file read handle `mine`' });
      expect(await c2.call('fs/close', { handleId: 'mine' })).toEqual({});
      await new FsClient(c2, fs.sandbox).call('fs/open', { handleId: 'mine', path: uri(join(d, 'theirs')) });
      expect(Buffer.from(String((await c2.call('fs/readBlock', { handleId: 'mine', offset: 0, len: 100 })).chunk), 'base64').toString()).toBe('other');
    } finally {
      await c2.close();
    }
    expect((await block('mine', 0, 100)).data.toString()).toBe('private');
    await c.call('fs/close', { handleId: 'mine' });
  });

  it('open_rejects_handle_ids_longer_than_32_bytes; readBlock len bounds; unknown handle -32004', async () => {
    const d = fresh();
    writeFileSync(join(d, 'f'), 'x');
    expect(await fs.error('fs/open', { handleId: 'x'.repeat(33), path: uri(join(d, 'f')) })).toEqual({ code: -32600, message: 'file read handle ID must not exceed 32 bytes' });
    expect(await fs.call('fs/open', { handleId: 'x'.repeat(32), path: uri(join(d, 'f')) })).toEqual({ handleId: 'x'.repeat(32) });
    for (const len of [0, MiB + 1]) {
      expect(await c.request('fs/readBlock', { handleId: 'x'.repeat(32), offset: 0, len }).then((m) => m.error)).toEqual({
        code: -32600,
        message: 'file read block length must be between 1 and 1048576',
      });
    }
    expect(await c.request('fs/readBlock', { handleId: 'nope', offset: 0, len: 1 }).then((m) => m.error)).toEqual({ code: -32004, message: 'unknown file read handle `nope`' });
  });

  it('bad input: non-native URI -32600, native path string -32602, not a URI -32602, bad base64 -32600, missing field -32602', async () => {
    const d = fresh();
    expect(await fs.error('fs/readFile', { path: 'file://server/share/x' })).toEqual({
      code: -32600,
      message: "'file://server/share/x' is invalid on 'linux': it is a Windows path URI; convert it on a host that uses that convention",
    });
    expect(await fs.error('fs/readFile', { path: '/tmp/x' })).toEqual({ code: -32602, message: 'invalid URI: relative URL without a base' });
    expect(await fs.error('fs/readFile', { path: 'https://example.com/x' })).toEqual({ code: -32602, message: 'unsupported path URI scheme `https`' });
    expect(await fs.error('fs/writeFile', { path: uri(join(d, 'f')), dataBase64: 'not base64!' })).toEqual({
      code: -32600,
      message: 'fs/writeFile requires valid base64 dataBase64: Invalid symbol 32, offset 3.',
    });
    expect(await fs.error('fs/copy', { sourcePath: uri(join(d, 'f')), destinationPath: uri(join(d, 'g')) })).toEqual({ code: -32602, message: 'missing field `recursive`' });
    expect(await fs.error('fs/writeFile', { path: uri(join(d, 'f')), dataBase64: b64('x'), followSymlinks: 'no' })).toEqual({
      code: -32602,
      message: 'invalid type: string "no", expected a boolean',
    });
  });
});

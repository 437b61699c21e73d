/**
 * Sandboxed fs/* perform the attack for real (Codex §4.3–§4.5, tests/file_system/file_system_unix.rs):
 * a restricting `sandbox` context runs every operation inside the sandbox the same profile gives a
 * command, so writes outside the writable roots, through escaping symlinks, or onto protected metadata
 * fail and the disk is unchanged. Run unprivileged too (scripts/test-unprivileged.mjs).
 */
import { accessSync, constants, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, b64, built, isLinux, repo, scratch, sleep, startServer, workspaceWriteSandbox, WsClient } from './helpers.js';
import type { ServerProcess } from './helpers.js';
import { FsClient, readOnlySandbox, restrictedReadSandbox, SANDBOX_DENIED, uri } from './fs-helpers.js';

const HELPER = join(repo, 'dist/fs-helper/fs-helper.js');

/** The sibling test plants a file next to the helper: skipped where this user may not write there (an unprivileged run over root's checkout). */
function helperDirWritable(): boolean {
  try {
    accessSync(dirname(HELPER), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Pids of fs helpers started from this checkout's build (their command line names its file). */
function helperPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv[1] === HELPER && argv[0]?.endsWith('node') === true) pids.push(Number(name));
    } catch {
      // gone
    }
  }
  return pids;
}

/** The fs helpers running under the process `root` (its descendants by parent pid). */
function helpersUnder(root: number): number[] {
  const parentOf = (pid: number): number => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return 0;
    }
  };
  return helperPids().filter((pid) => {
    for (let p = parentOf(pid); p > 1; p = parentOf(p)) if (p === root) return true;
    return false;
  });
}

describe.skipIf(!isLinux || !built)('exec-server fs/* in the sandbox: escapes refused, disk unchanged (Codex §4.5)', () => {
  let server: ServerProcess;
  let c: WsClient;
  let fs: FsClient;
  const dir = scratch('csbx-fssb-');
  beforeAll(async () => {
    // Secrets in the server's environment must not reach the helper (Codex helper_env_carries_only_allowlisted_runtime_vars).
    server = await startServer([], { ...process.env, CSBX_TEST_SECRET_TOKEN: 'hunter2', CODEX_EXEC_SERVER_NOISE_AUTH_TOKEN: 'noise' });
    c = await WsClient.connect(server.url);
    await c.initialize();
    fs = new FsClient(c, workspaceWriteSandbox(dir.wsUri));
  });
  afterAll(async () => {
    await c.close();
    await server.stop();
    dir.cleanup();
  });

  it('file_system_sandboxed_write_rejects_unwritable_path: outside the writable roots nothing is created; without the sandbox the same write works', async () => {
    const target = join(dir.outside, 'unwritable.txt');
    expect((await fs.error('fs/writeFile', { path: uri(target), dataBase64: b64('x') })).message).toMatch(SANDBOX_DENIED);
    expect(existsSync(target)).toBe(false);
    expect((await fs.error('fs/createDirectory', { path: uri(join(dir.outside, 'newdir')) })).message).toMatch(SANDBOX_DENIED);
    expect(existsSync(join(dir.outside, 'newdir'))).toBe(false);
    // Control: the refusal is the sandbox's, not the path's.
    await new FsClient(c, undefined).call('fs/writeFile', { path: uri(target), dataBase64: b64('x') });
    expect(readFileSync(target, 'utf8')).toBe('x');
    rmSync(target);
  });

  it('file_system_sandboxed_write_rejects_symlink_escape (and createDirectory, remove, copy destination through the link): outside unchanged', async () => {
    writeFileSync(join(dir.outside, 'victim.txt'), 'victim');
    symlinkSync(dir.outside, join(dir.ws, 'escape'));
    try {
      const via = (p: string): string => uri(join(dir.ws, 'escape', p));
      expect((await fs.error('fs/writeFile', { path: via('blocked.txt'), dataBase64: b64('x') })).message).toMatch(SANDBOX_DENIED);
      expect((await fs.error('fs/writeFile', { path: via('victim.txt'), dataBase64: b64('pwned') })).message).toMatch(SANDBOX_DENIED);
      expect((await fs.error('fs/createDirectory', { path: via('made') })).message).toMatch(SANDBOX_DENIED);
      expect((await fs.error('fs/remove', { path: via('victim.txt') })).message).toMatch(SANDBOX_DENIED);
      writeFileSync(join(dir.ws, 'src.txt'), 'src');
      expect((await fs.error('fs/copy', { sourcePath: uri(join(dir.ws, 'src.txt')), destinationPath: via('copied.txt'), recursive: false })).message).toMatch(SANDBOX_DENIED);
      expect(readdirSync(dir.outside).sort()).toEqual(['victim.txt']);
      expect(readFileSync(join(dir.outside, 'victim.txt'), 'utf8')).toBe('victim');
    } finally {
      rmSync(join(dir.ws, 'escape'));
    }
  });

  it('protected metadata under a writable root (.git) is refused and unchanged (Codex sandbox_context_from_profile_preserves_workspace_write_read_only_subpaths)', async () => {
    mkdirSync(join(dir.ws, '.git'), { recursive: true });
    writeFileSync(join(dir.ws, '.git/config'), '[core]\n');
    try {
      // Refused — or, by a helper whose sandbox was planned before this .git existed (it lives on between
      // requests), written into that sandbox's staged new repository (docs/profiles.md), which is not
      // accepted: either way the host's .git is unchanged (checked below).
      const refusedOrStaged = async (params: Record<string, unknown>): Promise<void> => {
        const m = await fs.request('fs/writeFile', params);
        if (m.error) expect(m.error.message).toMatch(SANDBOX_DENIED);
      };
      await refusedOrStaged({ path: uri(join(dir.ws, '.git/config')), dataBase64: b64('[core]\nfsmonitor = evil\n') });
      await refusedOrStaged({ path: uri(join(dir.ws, '.git/hooks')), dataBase64: b64('#!/bin/sh\n') });
      // .git is a read-only mount inside the sandbox: removing it is EBUSY (a mount point) or a denial.
      expect((await fs.error('fs/remove', { path: uri(join(dir.ws, '.git')) })).message).toMatch(/Resource busy|Permission denied|Operation not permitted|Read-only file system/);
      expect(readFileSync(join(dir.ws, '.git/config'), 'utf8')).toBe('[core]\n');
      expect(existsSync(join(dir.ws, '.git/hooks'))).toBe(false);
    } finally {
      rmSync(join(dir.ws, '.git'), { recursive: true, force: true });
    }
  });

  it('file_system_sandboxed_write_preserves_existing_hard_link (Codex #21819): the write goes to the shared inode, which stays the same', async () => {
    writeFileSync(join(dir.outside, 'linked.txt'), 'before');
    linkSync(join(dir.outside, 'linked.txt'), join(dir.ws, 'hardlink.txt'));
    const before = statSync(join(dir.outside, 'linked.txt'));
    try {
      await fs.call('fs/writeFile', { path: uri(join(dir.ws, 'hardlink.txt')), dataBase64: b64('after') });
      const after = statSync(join(dir.ws, 'hardlink.txt'));
      expect([after.dev, after.ino]).toEqual([before.dev, before.ino]);
      expect(readFileSync(join(dir.outside, 'linked.txt'), 'utf8')).toBe('after');
    } finally {
      rmSync(join(dir.ws, 'hardlink.txt'));
      rmSync(join(dir.outside, 'linked.txt'));
    }
  });

  it('file_system_sandboxed_read_rejects_symlink_escape, _symlink_parent_dotdot_escape, read_directory / copy source escapes (reads restricted to the workspace)', async () => {
    writeFileSync(join(dir.outside, 'secret.txt'), 'secret');
    mkdirSync(join(dir.ws, 'inner'), { recursive: true });
    symlinkSync(dir.outside, join(dir.ws, 'rlink'));
    symlinkSync(join(dir.outside), join(dir.ws, 'inner/up'));
    const ro = new FsClient(c, restrictedReadSandbox(dir.wsUri, [dir.wsUri], [dir.wsUri]));
    try {
      expect((await ro.error('fs/readFile', { path: uri(join(dir.ws, 'rlink/secret.txt')) })).message).toMatch(SANDBOX_DENIED);
      // `inner/up/../outside/secret.txt`: the kernel resolves `..` after the link, outside the workspace.
      const dotdot = `${uri(join(dir.ws, 'inner/up'))}/../outside/secret.txt`;
      const r = await ro.request('fs/readFile', { path: dotdot });
      expect(r.result).toBeUndefined();
      expect((await ro.error('fs/readDirectory', { path: uri(join(dir.ws, 'rlink')) })).message).toMatch(SANDBOX_DENIED);
      expect((await ro.error('fs/copy', { sourcePath: uri(join(dir.ws, 'rlink/secret.txt')), destinationPath: uri(join(dir.ws, 'stolen.txt')), recursive: false })).message).toMatch(SANDBOX_DENIED);
      expect(existsSync(join(dir.ws, 'stolen.txt'))).toBe(false);
      // file_system_sandboxed_metadata_and_read_allow_readable_root: inside the readable root it works.
      writeFileSync(join(dir.ws, 'inner/ok.txt'), 'ok');
      expect(await ro.call('fs/readFile', { path: uri(join(dir.ws, 'inner/ok.txt')) })).toEqual({ dataBase64: b64('ok') });
      expect(await ro.call('fs/getMetadata', { path: uri(join(dir.ws, 'inner/ok.txt')) })).toMatchObject({ isFile: true, size: 2 });
    } finally {
      rmSync(join(dir.ws, 'rlink'));
      rmSync(join(dir.ws, 'inner'), { recursive: true });
      rmSync(join(dir.outside, 'secret.txt'));
    }
  });

  it('file_system_walk_honors_read_sandbox: an unreadable root is an error, not a listing', async () => {
    writeFileSync(join(dir.outside, 'hidden.txt'), '');
    const ro = new FsClient(c, restrictedReadSandbox(dir.wsUri, [dir.wsUri]));
    const r = await ro.request('fs/walk', { path: uri(dir.outside), options: { maxDepth: 1, maxDirectories: 1, maxEntries: 10, followDirectorySymlinks: false } });
    expect(JSON.stringify(r)).not.toContain('hidden.txt');
    rmSync(join(dir.outside, 'hidden.txt'));
  });

  it.skipIf(!helperDirWritable())('sandboxed_file_operations_cannot_read_helper_siblings (skipped when dist/fs-helper is not writable by this user): only the helper file itself is added for reading', async () => {
    const sibling = join(dirname(HELPER), 'sibling-secret.txt');
    writeFileSync(sibling, 'sibling');
    try {
      const ro = new FsClient(c, restrictedReadSandbox(dir.wsUri, [dir.wsUri]));
      expect((await ro.error('fs/readFile', { path: uri(sibling) })).message).toMatch(SANDBOX_DENIED);
      // Control: the same read unsandboxed works.
      expect(await new FsClient(c, undefined).call('fs/readFile', { path: uri(sibling) })).toEqual({ dataBase64: b64('sibling') });
    } finally {
      rmSync(sibling);
    }
  });

  it('a helper serves one sandbox context: a request for another workspace root never runs in the first one\'s live helper (each writes only its own root)', async () => {
    const other = join(dir.base, 'ws2');
    mkdirSync(other);
    const fsOther = new FsClient(c, workspaceWriteSandbox(uri(other)));
    try {
      // Same permissions, other cwd and workspaceRoots; the first context's helper is alive (just used).
      await fs.call('fs/writeFile', { path: uri(join(dir.ws, 'mine.txt')), dataBase64: b64('a') });
      expect((await fsOther.error('fs/writeFile', { path: uri(join(dir.ws, 'from-other.txt')), dataBase64: b64('b') })).message).toMatch(SANDBOX_DENIED);
      await fsOther.call('fs/writeFile', { path: uri(join(other, 'own.txt')), dataBase64: b64('b') });
      expect((await fs.error('fs/writeFile', { path: uri(join(other, 'from-first.txt')), dataBase64: b64('a') })).message).toMatch(SANDBOX_DENIED);
      expect(existsSync(join(dir.ws, 'from-other.txt')) || existsSync(join(other, 'from-first.txt'))).toBe(false);
      expect(readFileSync(join(other, 'own.txt'), 'utf8')).toBe('b');
    } finally {
      rmSync(join(dir.ws, 'mine.txt'), { force: true });
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('file_system_sandboxed_write_allows_additional_write_root', async () => {
    const extra = join(dir.base, 'extra');
    mkdirSync(extra);
    const rw = new FsClient(c, restrictedReadSandbox(dir.wsUri, [dir.wsUri], [uri(extra)]));
    await rw.call('fs/writeFile', { path: uri(join(extra, 'ok.txt')), dataBase64: b64('ok') });
    expect(readFileSync(join(extra, 'ok.txt'), 'utf8')).toBe('ok');
  });

  it('helper_env_carries_only_allowlisted_runtime_vars: the helper reads its own environment; no server secret is in it', async () => {
    const r = await fs.call('fs/readFile', { path: 'file:///proc/self/environ' });
    const names = Buffer.from(String(r.dataBase64), 'base64')
      .toString()
      .split('\0')
      .filter(Boolean)
      .map((kv) => kv.slice(0, kv.indexOf('=')));
    expect(names).not.toContain('CSBX_TEST_SECRET_TOKEN');
    expect(names).not.toContain('CODEX_EXEC_SERVER_NOISE_AUTH_TOKEN');
    expect(names).not.toContain('HOME');
    expect(names).toContain('PATH');
  });

  it('sandbox context errors: cwd-dependent profile without cwd, non-native cwd (-32600, no fallback); danger-full-access runs directly', async () => {
    const ws = workspaceWriteSandbox(dir.wsUri);
    const noCwd = { ...ws, cwd: undefined };
    expect(await c.request('fs/readFile', { path: uri(join(dir.ws, 'x')), sandbox: noCwd }).then((m) => m.error)).toEqual({
      code: -32600,
      message: 'file system sandbox context with dynamic permissions requires cwd',
    });
    const foreign = await c.request('fs/readFile', { path: uri(join(dir.ws, 'x')), sandbox: { ...ws, cwd: 'file://server/share/x' } });
    expect(foreign.error?.code).toBe(-32600);
    expect(foreign.error?.message).toMatch(/^file system sandbox cwd is not native to this exec-server host: 'file:\/\/server\/share\/x' is invalid on 'linux'/);
    const full = { permissions: { type: 'disabled' }, windowsSandboxLevel: 'disabled' };
    const target = join(dir.outside, 'direct.txt');
    expect(await c.call('fs/writeFile', { path: uri(target), dataBase64: b64('d'), sandbox: full })).toEqual({});
    expect(readFileSync(target, 'utf8')).toBe('d');
    rmSync(target);
  });

  it('a helper stops when idle, lives while a read handle is open, and is killed when its connection goes (Codex kill_on_drop)', async () => {
    const t0 = Date.now();
    const mine = (): number[] => helpersUnder(server.proc.pid ?? 0);
    await new FsClient(c, readOnlySandbox(dir.wsUri)).call('fs/getMetadata', { path: dir.wsUri });
    expect(mine().length).toBeGreaterThan(0);
    while (mine().length > 0 && Date.now() - t0 < 10_000) await sleep(100);
    expect(mine()).toEqual([]);
    const c2 = await WsClient.connect(server.url);
    await c2.initialize();
    writeFileSync(join(dir.ws, 'held.txt'), 'held');
    await new FsClient(c2, readOnlySandbox(dir.wsUri)).call('fs/open', { handleId: 'keep', path: uri(join(dir.ws, 'held.txt')) });
    const held = mine();
    expect(held.length).toBe(1);
    await sleep(3000);
    expect(mine()).toEqual(held);
    c2.drop();
    const t1 = Date.now();
    while (mine().length > 0 && Date.now() - t1 < 10_000) await sleep(100);
    expect(mine()).toEqual([]);
  });
  it('one connection keeps at most 8 helpers (distinct sandbox contexts): a 9th context stops the least recently used idle one at once', async () => {
    const root = server.proc.pid ?? 0;
    const c4 = await WsClient.connect(server.url);
    await c4.initialize();
    writeFileSync(join(dir.ws, 'busy.txt'), 'b');
    try {
      // Nine contexts that differ only in a repeated entry: nine helper keys, one plan (so one sandbox session).
      const ctx = (i: number): FsClient => {
        const sb = readOnlySandbox(dir.wsUri) as { permissions: { file_system: { entries: unknown[] } } };
        const entry = sb.permissions.file_system.entries[0];
        return new FsClient(c4, { ...sb, permissions: { ...sb.permissions, file_system: { type: 'restricted', entries: Array.from({ length: i }, () => entry) } } });
      };
      const before = new Set(helpersUnder(root));
      await ctx(1).call('fs/getMetadata', { path: dir.wsUri });
      const first = helpersUnder(root).filter((p) => !before.has(p));
      expect(first.length).toBe(1);
      // Contexts 2–8 hold a read handle each (busy: never stopped); context 1 is the one idle helper.
      for (let i = 2; i <= 8; i += 1) await ctx(i).call('fs/open', { handleId: `h${i}`, path: uri(join(dir.ws, 'busy.txt')) });
      await ctx(1).call('fs/getMetadata', { path: dir.wsUri });
      const idleFrom = Date.now();
      await ctx(9).call('fs/getMetadata', { path: dir.wsUri });
      // Evicted when the 9th started; without the bound it would live until its 2 s idle stop.
      while (alive(first[0] ?? 0) && Date.now() - idleFrom < 1500) await sleep(25);
      expect(alive(first[0] ?? 0)).toBe(false);
    } finally {
      await c4.close();
      const t0 = Date.now();
      while (helpersUnder(root).length > 0 && Date.now() - t0 < 5000) await sleep(50);
      rmSync(join(dir.ws, 'busy.txt'));
    }
  });

  it('a helper that dies fails its requests with -32603 `fs sandbox helper failed with status …`; the next call starts a new one', async () => {
    const c3 = await WsClient.connect(server.url);
    await c3.initialize();
    const fs3 = new FsClient(c3, readOnlySandbox(dir.wsUri));
    writeFileSync(join(dir.ws, 'held2.txt'), 'held');
    const before = new Set(helpersUnder(server.proc.pid ?? 0));
    await fs3.call('fs/open', { handleId: 'h', path: uri(join(dir.ws, 'held2.txt')) });
    const [pid] = helpersUnder(server.proc.pid ?? 0).filter((p) => !before.has(p));
    expect(pid).toBeDefined();
    process.kill(pid ?? 0, 'SIGKILL');
    const t0 = Date.now();
    while (helperPids().includes(pid ?? 0) && Date.now() - t0 < 5000) await sleep(50);
    await sleep(200);
    const e = await c3.request('fs/readBlock', { handleId: 'h', offset: 0, len: 4 });
    expect(e.error?.code).toBe(-32603);
    expect(e.error?.message).toMatch(/^fs sandbox helper (failed with status|was stopped)/);
    expect(await fs3.call('fs/readFile', { path: uri(join(dir.ws, 'held2.txt')) })).toEqual({ dataBase64: b64('held') });
    await c3.close();
  });
  it('the bearer-token file is unreadable to a sandboxed fs call (it could connect back); the unsandboxed read is the control', async () => {
    const tokenFile = join(dir.base, 'token');
    writeFileSync(tokenFile, 'correct-horse-battery-staple-1234\n', { mode: 0o600 });
    const s = await startServer(['--listen', 'ws://127.0.0.1:0', '--auth-token-file', tokenFile]);
    try {
      const ct = await WsClient.connect(s.url, { Authorization: 'Bearer correct-horse-battery-staple-1234' });
      await ct.initialize();
      const e = await new FsClient(ct, workspaceWriteSandbox(dir.wsUri)).error('fs/readFile', { path: uri(tokenFile) });
      expect(e.message).toMatch(SANDBOX_DENIED);
      expect(JSON.stringify(e)).not.toContain('correct-horse');
      expect(await new FsClient(ct, undefined).call('fs/readFile', { path: uri(tokenFile) })).toEqual({ dataBase64: b64('correct-horse-battery-staple-1234\n') });
      await ct.close();
    } finally {
      await s.stop();
    }
  });
});

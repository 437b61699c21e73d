/**
 * The exec-server's sandbox sessions (#22, on by default) with real bwrap: sandboxed processes of one client session and one
 * plan share a sandbox session; another client session never gets it (its commands could see and
 * signal the first's); a tty process keeps a sandbox of its own; a client session's sandbox
 * sessions end with it. Which sandbox a process ran in is its user namespace (`/proc/self/ns/user`: bubblewrap makes one per sandbox; a session command gets its own pid/IPC/mount namespaces inside it, never a user namespace).
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { built, isLinux, outputOf, scratch, SESSIONS_FLAG, startParams, startServer, workspaceWriteSandbox, WsClient } from './helpers.js';
import type { ServerProcess } from './helpers.js';
import { FsClient, uri } from './fs-helpers.js';

const NS = ['readlink', '/proc/self/ns/user'];

/** Host pids of the session supervisors below `root` (comm is cut to 15 characters). */
function supervisorsUnder(root: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/comm`, 'utf8').trim() !== 'codex-sandbox-s') continue;
      let pid = Number(name);
      for (let depth = 0; depth < 8 && pid > 1; depth += 1) {
        pid = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
        if (pid === root) {
          out.push(Number(name));
          break;
        }
      }
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe.skipIf(!isLinux || !built)('exec-server sandbox sessions (the default)', () => {
  let server: ServerProcess;
  const dir = scratch();
  const sandbox = workspaceWriteSandbox(dir.wsUri);
  beforeAll(async () => {
    // No flag: sessions are the default. Under CODEX_SANDBOX_TEST_EXEC_SESSIONS=0 (which adds --no-sessions to every
    // server) this file asks for them by name, the later flag winning.
    server = await startServer([...(SESSIONS_FLAG.length ? ['--sessions'] : []), '--detached-session-ttl-ms', '200', '--exited-retention-ms', '1000']);
  });
  afterAll(async () => {
    await server.stop();
    dir.cleanup();
  });

  async function ns(c: WsClient, id: string, extra: Record<string, unknown> = {}): Promise<string> {
    const r = await c.call('process/start', startParams(id, NS, dir.wsUri, { sandbox, ...extra }));
    expect(r).toMatchObject({ sandboxType: 'linuxSeccomp' });
    const ev = await c.untilClosed(id);
    expect(ev.find((e) => e.method === 'process/exited')?.params?.exitCode).toBe(0);
    return outputOf(ev).trim();
  }

  it('shares a sandbox session within one client session and plan, never across client sessions; tty keeps its own', async () => {
    const a = await WsClient.connect(server.url);
    await a.initialize();
    const b = await WsClient.connect(server.url);
    await b.initialize();
    const a1 = await ns(a, 'a1');
    expect(a1).toMatch(/^user:\[\d+\]$/);
    expect(await ns(a, 'a2')).toBe(a1);
    const b1 = await ns(b, 'b1');
    expect(b1).not.toBe(a1);
    expect(await ns(b, 'b2')).toBe(b1);
    // Another plan (another environment) in the same client session: another sandbox session.
    expect(await ns(a, 'a3', { env: { PATH: '/usr/bin:/bin', OTHER: '1' } })).not.toBe(a1);
    // A tty process is started by its own launch (sessions have no terminal per command).
    const tty = await ns(a, 'a-tty', { tty: true });
    expect([a1, b1]).not.toContain(tty);
    expect(supervisorsUnder(server.proc.pid ?? 0).length).toBe(3);

    // Client a goes away; after the detached TTL its session's processes and sandbox sessions end.
    await a.close();
    const t0 = Date.now();
    while (supervisorsUnder(server.proc.pid ?? 0).length > 1 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    expect(supervisorsUnder(server.proc.pid ?? 0).length).toBe(1);
    expect(await ns(b, 'b3')).toBe(b1);
    await b.close();
  });

  it('a sandboxed fs/* request runs its helper as a command of a sandbox session of its client session; --no-sessions gives it a sandbox of its own', async () => {
    writeFileSync(join(dir.ws, 'fs-helper.txt'), 'through a session');
    for (const sessions of [true, false]) {
      const own = await startServer(sessions ? ['--sessions'] : ['--no-sessions']);
      try {
        const c = await WsClient.connect(own.url);
        await c.initialize();
        const fs = new FsClient(c, sandbox);
        const r = await fs.call('fs/readFile', { path: uri(join(dir.ws, 'fs-helper.txt')) });
        expect(Buffer.from(String(r['dataBase64']), 'base64').toString()).toBe('through a session');
        // The helper lives on between requests (until idle): its sandbox is a session's, or its own.
        expect(supervisorsUnder(own.proc.pid ?? 0).length).toBe(sessions ? 1 : 0);
        await c.close();
      } finally {
        await own.stop();
      }
    }
  });

  it('--no-sessions: every process of one client session and plan gets a sandbox of its own, and no supervisor runs', async () => {
    const own = await startServer(['--no-sessions']);
    try {
      const c = await WsClient.connect(own.url);
      await c.initialize();
      const first = await ns(c, 'n1');
      expect(first).toMatch(/^user:\[\d+\]$/);
      expect(await ns(c, 'n2')).not.toBe(first);
      expect(supervisorsUnder(own.proc.pid ?? 0)).toEqual([]);
      await c.close();
    } finally {
      await own.stop();
    }
  });
});

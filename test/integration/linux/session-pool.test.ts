/**
 * The session pool (createSandbox({ sessions }) → sandbox.spawnPooled, #22) with real bwrap: a command
 * goes to the session of its plan; a changed plan (profile, cwd, a writable root replaced on disk)
 * opens another; idle sessions close; sandbox.close() closes them all. Each session is one sandbox
 * with its own user namespace (each command gets its own pid, IPC and mount namespaces inside it, but never a user namespace), so `readlink /proc/self/ns/user` tells which session a command ran in.
 */
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createSandbox, SessionCommandError } from '../../../src/sandbox.js';
import type { Sandbox } from '../../../src/sandbox.js';
import { isLinux, sandbox, scratch } from './helpers.js';
import type { Scratch } from './helpers.js';

const MARK = 'readlink /proc/self/ns/user';

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return cond();
}

describe.skipIf(!isLinux)('session pool (sandbox.spawnPooled)', () => {
  const dirs: Scratch[] = [];
  const sandboxes: Sandbox[] = [];
  async function pooled(options: Parameters<typeof createSandbox>[0] = { sessions: true }): Promise<Sandbox> {
    const s = await createSandbox(options);
    sandboxes.push(s);
    return s;
  }
  function dir(): Scratch {
    const d = scratch('csbx-pool-');
    dirs.push(d);
    return d;
  }
  afterEach(async () => {
    await Promise.all(sandboxes.splice(0).map((s) => s.close()));
  });
  afterAll(() => {
    for (const d of dirs) d.cleanup();
  });

  it('is off by default: spawnPooled names the option that turns it on', async () => {
    const s = await sandbox();
    expect(() => s.spawnPooled(['true'], 'read-only')).toThrow(/createSandbox\(\{ sessions: true \}\)/);
  });

  it('reuses one session for the same plan and opens another when the cwd or the profile changes', async () => {
    const s = await pooled();
    const { ws, outside } = dir();
    const run = async (profile: 'workspace-write' | 'read-only', cwd: string): Promise<string> => (await s.spawnPooled(['sh', '-c', MARK], profile, { cwd, stdin: 'ignore' })).stdout as string;
    const first = await run('workspace-write', ws);
    expect(first).toMatch(/^user:\[\d+\]$/);
    expect(await run('workspace-write', ws)).toBe(first);
    expect(s.pooledSessions).toBe(1);
    // Another cwd is another plan (the cwd's mounts and checks differ): a fresh sandbox.
    const other = await run('workspace-write', outside);
    expect(s.pooledSessions).toBe(2);
    const readOnly = await run('read-only', ws);
    expect(s.pooledSessions).toBe(3);
    expect(new Set([first, other, readOnly]).size).toBe(3);
    // Back to the first plan: its session is still open.
    expect(await run('workspace-write', ws)).toBe(first);
    expect(s.pooledSessions).toBe(3);
  });

  it('a writable root replaced on disk (renamed away, recreated) gives a new session writing to the new root', async () => {
    const s = await pooled();
    const { ws } = dir();
    const root = join(ws, 'root');
    mkdirSync(root);
    const opts = { cwd: ws, writableRoots: [root], stdin: 'ignore' as const };
    const first = (await s.spawnPooled(['sh', '-c', `${MARK}; echo one > ${root}/f`], 'read-only', opts)).stdout;
    expect((await s.spawnPooled(['sh', '-c', MARK], 'read-only', opts)).stdout).toBe(first);
    // The attack: the root the open session mounted is moved away and another directory takes its name.
    renameSync(root, join(ws, 'old-root'));
    mkdirSync(root);
    expect((await s.spawnPooled(['sh', '-c', `${MARK}; echo two > ${root}/f`], 'read-only', opts)).stdout).not.toBe(first);
    expect(readFileSync(join(root, 'f'), 'utf8')).toBe('two\n');
    expect(readFileSync(join(ws, 'old-root', 'f'), 'utf8')).toBe('one\n');
    expect(s.pooledSessions).toBe(2);
  });

  it('closes a session after its idle timeout, and sandbox.close() ends running commands and the pool', async () => {
    const s = await pooled({ sessions: { idleTimeout: 200 } });
    const { ws } = dir();
    const first = (await s.spawnPooled(['sh', '-c', MARK], 'read-only', { cwd: ws, stdin: 'ignore' })).stdout;
    expect(s.pooledSessions).toBe(1);
    expect(await waitFor(() => s.pooledSessions === 0, 5000)).toBe(true);
    // A new command after the idle close gets a new session.
    expect((await s.spawnPooled(['sh', '-c', MARK], 'read-only', { cwd: ws, stdin: 'ignore' })).stdout).not.toBe(first);

    const sleeper = s.spawnPooled(['sleep', '30'], 'read-only', { cwd: ws, stdin: 'ignore' });
    const started = Date.now();
    await s.close();
    await expect(sleeper).rejects.toBeInstanceOf(SessionCommandError);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(s.pooledSessions).toBe(0);
    expect(() => s.spawnPooled(['true'], 'read-only', { cwd: ws })).toThrow(/sandbox is closed/);
  });

  it('refuses options a pooled command cannot take, naming them', async () => {
    const s = await pooled();
    const { ws } = dir();
    expect(() => s.spawnPooled(['true'], 'read-only', { cwd: ws, detached: true } as never)).toThrow(/detached are not supported for pooled commands/);
    expect(() => s.spawnPooled(['true'], 'read-only', { cwd: ws, networkAccess: {}, onNetworkDenial: () => undefined })).toThrow(/onNetworkDenial is per caller/);
    expect(s.pooledSessions).toBe(0);
  });
});

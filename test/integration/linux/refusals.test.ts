/**
 * Real bubblewrap + seccomp: after a command fails, `refusals` names what the sandbox refused (a file
 * write, a directory creation, a network connection), read from the command's stderr and confirmed
 * against the plan — and says nothing about paths the plan lets it write or with the network on.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Refusal } from '../../../src/contracts/index.js';
import type { SpawnOptions } from '../../../src/sandbox.js';
import { isLinux, sandbox, scratch } from './helpers.js';
import type { Scratch } from './helpers.js';

async function refusalsOf(script: string, profile: 'workspace-write' | 'read-only', options: SpawnOptions): Promise<{ exitCode: number | undefined; stderr: string; refusals: readonly Refusal[] }> {
  const sb = await sandbox();
  const sub = sb.spawn(['/bin/sh', '-c', script], profile, { reject: false, stdin: 'ignore', ...options });
  const r = await sub;
  return { exitCode: r.exitCode, stderr: String(r.stderr), refusals: await sub.refusals };
}

describe.skipIf(!isLinux)('linux sandbox: the refusal report (real bwrap + seccomp)', () => {
  let s: Scratch;
  beforeEach(() => {
    s = scratch();
  });
  afterEach(() => s.cleanup());

  it('a file write outside the writable roots: its path, read-only, and the writable root that allows it', async () => {
    const target = join(s.outside, 'victim');
    const r = await refusalsOf(`echo pwned > ${target}`, 'workspace-write', { cwd: s.ws });
    expect(r.exitCode).not.toBe(0);
    expect(existsSync(target)).toBe(false);
    expect(r.refusals).toEqual([
      { kind: 'write', path: target, reason: 'read-only', allowWritableRoot: s.outside, message: `blocked write: ${target} (read-only; allow with writableRoots: ["${s.outside}"])` },
    ]);
  });

  it('a directory creation outside the writable roots (under HOME: the first folder there is suggested)', async () => {
    const home = join(s.outside, 'home');
    mkdirSync(join(home, '.npm'), { recursive: true });
    const target = join(home, '.npm', '_cacache');
    const sb = await sandbox();
    const sub = sb.spawn(['mkdir', '-p', join(target, 'tmp')], 'workspace-write', { cwd: s.ws, reject: false, stdin: 'ignore' });
    const r = await sub;
    expect(r.exitCode).not.toBe(0);
    expect(existsSync(target)).toBe(false);
    // The suggestion uses the sandbox's HOME (createSandbox's env): process.env here.
    const refusals = await sub.refusals;
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ kind: 'write', path: target, reason: 'read-only' });
    // And with that HOME, the folder under it.
    const { findRefusals } = await import('../../../src/launch/refusals.js');
    expect(findRefusals(sub.launchRequest, { stderr: String(r.stderr), exitCode: r.exitCode, home })).toMatchObject([{ path: target, allowWritableRoot: join(home, '.npm') }]);
  });

  it('a TCP connection with the network off: the host and port', async () => {
    const r = await refusalsOf(`${process.execPath} -e "require('net').connect(9, '127.0.0.1').on('error', (e) => { console.error(e.message); process.exit(1) })"`, 'workspace-write', { cwd: s.ws });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/EPERM|ENETUNREACH/);
    expect(r.refusals).toEqual([{ kind: 'network', host: '127.0.0.1:9', message: 'blocked network: 127.0.0.1:9 (network is off; allow it with network: true)' }]);
  });

  it('a name lookup with the network off: the host', async () => {
    const r = await refusalsOf(`${process.execPath} -e "require('dns').lookup('registry.npmjs.org', (e) => { console.error(e.message); process.exit(1) })"`, 'workspace-write', { cwd: s.ws });
    expect(r.exitCode).toBe(1);
    expect(r.refusals).toMatchObject([{ kind: 'network', host: 'registry.npmjs.org' }]);
  });

  it('a write to protected metadata in the workspace: said, with no option that opens it', async () => {
    mkdirSync(join(s.ws, '.git'));
    writeFileSync(join(s.ws, '.git', 'config'), '[core]\n');
    const r = await refusalsOf('echo "[alias] x = !sh" >> .git/config', 'workspace-write', { cwd: s.ws });
    expect(r.exitCode).not.toBe(0);
    // The shell names it relative to the cwd ("/bin/sh: 1: cannot create .git/config"): taken from the
    // cwd, and the shell's own path is not taken for the refused one.
    const r2 = await refusalsOf(`echo x >> ${join(s.ws, '.git', 'config')}`, 'workspace-write', { cwd: s.ws });
    expect(r2.refusals).toHaveLength(1);
    expect(r2.refusals[0]).toMatchObject({ kind: 'write', path: join(s.ws, '.git', 'config'), reason: 'protected' });
    expect(r2.refusals[0]).not.toHaveProperty('allowWritableRoot');
    expect(r.refusals).toEqual(r2.refusals);
  });

  it('read-only: a file the command names relative to its cwd is reported with its absolute path', async () => {
    const r = await refusalsOf('touch made.txt', 'read-only', { cwd: s.ws });
    expect(r.exitCode).not.toBe(0);
    expect(existsSync(join(s.ws, 'made.txt'))).toBe(false);
    expect(r.refusals).toMatchObject([{ kind: 'write', path: join(s.ws, 'made.txt'), reason: 'read-only', allowWritableRoot: s.ws }]);
  });

  it('not fooled: a writable path the command claims was refused, a network error with the network on, a success', async () => {
    const claim = `echo "cannot create ${join(s.ws, 'f')}: Read-only file system" >&2; echo "touch: cannot touch '/tmp/x': Read-only file system" >&2; echo 'getaddrinfo EAI_AGAIN example.com' >&2; exit 1`;
    const writable = await refusalsOf(claim, 'workspace-write', { cwd: s.ws, network: true });
    expect(writable.exitCode).toBe(1);
    expect(writable.refusals).toEqual([]);
    // The same claims with the network off: only the network line is confirmed by the plan.
    const off = await refusalsOf(claim, 'workspace-write', { cwd: s.ws });
    expect(off.refusals).toMatchObject([{ kind: 'network', host: 'example.com' }]);
    // Exit 0: nothing is read at all.
    const ok = await refusalsOf(`echo "cannot create ${join(s.outside, 'f')}: Read-only file system" >&2`, 'workspace-write', { cwd: s.ws });
    expect(ok.exitCode).toBe(0);
    expect(ok.refusals).toEqual([]);
  });

  it('bounded: many refused paths give at most MAX_REFUSALS entries, deduplicated', async () => {
    const { MAX_REFUSALS } = await import('../../../src/launch/refusals.js');
    const r = await refusalsOf(`for i in $(seq 1 40); do touch ${s.outside}/f$i ${s.outside}/f1; done; exit 1`, 'workspace-write', { cwd: s.ws });
    expect(r.refusals).toHaveLength(MAX_REFUSALS);
    expect(new Set(r.refusals.map((x) => (x.kind === 'write' ? x.path : ''))).size).toBe(MAX_REFUSALS);
  });
});

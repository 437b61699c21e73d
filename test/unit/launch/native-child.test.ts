/**
 * The addon's posix_spawn + pidfd child (src/launch/native-child.ts) against the real addon: what the
 * started program gets (signal dispositions, environment, cwd, stdio), Node's ChildProcess events and
 * kill() semantics, and the cases it leaves to node:child_process (it answers undefined).
 */
import { readdirSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { spawnViaPidfd, startedByPidfd } from '../../../src/launch/native-child.js';
import { pidfdSpawner } from '../../../src/launch/spawn-hook.js';
import { loadNative, nativeDir } from '../../../src/native.js';

const isLinux = process.platform === 'linux';

function collect(child: ChildProcess): Promise<{ out: string; events: string[]; code: number | null; signal: string | null }> {
  const events: string[] = [];
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.on('spawn', () => events.push('spawn'));
  child.on('exit', () => events.push('exit'));
  return new Promise((resolve) => {
    child.on('close', (code: number | null, signal: string | null) => {
      events.push('close');
      resolve({ out, events, code, signal });
    });
  });
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

describe.skipIf(!isLinux)('spawnViaPidfd (Linux: real addon, real processes)', () => {
  const addon = isLinux ? pidfdSpawner() : undefined;

  it('the program starts with default signal dispositions, nothing blocked, its env and cwd', async () => {
    // Node ignores SIGPIPE; a command that inherited SIG_IGN would not die writing to a closed pipe.
    const child = spawnViaPidfd(addon!, '/bin/sh', ['-c', 'grep -E "^Sig(Ign|Blk)" /proc/self/status; pwd; echo "$FOO"'], {
      cwd: '/proc',
      env: { FOO: 'bar baz' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    expect(child).toBeDefined();
    expect(startedByPidfd(child!)).toBe(true);
    const r = await collect(child!);
    expect(r.out).toBe('SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n/proc\nbar baz\n');
    expect(r.code).toBe(0);
    expect(r.events).toEqual(['spawn', 'exit', 'close']);
  });

  it('kill() goes through the pidfd; the exit reports the signal by name; kill() after the exit is false', async () => {
    const child = spawnViaPidfd(addon!, '/bin/sh', ['-c', 'echo up; exec sleep 60'], { stdio: ['pipe', 'pipe', 'pipe'] })!;
    await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
    expect(() => child.kill('SIGNOPE' as NodeJS.Signals)).toThrow(/Unknown signal: SIGNOPE/);
    expect(child.kill('SIGKILL')).toBe(true);
    expect(child.killed).toBe(true);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    expect([code, signal]).toEqual([null, 'SIGKILL']);
    expect(child.signalCode).toBe('SIGKILL');
    expect(child.kill()).toBe(false);
  });

  it('input written to stdin reaches the program; a 4th stdio slot is a socket too', async () => {
    const child = spawnViaPidfd(addon!, '/bin/sh', ['-c', 'cat; echo extra >&3'], { stdio: ['pipe', 'pipe', 'inherit', 'pipe'] })!;
    let extra = '';
    child.stdio[3]?.on('data', (d: Buffer) => (extra += d.toString()));
    child.stdin?.end('piped\n');
    const r = await collect(child);
    expect(r.out).toBe('piped\n');
    expect(extra).toBe('extra\n');
  });

  it('leaves to node:child_process what it does not do, and leaks no fd when the program cannot start', () => {
    const before = openFds();
    expect(spawnViaPidfd(addon!, '/nonexistent/program', [], { stdio: 'pipe' })).toBeUndefined();
    expect(spawnViaPidfd(addon!, '/bin/true', [], { stdio: 'pipe', cwd: '/nonexistent' })).toBeUndefined();
    expect(openFds()).toBe(before);
    expect(spawnViaPidfd(addon!, '/bin/true', [], { shell: true })).toBeUndefined();
    expect(spawnViaPidfd(addon!, '/bin/true', [], { uid: 0 })).toBeUndefined();
    expect(spawnViaPidfd(addon!, '/bin/true', [], { argv0: 'other' })).toBeUndefined();
    expect(spawnViaPidfd(addon!, '/bin/true', [], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'] })).toBeUndefined();
    expect(spawnViaPidfd(addon!, '/bin/true', [], { stdio: ['pipe', new PassThrough(), 'pipe'] })).toBeUndefined();
  });

  it('CODEX_SANDBOX_SPAWN=node turns the path off', () => {
    process.env.CODEX_SANDBOX_SPAWN = 'node';
    try {
      expect(pidfdSpawner()).toBeUndefined();
    } finally {
      delete process.env.CODEX_SANDBOX_SPAWN;
    }
    expect(pidfdSpawner()).toBeDefined();
  });

  it('a Worker that ends with a child still running closes its pidfd watch (no abort in uv_loop_close)', async () => {
    loadNative();
    const addonFile = `${nativeDir()}/codex_sandbox.node`;
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const addon = require(workerData);
       const { pid } = addon.spawnPidfd('/bin/sleep', ['sleep', '60'], [], '/', [-1, -1, -1], false, () => {});
       parentPort.postMessage(pid);`,
      { eval: true, workerData: addonFile },
    );
    const pid = await new Promise<number>((resolve) => worker.once('message', resolve));
    expect(await worker.terminate()).toBe(1);
    // The child outlives the Worker (as a ChildProcess's does); it is ours to end.
    process.kill(pid, 'SIGKILL');
  });
});

/**
 * sandbox.spawn starts the launcher through the addon's posix_spawn + pidfd path (src/launch/native-child.ts),
 * not by fork()ing Node, and the execa subprocess it returns behaves as before: result, streams, pipe(),
 * kill(). Each fallback to node:child_process is exercised too. Real bwrap, real launcher.
 */
import * as esmChildProcess from 'node:child_process';
import { ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startedByPidfd } from '../../../src/launch/native-child.js';
import { installedSpawnWrapper } from '../../../src/launch/spawn-hook.js';
import { isLinux, sandbox, scratch } from './helpers.js';
import type { Scratch } from './helpers.js';

const cjsChildProcess = createRequire(import.meta.url)('node:child_process') as typeof esmChildProcess;

/** Runs a plain child_process.spawn to its end: its exit code and stdout, or the 'error' it emitted. */
function plainSpawn(spawn: typeof esmChildProcess.spawn, file: string, args: string[]): Promise<{ child: ChildProcess; code: number | null; out: string; error?: NodeJS.ErrnoException }> {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ child, code: null, out, error }));
    child.once('close', (code) => resolve({ child, code, out }));
  });
}

/** The result's keys and values that do not depend on timing. */
function shape(r: object): Record<string, unknown> {
  const { durationMs: _d, ...rest } = r as Record<string, unknown>;
  return rest;
}

describe.skipIf(!isLinux)('sandbox.spawn through posix_spawn + pidfd (real bwrap)', () => {
  let s: Scratch;
  beforeEach(() => {
    s = scratch();
  });
  afterEach(() => {
    delete process.env.CODEX_SANDBOX_SPAWN;
    s.cleanup();
  });

  it('takes the addon path, and the result is the one node:child_process gives', async () => {
    const sb = await sandbox();
    const script = 'echo out; echo err >&2; read line; echo "got $line"; exit 3';
    const native = sb.spawn(['/bin/sh', '-c', script], 'workspace-write', { cwd: s.ws, reject: false, input: 'hello\n' });
    expect(startedByPidfd(native)).toBe(true);
    expect(native.pid).toBeGreaterThan(0);
    const a = await native;
    process.env.CODEX_SANDBOX_SPAWN = 'node';
    const forked = sb.spawn(['/bin/sh', '-c', script], 'workspace-write', { cwd: s.ws, reject: false, input: 'hello\n' });
    expect(startedByPidfd(forked)).toBe(false);
    const b = await forked;
    expect(a.exitCode).toBe(3);
    expect(a.stdout).toBe('out\ngot hello');
    expect(a.stderr).toBe('err');
    expect(shape(a)).toEqual(shape(b));
  });

  it('pipe() between two sandboxed commands, and async line iteration', async () => {
    const sb = await sandbox();
    const first = sb.spawn(['printf', 'b\\na\\nc\\n'], 'workspace-write', { cwd: s.ws });
    const second = sb.spawn(['sort'], 'workspace-write', { cwd: s.ws });
    expect(startedByPidfd(first) && startedByPidfd(second)).toBe(true);
    const piped = await first.pipe(second);
    expect(piped.stdout).toBe('a\nb\nc');
    const lines: string[] = [];
    for await (const line of sb.spawn(['printf', 'x\\ny\\n'], 'workspace-write', { cwd: s.ws })) lines.push(String(line));
    expect(lines).toEqual(['x', 'y']);
  });

  it('kill() and timeout reach the command; the signal is reported as execa reports it', async () => {
    const sb = await sandbox();
    const sub = sb.spawn(['/bin/sh', '-c', 'echo ready; exec sleep 60'], 'workspace-write', { cwd: s.ws, reject: false });
    expect(startedByPidfd(sub)).toBe(true);
    // Wait for the command to be running (its own output), never a fixed sleep.
    await new Promise<void>((resolve) => sub.stdout?.once('data', () => resolve()));
    expect(sub.kill('SIGTERM')).toBe(true);
    const r = await sub;
    expect(r.isTerminated).toBe(true);
    expect(r.signal).toBe('SIGTERM');
    expect(sub.kill('SIGTERM')).toBe(false);
    const timed = await sb.spawn(['sleep', '60'], 'workspace-write', { cwd: s.ws, reject: false, timeout: 300 });
    expect(timed.timedOut).toBe(true);
    expect(timed.signal).toBe('SIGTERM');
  });

  it('falls back to node:child_process for a stream with an fd, and for CODEX_SANDBOX_SPAWN=node', async () => {
    const sb = await sandbox();
    const file = join(s.base, 'out.txt');
    const stream = createWriteStream(file);
    await new Promise((resolve) => stream.once('open', resolve));
    const sub = sb.spawn(['echo', 'to the file'], 'workspace-write', { cwd: s.ws, stdout: stream });
    // execa hands such a stream to child_process.spawn as it is; only Node knows how to pass it on.
    expect(startedByPidfd(sub)).toBe(false);
    await sub;
    await new Promise((resolve) => stream.end(resolve));
    expect(readFileSync(file, 'utf8')).toBe('to the file\n');
  });

  it('the spawn hook, installed once, leaves child_process.spawn working for every other caller', async () => {
    const sb = await sandbox();
    await sb.spawn(['true'], 'workspace-write', { cwd: s.ws });
    const { wrapper, wrapped } = installedSpawnWrapper();
    expect(wrapper).toBeDefined();
    // The CommonJS export and the ESM binding are the wrapper; its name and arity are Node's spawn's.
    expect(cjsChildProcess.spawn).toBe(wrapper);
    expect(esmChildProcess.spawn).toBe(wrapper);
    expect(wrapper?.name).toBe('spawn');
    expect(wrapper?.length).toBe(wrapped?.length);
    // Another caller's spawn is Node's own: a real ChildProcess (never the addon's), output and exit code.
    for (const spawn of [cjsChildProcess.spawn, esmChildProcess.spawn]) {
      const r = await plainSpawn(spawn, '/bin/sh', ['-c', 'echo plain; exit 4']);
      expect(r.child).toBeInstanceOf(ChildProcess);
      expect(startedByPidfd(r.child)).toBe(false);
      expect([r.code, r.out]).toEqual([4, 'plain\n']);
    }
    // Node's errors, unchanged: a missing program ('error' event) and a bad argument (thrown).
    const missing = await plainSpawn(cjsChildProcess.spawn, join(s.base, 'no-such-program'), []);
    expect(missing.error?.code).toBe('ENOENT');
    expect(missing.error?.syscall).toBe(`spawn ${join(s.base, 'no-such-program')}`);
    expect(() => cjsChildProcess.spawn(42 as unknown as string)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  it('concurrent sandboxed commands keep their own stdio and results', async () => {
    const sb = await sandbox();
    const subs = Array.from({ length: 8 }, (_, i) =>
      sb.spawn(['/bin/sh', '-c', `read x; echo "out$x"; echo "err$x" >&2; exit ${i}`], 'workspace-write', { cwd: s.ws, reject: false, input: `${i}\n` }),
    );
    expect(subs.every((sub) => startedByPidfd(sub))).toBe(true);
    const results = await Promise.all(subs);
    results.forEach((r, i) => {
      expect([r.exitCode, r.stdout, r.stderr]).toEqual([i, `out${i}`, `err${i}`]);
    });
  });

  it('a child_process.spawn replaced after the hook wins; launches still take the addon path', async () => {
    const sb = await sandbox();
    await sb.spawn(['true'], 'workspace-write', { cwd: s.ws });
    const before = cjsChildProcess.spawn;
    let calls = 0;
    const theirs = function spawn(this: unknown, ...args: unknown[]): ChildProcess {
      calls++;
      return Reflect.apply(before, this, args) as ChildProcess;
    } as typeof before;
    cjsChildProcess.spawn = theirs;
    syncBuiltinESMExports();
    try {
      const sub = sb.spawn(['echo', 'still sandboxed'], 'workspace-write', { cwd: s.ws });
      expect(startedByPidfd(sub)).toBe(true);
      expect((await sub).stdout).toBe('still sandboxed');
      // Theirs is back in place after the launch, for the ESM binding too, and serves other callers.
      expect(cjsChildProcess.spawn).toBe(theirs);
      expect(esmChildProcess.spawn).toBe(theirs);
      expect((await plainSpawn(esmChildProcess.spawn, '/bin/echo', ['x'])).out).toBe('x\n');
      expect(calls).toBe(1);
    } finally {
      cjsChildProcess.spawn = before;
      syncBuiltinESMExports();
    }
  });
});

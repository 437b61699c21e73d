/**
 * sandbox.spawn starts the launcher through the addon's posix_spawn + pidfd path (src/launch/native-child.ts),
 * not by fork()ing Node, and the execa subprocess it returns behaves as before: result, streams, pipe(),
 * kill(). Each fallback to node:child_process is exercised too. Real bwrap, real launcher.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startedByPidfd } from '../../../src/launch/native-child.js';
import { isLinux, sandbox, scratch } from './helpers.js';
import type { Scratch } from './helpers.js';

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
});

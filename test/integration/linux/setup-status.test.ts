/**
 * The launcher's status fd: a sandbox that could not be set up rejects with a SandboxSetupError
 * naming the step and the path (reported by the launcher, not guessed from exit code 125), while a
 * command that itself exits 125 is just a command that exited 125. Real launcher, real bwrap.
 */
import { existsSync, mkdirSync, renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxError, SandboxSetupError } from '../../../src/errors.js';
import { processSpec } from '../../../src/launch/command.js';
import { launch } from '../../../src/launch/run.js';
import { isLinux, sandbox, scratch } from './helpers.js';
import type { Scratch } from './helpers.js';

let s: Scratch;
beforeEach(() => {
  s = scratch('csbx-status-');
});
afterEach(() => s.cleanup());

/**
 * What a settled value was, for an assertion's message: vitest's own cuts an error to its first line
 * and hides its fields, so a failure seen once in CI would not say what the launch did instead.
 */
function shown(value: unknown): string {
  // Evaluated for every assertion, passing or not: it must never throw (a circular value is shown as String()).
  const json = (v: unknown): string => {
    try {
      return JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? Buffer.from(x).toString('latin1') : x))?.slice(0, 2000) ?? String(v);
    } catch {
      return String(v);
    }
  };
  if (!(value instanceof Error)) return `resolved: ${json(value)}`;
  const { exitCode, signal, stderr, step, path, errno, cause } = value as Error & Record<string, unknown>;
  return `${value.name}: ${value.message}\n${json({ exitCode, signal, stderr: String(stderr ?? ''), step, path, errno, cause: cause instanceof Error ? `${cause.name}: ${cause.message}` : cause })}`;
}

/** The settled value of a launch's promise, whichever way it went. */
async function settle(p: PromiseLike<unknown>): Promise<{ ok: boolean; value: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (e) {
    return { ok: false, value: e };
  }
}

describe.runIf(isLinux)('set-up failures are reported by the launcher, not inferred from 125', () => {
  it("a command's own exit 125 is the command's: an execa error with exitCode 125, no SandboxSetupError", async () => {
    const sb = await sandbox();
    const thrown = await settle(sb.spawn(['/bin/sh', '-c', 'echo ran; exit 125'], 'workspace-write', { cwd: s.ws, stdin: 'ignore' }));
    expect(thrown.ok).toBe(false);
    expect(thrown.value, shown(thrown.value)).not.toBeInstanceOf(SandboxError);
    expect(thrown.value).toMatchObject({ exitCode: 125, stdout: 'ran' });
    const result = await sb.spawn(['/bin/sh', '-c', 'exit 125'], 'workspace-write', { cwd: s.ws, stdin: 'ignore', reject: false });
    expect(result.exitCode).toBe(125);
  });

  it('a writable root replaced between planning and launch: SandboxSetupError (step, path), the command never ran, even with reject: false', async () => {
    const sb = await sandbox();
    const req = sb.plan(['/bin/sh', '-c', 'echo pwned > marker'], 'workspace-write', { cwd: s.ws });
    // What a racing sandboxed command could do to a writable root it can rename (its parent).
    renameSync(s.ws, `${s.ws}.planned`);
    mkdirSync(s.ws);
    const outcome = await settle(launch(req, { stdin: 'ignore', reject: false }));
    expect(outcome.ok, shown(outcome.value)).toBe(false);
    const err = outcome.value as SandboxSetupError;
    expect(err, shown(err)).toBeInstanceOf(SandboxSetupError);
    expect({ code: err.code, step: err.step, path: err.path, errno: err.errno }).toEqual({
      code: 'SetupFailed',
      step: "--pin: checking the writable root's identity",
      path: s.ws,
      errno: 0,
    });
    expect(err.message).toMatch(/^could not set up the sandbox: writable root .* changed since it was planned/);
    // execa's own result stays reachable, and the launcher's message is not also in the command's stderr.
    expect(err.cause).toMatchObject({ exitCode: 125, stderr: '' });
    expect(existsSync(join(s.ws, 'marker'))).toBe(false);
    expect(existsSync(join(`${s.ws}.planned`, 'marker'))).toBe(false);
  });

  it('a writable root swapped for a symlink: the step says opening, errno says why (ELOOP or ENOTDIR)', async () => {
    const sb = await sandbox();
    const req = sb.plan(['/bin/sh', '-c', 'echo pwned > marker'], 'workspace-write', { cwd: s.ws });
    renameSync(s.ws, `${s.ws}.planned`);
    symlinkSync(s.outside, s.ws);
    const outcome = await settle(launch(req, { stdin: 'ignore' }));
    const err = outcome.value as SandboxSetupError;
    expect(err, shown(err)).toBeInstanceOf(SandboxSetupError);
    expect(err.step).toBe('--pin: opening the writable root');
    expect(err.path).toBe(s.ws);
    expect([40 /* ELOOP */, 20 /* ENOTDIR */]).toContain(err.errno);
    expect(existsSync(join(s.outside, 'marker'))).toBe(false);
  });

  it('the payload path (fd 3 carries the arguments, the status goes on fd 4) reports the same way', async () => {
    const sb = await sandbox();
    // A non-UTF-8 argument makes the launcher read its arguments from fd 3.
    const req = sb.plan(['/bin/echo', { bytes: Buffer.from([0x66, 0xff]).toString('base64') }], 'workspace-write', { cwd: s.ws });
    expect(processSpec(req).statusFd).toBe(4);
    const ran = await settle(launch(req, { stdin: 'ignore', encoding: 'buffer', stripFinalNewline: false }));
    expect(ran.ok, shown(ran.value)).toBe(true);
    expect(Buffer.from((ran.value as { stdout: Uint8Array }).stdout), shown(ran.value)).toEqual(Buffer.from([0x66, 0xff, 0x0a]));
    renameSync(s.ws, `${s.ws}.planned`);
    mkdirSync(s.ws);
    const outcome = await settle(launch(req, { stdin: 'ignore' }));
    expect(outcome.value, shown(outcome.value)).toBeInstanceOf(SandboxSetupError);
    const err = outcome.value as SandboxSetupError;
    // The launcher's own check, as without a payload (the inner stage's re-check would also catch it).
    expect({ step: err.step, path: err.path }, shown(err)).toEqual({ step: "--pin: checking the writable root's identity", path: s.ws });
  });
});

/**
 * takeSetupStatus (src/launch/setup-status.ts): the launcher's status record read from the caller's
 * non-blocking end of the addon's socket pair once the launcher is gone — a record, nothing, and a
 * writer that is (wrongly) still open, which must not block Node's thread. Real sockets (Linux addon).
 */
import { closeSync, fstatSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { SandboxSetupError } from '../../../src/errors.js';
import { takeSetupStatus } from '../../../src/launch/setup-status.js';
import { loadNative } from '../../../src/native.js';

const pair = process.platform === 'linux' ? loadNative().stdioSocketPair : undefined;

/** Whether fd is still open in this process. */
function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!pair)('takeSetupStatus (real socket pair from the addon)', () => {
  it('reads a record written before the writer closed, and closes its end', () => {
    const [parent, child] = pair!(true);
    writeSync(child, Buffer.from('Ebubblewrap\0/some/path\x002\0no such file\0', 'latin1'));
    closeSync(child);
    const err = takeSetupStatus(parent, 125);
    expect(err).toBeInstanceOf(SandboxSetupError);
    expect({ step: err?.step, path: err?.path, errno: err?.errno }).toEqual({ step: 'bubblewrap', path: '/some/path', errno: 2 });
    expect(isOpen(parent)).toBe(false);
  });

  it('nothing written: the command started', () => {
    const [parent, child] = pair!(true);
    closeSync(child);
    expect(takeSetupStatus(parent, 125)).toBeUndefined();
    expect(isOpen(parent)).toBe(false);
  });

  it('a writer still open does not block: what was there so far, and the end is closed', () => {
    const [parent, child] = pair!(true);
    try {
      expect(takeSetupStatus(parent, 125)).toBeUndefined();
      expect(isOpen(parent)).toBe(false);
    } finally {
      closeSync(child);
    }
  });

  it('a status that cannot be read (EISDIR here) with exit 125 is a set-up failure of its own, never the command\'s exit 125', () => {
    const fd = openSync(tmpdir(), 'r');
    const err = takeSetupStatus(fd, 125);
    expect(err).toBeInstanceOf(SandboxSetupError);
    expect(err?.step).toBe("reading the launcher's set-up status");
    expect(err?.errno).toBe(21); // EISDIR
    expect(err?.message).toMatch(/exited 125 and its set-up status .* could not be read \(EISDIR/);
    expect(isOpen(fd)).toBe(false);
  });

  it('a status that cannot be read with any other exit code: the launcher got past set-up, the command ran', () => {
    for (const code of [0, 1, 126, undefined]) {
      const fd = openSync(tmpdir(), 'r');
      expect(takeSetupStatus(fd, code)).toBeUndefined();
      expect(isOpen(fd)).toBe(false);
    }
  });

  it('nothing written and exit 125: the command\'s own exit 125, not a set-up failure', () => {
    const [parent, child] = pair!(true);
    closeSync(child);
    expect(takeSetupStatus(parent, 125)).toBeUndefined();
  });
});

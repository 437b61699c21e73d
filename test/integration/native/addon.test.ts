/**
 * The addon's in-process exports and the typed loader (src/native.ts).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { bundledBwrapPath, LAUNCHER_NAME, launcherPath, loadNative, nativeDir, packageRoot } from '../../../src/native.js';

describe('native loader', () => {
  it('loadNative is cached and exposes the addon version', () => {
    const addon = loadNative();
    expect(loadNative()).toBe(addon);
    expect(addon.addonVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('nativeDir holds the .node file; the launcher sits next to it and is executable', () => {
    const dir = nativeDir();
    expect(existsSync(join(dir, 'codex_sandbox.node'))).toBe(true);
    expect(launcherPath()).toBe(join(dir, LAUNCHER_NAME));
    accessSync(launcherPath(), constants.X_OK);
  });

  it('bundledBwrapPath is the bwrap next to the addon when the build produced one', () => {
    const expected = join(nativeDir(), 'bwrap');
    expect(bundledBwrapPath()).toBe(existsSync(expected) ? expected : undefined);
  });

  it('packageRoot finds the codex-sandbox package.json', () => {
    const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { name: string };
    expect(manifest.name).toBe('codex-sandbox');
  });

  it('node-gyp-build loads the build from the package root in a plain CommonJS process', () => {
    const result = spawnSync(process.execPath, ['-e', "process.stdout.write(typeof require('node-gyp-build')('.').seccompFilter)"], {
      cwd: packageRoot(),
      encoding: 'utf8',
    });
    expect(result.stdout).toBe('function');
  });
});

describe.runIf(process.platform === 'linux')('addon exports (Linux)', () => {
  it('landlockAbi returns a non-negative integer', () => {
    const abi = loadNative().landlockAbi();
    expect(Number.isInteger(abi)).toBe(true);
    expect(abi).toBeGreaterThanOrEqual(0);
  });

  it('isTerminal is isatty(3): a pty slave is one; a socket, /dev/null and a closed fd are not', () => {
    const addon = loadNative();
    const pty = addon.openPty?.(24, 80);
    const pair = addon.stdioSocketPair?.();
    const devNull = openSync('/dev/null', 'r');
    try {
      if (pty) expect(addon.isTerminal?.(pty.slave)).toBe(true);
      if (pair) expect(addon.isTerminal?.(pair[0])).toBe(false);
      expect(addon.isTerminal?.(devNull)).toBe(false);
      expect(addon.isTerminal?.(-1)).toBe(false);
    } finally {
      for (const fd of [...(pty ? [pty.master, pty.slave] : []), ...(pair ?? []), devNull]) closeSync(fd);
    }
  });

  it('watchReadable calls back while the fd has data or its peer closed, and never after unwatchReadable', async () => {
    const addon = loadNative();
    const { watchReadable, unwatchReadable, stdioSocketPair } = addon;
    if (!watchReadable || !unwatchReadable || !stdioSocketPair) throw new Error('this Linux build lacks watchReadable');
    const [mine, peer] = stdioSocketPair(true);
    const got: string[] = [];
    let calls = 0;
    let eof: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (eof = resolve));
    const buf = Buffer.alloc(64);
    const watch = watchReadable(mine, (errno) => {
      calls++;
      expect(errno).toBe(0);
      const n = readSync(mine, buf, 0, buf.length, null);
      if (n === 0) {
        unwatchReadable(watch);
        eof();
      } else got.push(buf.toString('utf8', 0, n));
    });
    writeSync(peer, 'hello');
    await new Promise((r) => setTimeout(r, 50));
    expect(got.join('')).toBe('hello');
    closeSync(peer);
    await ended;
    const after = calls;
    // Level-triggered EOF would call back on every turn of the loop: stopped, it does not.
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(after);
    unwatchReadable(watch); // twice is harmless
    closeSync(mine);
  });

  it('embeddedBwrapSha256 is null or the digest of the bundled bwrap built alongside', () => {
    const addon = loadNative();
    const embedded = addon.embeddedBwrapSha256();
    const bundled = bundledBwrapPath();
    if (embedded === null) {
      expect(readFileSync(join(nativeDir(), 'bwrap_sha256.h'), 'utf8')).toContain('0'.repeat(64));
    } else {
      expect(embedded).toMatch(/^[0-9a-f]{64}$/);
      expect(bundled).toBeDefined();
      expect(createHash('sha256').update(readFileSync(bundled ?? '')).digest('hex')).toBe(embedded);
    }
  });
});

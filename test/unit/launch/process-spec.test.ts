/**
 * processSpec: a Linux launch passes the launcher's arguments in CODEX_SANDBOX_LAUNCHER_ARGS when the
 * environment can carry them exactly, else as bytes on fd 3; never as argv (execa would put the whole
 * plan into its error messages).
 */
import { describe, expect, it } from 'vitest';
import { LAUNCHER_ARGS_ENV, processSpec } from '../../../src/launch/command.js';
import type { ArgvItem, LaunchRequest } from '../../../src/contracts/index.js';

function linuxRequest(argv: ArgvItem[]): LaunchRequest {
  return {
    kind: 'linux-bwrap',
    program: '/opt/codex-sandbox-launcher',
    argv,
    env: { PATH: '/usr/bin' },
    cwd: '/',
    native: { platform: 'linux' },
  } as unknown as LaunchRequest;
}

const nul = Buffer.from([0]);
const payloadOf = (items: Buffer[]): Buffer => Buffer.concat(items.flatMap((b) => [b, nul]));

describe('processSpec (Linux launcher)', () => {
  it('passes UTF-8 arguments (spaces, quotes, newlines, non-ASCII) as length-prefixed records in the environment', () => {
    const argv = ['--bwrap', '--', '/usr/bin/bwrap', '--bind', "/tmp/a b'\"\n", '/tmp/é ✓', '', '--', 'sh'];
    const spec = processSpec(linuxRequest(argv));
    expect(spec.args).toEqual(['--status-fd', '3', '--env-args']);
    expect(spec.payload).toBeUndefined();
    // The launcher's own environment holds only its arguments; the command's arrives as --env records.
    expect(Object.keys(spec.env)).toEqual([LAUNCHER_ARGS_ENV]);
    const packed = spec.env[LAUNCHER_ARGS_ENV] ?? '';
    // Decode as the launcher does: <byte length>:<bytes>, repeated.
    const bytes = Buffer.from(packed, 'utf8');
    const decoded: string[] = [];
    for (let i = 0; i < bytes.length; ) {
      const colon = bytes.indexOf(0x3a, i);
      const n = Number(bytes.subarray(i, colon).toString());
      decoded.push(bytes.subarray(colon + 1, colon + 1 + n).toString('utf8'));
      i = colon + 1 + n;
    }
    expect(decoded).toEqual(['--command-env', '--env', 'PATH=/usr/bin', ...argv]);
  });

  it('sends non-UTF-8 arguments as exact bytes on fd 3', () => {
    const raw = Buffer.from([0x2f, 0x74, 0xff, 0xfe]);
    const spec = processSpec(linuxRequest(['--bwrap', '--', '/usr/bin/bwrap', { bytes: raw.toString('base64') }]));
    expect(spec.args).toEqual(['--status-fd', '4', '--payload-fd', '3']);
    expect(spec.env).toEqual({});
    expect(Buffer.from(spec.payload ?? [])).toEqual(payloadOf([Buffer.from('--command-env'), Buffer.from('--env'), Buffer.from('PATH=/usr/bin'), Buffer.from('--bwrap'), Buffer.from('--'), Buffer.from('/usr/bin/bwrap'), raw]));
  });

  it('sends a string carrying escaped bytes (lone U+DCxx) as its exact bytes on fd 3', () => {
    const spec = processSpec(linuxRequest(['--bwrap', '--', '/t\udcff']));
    expect(spec.args).toEqual(['--status-fd', '4', '--payload-fd', '3']);
    expect(Buffer.from(spec.payload ?? []).subarray(-3)).toEqual(Buffer.from([0x74, 0xff, 0]));
  });

  it('sends an environment value carrying escaped bytes (lone U+DCxx) as its exact bytes on fd 3', () => {
    const req = { ...linuxRequest(['--bwrap', '--', 'sh']), env: { V: 'a\udcff' } };
    const spec = processSpec(req);
    expect(spec.args).toEqual(['--status-fd', '4', '--payload-fd', '3']);
    expect(Buffer.from(spec.payload ?? []).subarray(0, 25)).toEqual(payloadOf([Buffer.from('--command-env'), Buffer.from('--env'), Buffer.from([0x56, 0x3d, 0x61, 0xff])]));
  });

  it('refuses an argument with a NUL byte, naming it', () => {
    expect(() => processSpec(linuxRequest(['--bwrap', '--', 'a\0b']))).toThrow(/contains a NUL byte/);
  });

  it('sends arguments beyond 64 KiB on fd 3 (an environment string has a kernel limit)', () => {
    const big = Array.from({ length: 2000 }, (_, i) => `/some/long/path/number/${i}/${'x'.repeat(20)}`);
    const spec = processSpec(linuxRequest(['--bwrap', '--', ...big]));
    expect(spec.args).toEqual(['--status-fd', '4', '--payload-fd', '3']);
    expect(spec.payload?.length).toBeGreaterThan(64 * 1024);
  });

  it('never passes the arguments as argv, so a first argument cannot read as a stage switch', () => {
    for (const first of ['--inner', '--payload-fd', '--env-args']) {
      expect(processSpec(linuxRequest([first, '--', 'true'])).args).toEqual(['--status-fd', '3', '--env-args']);
    }
  });
});

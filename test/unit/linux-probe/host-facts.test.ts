import os from 'node:os';
import { describe, expect, it } from 'vitest';
import type { NativeForFacts } from '../../../src/host/facts.js';
import { doctorBwrapReport, getHostFacts, getLinuxHostDetails, syntheticRegistryDir } from '../../../src/host/facts.js';
import type { ProbedBwrap, ProbeOptions } from '../../../src/host/bwrap-help.js';

const SHA = 'ef'.repeat(32);

function fakeNative(opts: { fail?: string; abi?: number; digest?: string | null; bundled?: string } = {}) {
  const calls = { loadNative: 0 };
  const native: NativeForFacts = {
    loadNative: () => {
      calls.loadNative += 1;
      if (opts.fail !== undefined) throw new Error(opts.fail);
      return { landlockAbi: () => opts.abi ?? 0, embeddedBwrapSha256: () => (opts.digest === undefined ? SHA : opts.digest) };
    },
    launcherPath: () => '/pkg/build/Release/codex-sandbox-launcher',
    bundledBwrapPath: () => opts.bundled,
  };
  return { native, calls };
}

function recordingProbe() {
  const probed: string[] = [];
  const probe = (p: string, o: ProbeOptions): ProbedBwrap => {
    probed.push(p);
    return { path: p, source: o.source ?? 'system', version: '0.8.0', argv0: false, perms: true, roBindFd: true, asPid1: true, disableUserns: true, setuid: false, expectedSha256: o.expectedSha256 };
  };
  return { probe, probed };
}

const linuxOnly = process.platform === 'linux' ? describe : describe.skip;

linuxOnly('getHostFacts on Linux (fake native layer and /proc)', () => {
  it('probes once, when the facts are made: facts.linux is plain data, and reading it loads and runs nothing more', () => {
    const { native, calls } = fakeNative({ abi: 7 });
    const { probe, probed } = recordingProbe();
    const facts = getHostFacts({ env: { PATH: '' }, cwd: '/', native, probe, procReader: () => undefined });
    // createSandbox() probes; transform only reads: no getter is left to load the addon later.
    expect(calls.loadNative).toBe(1);
    expect(Object.getOwnPropertyDescriptor(facts, 'linux')?.get).toBeUndefined();
    expect(facts.linux?.landlockAbi).toBe(7);
    expect(facts.linux?.launcherPath).toBe('/pkg/build/Release/codex-sandbox-launcher');
    void facts.linux;
    expect(calls.loadNative).toBe(1);
    expect(probed).toEqual([]);
    expect(JSON.parse(JSON.stringify({ ...facts, fs: undefined })).linux.landlockAbi).toBe(7);
  });

  it('an addon that fails to load gives Landlock ABI 0, keeps the reason, and leaves the bundled bwrap out', () => {
    const { native } = fakeNative({ fail: 'cannot open shared object file', bundled: '/pkg/build/Release/bwrap' });
    const { probe, probed } = recordingProbe();
    const opts = { env: { PATH: '' }, cwd: '/', native, probe, procReader: () => undefined };
    const details = getLinuxHostDetails(opts);
    expect(details?.facts.landlockAbi).toBe(0);
    expect(details?.nativeError).toBe('cannot open shared object file');
    expect(details?.facts.bwrap).toBeUndefined();
    expect(details?.facts.bwrapProblem).toContain('native addon failed to load (cannot open shared object file)');
    expect(details?.candidates).toContainEqual({ path: '/pkg/build/Release/bwrap', source: 'bundled', rejected: expect.stringContaining('digest is unknown') });
    expect(probed).toEqual([]);
  });

  it('doctor: a system bwrap has no digest to verify; no bwrap at all carries the problem text', () => {
    const { native } = fakeNative();
    const { probe } = recordingProbe();
    const withSystem = getLinuxHostDetails({ env: { PATH: '/usr/bin' }, cwd: '/nonexistent-cwd', native, probe, procReader: () => undefined, findSystem: () => ({ found: ['/usr/bin/bwrap'], skipped: [] }) });
    if (withSystem === undefined) throw new Error('no Linux details');
    expect(doctorBwrapReport(withSystem)).toMatchObject({ path: '/usr/bin/bwrap', source: 'system', version: '0.8.0', argv0: false, digestVerified: null });
    expect(doctorBwrapReport(withSystem).note).toContain('no --argv0');
    const none = getLinuxHostDetails({ env: { PATH: '' }, cwd: '/', native, probe, procReader: () => undefined });
    if (none === undefined) throw new Error('no Linux details');
    expect(doctorBwrapReport(none)).toMatchObject({ path: null, source: null, digestVerified: null, note: expect.stringContaining('no usable bubblewrap') });
  });

  it('detects WSL1 from /proc/version', () => {
    const { native } = fakeNative();
    const { probe } = recordingProbe();
    const facts = getHostFacts({
      env: { PATH: '' },
      cwd: '/',
      native,
      probe,
      procReader: (p) => (p === '/proc/version' ? 'Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com)' : undefined),
    });
    expect(facts.linux?.wsl1).toBe(true);
  });

  it('tmpdir only from an absolute, non-empty $TMPDIR; home from $HOME', () => {
    const { native } = fakeNative();
    expect(getHostFacts({ env: { TMPDIR: '/var/tmp', HOME: '/home/u' }, native }).tmpdir).toBe('/var/tmp');
    expect(getHostFacts({ env: { TMPDIR: 'tmp', HOME: '/home/u' }, native }).tmpdir).toBeUndefined();
    expect(getHostFacts({ env: { HOME: '/home/u' }, native }).home).toBe('/home/u');
    expect(getHostFacts({ env: {}, native }).platform).toBe('linux');
  });
});

describe('syntheticRegistryDir', () => {
  it('uses /run/user/<uid> when that directory exists and belongs to the user', () => {
    expect(syntheticRegistryDir(1000, (p) => (p === '/run/user/1000' ? 1000 : undefined))).toBe('/run/user/1000/codex-sandbox-registry');
  });

  it('falls back to /tmp with the uid in the name when the runtime dir is missing or someone else\'s', () => {
    expect(syntheticRegistryDir(1000, () => undefined)).toBe('/tmp/codex-sandbox-registry-1000');
    expect(syntheticRegistryDir(1000, (p) => (p === '/run/user/1000' ? 0 : undefined))).toBe('/tmp/codex-sandbox-registry-1000');
  });

  it('does not depend on $TMPDIR or $XDG_RUNTIME_DIR (callers with different environments share one registry)', () => {
    const saved = { TMPDIR: process.env['TMPDIR'], XDG_RUNTIME_DIR: process.env['XDG_RUNTIME_DIR'] };
    const before = syntheticRegistryDir();
    try {
      process.env['TMPDIR'] = os.tmpdir() + '/elsewhere';
      process.env['XDG_RUNTIME_DIR'] = os.tmpdir();
      expect(syntheticRegistryDir()).toBe(before);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

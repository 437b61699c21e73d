/**
 * The persistent bwrap probe cache (src/host/probe-cache.ts) on real files: a fresh process reuses
 * a trusted entry instead of spawning `bwrap --help`/`--version`, and a cache file someone else
 * could have written (wrong owner, wrong mode, a symlink, a hard link, a foreign or group-writable
 * directory) is ignored — the probe runs and the planted file is left alone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearBwrapProbeCache, probeBwrap } from '../../../src/host/bwrap-select.js';
import { getHostFacts, syntheticRegistryDir } from '../../../src/host/facts.js';
import { PROBE_CACHE_FILE, binaryIdentityKey, fileProbeCache } from '../../../src/host/probe-cache.js';

const isRoot = process.getuid?.() === 0;
const OTHER_UID = 65534;

let base: string;
let dir: string;
let bin: string;
let log: string;

/** A fake bubblewrap that records each run, so a test can count the probe's spawns. */
function writeFakeBwrap(): void {
  fs.writeFileSync(
    bin,
    [
      '#!/bin/sh',
      `echo "$1" >> ${log}`,
      'case "$1" in',
      '  --help) echo "usage: bwrap [OPTIONS...] [--] COMMAND"; echo "  --ro-bind SRC DEST"; echo "  --unshare-user"; echo "  --perms OCTAL"; echo "  --disable-userns";;',
      '  --version) echo "bubblewrap 0.8.0";;',
      'esac',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
}

function spawns(): string[] {
  return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [];
}

/** A new process's view: nothing in memory, the cache read from disk. */
function probeFresh(): ReturnType<typeof probeBwrap> {
  clearBwrapProbeCache();
  return probeBwrap(bin, { cache: fileProbeCache(dir) });
}

/** A well-formed entry for the fake binary that claims what an attacker would like: no --disable-userns, no --perms. */
function forgedJson(): string {
  const key = binaryIdentityKey(fs.realpathSync(bin));
  return JSON.stringify({ format: 1, entries: { [key]: { version: '9.9.9', caps: { argv0: true, perms: false, roBindFd: false, disableUserns: false } } } });
}

describe.skipIf(process.platform !== 'linux')('bwrap probe cache (real files)', () => {
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'csbx-probecache-'));
    dir = path.join(base, 'registry');
    bin = path.join(base, 'bwrap');
    log = path.join(base, 'spawns.log');
    writeFakeBwrap();
  });
  afterEach(() => {
    clearBwrapProbeCache();
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('the first process probes (2 spawns) and writes a 0600 file in a 0700 directory; the next process spawns nothing and gets the same answer', () => {
    const first = probeFresh();
    expect(spawns()).toEqual(['--help', '--version']);
    const st = fs.statSync(path.join(dir, PROBE_CACHE_FILE));
    expect(st.mode & 0o777).toBe(0o600);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    const second = probeFresh();
    expect(spawns()).toEqual(['--help', '--version']);
    expect(second).toEqual(first);
    expect(second).toMatchObject({ version: '0.8.0', perms: true, disableUserns: true, argv0: false, roBindFd: false });
  });

  it('a replaced or touched binary is probed again (the key holds dev, inode, size, mtime and ctime)', () => {
    probeFresh();
    const t = new Date(Date.now() + 5000);
    fs.utimesSync(bin, t, t);
    probeFresh();
    expect(spawns()).toHaveLength(4);
    fs.rmSync(bin);
    writeFakeBwrap();
    probeFresh();
    expect(spawns()).toHaveLength(6);
  });

  it('a well-formed entry in a file the caller owns with mode 0600 is used (the premise the directory rule protects)', () => {
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.writeFileSync(path.join(dir, PROBE_CACHE_FILE), forgedJson(), { mode: 0o600 });
    expect(probeFresh()).toMatchObject({ version: '9.9.9', disableUserns: false });
    expect(spawns()).toEqual([]);
  });

  it('a cache file writable by group or others is ignored and left alone (the binary is probed)', () => {
    fs.mkdirSync(dir, { mode: 0o700 });
    const file = path.join(dir, PROBE_CACHE_FILE);
    fs.writeFileSync(file, forgedJson());
    fs.chmodSync(file, 0o666);
    const ignored: string[] = [];
    clearBwrapProbeCache();
    const info = probeBwrap(bin, { cache: fileProbeCache(dir, { onIgnored: (p) => ignored.push(p) }) });
    expect(info).toMatchObject({ version: '0.8.0', disableUserns: true, perms: true });
    expect(spawns()).toEqual(['--help', '--version']);
    expect(ignored.join()).toMatch(/writable by group or others \(mode 0666\)/);
    expect(fs.readFileSync(file, 'utf8')).toBe(forgedJson());
  });

  it.skipIf(!isRoot)('a cache file owned by another user is ignored (root chowns it to nobody)', () => {
    fs.mkdirSync(dir, { mode: 0o700 });
    const file = path.join(dir, PROBE_CACHE_FILE);
    fs.writeFileSync(file, forgedJson(), { mode: 0o600 });
    fs.chownSync(file, OTHER_UID, OTHER_UID);
    expect(probeFresh()).toMatchObject({ version: '0.8.0', disableUserns: true });
    expect(spawns()).toEqual(['--help', '--version']);
    expect(fs.statSync(file).uid).toBe(OTHER_UID);
  });

  it('a symlink at the cache path (to a file a sandbox could write) is not followed, read or written through', () => {
    fs.mkdirSync(dir, { mode: 0o700 });
    const elsewhere = path.join(base, 'writable-root-file.json');
    fs.writeFileSync(elsewhere, forgedJson(), { mode: 0o600 });
    fs.symlinkSync(elsewhere, path.join(dir, PROBE_CACHE_FILE));
    expect(probeFresh()).toMatchObject({ version: '0.8.0', disableUserns: true });
    expect(spawns()).toEqual(['--help', '--version']);
    expect(fs.readFileSync(elsewhere, 'utf8')).toBe(forgedJson());
    expect(fs.lstatSync(path.join(dir, PROBE_CACHE_FILE)).isSymbolicLink()).toBe(true);
  });

  it('a hard link to a file that has another name (one a sandbox could write) is ignored', () => {
    fs.mkdirSync(dir, { mode: 0o700 });
    const elsewhere = path.join(base, 'writable-root-file.json');
    fs.writeFileSync(elsewhere, forgedJson(), { mode: 0o600 });
    fs.linkSync(elsewhere, path.join(dir, PROBE_CACHE_FILE));
    expect(probeFresh()).toMatchObject({ version: '0.8.0', disableUserns: true });
    expect(spawns()).toEqual(['--help', '--version']);
  });

  it('a group- or other-writable directory is not used: the entry in it is ignored and nothing is written there', () => {
    fs.mkdirSync(dir);
    fs.chmodSync(dir, 0o777);
    fs.writeFileSync(path.join(dir, PROBE_CACHE_FILE), forgedJson(), { mode: 0o600 });
    expect(probeFresh()).toMatchObject({ version: '0.8.0', disableUserns: true });
    fs.rmSync(path.join(dir, PROBE_CACHE_FILE));
    probeFresh();
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(spawns()).toHaveLength(4);
  });

  it.skipIf(!isRoot)("another user's directory is not used (root chowns it to nobody)", () => {
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.writeFileSync(path.join(dir, PROBE_CACHE_FILE), forgedJson(), { mode: 0o600 });
    fs.chownSync(dir, OTHER_UID, OTHER_UID);
    expect(probeFresh()).toMatchObject({ version: '0.8.0', disableUserns: true });
    expect(spawns()).toEqual(['--help', '--version']);
  });

  it('a symlink in place of the directory is not followed', () => {
    const real = path.join(base, 'elsewhere');
    fs.mkdirSync(real, { mode: 0o700 });
    fs.writeFileSync(path.join(real, PROBE_CACHE_FILE), forgedJson(), { mode: 0o600 });
    fs.symlinkSync(real, dir);
    expect(probeFresh()).toMatchObject({ version: '0.8.0', disableUserns: true });
    expect(fs.readdirSync(real)).toEqual([PROBE_CACHE_FILE]);
    expect(fs.readFileSync(path.join(real, PROBE_CACHE_FILE), 'utf8')).toBe(forgedJson());
  });

  it('garbage in the file is a miss, and the next probe rewrites it', () => {
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.writeFileSync(path.join(dir, PROBE_CACHE_FILE), '{not json', { mode: 0o600 });
    probeFresh();
    probeFresh();
    expect(spawns()).toEqual(['--help', '--version']);
  });

  it('getHostFacts keeps the probe in the registry directory: a second process (fresh memory) runs no probe', () => {
    // Forced onto the (fake) system bwrap: the bundled one, preferred by default, is never probed.
    const opts = { env: { PATH: '/usr/bin:/bin', CODEX_SANDBOX_BWRAP: 'system' }, cwd: '/', findSystem: () => ({ found: [bin], skipped: [] }) };
    clearBwrapProbeCache();
    expect(getHostFacts(opts).linux?.bwrap).toMatchObject({ path: fs.realpathSync(bin), version: '0.8.0', source: 'system' });
    clearBwrapProbeCache();
    expect(getHostFacts(opts).linux?.bwrap).toMatchObject({ path: fs.realpathSync(bin), version: '0.8.0', source: 'system' });
    expect(spawns()).toEqual(['--help', '--version']);
    const cached = JSON.parse(fs.readFileSync(path.join(syntheticRegistryDir(), PROBE_CACHE_FILE), 'utf8')) as { entries: Record<string, unknown> };
    expect(Object.keys(cached.entries)).toContain(binaryIdentityKey(fs.realpathSync(bin)));
  });
});

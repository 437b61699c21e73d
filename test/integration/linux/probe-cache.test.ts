/**
 * Real bubblewrap: the persistent bwrap probe cache (src/host/probe-cache.ts) lives in the
 * placeholder registry directory. A hostile command whose writable root contains that directory
 * tries to forge an entry (weaker capabilities for the host's bwrap), replace the file, or swap the
 * directory; the next process must still see the genuine probe result.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getHostFacts } from '../../../src/host/facts.js';
import { clearBwrapProbeCache, probeBwrap } from '../../../src/host/bwrap-select.js';
import { PROBE_CACHE_FILE, binaryIdentityKey, fileProbeCache } from '../../../src/host/probe-cache.js';
import { launch } from '../../../src/launch/run.js';
import { Sandbox } from '../../../src/sandbox.js';
import { isLinux, scratch } from './helpers.js';
import type { Scratch } from './helpers.js';

const facts = isLinux ? getHostFacts() : undefined;
const bwrapPath = facts?.linux?.bwrap?.path;

describe.skipIf(!isLinux || bwrapPath === undefined)('bwrap probe cache vs a hostile sandbox (real bwrap)', () => {
  let s: Scratch;
  let reg: string;
  beforeEach(() => {
    s = scratch('csbx-probecache-');
    // The registry (and so the cache) inside the sandbox's writable root: the worst placement,
    // like /tmp/codex-sandbox-registry-<uid> under a writable /tmp.
    reg = join(s.ws, 'registry');
    mkdirSync(reg, { mode: 0o700 });
  });
  afterEach(() => {
    clearBwrapProbeCache();
    s.cleanup();
  });

  it('a command whose writable root contains the cache directory cannot forge, replace or move the cache file; the next probe reads the genuine entry', async () => {
    const bin = realpathSync(bwrapPath ?? '');
    clearBwrapProbeCache();
    const genuine = probeBwrap(bin, { cache: fileProbeCache(reg) });
    const file = join(reg, PROBE_CACHE_FILE);
    const before = readFileSync(file, 'utf8');
    const key = binaryIdentityKey(bin);
    expect(JSON.parse(before).entries[key]).toBeDefined();

    const linux = facts?.linux;
    if (linux === undefined) throw new Error('no Linux facts');
    const sb = new Sandbox({ ...(facts as NonNullable<typeof facts>), linux: { ...linux, syntheticRegistry: reg } }, process.env, launch);
    const forged = JSON.stringify({ format: 1, entries: { [key]: { version: '9.9.9', caps: { argv0: false, perms: true, roBindFd: false, disableUserns: false } } } });
    const attack = [
      `printf '%s' '${forged}' > registry/${PROBE_CACHE_FILE}`,
      `printf '%s' '${forged}' > registry/new.json && mv -f registry/new.json registry/${PROBE_CACHE_FILE}`,
      `rm -f registry/${PROBE_CACHE_FILE}`,
      'mv registry registry.old',
      `mkdir -p fake && printf '%s' '${forged}' > fake/${PROBE_CACHE_FILE} && chmod 700 fake && chmod 600 fake/${PROBE_CACHE_FILE}`,
      'rmdir registry; mv fake registry',
      'echo done > ok.txt',
    ].join('; ');
    const r = await sb.spawn(['/bin/sh', '-c', attack], 'workspace-write', { cwd: s.ws, reject: false, stdin: 'ignore' });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(readFileSync(join(s.ws, 'ok.txt'), 'utf8')).toBe('done\n');
    // The directory was hidden and read-only inside: every write failed.
    expect(String(r.stderr)).toMatch(/Permission denied|Read-only file system|Device or resource busy/);
    expect(existsSync(join(s.ws, 'registry.old'))).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(readdirSync(reg).filter((n) => n.startsWith('bwrap-probe'))).toEqual([PROBE_CACHE_FILE]);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    clearBwrapProbeCache();
    const next = probeBwrap(bin, { cache: fileProbeCache(reg) });
    expect(next).toEqual(genuine);
    expect(next.version).not.toBe('9.9.9');
  });
});

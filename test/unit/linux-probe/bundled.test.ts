import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BundledBwrapError,
  bundledBwrapInfo,
  checkBundledDigest,
  digestMismatchMessage,
  normaliseEmbeddedDigest,
  readBwrapRecipe,
  sha256File,
} from '../../../src/host/bundled-bwrap.js';
import type { ProbedBwrap, ProbeOptions } from '../../../src/host/bwrap-help.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bundled-unit-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const bin = path.join(root, 'bwrap');
fs.writeFileSync(bin, Buffer.from('not really bubblewrap, just bytes to hash\n'.repeat(5000)), { mode: 0o755 });
const binSha = crypto.createHash('sha256').update(fs.readFileSync(bin)).digest('hex');

describe('normaliseEmbeddedDigest', () => {
  it('missing, empty and all-zero digests mean a development build', () => {
    expect(normaliseEmbeddedDigest(null)).toBeUndefined();
    expect(normaliseEmbeddedDigest(undefined)).toBeUndefined();
    expect(normaliseEmbeddedDigest('')).toBeUndefined();
    expect(normaliseEmbeddedDigest('0'.repeat(64))).toBeUndefined();
  });

  it('accepts 64 hex digits, lower-casing them', () => {
    expect(normaliseEmbeddedDigest('AB'.repeat(32))).toBe('ab'.repeat(32));
  });

  it('refuses a malformed digest instead of silently skipping verification', () => {
    expect(() => normaliseEmbeddedDigest('abc')).toThrow(BundledBwrapError);
    expect(() => normaliseEmbeddedDigest('g'.repeat(64))).toThrow(/malformed bubblewrap digest/);
  });
});

describe('sha256File and checkBundledDigest', () => {
  it('hashes a file larger than one read chunk', () => {
    expect(sha256File(bin)).toBe(binSha);
  });

  it('verified when the digest matches', () => {
    expect(checkBundledDigest(bin, binSha)).toEqual({ status: 'verified', path: bin, sha256: binSha });
  });

  it('mismatch names the path, the expected and the actual digest in the launcher\'s words', () => {
    const expected = 'cd'.repeat(32);
    const r = checkBundledDigest(bin, expected);
    expect(r.status).toBe('mismatch');
    if (r.status !== 'mismatch') return;
    expect(r.actual).toBe(binSha);
    expect(r.message).toBe(`codex-sandbox: bundled bubblewrap digest mismatch for ${bin}: expected sha256:${expected}, got sha256:${binSha}`);
    expect(r.message).toBe(digestMismatchMessage(bin, expected, binSha));
  });

  it('development build and missing binary are reported as such', () => {
    expect(checkBundledDigest(bin, undefined).status).toBe('development-build');
    expect(checkBundledDigest(path.join(root, 'nope'), binSha).status).toBe('missing');
    expect(checkBundledDigest(undefined, binSha).status).toBe('missing');
  });
});

describe('bundledBwrapInfo', () => {
  const probeCalls: string[] = [];
  const probe = (p: string, o: ProbeOptions): ProbedBwrap => {
    probeCalls.push(p);
    return { path: p, source: o.source ?? 'system', version: '0.8.0', argv0: false, perms: true, roBindFd: true, asPid1: true, disableUserns: true, setuid: false, expectedSha256: o.expectedSha256 };
  };

  it('with a digest: described from the recipe, never executed before the launcher verifies it', () => {
    probeCalls.length = 0;
    const info = bundledBwrapInfo(bin, binSha, probe);
    expect(probeCalls).toEqual([]);
    expect(info).toMatchObject({ path: fs.realpathSync(bin), source: 'bundled', argv0: true, perms: true, roBindFd: true, expectedSha256: binSha });
    expect(info.version).toBe(readBwrapRecipe()?.upstreamVersion);
  });

  it('development build: probed like any other binary', () => {
    probeCalls.length = 0;
    const info = bundledBwrapInfo(bin, undefined, probe);
    expect(probeCalls).toEqual([fs.realpathSync(bin)]);
    expect(info.source).toBe('bundled');
    expect(info.expectedSha256).toBeUndefined();
  });

  it('refuses a missing or non-executable file', () => {
    expect(() => bundledBwrapInfo(path.join(root, 'missing'), binSha, probe)).toThrow(/bundled bwrap .* is missing/);
    const plain = path.join(root, 'plain');
    fs.writeFileSync(plain, 'x', { mode: 0o644 });
    expect(() => bundledBwrapInfo(plain, binSha, probe)).toThrow(/not an executable regular file/);
  });
});

describe('readBwrapRecipe', () => {
  it('reads vendor/bubblewrap/recipe.json of this package', () => {
    const recipePath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../vendor/bubblewrap/recipe.json');
    const raw = JSON.parse(fs.readFileSync(recipePath, 'utf8')) as { upstream: { version: string }; debian: { version: string; suite: string } };
    expect(readBwrapRecipe()).toEqual({ upstreamVersion: raw.upstream.version, debianVersion: raw.debian.version, suite: raw.debian.suite });
  });

  it('pins an upstream version that has --argv0 (>= 0.9) and a SHA-256 for every fetched file', () => {
    const recipePath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../vendor/bubblewrap/recipe.json');
    const raw = JSON.parse(fs.readFileSync(recipePath, 'utf8')) as { upstream: { version: string }; files: Array<{ name: string; sha256: string }> };
    const [major, minor] = raw.upstream.version.split('.').map(Number);
    expect((major ?? 0) > 0 || (minor ?? 0) >= 9).toBe(true);
    expect(raw.files.length).toBeGreaterThan(0);
    for (const f of raw.files) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

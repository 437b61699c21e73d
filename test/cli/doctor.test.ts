/**
 * `codex-sandbox doctor` through the built binary: its verdict agrees with a direct bwrap probe here,
 * and with a bubblewrap that cannot set up the uid map (Ubuntu 24.04's AppArmor restriction, simulated
 * by test/fixtures/fake-bwrap/uidmap-fail) it exits 1 with the cause and a fix.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Scratch, repo, requireBuilt } from './helpers.js';
import { trustedDir } from '../integration/bwrap-selection/helpers.js';

let s: Scratch;
beforeAll(() => {
  requireBuilt();
  s = new Scratch();
});
afterAll(() => s.dispose());

interface DoctorJson {
  ok: boolean;
  sandbox: { kind: string | null; why: string };
  bwrap: { path: string | null; source: string | null; version: string | null; argv0: boolean; perms: boolean; digestVerified: boolean | null };
  userns: { ok: boolean; cause?: string; detail: string; fix: string };
  seccomp: { available: boolean };
  landlock: { abi: number };
  probe: { ran: boolean; ok: boolean; stderr: string; detail: string };
  verdict: string;
}

/** Whether the system bwrap can create a user + network namespace here (the oracle doctor must agree with). */
function systemBwrapWorks(): boolean {
  const r = spawnSync('bwrap', ['--unshare-user', '--unshare-net', '--ro-bind', '/', '/', '/bin/true'], { stdio: 'ignore' });
  return r.status === 0;
}

describe.runIf(process.platform === 'linux')('codex-sandbox doctor (Linux)', () => {
  it('exits 0 exactly when a bwrap namespace probe works here, and its last line says so', () => {
    const r = s.cli(['doctor']);
    const works = systemBwrapWorks();
    expect(r.status, r.report).toBe(works ? 0 : 1);
    const last = r.stdout.trimEnd().split('\n').pop() ?? '';
    expect(last, r.report).toMatch(works ? /^sandboxing works: / : /^cannot sandbox: /);
  });

  it('--json reports bwrap, userns, seccomp and landlock, and a probe that really ran', () => {
    const r = s.cli(['doctor', '--json']);
    const rep = JSON.parse(r.stdout) as DoctorJson;
    expect(r.status, r.report).toBe(rep.ok ? 0 : 1);
    expect(rep.bwrap).toEqual(
      expect.objectContaining({ path: expect.any(String) as unknown, source: expect.stringMatching(/^(system|bundled)$/) as unknown, argv0: expect.any(Boolean) as unknown, perms: true }),
    );
    expect(rep.bwrap).toHaveProperty('version');
    expect(rep.bwrap).toHaveProperty('digestVerified');
    expect(typeof rep.userns.ok).toBe('boolean');
    expect(rep.seccomp.available).toBe(true);
    expect(typeof rep.landlock.abi).toBe('number');
    expect(rep.probe.ran).toBe(true);
    expect(rep.ok).toBe(rep.probe.ok);
  });

  // CODEX_SANDBOX_BWRAP must name a root-owned binary in root-only directories (not /tmp): as another
  // user no such place can be made for a fake.
  it.skipIf(process.getuid?.() !== 0)('with a bwrap that fails the uid map it exits 1, names the blocked user namespaces, and gives a fix', () => {
    const dir = trustedDir('doctor-');
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const fake = path.join(dir, 'bwrap');
    copyFileSync(path.join(repo, 'test', 'fixtures', 'fake-bwrap', 'uidmap-fail', 'bwrap'), fake);
    chmodSync(fake, 0o755);
    const env = s.env({ CODEX_SANDBOX_BWRAP: fake });
    const text = s.cli(['doctor'], { env });
    expect(text.status, text.report).toBe(1);
    const last = text.stdout.trimEnd().split('\n').pop() ?? '';
    expect(last, text.report).toMatch(/^cannot sandbox: user namespaces are blocked \(\w+\): .*setting up uid map: Permission denied.*\. Fix: \S/);

    const json = s.cli(['doctor', '--json'], { env });
    expect(json.status, json.report).toBe(1);
    const rep = JSON.parse(json.stdout) as DoctorJson;
    expect(rep.ok).toBe(false);
    expect(rep.bwrap.path).toBe(fake);
    expect(rep.userns.ok).toBe(false);
    expect(rep.userns.fix).not.toBe('');
    expect(rep.probe).toEqual(expect.objectContaining({ ran: true, ok: false }));
    expect(rep.probe.stderr).toContain('setting up uid map: Permission denied');
  });

  // A development build ships no bundled bwrap (or no digest): nothing to verify.
  it.skipIf(!existsSync(path.join(repo, 'build', 'Release', 'bwrap')))('with its bundled bwrap changed on disk it exits 1 naming the digest mismatch, and launches nothing', () => {
    // A copy of the installed package (dist/, build/Release/) whose bundled bwrap lost one byte: doctor must say that
    // the bytes are not the ones built, not run its namespace probe through them (the launcher would refuse anyway).
    const pkg = path.join(s.root, 'package');
    mkdirSync(path.join(pkg, 'build'), { recursive: true });
    copyFileSync(path.join(repo, 'package.json'), path.join(pkg, 'package.json'));
    cpSync(path.join(repo, 'dist'), path.join(pkg, 'dist'), { recursive: true });
    cpSync(path.join(repo, 'build', 'Release'), path.join(pkg, 'build', 'Release'), { recursive: true, filter: (src) => !src.includes('obj.target') });
    symlinkSync(path.join(repo, 'node_modules'), path.join(pkg, 'node_modules'));
    const bwrap = path.join(pkg, 'build', 'Release', 'bwrap');
    const bytes = readFileSync(bwrap);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    writeFileSync(bwrap, bytes);
    const r = spawnSync(process.execPath, [path.join(pkg, 'dist', 'cli', 'main.js'), 'doctor', '--json'], {
      cwd: s.project,
      env: s.env({ CODEX_SANDBOX_BWRAP: 'bundled' }),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(1);
    const rep = JSON.parse(r.stdout) as DoctorJson;
    expect(rep.bwrap).toMatchObject({ path: bwrap, source: 'bundled', digestVerified: false });
    expect(rep.verdict).toContain(`cannot sandbox: codex-sandbox: bundled bubblewrap digest mismatch for ${bwrap}: expected sha256:`);
    expect(rep.probe.ran).toBe(false);
  });

  it('with CODEX_SANDBOX_BWRAP pointing nowhere it exits 1 and says to fix or unset it', () => {
    const r = s.cli(['doctor'], { env: s.env({ CODEX_SANDBOX_BWRAP: path.join(s.root, 'no-such-bwrap') }) });
    expect(r.status, r.report).toBe(1);
    const last = r.stdout.trimEnd().split('\n').pop() ?? '';
    expect(last).toMatch(/^cannot sandbox: .*CODEX_SANDBOX_BWRAP/);
    expect(r.stdout).toContain('probe:     skipped');
  });
});

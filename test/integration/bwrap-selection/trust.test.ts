/**
 * A system bwrap runs outside the sandbox, so it is taken from PATH (or CODEX_SANDBOX_BWRAP) only if
 * root owns it and every directory above it, none writable by group or others. The attack: a run
 * plants `bwrap` in a directory on the caller's PATH (`~/.local/bin`); the next run must not execute
 * it — not even to probe it — and doctor names it and says why. Real binaries, real PATH, real CLI.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bwrapTrustProblem, clearBwrapProbeCache, isSetuidRoot, selectBwrap } from '../../../src/host/bwrap-select.js';
import { isRoot, REPO, SYSTEM_BWRAP, systemBwrapWorks, tempDir, trustedDir } from './helpers.js';

const USER = 'csbx-test';
const onLinux = process.platform === 'linux';
const bin = path.join(REPO, 'dist', 'cli', 'main.js');
const systemOk = onLinux && systemBwrapWorks();

/**
 * A "perfect" bwrap: it records that it ran (touches `marker`), then behaves exactly like the system
 * one. If anything executed it, probe included, the marker exists.
 */
function plantBwrap(dir: string, marker: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const p = path.join(dir, 'bwrap');
  fs.writeFileSync(p, `#!/bin/sh\n: > ${JSON.stringify(marker)}\nexec ${SYSTEM_BWRAP} "$@"\n`, { mode: 0o755 });
  fs.chmodSync(p, 0o755);
  return p;
}

function ensureUser(): number {
  if (spawnSync('id', ['-u', USER]).status !== 0) execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', USER]);
  return Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
}

/**
 * In-process selection for a non-root caller (uid 1000) by default: the ownership rule is what protects
 * one (its sandbox cannot create a root-owned file). A root caller (uid 0) also takes a PATH bwrap only
 * from /usr/bin, /usr/sbin, /bin or /sbin; that rule's tests pass `uid: 0`.
 */
function select(pathDirs: string[], env: Record<string, string> = {}, uid = 1000) {
  clearBwrapProbeCache();
  return selectBwrap({
    env: { PATH: pathDirs.join(':'), ...env },
    cwd: '/',
    bundledPath: undefined,
    expectedSha256: undefined,
    preference: { apparmorRestrict: undefined, uid, setuidRoot: isSetuidRoot },
  });
}

let scratch: string;
beforeAll(() => {
  scratch = tempDir('bwrap-trust-');
  fs.chmodSync(scratch, 0o755);
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe.skipIf(!onLinux || !isRoot || !systemOk)('system bwrap ownership rule (Linux, real files; needs root to make other owners)', () => {
  it('a bwrap owned by another user (their ~/.local/bin) is skipped before it runs; the next candidate is used', () => {
    const uid = ensureUser();
    const home = path.join(scratch, 'home');
    const local = path.join(home, '.local', 'bin');
    const marker = path.join(scratch, 'ran-other-owner');
    const planted = plantBwrap(local, marker);
    execFileSync('chown', ['-R', `${uid}:${uid}`, home]);
    const sel = select([local, '/usr/bin']);
    expect(sel.bwrap?.path).toBe(SYSTEM_BWRAP);
    expect(sel.candidates[0]).toMatchObject({ path: planted, source: 'system', rejected: expect.stringContaining(`not trusted: the binary ${planted} is owned by uid ${uid}, not root`) });
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('a root-owned bwrap in a group- or other-writable directory (not sticky-exempt) is skipped', () => {
    const dir = path.join(trustedDir('bwrap-trust-gw-'), 'bin');
    const marker = path.join(scratch, 'ran-group-writable');
    const planted = plantBwrap(dir, marker);
    fs.chmodSync(dir, 0o775);
    const sel = select([dir, '/usr/bin']);
    expect(sel.candidates[0]).toMatchObject({ path: planted, rejected: expect.stringContaining(`its directory ${dir} is writable by its group (mode 0775)`) });
    fs.chmodSync(dir, 0o1777); // sticky does not help: /tmp-like directories are refused too
    expect(select([dir, '/usr/bin']).candidates[0]).toMatchObject({ rejected: expect.stringContaining('is writable by others (mode 1777)') });
    fs.chmodSync(dir, 0o755);
    // A writable directory further up is as bad: its member can rename `bin` away and put another one in its place.
    const parent = path.dirname(dir);
    fs.chmodSync(parent, 0o775);
    expect(select([dir, '/usr/bin']).candidates[0]).toMatchObject({ rejected: expect.stringContaining(`its directory ${parent} is writable by its group (mode 0775)`) });
    fs.chmodSync(parent, 0o700);
    fs.chmodSync(planted, 0o775);
    expect(select([dir, '/usr/bin']).candidates[0]).toMatchObject({ rejected: expect.stringContaining(`the binary ${planted} is writable by its group`) });
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('a root-owned link in root-only directories is judged by the directories of the bwrap it points to: one others can replace is never run', () => {
    // The link's own directories are root-only, but its target's directory is writable by everyone, so anyone can
    // swap the binary the link reaches. The rule must follow the link (realpath) before checking the ancestors.
    const base = trustedDir('bwrap-trust-link-');
    const linkDir = path.join(base, 'bin');
    fs.mkdirSync(linkDir);
    const shared = path.join(scratch, 'shared-bin');
    const marker = path.join(scratch, 'ran-through-link');
    const target = plantBwrap(shared, marker);
    fs.chmodSync(shared, 0o777);
    fs.symlinkSync(target, path.join(linkDir, 'bwrap'));
    try {
      const sel = select([linkDir, '/usr/bin']);
      expect(sel.bwrap?.path).toBe(SYSTEM_BWRAP);
      expect(sel.candidates[0]).toMatchObject({ path: target, rejected: expect.stringContaining(`its directory ${shared} is writable by others (mode 0777)`) });
      // The same link named by CODEX_SANDBOX_BWRAP: refused with the same reason, no fallback.
      const forced = select(['/usr/bin'], { CODEX_SANDBOX_BWRAP: path.join(linkDir, 'bwrap') });
      expect(forced.bwrap).toBeUndefined();
      expect(forced.problem).toContain(`not trusted: its directory ${shared} is writable by others (mode 0777)`);
      expect(fs.existsSync(marker)).toBe(false);
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });

  it('the same binary, root-owned in root-only directories, is trusted and used (it runs)', () => {
    const dir = path.join(trustedDir('bwrap-trust-ok-'), 'bin');
    const marker = path.join(scratch, 'ran-trusted');
    const planted = plantBwrap(dir, marker);
    expect(bwrapTrustProblem(planted)).toBeUndefined();
    const sel = select([dir, '/usr/bin']);
    expect(sel.bwrap?.path).toBe(planted);
    expect(fs.existsSync(marker)).toBe(true); // probed: the positive control for the marker
  });

  it('a root caller skips that same trusted bwrap on PATH (outside /usr/bin, /usr/sbin, /bin, /sbin) before it runs; CODEX_SANDBOX_BWRAP=<path> still runs it', () => {
    const dir = path.join(trustedDir('bwrap-trust-root-'), 'bin');
    const marker = path.join(scratch, 'ran-root-path');
    const planted = plantBwrap(dir, marker);
    expect(bwrapTrustProblem(planted)).toBeUndefined();
    const sel = select([dir, '/usr/bin'], { CODEX_SANDBOX_BWRAP: 'system' }, 0);
    expect(sel.bwrap?.path).toBe(fs.realpathSync(SYSTEM_BWRAP));
    expect(sel.candidates[0]).toMatchObject({
      path: planted,
      source: 'system',
      rejected: expect.stringContaining(`a root caller runs a PATH bwrap only from /usr/bin, /usr/sbin, /bin or /sbin`),
    });
    expect(sel.candidates[0]?.rejected).toContain(`name it with CODEX_SANDBOX_BWRAP=${planted} to use it`);
    expect(fs.existsSync(marker)).toBe(false);
    // Named explicitly, the caller chose the file: the ownership rule alone applies, and it runs.
    expect(select(['/usr/bin'], { CODEX_SANDBOX_BWRAP: planted }, 0).bwrap).toMatchObject({ path: planted, source: 'override' });
    expect(fs.existsSync(marker)).toBe(true);
  });

  it('CODEX_SANDBOX_BWRAP still works for a trusted binary and refuses an untrusted one with the reason (no fallback)', () => {
    expect(select(['/usr/bin'], { CODEX_SANDBOX_BWRAP: SYSTEM_BWRAP }).bwrap).toMatchObject({ path: SYSTEM_BWRAP, source: 'override' });
    const uid = ensureUser();
    const dir = path.join(scratch, 'override');
    const marker = path.join(scratch, 'ran-override');
    const planted = plantBwrap(dir, marker);
    fs.chownSync(planted, uid, uid);
    const sel = select(['/usr/bin'], { CODEX_SANDBOX_BWRAP: planted });
    expect(sel.bwrap).toBeUndefined();
    expect(sel.problem).toContain(`bubblewrap forced by CODEX_SANDBOX_BWRAP is not usable: ${planted}: not trusted: the binary ${planted} is owned by uid ${uid}, not root`);
    expect(fs.existsSync(marker)).toBe(false);
  });
});

describe.skipIf(!onLinux || !isRoot || !systemOk)('a run plants bwrap in ~/.local/bin; the next run does not execute it (Linux, as csbx-test)', () => {
  it('run 1 (sandboxed, cwd = home) plants it; run 2 and doctor skip it and say why', () => {
    const uid = ensureUser();
    const home = `/home/${USER}`;
    const local = path.join(home, '.local', 'bin');
    const marker = path.join(home, `planted-bwrap-ran-${process.pid}`);
    const planted = path.join(local, 'bwrap');
    fs.rmSync(planted, { force: true });
    fs.rmSync(marker, { force: true });
    const env = { PATH: `${local}:/usr/bin:/bin`, HOME: home };
    const su = (cwd: string, args: string[]) => {
      const cmd = `cd ${JSON.stringify(cwd)} && exec ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} ${args.map((a) => JSON.stringify(a)).join(' ')}`;
      return spawnSync('su', [USER, '-s', '/bin/sh', '-c', `export PATH=${JSON.stringify(env.PATH)} HOME=${home}; ${cmd}`], { encoding: 'utf8', timeout: 120_000 });
    };
    try {
      // Run 1: the sandboxed command itself writes ~/.local/bin/bwrap (home is its workspace).
      const script = `mkdir -p ${local} && printf '#!/bin/sh\\n: > ${marker}\\nexec ${SYSTEM_BWRAP} "$@"\\n' > ${planted} && chmod 755 ${planted} && echo planted`;
      const r1 = su(home, ['run', '--', '/bin/sh', '-c', script]);
      expect(r1.stdout, r1.stderr).toContain('planted');
      expect(fs.statSync(planted).uid).toBe(uid);
      // Run 2, in a project (the planted file is not inside its cwd, so only the ownership rule stands
      // between it and execution): still sandboxed, through a trusted bwrap; the planted one never ran.
      const proj = path.join(home, 'proj');
      fs.mkdirSync(proj, { recursive: true });
      fs.chownSync(proj, uid, uid);
      const r2 = su(proj, ['run', '--', '/bin/echo', 'second-run']);
      expect(r2.status, r2.stderr).toBe(0);
      expect(r2.stdout).toBe('second-run\n');
      expect(fs.existsSync(marker)).toBe(false);
      // doctor names it and says why, in text and JSON.
      const text = su(proj, ['doctor']);
      expect(text.stdout, text.stderr).toContain(`skipped ${planted} (system): not trusted: the binary ${planted} is owned by uid ${uid}, not root`);
      const json = su(proj, ['doctor', '--json']);
      const rep = JSON.parse(json.stdout) as { trust: { bwrapSkipped: Array<{ path: string; reason: string }> } };
      expect(rep.trust.bwrapSkipped).toContainEqual({ path: planted, source: 'system', reason: expect.stringContaining('not trusted') });
      expect(fs.existsSync(marker)).toBe(false);
    } finally {
      fs.rmSync(planted, { force: true });
      fs.rmSync(marker, { force: true });
    }
  });
});

describe.skipIf(!onLinux || !isRoot || !systemOk)('a root run plants bwrap in ~/bin; the next root run elsewhere does not execute it (Linux, real CLI)', () => {
  it('run 1 (sandboxed, cwd = home) plants it; run 2 with CODEX_SANDBOX_BWRAP=system and doctor skip it and say why', () => {
    // Everything a root sandbox writes is root-owned, and a root caller's home is root-only, so the
    // ownership rule accepts the planted file; Debian's ~/.profile puts ~/bin first on PATH when it exists.
    // Under /run, not trustedDir()'s build/: a writable root inside the installation is refused outright.
    fs.mkdirSync('/run/codex-sandbox-test', { recursive: true, mode: 0o755 });
    const base = fs.mkdtempSync('/run/codex-sandbox-test/bwrap-trust-root-run-');
    const home = path.join(base, 'home');
    const proj = path.join(base, 'proj');
    fs.mkdirSync(home);
    fs.mkdirSync(proj);
    const planted = path.join(home, 'bin', 'bwrap');
    const marker = path.join(base, 'planted-bwrap-ran');
    const cli = (cwd: string, env: Record<string, string>, args: string[]) =>
      spawnSync(process.execPath, [bin, ...args], { cwd, env: { HOME: home, ...env }, encoding: 'utf8', timeout: 60_000 });
    try {
      const script = `mkdir -p bin && printf '#!/bin/sh\\n: > ${marker}\\nexec ${SYSTEM_BWRAP} "$@"\\n' > bin/bwrap && chmod 755 bin/bwrap && echo planted`;
      const r1 = cli(home, { PATH: '/usr/bin:/bin' }, ['run', '--', '/bin/sh', '-c', script]);
      expect(r1.stdout, r1.stderr).toBe('planted\n');
      expect(bwrapTrustProblem(planted)).toBeUndefined(); // root-owned in root-only directories: the ownership rule passes it
      const env = { PATH: `${path.join(home, 'bin')}:/usr/bin:/bin`, CODEX_SANDBOX_BWRAP: 'system' };
      const r2 = cli(proj, env, ['run', '--', '/bin/echo', 'second-run']);
      expect(r2.status, r2.stderr).toBe(0);
      expect(r2.stdout).toBe('second-run\n');
      expect(fs.existsSync(marker)).toBe(false);
      const json = cli(proj, env, ['doctor', '--json']);
      const rep = JSON.parse(json.stdout) as { trust: { bwrapSkipped: Array<{ path: string; reason: string }> } };
      expect(rep.trust.bwrapSkipped).toContainEqual({ path: planted, source: 'system', reason: expect.stringContaining('a root caller runs a PATH bwrap only from /usr/bin, /usr/sbin, /bin or /sbin') });
      expect(fs.existsSync(marker)).toBe(false);
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!onLinux)('bwrapTrustProblem on this host', () => {
  it.skipIf(!fs.existsSync(SYSTEM_BWRAP))('the distribution bwrap is trusted', () => {
    expect(bwrapTrustProblem(fs.realpathSync(SYSTEM_BWRAP))).toBeUndefined();
  });

  it('anything under /tmp is not (the directory is writable by everyone)', () => {
    const dir = tempDir('bwrap-trust-tmp-');
    const p = plantBwrap(dir, path.join(dir, 'marker'));
    expect(bwrapTrustProblem(p)).toMatch(/writable by others \(mode 1777\)|is owned by uid/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

/**
 * Real selection, real runs: fake bwrap programs on a test PATH, the real system bwrap, and the
 * real bundled bwrap from vendor/bubblewrap/build.sh. Each selection is followed by a sandboxed
 * run through the chosen binary, so "picked the right one" means "that binary ran the command".
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundledBwrapInfo } from '../../../src/host/bundled-bwrap.js';
import { clearBwrapProbeCache, probeBwrap, selectBwrap } from '../../../src/host/bwrap-select.js';
import type { BwrapPreferenceFacts } from '../../../src/host/bwrap-select.js';
import { diagnoseUserns, probeUserns, readUsernsSettings } from '../../../src/host/userns.js';
import { buildBundled, isRoot, placeBinary, placeFake, runSandboxed, SYSTEM_BWRAP, systemBwrapWorks, trustedDir } from './helpers.js';

const root = trustedDir('bwrap-selection-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const onLinux = process.platform === 'linux';
const systemOk = onLinux && systemBwrapWorks();
const { build: bundled, reason: bundledReason } = onLinux ? buildBundled() : { build: undefined, reason: 'not Linux' };
afterAll(() => {
  if (bundled) fs.rmSync(bundled.dir, { recursive: true, force: true });
});

const NO_SYSTEM = `needs a working ${SYSTEM_BWRAP} (apt-get install bubblewrap) that can create namespaces here`;
const NO_BUNDLED = `needs the bundled bwrap (${bundledReason})`;

/** `it` when the requirement holds, else a skipped test whose name says why. */
function needs(ok: boolean, why: string) {
  return (name: string, fn: () => void): void => {
    if (ok) it(name, fn);
    else it.skip(`${name} [skipped: ${why}]`, fn);
  };
}
const withBundled = needs(bundled !== undefined, NO_BUNDLED);
const withSystem = needs(systemOk, NO_SYSTEM);
const withBoth = needs(bundled !== undefined && systemOk, `${NO_BUNDLED}; ${NO_SYSTEM}`);
const asRoot = needs(process.getuid?.() === 0, 'only root can create a setuid-root file');

const oldDir = onLinux ? placeFake(root, 'old-no-perms') : '';
const noArgv0Dir = onLinux ? placeFake(root, 'no-argv0') : '';
const uidmapDir = onLinux ? placeFake(root, 'uidmap-fail') : '';
const emptyDir = path.join(root, 'empty');
fs.mkdirSync(emptyDir, { recursive: true });
const systemDir = onLinux && systemOk ? placeBinary(root, SYSTEM_BWRAP, 'system-copy') : '';
const cwd = path.join(root, 'cwd');
fs.mkdirSync(cwd, { recursive: true });

/**
 * Host facts under which a system bwrap adds something (Ubuntu's AppArmor userns restriction, a non-root
 * caller), so the system candidates on PATH are the ones tried first — this file's subject. The default
 * preference for the bundled binary (when the system one adds nothing) is the last test's.
 */
const ubuntuLike: BwrapPreferenceFacts = { apparmorRestrict: 1, uid: 1000, setuidRoot: () => false };
const plainHost: BwrapPreferenceFacts = { apparmorRestrict: 0, uid: 1000, setuidRoot: () => false };

/** Selection with the bundled build as the bundled candidate. */
function select(pathDirs: string[], extra: { env?: Record<string, string>; cwd?: string; preference?: BwrapPreferenceFacts } = {}) {
  clearBwrapProbeCache();
  return selectBwrap({
    env: { PATH: pathDirs.join(':'), ...extra.env },
    cwd: extra.cwd ?? cwd,
    bundledPath: bundled?.bwrap,
    expectedSha256: bundled?.sha256,
    preference: extra.preference ?? ubuntuLike,
    // As root the fakes live in root-only directories and face the real ownership rule; as another
    // user nothing they can create passes it (that rule is trust.test.ts's subject). The preferences
    // say uid 1000: a root caller takes a PATH bwrap only from /usr/bin, /usr/sbin, /bin, /sbin (trust.test.ts).
    ...(isRoot ? {} : { trust: () => undefined }),
  });
}

describe.skipIf(!onLinux)('bwrap selection with real binaries (Linux only)', () => {
  withBoth('old system bwrap (no --perms) → bundled, and the bundled one runs the command with --argv0', () => {
    const sel = select([oldDir]);
    expect(sel.candidates[0]).toMatchObject({ path: path.join(oldDir, 'bwrap'), source: 'system', rejected: expect.stringContaining('no --perms') });
    expect(sel.bwrap?.source).toBe('bundled');
    expect(sel.bwrap?.path).toBe(bundled?.bwrap);
    expect(sel.bwrap?.argv0).toBe(true);
    const run = runSandboxed(sel.bwrap?.path ?? '', ['/bin/sh', '-c', 'echo "$0 $(id -u)"'], ['--argv0', 'renamed-by-bwrap']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toMatch(/^renamed-by-bwrap \d+$/);
  });

  withBoth('a good system bwrap that adds nothing (no AppArmor restriction, not setuid) → the bundled one, which runs the command', () => {
    const sel = select([systemDir], { preference: plainHost });
    expect(sel.bwrap?.source).toBe('bundled');
    expect(sel.bwrap?.path).toBe(bundled?.bwrap);
    expect(sel.candidates).toContainEqual({ path: path.join(systemDir, 'bwrap'), source: 'system', rejected: expect.stringContaining('not needed') });
    const run = runSandboxed(sel.bwrap?.path ?? '', ['/bin/sh', '-c', 'echo bundled-ran']);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('bundled-ran\n');
  });

  withBundled('no bwrap on PATH → bundled, which runs the command', () => {
    const sel = select([emptyDir]);
    expect(sel.bwrap?.source).toBe('bundled');
    expect(sel.candidates[0]).toMatchObject({ rejected: 'no bwrap on PATH' });
    const run = runSandboxed(sel.bwrap?.path ?? '', ['/bin/sh', '-c', 'echo inside; ls /proc/1/ns/net >/dev/null && echo ns']);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('inside\nns\n');
  });

  withSystem('new system bwrap without --argv0 → system (argv0 false), and the command runs through it', () => {
    const log = path.join(root, 'no-argv0.log');
    const sel = select([noArgv0Dir]);
    expect(sel.bwrap).toMatchObject({ path: path.join(noArgv0Dir, 'bwrap'), source: 'system', perms: true, argv0: false });
    const run = runSandboxed(sel.bwrap?.path ?? '', ['/bin/sh', '-c', 'echo via-system'], [], { FAKE_BWRAP_LOG: log });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('via-system\n');
    // The fake logged the run, so this binary (not another one) executed the sandbox.
    expect(fs.readFileSync(log, 'utf8')).toContain('no-argv0 --ro-bind / /');
  });

  withSystem('old bwrap first, good system bwrap second → the second one; the old one never runs a command', () => {
    const sel = select([oldDir, systemDir]);
    expect(sel.bwrap).toMatchObject({ path: path.join(systemDir, 'bwrap'), source: 'system', perms: true });
    const run = runSandboxed(sel.bwrap?.path ?? '', ['/bin/true']);
    expect(run.stderr).not.toContain('fake-bwrap-0.4.0 was run');
    expect(run.status).toBe(0);
  });

  withBundled('a bundled 0.12 copy placed on PATH is a system bwrap with --argv0', () => {
    const newDir = placeBinary(root, bundled?.bwrap ?? '', 'new-system');
    const sel = select([newDir]);
    expect(sel.bwrap).toMatchObject({ source: 'system', version: '0.12.0', argv0: true, perms: true, roBindFd: true, expectedSha256: undefined });
    expect(runSandboxed(sel.bwrap?.path ?? '', ['/bin/true']).status).toBe(0);
  });

  withSystem('a bwrap inside the working directory is never selected (nor run by the probe)', () => {
    const ws = path.join(root, 'workspace');
    const planted = placeFake(ws, 'old-no-perms', 'bin');
    // Make the planted binary look perfect: if it were probed or selected the test would see it.
    fs.copyFileSync(path.join(uidmapDir, 'bwrap'), path.join(planted, 'bwrap'));
    const sel = select([planted, systemDir], { cwd: ws });
    expect(sel.candidates[0]).toMatchObject({ path: path.join(planted, 'bwrap'), rejected: expect.stringContaining('inside the working directory') });
    expect(sel.bwrap?.path).toBe(path.join(systemDir, 'bwrap'));
    expect(runSandboxed(sel.bwrap?.path ?? '', ['/bin/true']).status).toBe(0);
    // The same working directory named through a symlink (a library caller's cwd option): still the workspace.
    const link = path.join(root, 'workspace-link');
    fs.rmSync(link, { force: true });
    fs.symlinkSync(ws, link);
    const viaLink = select([path.join(link, 'bin'), systemDir], { cwd: link });
    expect(viaLink.candidates[0]).toMatchObject({ path: path.join(planted, 'bwrap'), rejected: expect.stringContaining(`inside the working directory ${ws}`) });
    expect(viaLink.bwrap?.path).toBe(path.join(systemDir, 'bwrap'));
  });

  withSystem('CODEX_SANDBOX_BWRAP forces a binary (still probed) and it runs the command', () => {
    const sel = select([oldDir], { env: { CODEX_SANDBOX_BWRAP: path.join(noArgv0Dir, 'bwrap') } });
    expect(sel.bwrap).toMatchObject({ path: path.join(noArgv0Dir, 'bwrap'), source: 'override', argv0: false });
    expect(runSandboxed(sel.bwrap?.path ?? '', ['/bin/sh', '-c', 'echo forced']).stdout).toBe('forced\n');
  });

  it('CODEX_SANDBOX_BWRAP pointing at an old bwrap is refused, with no fallback to another binary', () => {
    const sel = select([noArgv0Dir], { env: { CODEX_SANDBOX_BWRAP: path.join(oldDir, 'bwrap') } });
    expect(sel.bwrap).toBeUndefined();
    expect(sel.problem).toMatch(/CODEX_SANDBOX_BWRAP is not usable: .*old-no-perms\/bwrap: bubblewrap 0\.4\.0 has no --perms/);
  });

  it('nothing usable → no bwrap, and the problem lists every candidate and the fix', () => {
    clearBwrapProbeCache();
    // A non-root caller, as in select() above: a root one never takes a PATH bwrap from this test dir (trust.test.ts).
    const sel = selectBwrap({
      env: { PATH: [oldDir, emptyDir].join(':') },
      cwd,
      bundledPath: undefined,
      expectedSha256: undefined,
      preference: plainHost,
      ...(isRoot ? {} : { trust: () => undefined }),
    });
    expect(sel.bwrap).toBeUndefined();
    expect(sel.problem).toContain(`${path.join(oldDir, 'bwrap')} (system): bubblewrap 0.4.0 has no --perms`);
    expect(sel.problem).toContain('(bundled) (bundled)');
    expect(sel.problem).toContain('apt-get install bubblewrap');
  });
});

describe.skipIf(!onLinux)('probeBwrap on real programs (Linux only)', () => {
  it('reads version and capabilities of the fakes', () => {
    clearBwrapProbeCache();
    expect(probeBwrap(path.join(oldDir, 'bwrap'))).toMatchObject({ version: '0.4.0', perms: false, argv0: false, setuid: false });
    expect(probeBwrap(path.join(uidmapDir, 'bwrap'))).toMatchObject({ version: '0.12.0', perms: true, argv0: true, roBindFd: true });
  });

  it('runs a binary once per identity and again after it changes', () => {
    clearBwrapProbeCache();
    const dir = path.join(root, 'counting');
    fs.mkdirSync(dir, { recursive: true });
    const count = path.join(dir, 'count');
    const script = (version: string) =>
      `#!/bin/sh\necho x >> ${count}\ncase "$1" in --version) echo "bubblewrap ${version}";; *) printf '  --ro-bind SRC DEST\\n  --unshare-user\\n  --perms OCTAL\\n';; esac\n`;
    const bin = path.join(dir, 'bwrap');
    fs.writeFileSync(bin, script('0.5.0'), { mode: 0o755 });
    expect(probeBwrap(bin).version).toBe('0.5.0');
    expect(probeBwrap(bin).version).toBe('0.5.0');
    expect(fs.readFileSync(count, 'utf8').split('\n').filter(Boolean)).toHaveLength(2); // --help + --version, once
    // Replace it (new inode and mtime): probed again.
    const tmp = `${bin}.new`;
    fs.writeFileSync(tmp, script('0.6.0'), { mode: 0o755 });
    fs.renameSync(tmp, bin);
    expect(probeBwrap(bin).version).toBe('0.6.0');
    expect(fs.readFileSync(count, 'utf8').split('\n').filter(Boolean)).toHaveLength(4);
    // Rewritten in place (same inode; `cp` over it, or a truncating upgrade): its size and times changed, so it is
    // probed again, and an older bwrap without --perms is never taken for the one probed before.
    const inode = fs.statSync(bin).ino;
    fs.writeFileSync(bin, `#!/bin/sh\necho x >> ${count}\ncase "$1" in --version) echo "bubblewrap 0.4.0";; *) printf '  --ro-bind SRC DEST\\n  --unshare-user\\n';; esac\n`);
    expect(fs.statSync(bin).ino).toBe(inode);
    expect(probeBwrap(bin)).toMatchObject({ version: '0.4.0', perms: false });
    expect(fs.readFileSync(count, 'utf8').split('\n').filter(Boolean)).toHaveLength(6);
  });

  it('a program that is not bubblewrap is rejected with its path', () => {
    expect(() => probeBwrap('/bin/true')).toThrow(/\/bin\/true does not look like bubblewrap/);
  });

  it('a hanging program is rejected after the timeout', () => {
    const bin = path.join(root, 'hang', 'bwrap');
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    fs.writeFileSync(bin, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    expect(() => probeBwrap(bin, { timeoutMs: 300 })).toThrow(/timed out after 300 ms/);
  });

  asRoot('reports a setuid-root binary', () => {
    const bin = path.join(placeFake(root, 'uidmap-fail', 'setuid'), 'bwrap');
    fs.chmodSync(bin, 0o4755);
    clearBwrapProbeCache();
    expect(probeBwrap(bin).setuid).toBe(true);
  });

  withBundled('the bundled binary really has what bundledBwrapInfo claims without running it', () => {
    clearBwrapProbeCache();
    const claimed = bundledBwrapInfo(bundled?.bwrap ?? '', bundled?.sha256, () => {
      throw new Error('must not probe');
    });
    const probed = probeBwrap(bundled?.bwrap ?? '', { source: 'bundled', expectedSha256: bundled?.sha256 });
    expect(probed).toEqual(claimed);
  });
});

describe.skipIf(!onLinux)('user-namespace diagnosis with real runs (Linux only)', () => {
  it('a bwrap that fails to set up the uid map is diagnosed (AppArmor when the sysctl says so)', () => {
    const sel = select([uidmapDir]);
    // --help advertises everything, so it is selected; the failure shows up when it runs.
    expect(sel.bwrap?.path).toBe(path.join(uidmapDir, 'bwrap'));
    const run = runSandboxed(sel.bwrap?.path ?? '', ['/bin/true']);
    expect(run.status).toBe(1);
    const probe = probeUserns(sel.bwrap?.path ?? '');
    expect(probe).toMatchObject({ failed: true, marker: 'setting up uid map: Permission denied', message: 'bwrap: setting up uid map: Permission denied' });
    const real = diagnoseUserns({ settings: readUsernsSettings(), probe });
    expect(real.ok).toBe(false);
    expect(real.fix).not.toBe('');
    const ubuntu = diagnoseUserns({ settings: { ...readUsernsSettings(), apparmorRestrict: 1, containerHints: [] }, probe });
    expect(ubuntu.cause).toBe('apparmor');
    expect(ubuntu.fix).toContain('sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0');
  });

  withSystem('the real system bwrap creates the namespaces here', () => {
    const probe = probeUserns(SYSTEM_BWRAP);
    expect(probe).toMatchObject({ failed: false, status: 0, error: undefined });
    expect(diagnoseUserns({ settings: readUsernsSettings(), probe }).ok).toBe(true);
  });

  withBundled('the bundled bwrap creates the namespaces here', () => {
    expect(probeUserns(bundled?.bwrap ?? '')).toMatchObject({ failed: false, status: 0 });
  });

  it('the probe does not wait for descendants holding stderr open', () => {
    const bin = path.join(root, 'descendant', 'bwrap');
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    // Exits at once with the failure, but leaves a background process holding stderr for 5 s.
    fs.writeFileSync(bin, '#!/bin/sh\n(exec sleep 5) &\necho "bwrap: setting up uid map: Permission denied" >&2\nexit 1\n', { mode: 0o755 });
    const probe = probeUserns(bin, { timeoutMs: 1500 });
    expect(probe).toMatchObject({ failed: true, status: 1, error: undefined });
  });

  it('a probe that hangs counts as not failed', () => {
    const bin = path.join(root, 'hang2', 'bwrap');
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    fs.writeFileSync(bin, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const probe = probeUserns(bin, { timeoutMs: 300 });
    expect(probe).toMatchObject({ failed: false, error: 'timed out after 300 ms' });
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProbedBwrap, ProbeOptions } from '../../../src/host/bwrap-help.js';
import { BwrapProbeError } from '../../../src/host/bwrap-help.js';
import { findSystemBwrap, selectBwrap, systemAdvantage } from '../../../src/host/bwrap-select.js';
import type { BwrapPreferenceFacts } from '../../../src/host/bwrap-select.js';
import { profileAttachesTo } from '../../../src/host/apparmor-profile.js';

/** A fake probe: capabilities per path; paths not listed fail to run. */
function fakeProbe(table: Record<string, { perms: boolean; argv0: boolean; version?: string }>) {
  const calls: string[] = [];
  const probe = (p: string, o: ProbeOptions): ProbedBwrap => {
    calls.push(p);
    const row = table[p];
    if (row === undefined) throw new BwrapProbeError(p, `could not run \`${p} --help\`: spawn ENOENT`);
    return {
      path: p,
      source: o.source ?? 'system',
      version: row.version ?? '0.0.0',
      argv0: row.argv0,
      perms: row.perms,
      roBindFd: false,
      disableUserns: true,
      setuid: false,
      expectedSha256: o.expectedSha256,
    };
  };
  return { probe, calls };
}

const system = (found: string[], skipped: Array<{ path: string; reason: string }> = []) => () => ({ found, skipped });

/** Bundled stand-in that never touches the filesystem: describes the binary from the digest alone. */
const bundled = (p: string, sha: string | undefined, probe: (p: string, o: ProbeOptions) => ProbedBwrap): ProbedBwrap =>
  sha === undefined
    ? probe(p, { source: 'bundled', expectedSha256: undefined })
    : { path: p, source: 'bundled', version: '0.12.0', argv0: true, perms: true, roBindFd: true, disableUserns: true, setuid: false, expectedSha256: sha };

const SHA = 'ab'.repeat(32);

/** Host facts for systemAdvantage: nothing restricted, a non-root caller, no setuid binary. */
const plain: BwrapPreferenceFacts = { apparmorRestrict: 0, uid: 1000, setuidRoot: () => false };
/** Ubuntu >= 23.10 with the AppArmor userns restriction on, a non-root caller. */
const restricted: BwrapPreferenceFacts = { ...plain, apparmorRestrict: 1 };

describe('selectBwrap: bundled first unless the system bwrap adds something (issue #21)', () => {
  const sysProbe = () => fakeProbe({ '/usr/bin/bwrap': { perms: true, argv0: true, version: '0.8.0' } });
  const base = { env: {}, cwd: '/w', bundledPath: '/pkg/bwrap', expectedSha256: SHA, findSystem: system(['/usr/bin/bwrap']), bundled };

  it('a pinned bundled bwrap wins over a system one that adds nothing, without probing the system one', () => {
    const { probe, calls } = sysProbe();
    const sel = selectBwrap({ ...base, probe, preference: plain });
    expect(sel.bwrap?.source).toBe('bundled');
    expect(sel.bwrap?.expectedSha256).toBe(SHA);
    expect(calls).toEqual([]);
    expect(sel.reason).toContain('system one adds nothing');
    expect(sel.candidates).toContainEqual({ path: '/usr/bin/bwrap', source: 'system', rejected: expect.stringContaining('not needed') });
  });

  it('kernel.apparmor_restrict_unprivileged_userns=1 for a non-root caller: the system bwrap (its AppArmor profile) wins, citing the profile', () => {
    const { probe } = sysProbe();
    const sel = selectBwrap({ ...base, probe, preference: { ...restricted, apparmorProfile: (p) => (p === '/usr/bin/bwrap' ? '/etc/apparmor.d/bwrap-userns-restrict' : undefined) } });
    expect(sel.bwrap?.source).toBe('system');
    expect(sel.bwrap?.path).toBe('/usr/bin/bwrap');
    expect(sel.reason).toContain('apparmor_restrict_unprivileged_userns=1');
    expect(sel.reason).toContain('/etc/apparmor.d/bwrap-userns-restrict');
  });

  it('the AppArmor restriction does not bind root: root gets the bundled bwrap', () => {
    const { probe } = sysProbe();
    expect(selectBwrap({ ...base, probe, preference: { ...restricted, uid: 0 } }).bwrap?.source).toBe('bundled');
  });

  it('a setuid-root system bwrap wins for a non-root caller (it works without unprivileged user namespaces), not for root', () => {
    const { probe } = sysProbe();
    const setuid: BwrapPreferenceFacts = { ...plain, setuidRoot: (p) => p === '/usr/bin/bwrap' };
    const sel = selectBwrap({ ...base, probe, preference: setuid });
    expect(sel.bwrap?.source).toBe('system');
    expect(sel.reason).toContain('setuid root');
    expect(selectBwrap({ ...base, probe, preference: { ...setuid, uid: 0 } }).bwrap?.source).toBe('bundled');
  });

  it('a missing or rejected bundled bwrap falls back to the system one, saying why', () => {
    const { probe } = sysProbe();
    const missing = () => {
      throw new Error('bundled bwrap /pkg/bwrap is missing: ENOENT');
    };
    const sel = selectBwrap({ ...base, probe, preference: plain, bundled: missing });
    expect(sel.bwrap?.source).toBe('system');
    expect(sel.reason).toContain('bundled bwrap is not usable');
    expect(sel.candidates).toContainEqual({ path: '/pkg/bwrap', source: 'bundled', rejected: expect.stringContaining('missing') });
    const refused = selectBwrap({ ...base, probe, preference: plain, bundledRejected: 'not used: the native addon failed to load' });
    expect(refused.bwrap?.source).toBe('system');
  });

  it('a bundled bwrap too old for the plan (no --perms) is rejected and the system one used', () => {
    const { probe } = fakeProbe({ '/usr/bin/bwrap': { perms: true, argv0: true }, '/pkg/bwrap': { perms: false, argv0: false, version: '0.4.0' } });
    const tooOld = (p: string): ProbedBwrap => ({ ...probe(p, { source: 'bundled' }), expectedSha256: SHA });
    const sel = selectBwrap({ ...base, probe, preference: plain, bundled: tooOld });
    expect(sel.bwrap?.source).toBe('system');
    expect(sel.candidates).toContainEqual({ path: '/pkg/bwrap', source: 'bundled', rejected: expect.stringContaining('no --perms') });
  });

  it('the AppArmor case with no usable system bwrap falls back to the bundled one, saying the system one was preferred', () => {
    const { probe } = fakeProbe({});
    const sel = selectBwrap({ ...base, probe, preference: restricted });
    expect(sel.bwrap?.source).toBe('bundled');
    expect(sel.reason).toContain('fallback');
  });

  it('CODEX_SANDBOX_BWRAP=system forces the system bwrap, and fails loudly (no bundled fallback) when there is none', () => {
    const { probe } = sysProbe();
    const sel = selectBwrap({ ...base, env: { CODEX_SANDBOX_BWRAP: 'system' }, probe, preference: plain });
    expect(sel.bwrap?.source).toBe('system');
    expect(sel.reason).toBe('forced by CODEX_SANDBOX_BWRAP=system');
    const none = selectBwrap({ ...base, env: { CODEX_SANDBOX_BWRAP: 'system' }, probe, preference: plain, findSystem: system([]) });
    expect(none.bwrap).toBeUndefined();
    expect(none.problem).toContain('forced to "system" by CODEX_SANDBOX_BWRAP');
    expect(none.problem).toContain('no bwrap on PATH');
  });

  it('CODEX_SANDBOX_BWRAP=bundled still forces the bundled one where the system one would win', () => {
    const { probe } = sysProbe();
    const sel = selectBwrap({ ...base, env: { CODEX_SANDBOX_BWRAP: 'bundled' }, probe, preference: restricted });
    expect(sel.bwrap?.source).toBe('bundled');
    expect(sel.reason).toBe('forced by CODEX_SANDBOX_BWRAP=bundled');
  });
});

describe('systemAdvantage (the facts that make the system bwrap worth its dynamic loading)', () => {
  it('nothing on a plain host; AppArmor restriction or setuid for non-root callers only', () => {
    expect(systemAdvantage('/usr/bin/bwrap', plain)).toBeUndefined();
    expect(systemAdvantage('/usr/bin/bwrap', { ...plain, apparmorRestrict: undefined })).toBeUndefined();
    expect(systemAdvantage('/usr/bin/bwrap', restricted)).toContain('AppArmor');
    expect(systemAdvantage('/usr/bin/bwrap', { ...restricted, uid: 0 })).toBeUndefined();
    expect(systemAdvantage('/usr/bin/bwrap', { ...plain, setuidRoot: () => true })).toContain('setuid');
  });
});

describe('profileAttachesTo (AppArmor profile text, for the explanation)', () => {
  it("recognises Ubuntu's bwrap-userns-restrict attachment and ignores comments and other paths", () => {
    const ubuntu = 'abi <abi/4.0>,\ninclude <tunables/global>\n\nprofile bwrap /usr/bin/bwrap flags=(unconfined) {\n  userns,\n}\n';
    expect(profileAttachesTo(ubuntu, '/usr/bin/bwrap')).toBe(true);
    expect(profileAttachesTo(ubuntu, '/usr/local/bin/bwrap')).toBe(false);
    expect(profileAttachesTo('# profile bwrap /usr/bin/bwrap {\n', '/usr/bin/bwrap')).toBe(false);
    expect(profileAttachesTo('/usr/bin/bwrap flags=(unconfined) {\n userns,\n}', '/usr/bin/bwrap')).toBe(true);
  });
});

describe('selectBwrap preference order', () => {
  it('a development build (no digest) prefers a system bwrap with --perms, even without --argv0', () => {
    const { probe } = fakeProbe({ '/usr/bin/bwrap': { perms: true, argv0: false, version: '0.8.0' } });
    const sel = selectBwrap({ env: {}, cwd: '/w', bundledPath: '/pkg/bwrap', expectedSha256: undefined, probe, findSystem: system(['/usr/bin/bwrap']), bundled });
    expect(sel.bwrap?.path).toBe('/usr/bin/bwrap');
    expect(sel.bwrap?.source).toBe('system');
    expect(sel.bwrap?.argv0).toBe(false);
    expect(sel.bwrap?.expectedSha256).toBeUndefined();
    expect(sel.problem).toBeUndefined();
  });

  it('a development build whose unpinned bundled bwrap works still comes after a trusted system one (for root too)', () => {
    // Nothing checks the bytes of an unpinned bundled bwrap before it runs outside the sandbox; the system one is root's.
    const { probe, calls } = fakeProbe({ '/usr/bin/bwrap': { perms: true, argv0: true, version: '0.8.0' }, '/pkg/bwrap': { perms: true, argv0: true, version: '0.12.0' } });
    for (const preference of [plain, { ...plain, uid: 0 }]) {
      const sel = selectBwrap({ env: {}, cwd: '/w', bundledPath: '/pkg/bwrap', expectedSha256: undefined, probe, findSystem: system(['/usr/bin/bwrap']), bundled, preference });
      expect(sel.bwrap).toMatchObject({ path: '/usr/bin/bwrap', source: 'system' });
      expect(sel.reason).toContain('development build');
    }
    expect(calls).toEqual(['/usr/bin/bwrap', '/usr/bin/bwrap']);
  });

  it('skips a system bwrap without --perms and takes the next system one', () => {
    const { probe } = fakeProbe({
      '/opt/old/bwrap': { perms: false, argv0: false, version: '0.4.0' },
      '/usr/bin/bwrap': { perms: true, argv0: true, version: '0.9.0' },
    });
    const sel = selectBwrap({ env: {}, cwd: '/w', bundledPath: undefined, expectedSha256: undefined, probe, findSystem: system(['/opt/old/bwrap', '/usr/bin/bwrap']), bundled });
    expect(sel.bwrap?.path).toBe('/usr/bin/bwrap');
    expect(sel.candidates[0]).toEqual({ path: '/opt/old/bwrap', source: 'system', rejected: expect.stringContaining('no --perms') });
  });

  it('falls back to the bundled bwrap when the preferred system one lacks --perms', () => {
    const { probe } = fakeProbe({ '/usr/bin/bwrap': { perms: false, argv0: false, version: '0.4.0' } });
    const sel = selectBwrap({ env: {}, cwd: '/w', bundledPath: '/pkg/bwrap', expectedSha256: SHA, probe, findSystem: system(['/usr/bin/bwrap']), bundled, preference: restricted });
    expect(sel.bwrap?.source).toBe('bundled');
    expect(sel.bwrap?.path).toBe('/pkg/bwrap');
    expect(sel.bwrap?.expectedSha256).toBe(SHA);
  });

  it('falls back to the bundled bwrap when none is on PATH, without running it when a digest is known', () => {
    const { probe, calls } = fakeProbe({});
    const sel = selectBwrap({ env: {}, cwd: '/w', bundledPath: '/pkg/bwrap', expectedSha256: SHA, probe, findSystem: system([]), bundled });
    expect(sel.bwrap?.source).toBe('bundled');
    expect(calls).toEqual([]);
  });

  it('probes a development-build bundled bwrap (no digest) and rejects it without --perms', () => {
    const { probe, calls } = fakeProbe({ '/pkg/bwrap': { perms: false, argv0: false } });
    const sel = selectBwrap({ env: {}, cwd: '/w', bundledPath: '/pkg/bwrap', expectedSha256: undefined, probe, findSystem: system([]), bundled });
    expect(calls).toEqual(['/pkg/bwrap']);
    expect(sel.bwrap).toBeUndefined();
    expect(sel.problem).toContain('/pkg/bwrap (bundled): bubblewrap 0.0.0 has no --perms');
  });

  it('records a system candidate that cannot run and moves on', () => {
    const { probe } = fakeProbe({ '/usr/local/bin/bwrap': { perms: true, argv0: true } });
    const sel = selectBwrap({ env: {}, cwd: '/w', bundledPath: undefined, expectedSha256: undefined, probe, findSystem: system(['/broken/bwrap', '/usr/local/bin/bwrap']), bundled });
    expect(sel.bwrap?.path).toBe('/usr/local/bin/bwrap');
    expect(sel.candidates[0]?.rejected).toContain('spawn ENOENT');
  });

  it('reports every candidate and the fix when nothing is usable', () => {
    const { probe } = fakeProbe({ '/usr/bin/bwrap': { perms: false, argv0: false, version: '0.4.0' } });
    const sel = selectBwrap({
      env: {},
      cwd: '/w',
      bundledPath: undefined,
      expectedSha256: undefined,
      probe,
      findSystem: system(['/usr/bin/bwrap'], [{ path: '/w/bin/bwrap', reason: 'inside the working directory /w' }]),
      bundled,
    });
    expect(sel.bwrap).toBeUndefined();
    expect(sel.problem).toContain('/w/bin/bwrap (system): inside the working directory /w');
    expect(sel.problem).toContain('/usr/bin/bwrap (system): bubblewrap 0.4.0 has no --perms');
    expect(sel.problem).toContain('(bundled) (bundled): this build has no bundled bwrap');
    expect(sel.problem).toContain('sudo apt-get install bubblewrap');
    expect(sel.candidates).toHaveLength(3);
  });

  it('names the missing PATH entry when PATH has no bwrap at all', () => {
    const { probe } = fakeProbe({});
    const sel = selectBwrap({ env: {}, cwd: '/w', bundledPath: undefined, expectedSha256: undefined, probe, findSystem: system([]), bundled });
    expect(sel.problem).toContain('no bwrap on PATH');
  });

  it('leaves the bundled binary out, with the reason, when told to', () => {
    const { probe, calls } = fakeProbe({});
    const sel = selectBwrap({ env: {}, cwd: '/w', bundledPath: '/pkg/bwrap', expectedSha256: undefined, bundledRejected: 'addon failed', probe, findSystem: system([]), bundled });
    expect(sel.bwrap).toBeUndefined();
    expect(calls).toEqual([]);
    expect(sel.candidates).toContainEqual({ path: '/pkg/bwrap', source: 'bundled', rejected: 'addon failed' });
  });
});

describe('selectBwrap override', () => {
  it('CODEX_SANDBOX_BWRAP wins over PATH and is still probed', () => {
    const { probe, calls } = fakeProbe({ '/opt/bw/bwrap': { perms: true, argv0: true }, '/usr/bin/bwrap': { perms: true, argv0: true } });
    const sel = selectBwrap({ env: { CODEX_SANDBOX_BWRAP: '/opt/bw/bwrap' }, cwd: '/w', bundledPath: '/pkg/bwrap', expectedSha256: SHA, probe, findSystem: system(['/usr/bin/bwrap']), bundled });
    expect(sel.bwrap?.path).toBe('/opt/bw/bwrap');
    expect(sel.bwrap?.source).toBe('override');
    expect(calls).toEqual(['/opt/bw/bwrap']);
  });

  it('the library option wins over CODEX_SANDBOX_BWRAP', () => {
    const { probe } = fakeProbe({ '/a/bwrap': { perms: true, argv0: true }, '/b/bwrap': { perms: true, argv0: true } });
    const sel = selectBwrap({ env: { CODEX_SANDBOX_BWRAP: '/a/bwrap' }, override: '/b/bwrap', cwd: '/w', bundledPath: undefined, expectedSha256: undefined, probe, findSystem: system([]), bundled });
    expect(sel.bwrap?.path).toBe('/b/bwrap');
  });

  it('an override without --perms is rejected loudly and nothing else is tried', () => {
    const { probe, calls } = fakeProbe({ '/old/bwrap': { perms: false, argv0: false, version: '0.4.0' }, '/usr/bin/bwrap': { perms: true, argv0: true } });
    const sel = selectBwrap({ env: { CODEX_SANDBOX_BWRAP: '/old/bwrap' }, cwd: '/w', bundledPath: '/pkg/bwrap', expectedSha256: SHA, probe, findSystem: system(['/usr/bin/bwrap']), bundled });
    expect(sel.bwrap).toBeUndefined();
    expect(calls).toEqual(['/old/bwrap']);
    expect(sel.problem).toContain('CODEX_SANDBOX_BWRAP');
    expect(sel.problem).toContain('/old/bwrap');
    expect(sel.problem).toContain('no --perms');
  });

  it('a relative override is rejected', () => {
    const { probe } = fakeProbe({});
    const sel = selectBwrap({ env: { CODEX_SANDBOX_BWRAP: 'bin/bwrap' }, cwd: '/w', bundledPath: undefined, expectedSha256: undefined, probe, findSystem: system([]), bundled });
    expect(sel.problem).toContain('not an absolute path');
  });

  it('an empty CODEX_SANDBOX_BWRAP is ignored', () => {
    const { probe } = fakeProbe({ '/usr/bin/bwrap': { perms: true, argv0: false } });
    const sel = selectBwrap({ env: { CODEX_SANDBOX_BWRAP: '' }, cwd: '/w', bundledPath: undefined, expectedSha256: undefined, probe, findSystem: system(['/usr/bin/bwrap']), bundled });
    expect(sel.bwrap?.source).toBe('system');
  });
});

/** PATH search only: the ownership rule has its own tests (bwrap-selection/trust.test.ts, below). */
const noOwnerRule = (): undefined => undefined;
/** A non-root caller: a root one takes a PATH bwrap only from the distribution's directories (tested below). */
const NOT_ROOT = 1000;

describe('findSystemBwrap (real directories)', () => {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'find-bwrap-')));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const exe = (dir: string): string => {
    fs.mkdirSync(path.join(root, dir), { recursive: true });
    const p = path.join(root, dir, 'bwrap');
    fs.writeFileSync(p, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    return p;
  };
  const sysA = exe('sys-a');
  const sysB = exe('sys-b');
  const inWorkspace = exe('ws/tools');
  fs.writeFileSync(path.join(root, 'noexec-bwrap'), '');
  fs.mkdirSync(path.join(root, 'noexec'));
  fs.writeFileSync(path.join(root, 'noexec', 'bwrap'), '#!/bin/sh\n', { mode: 0o644 });
  fs.mkdirSync(path.join(root, 'link'));
  fs.symlinkSync(sysA, path.join(root, 'link', 'bwrap'));

  it('finds every executable bwrap in PATH order, canonical and de-duplicated', () => {
    const pathEnv = [path.join(root, 'noexec'), path.join(root, 'link'), path.join(root, 'sys-a'), path.join(root, 'sys-b')].join(':');
    const r = findSystemBwrap(pathEnv, '/', noOwnerRule, NOT_ROOT);
    expect(r.found).toEqual([sysA, sysB]);
    expect(r.skipped).toEqual([]);
  });

  it('skips a bwrap inside the working directory (workspace-planted binary)', () => {
    const ws = path.join(root, 'ws');
    const r = findSystemBwrap([path.join(ws, 'tools'), path.join(root, 'sys-b')].join(':'), ws, noOwnerRule, NOT_ROOT);
    expect(r.found).toEqual([sysB]);
    expect(r.skipped).toEqual([{ path: inWorkspace, reason: expect.stringContaining('inside the working directory') }]);
  });

  it('skips one reached through a symlinked PATH entry that resolves into the workspace', () => {
    const ws = path.join(root, 'ws');
    fs.symlinkSync(path.join(ws, 'tools'), path.join(root, 'innocent-looking'));
    const r = findSystemBwrap(path.join(root, 'innocent-looking'), ws, noOwnerRule, NOT_ROOT);
    expect(r.found).toEqual([]);
    expect(r.skipped.map((s) => s.path)).toEqual([inWorkspace]);
  });

  it('resolves relative and empty PATH entries against cwd, and still skips them as workspace-local', () => {
    const ws = path.join(root, 'ws');
    expect(findSystemBwrap('tools', ws).skipped.map((s) => s.path)).toEqual([inWorkspace]);
    expect(findSystemBwrap(':', path.join(ws, 'tools')).skipped.map((s) => s.path)).toEqual([inWorkspace]);
  });

  it('a cwd of / does not hide system candidates', () => {
    expect(findSystemBwrap(path.join(root, 'sys-a'), '/', noOwnerRule, NOT_ROOT).found).toEqual([sysA]);
  });

  it('a root caller skips a PATH bwrap outside /usr/bin, /usr/sbin, /bin and /sbin, even one the ownership rule accepts', () => {
    const r = findSystemBwrap([path.join(root, 'sys-a'), path.join(root, 'link')].join(':'), '/', noOwnerRule, 0);
    expect(r.found).toEqual([]);
    expect(r.skipped).toEqual([{ path: sysA, reason: expect.stringContaining('a root caller runs a PATH bwrap only from /usr/bin, /usr/sbin, /bin or /sbin') }]);
    expect(r.skipped[0]?.reason).toContain(`CODEX_SANDBOX_BWRAP=${sysA}`);
  });

  it.runIf(fs.existsSync('/usr/bin/bwrap'))('a root caller still finds the distribution\'s bwrap (canonical, so /bin on merged-/usr is /usr/bin)', () => {
    expect(findSystemBwrap('/bin:/usr/bin', '/', noOwnerRule, 0).found).toEqual([fs.realpathSync('/usr/bin/bwrap')]);
  });

  it('an unset or empty PATH finds nothing', () => {
    expect(findSystemBwrap(undefined, '/')).toEqual({ found: [], skipped: [] });
    expect(findSystemBwrap('', '/')).toEqual({ found: [], skipped: [] });
  });
});

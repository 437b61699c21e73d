import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProcReader, UsernsProbeResult } from '../../../src/host/userns.js';
import { classifyUsernsStderr, diagnoseUserns, isWsl1, procReaderAt, readUsernsSettings } from '../../../src/host/userns.js';

const NATIVE_VERSION = 'Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)\n';

/** A fake /proc: path → contents; anything else does not exist. */
function fakeProc(files: Record<string, string>): ProcReader {
  return (p) => files[p];
}

const failedProbe = (message: string): UsernsProbeResult => ({
  bwrapPath: '/usr/bin/bwrap',
  failed: true,
  marker: classifyUsernsStderr(message),
  message,
  status: 1,
  error: undefined,
});
const okProbe: UsernsProbeResult = { bwrapPath: '/usr/bin/bwrap', failed: false, marker: undefined, message: undefined, status: 0, error: undefined };

describe('isWsl1', () => {
  it('detects WSL1 /proc/version formats', () => {
    expect(isWsl1('Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com) (gcc version 5.4.0 (GCC) ) #1237-Microsoft Sat Sep 11 14:32:00 PST 2021')).toBe(true);
    expect(isWsl1('Linux version 4.4.0-22621-Microsoft WSL1')).toBe(true);
  });

  it('does not treat WSL2 or native Linux as WSL1', () => {
    expect(isWsl1('Linux version 5.15.153.1-microsoft-standard-WSL2 (root@941d701f84f1) (gcc (GCC) 12.2.0) #1 SMP')).toBe(false);
    expect(isWsl1('Linux version 6.6.36.3-microsoft-standard-WSL2+')).toBe(false);
    expect(isWsl1(NATIVE_VERSION)).toBe(false);
  });
});

describe('classifyUsernsStderr', () => {
  it('recognises the namespace failures bubblewrap prints', () => {
    expect(classifyUsernsStderr('bwrap: setting up uid map: Permission denied\n')).toBe('setting up uid map: Permission denied');
    expect(classifyUsernsStderr('bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted\n')).toBe('loopback: Failed RTM_NEWADDR');
    expect(classifyUsernsStderr('bwrap: loopback: Failed RTM_NEWLINK: Operation not permitted')).toBe('loopback: Failed RTM_NEWLINK');
    expect(classifyUsernsStderr('bwrap: No permissions to create a new namespace, likely because the kernel does not allow non-privileged user namespaces.')).toBe(
      'No permissions to create a new namespace',
    );
    expect(classifyUsernsStderr('bwrap: Creating new namespace failed: nesting depth or /proc/sys/user/max_*_namespaces exceeded (ENOSPC)')).toBe(
      'Creating new namespace failed',
    );
  });

  it('ignores unrelated bwrap failures', () => {
    expect(classifyUsernsStderr('bwrap: execvp /bin/true: No such file or directory')).toBeUndefined();
    expect(classifyUsernsStderr('bwrap: Can\'t mount proc on /newroot/proc: Operation not permitted')).toBeUndefined();
    expect(classifyUsernsStderr('')).toBeUndefined();
  });
});

describe('readUsernsSettings with a fake /proc', () => {
  it('reads the sysctls and finds nothing suspicious on a plain host', () => {
    const s = readUsernsSettings(
      fakeProc({
        '/proc/version': NATIVE_VERSION,
        '/proc/sys/user/max_user_namespaces': '96364\n',
        '/proc/self/uid_map': '         0          0 4294967295\n',
        '/proc/1/cgroup': '0::/init.scope\n',
      }),
      {},
    );
    expect(s).toEqual({
      apparmorRestrict: undefined,
      maxUserNamespaces: 96364,
      unprivilegedUsernsClone: undefined,
      procVersion: NATIVE_VERSION,
      wsl1: false,
      containerHints: [],
    });
  });

  it('collects container hints', () => {
    const s = readUsernsSettings(
      fakeProc({
        '/.dockerenv': '',
        '/proc/1/cgroup': '0::/kubepods/besteffort/pod1234\n',
        '/proc/self/uid_map': '         0     100000      65536\n',
      }),
      { container: 'podman' },
    );
    expect(s.containerHints).toHaveLength(4);
    expect(s.containerHints.join(' ')).toMatch(/dockerenv.*podman.*kubepods.*uid_map/);
  });

  it('procReaderAt reads below a root directory', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fakeproc-'));
    try {
      fs.mkdirSync(path.join(root, 'proc/sys/kernel'), { recursive: true });
      fs.writeFileSync(path.join(root, 'proc/sys/kernel/apparmor_restrict_unprivileged_userns'), '1\n');
      const s = readUsernsSettings(procReaderAt(root), {});
      expect(s.apparmorRestrict).toBe(1);
      expect(s.maxUserNamespaces).toBeUndefined();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('diagnoseUserns', () => {
  const base = readUsernsSettings(fakeProc({ '/proc/version': NATIVE_VERSION, '/proc/sys/user/max_user_namespaces': '96364' }), {});

  it('ok when the probe created the namespaces', () => {
    const d = diagnoseUserns({ settings: base, probe: okProbe });
    expect(d.ok).toBe(true);
    expect(d.cause).toBeUndefined();
    expect(d.fix).toBe('');
  });

  it('AppArmor restriction (Ubuntu 24.04): names the sysctl and the profile route', () => {
    const d = diagnoseUserns({ settings: { ...base, apparmorRestrict: 1 }, probe: failedProbe('bwrap: setting up uid map: Permission denied') });
    expect(d.ok).toBe(false);
    expect(d.cause).toBe('apparmor');
    expect(d.detail).toContain('setting up uid map: Permission denied');
    expect(d.fix).toContain('sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0');
    expect(d.fix).toContain('apparmor_parser -r');
    expect(d.fix).toContain('/usr/bin/bwrap');
  });

  it('loopback RTM_NEWADDR under AppArmor is the same diagnosis', () => {
    const d = diagnoseUserns({ settings: { ...base, apparmorRestrict: 1 }, probe: failedProbe('bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted') });
    expect(d.cause).toBe('apparmor');
  });

  it('user.max_user_namespaces=0', () => {
    const d = diagnoseUserns({ settings: { ...base, maxUserNamespaces: 0 }, probe: failedProbe('bwrap: Creating new namespace failed: nesting depth or /proc/sys/user/max_*_namespaces exceeded (ENOSPC)') });
    expect(d).toMatchObject({ ok: false, cause: 'max_user_namespaces' });
    expect(d.fix).toContain('sudo sysctl -w user.max_user_namespaces=');
  });

  it('kernel.unprivileged_userns_clone=0 is diagnosed even without a probe', () => {
    const d = diagnoseUserns({ settings: { ...base, unprivilegedUsernsClone: 0 } });
    expect(d).toMatchObject({ ok: false, cause: 'unprivileged_userns_clone' });
    expect(d.fix).toContain('sudo sysctl -w kernel.unprivileged_userns_clone=1');
  });

  it('an unprivileged container', () => {
    const d = diagnoseUserns({
      settings: { ...base, containerHints: ['/.dockerenv exists (Docker)'] },
      probe: failedProbe('bwrap: No permissions to create a new namespace, likely because the kernel does not allow non-privileged user namespaces.'),
    });
    expect(d).toMatchObject({ ok: false, cause: 'container' });
    expect(d.detail).toContain('/.dockerenv');
    expect(d.fix).toContain('seccomp=unconfined');
  });

  it('WSL1 wins over everything', () => {
    const settings = readUsernsSettings(fakeProc({ '/proc/version': 'Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com)' }), {});
    const d = diagnoseUserns({ settings, probe: okProbe });
    expect(d).toMatchObject({ ok: false, cause: 'wsl1' });
    expect(d.fix).toContain('wsl --set-version');
  });

  it('a failure with no known cause says how to see the full error', () => {
    const d = diagnoseUserns({ settings: base, probe: failedProbe('bwrap: setting up uid map: Permission denied') });
    expect(d).toMatchObject({ ok: false, cause: 'unknown' });
    expect(d.fix).toContain('/usr/bin/bwrap --unshare-user --unshare-net --ro-bind / / /bin/true');
  });

  it('a probe that timed out or could not spawn is not a namespace failure', () => {
    const d = diagnoseUserns({ settings: base, probe: { ...okProbe, status: null, error: 'timed out after 2000 ms' } });
    expect(d.ok).toBe(true);
    expect(d.detail).toContain('timed out');
  });

  it('without a probe, the AppArmor restriction is a note, not a failure (system bwrap is exempt on Ubuntu)', () => {
    const d = diagnoseUserns({ settings: { ...base, apparmorRestrict: 1 } });
    expect(d.ok).toBe(true);
    expect(d.detail).toContain('apparmor_restrict_unprivileged_userns=1');
  });
});

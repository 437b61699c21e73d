import { describe, it, expect } from 'vitest';
import type { LaunchRequest } from '../../src/contracts/index.js';
import type { ResolvedPermissions } from '../../src/permissions/resolved.js';
import { extractBwrapInvocation } from '../raw-bwrap.js';

const LAUNCHER = '/pkg/build/Release/codex-sandbox-launcher';

function linuxPlan(argv: string[]): LaunchRequest {
  return {
    kind: 'linux-bwrap',
    program: LAUNCHER,
    argv,
    env: {},
    cwd: '/w',
    native: { platform: 'linux', limits: { pids: undefined, memory: undefined, cpu: undefined, cgroups: [] } },
    permissions: {} as ResolvedPermissions,
    enforcement: [],
  };
}

describe('extractBwrapInvocation', () => {
  const argv = [
    '--seccomp', 'restricted:3', '--info-pipe', '4', '--bwrap', '--',
    '/usr/bin/bwrap', '--ro-bind', '/', '/', '--ro-bind-data', '5', '/w/.env', '--ro-bind-data', '6', '/w/k',
    '--seccomp', '3', '--info-fd', '4', '--chdir', '/w',
    '--', LAUNCHER, '--inner', '--', 'sh', '-c', 'echo -- x',
  ];

  it('takes the bwrap path, its exact args, and the inner stage with the command', () => {
    const inv = extractBwrapInvocation(linuxPlan(argv));
    expect(inv.bwrapPath).toBe('/usr/bin/bwrap');
    expect(inv.bwrapArgs).toEqual(argv.slice(7, argv.indexOf(LAUNCHER) - 1));
    expect(inv.innerArgv).toEqual([LAUNCHER, '--inner', '--', 'sh', '-c', 'echo -- x']);
    expect(inv.command).toEqual(['sh', '-c', 'echo -- x']);
  });

  it('reads the fds bwrap expects from the bwrap args themselves', () => {
    const inv = extractBwrapInvocation(linuxPlan(argv));
    expect(inv.seccompFd).toBe(3);
    expect(inv.infoFd).toBe(4);
    expect(inv.dataFds).toEqual([5, 6]);
    expect(inv.seccompMode).toBe('restricted');
  });

  it('treats a `--` inside the command as part of the command', () => {
    const withDash = [...argv.slice(0, -3), 'printf', '--', '--'];
    expect(extractBwrapInvocation(linuxPlan(withDash)).command).toEqual(['printf', '--', '--']);
  });

  it('handles a plan without the inner stage', () => {
    const plain = ['--bwrap', '--', '/usr/bin/bwrap', '--unshare-net', '--', '/bin/true'];
    const inv = extractBwrapInvocation(linuxPlan(plain));
    expect(inv.bwrapArgs).toEqual(['--unshare-net']);
    expect(inv.command).toEqual(['/bin/true']);
    expect(inv.seccompFd).toBeUndefined();
  });

  it('refuses a plan that is not linux-bwrap, saying what it is', () => {
    const none: LaunchRequest = { ...linuxPlan(argv), kind: 'none', native: { platform: 'none' } };
    expect(() => extractBwrapInvocation(none)).toThrow(/plan is none, not linux-bwrap/);
  });

  it('refuses a launcher argv with no bwrap part', () => {
    expect(() => extractBwrapInvocation(linuxPlan(['--bwrap']))).toThrow(/no `-- BWRAP` part/);
  });
});

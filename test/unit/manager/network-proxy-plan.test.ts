/** Planning with a network allow list: where it cannot be enforced the plan is refused, never widened. */
import { describe, expect, it } from 'vitest';
import type { HostFacts } from '../../../src/contracts/index.js';
import { proxyEnv } from '../../../src/env/index.js';
import { SandboxManager } from '../../../src/manager/transform.js';
import { PermissionProfile } from '../../../src/permissions/index.js';
import { emptyFs } from '../permissions/helpers.js';

const route = { socketPath: '/tmp/p/proxy.sock', socketDev: '1', socketIno: '2', port: 3128, hostPorts: false };

describe('network allow list planning', () => {
  it('macOS and Windows: refused with a PlanError saying it is Linux-only so far (no silent open network)', () => {
    for (const platform of ['darwin', 'win32'] as const) {
      const facts: HostFacts = { platform, arch: 'x64', tmpdir: undefined, home: platform === 'win32' ? 'C:\\Users\\me' : '/Users/me', fs: emptyFs };
      const cwd = platform === 'win32' ? 'C:\\Users\\me\\proj' : '/Users/me/proj';
      expect(() => SandboxManager.transform({ command: ['curl'], cwd, profile: PermissionProfile.named('workspace-write'), env: {}, facts, networkProxy: route })).toThrow(
        /network allow lists are enforced on Linux only so far/,
      );
    }
  });

  it('a profile without a sandbox (danger-full-access) cannot take an allow list', () => {
    const facts: HostFacts = { platform: 'linux', arch: 'x64', tmpdir: '/tmp', home: '/home/me', fs: emptyFs };
    expect(() => SandboxManager.transform({ command: ['curl'], cwd: '/home/me', profile: PermissionProfile.named('danger-full-access'), env: {}, facts, networkProxy: route })).toThrow(
      /cannot be enforced without a sandbox/,
    );
  });

  it('proxy variables: every spelling clients read, loopback exempt unless host ports go through the proxy', () => {
    const env = proxyEnv({ port: 3128, hostPorts: false });
    expect(env).toMatchObject({
      HTTP_PROXY: 'http://127.0.0.1:3128',
      https_proxy: 'http://127.0.0.1:3128',
      ALL_PROXY: 'socks5h://127.0.0.1:3128',
      NO_PROXY: 'localhost,127.0.0.1,::1',
      npm_config_https_proxy: 'http://127.0.0.1:3128',
    });
    expect(proxyEnv({ port: 3128, hostPorts: true }).no_proxy).toBe('');
  });
});

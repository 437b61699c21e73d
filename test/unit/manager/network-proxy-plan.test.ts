/** Planning with a network allow list: where it cannot be enforced the plan is refused, never widened. */
import { describe, expect, it } from 'vitest';
import type { HostFacts } from '../../../src/contracts/index.js';
import { proxyEnv } from '../../../src/env/index.js';
import { SandboxManager } from '../../../src/manager/transform.js';
import { NetworkRuleError, PermissionProfile } from '../../../src/permissions/index.js';
import type { NetworkAccessPolicy } from '../../../src/permissions/index.js';
import { networkAccessOf } from '../../../src/sandbox.js';
import { emptyFs } from '../permissions/helpers.js';

const route = { socketPath: '/tmp/p/proxy.sock', socketDev: '1', socketIno: '2', port: 3128, hostPorts: false };

describe('network allow list planning', () => {
  it('Windows: refused with a PlanError saying it is not enforced there (no silent open network)', () => {
    const facts: HostFacts = { platform: 'win32', arch: 'x64', tmpdir: undefined, home: 'C:\\Users\\me', fs: emptyFs };
    expect(() => SandboxManager.transform({ command: ['curl'], cwd: 'C:\\Users\\me\\proj', profile: PermissionProfile.named('workspace-write'), env: {}, facts, networkProxy: route })).toThrow(
      /network allow lists are not enforced on Windows/,
    );
  });

  it('macOS plan (policy text only: Seatbelt cannot run on Linux): outbound only to the proxy\'s loopback port, never the full-network rules', () => {
    const facts: HostFacts = { platform: 'darwin', arch: 'arm64', tmpdir: undefined, home: '/Users/me', fs: emptyFs };
    const req = SandboxManager.transform({
      command: ['curl'],
      cwd: '/Users/me/proj',
      profile: PermissionProfile.named('workspace-write'),
      env: {},
      facts,
      networkProxy: { ...route, port: 50123 },
    });
    if (req.kind !== 'macos-seatbelt') throw new Error(`expected a Seatbelt plan, got ${req.kind}`);
    expect(req.native.policy).toContain('(allow network-outbound (remote ip "localhost:50123"))');
    expect(req.native.policy).not.toMatch(/\(allow network-outbound\)\n/);
    expect(req.native.policy).not.toContain('(allow network-inbound)');
    expect(req.env).toMatchObject({ HTTPS_PROXY: 'http://127.0.0.1:50123', NO_PROXY: '' });
    expect(req.env.CODEX_SANDBOX_NETWORK_DISABLED).toBeUndefined();
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

  it.each<[Partial<NetworkAccessPolicy>, RegExp]>([
    [{ allow: ['https://registry.npmjs.org'] }, /network rule "https:\/\/registry\.npmjs\.org": is a URL/],
    [{ deny: ['example.com/secret'] }, /network rule "example\.com\/secret": a rule names a host, not a URL path/],
    [{ allow: ['192.168.0.0/99'] }, /network rule "192\.168\.0\.0\/99": prefix length must be 0 to 32/],
    [{ allow: ['example.com:65536'] }, /network rule "example\.com:65536": port "65536"/],
    [{ allowHostPorts: [0] }, /network rule "0": a host port must be a number from 1 to 65535/],
    [{ allowHostPorts: [3000.5] }, /network rule "3000\.5": a host port/],
  ])('library (spawn, plan, openProxy, createExecServer share networkAccessOf): %j is a NetworkRuleError naming the value', (input, message) => {
    let err: unknown;
    try {
      networkAccessOf(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NetworkRuleError);
    expect((err as NetworkRuleError).code).toBe('InvalidNetworkRule');
    expect(String((err as Error).message)).toMatch(message);
  });
});

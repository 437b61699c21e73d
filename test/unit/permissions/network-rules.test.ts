import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalHost,
  compileNetworkPolicy,
  decideAddress,
  decideHost,
  EMPTY_NETWORK_ACCESS,
  formatIp,
  NetworkRuleError,
  parseIp,
  parseNetworkRule,
} from '../../../src/permissions/index.js';
import type { NetworkAccessPolicy } from '../../../src/permissions/index.js';

const policy = (p: Partial<NetworkAccessPolicy>) => compileNetworkPolicy({ ...EMPTY_NETWORK_ACCESS, ...p });

describe('network rules: parsing', () => {
  it.each([
    ['example.com', { kind: 'name', name: 'example.com' }, null],
    ['Example.COM.', { kind: 'name', name: 'example.com' }, null],
    ['*.npmjs.org', { kind: 'subdomains', suffix: 'npmjs.org' }, null],
    ['*.npmjs.org:443', { kind: 'subdomains', suffix: 'npmjs.org' }, 443],
    ['*', { kind: 'any' }, null],
    ['*:22', { kind: 'any' }, 22],
    ['10.0.0.0/8', { kind: 'cidr', family: 4, base: 0x0a000000n, bits: 8 }, null],
    ['127.0.0.1:3000', { kind: 'cidr', family: 4, base: 0x7f000001n, bits: 32 }, 3000],
    ['::1', { kind: 'cidr', family: 6, base: 1n, bits: 128 }, null],
    ['[::1]:8080', { kind: 'cidr', family: 6, base: 1n, bits: 128 }, 8080],
    ['fd00::/8', { kind: 'cidr', family: 6, base: 0xfd00n << 112n, bits: 8 }, null],
  ])('%s', (text, host, port) => {
    expect(parseNetworkRule(text)).toEqual({ text, host, port });
  });

  it.each([
    ['', /empty rule/],
    ['exa mple.com', /spaces or control/],
    ['a.*.com', /leading `\*\.`/],
    ['*.', /wildcard must be/],
    ['example.com:0', /port "0"/],
    ['example.com:99999', /port "99999"/],
    ['10.0.0.0/33', /prefix length must be 0 to 32/],
    ['999.1.1.1/8', /not an IP address/],
    ['exa_mple..com', /not a domain name/],
    ['*.10.0.0.1', /wildcard must be/],
    ['https://example.com', /is a URL; give only the host/],
    ['http://example.com:8080/x', /is a URL/],
    ['example.com/path', /names a host, not a URL path/],
    ['bücher.de', /non-ASCII.*punycode/],
    ['[example.com]:80', /brackets are only for IPv6/],
    ['[10.0.0.1]', /brackets are only for IPv6/],
    [':443', /no host before the port; `\*:443`/],
    ['example.com:', /port ""/],
    ['[::1]:', /port ""/],
    ['example.com:80:90', /not a domain name/],
    ['-example.com', /not a domain name/],
    [`${'a'.repeat(64)}.com`, /not a domain name/],
    ['1.2.3/24', /"1\.2\.3" is not an IP address/],
    ['10.0.0.1/', /prefix length must be 0 to 32/],
    ['fd00::/129', /prefix length must be 0 to 128/],
  ])('rejects %j', (text, message) => {
    expect(() => parseNetworkRule(text)).toThrow(NetworkRuleError);
    expect(() => parseNetworkRule(text)).toThrow(message);
  });

  it('a bad host port is an error naming it', () => {
    expect(() => policy({ allowHostPorts: [70000] })).toThrow(/70000.*1 to 65535/);
  });
});

describe('network rules: IP literals', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['[::1]', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::ffff:7f00:1', '127.0.0.1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['fe80::', 'fe80::'],
  ])('%s → %s', (input, out) => {
    const ip = parseIp(input);
    expect(ip).not.toBeNull();
    expect(formatIp(ip as NonNullable<typeof ip>)).toBe(out);
  });

  it.each(['127.1', '0x7f.0.0.1', '2130706433', '01.2.3.4', '1.2.3.256', ':::1', '1:2:3:4:5:6:7:8:9'])('%s is not an IP literal', (t) => {
    expect(parseIp(t)).toBeNull();
  });

  it('formatting and parsing round-trip', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
        const ip = parseIp(text);
        expect(ip).not.toBeNull();
        const again = parseIp(formatIp(ip as NonNullable<typeof ip>));
        expect(again).toEqual(ip);
      }),
    );
  });
});

describe('network rules: decisions', () => {
  const p = policy({ allow: ['*.npmjs.org', 'github.com:443', '10.1.0.0/16'], deny: ['evil.npmjs.org', '*:22'], allowHostPorts: [8080] });

  it.each([
    ['registry.npmjs.org', 443, true, 'allow *.npmjs.org'],
    ['REGISTRY.npmjs.org.', 80, true, 'allow *.npmjs.org'],
    ['npmjs.org', 443, false, null],
    ['evil.npmjs.org', 443, false, 'deny evil.npmjs.org'],
    ['registry.npmjs.org', 22, false, 'deny *:22'],
    ['github.com', 443, true, 'allow github.com:443'],
    ['github.com', 80, false, null],
    ['10.1.2.3', 5432, true, 'allow 10.1.0.0/16'],
    ['10.2.0.1', 5432, false, null],
    ['127.0.0.1', 8080, true, 'host-port 8080'],
    ['[::1]', 8080, true, 'host-port 8080'],
    ['localhost', 8080, true, 'host-port 8080'],
    ['127.0.0.1', 8081, false, null],
    ['notanpmjs.org', 443, false, null],
    ['a\nb', 80, false, null],
  ])('%s:%d → %s (%s)', (host, port, allowed, rule) => {
    const d = decideHost(p, host, port);
    expect(d.allowed).toBe(allowed);
    expect(d.rule).toBe(rule);
  });

  it('the empty policy denies everything', () => {
    const empty = policy({});
    expect(decideHost(empty, 'example.com', 443)).toMatchObject({ allowed: false, reason: 'example.com:443 is not in the allow list' });
  });

  it.each([
    ['93.184.216.34', 443, true],
    ['127.0.0.1', 443, false],
    ['169.254.169.254', 80, false],
    ['192.168.1.1', 443, false],
    ['::ffff:127.0.0.1', 443, false],
    ['fe80::1', 443, false],
    ['10.1.2.3', 443, true], // covered by the IP allow rule
    ['127.0.0.1', 8080, true], // host port
  ])('a name resolved to %s:%d → %s (DNS-rebinding guard)', (addr, port, allowed) => {
    expect(decideAddress(p, addr, port).allowed).toBe(allowed);
  });

  it.each([
    // The LAN, the metadata endpoint and a public host at a host-port number: a host port is loopback only.
    ['192.168.1.1', 8080, false],
    ['10.2.0.1', 8080, false],
    ['169.254.169.254', 8080, false],
    ['fd00::1', 8080, false],
    ['0.0.0.0', 8080, false],
    ['::1', 8080, true],
  ])('a name resolved to %s at host port %d → %s (host ports cover loopback only)', (addr, port, allowed) => {
    expect(decideAddress(p, addr, port).allowed).toBe(allowed);
  });

  it.each([
    ['example.com', 8080],
    ['10.2.0.1', 8080],
    ['192.168.1.1', 8080],
    ['[fd00::1]', 8080],
    ['notlocalhost', 8080],
  ])('%s at host port %d is not allowed by it (a host port is 127.0.0.1, ::1 and localhost only)', (host, port) => {
    expect(decideHost(p, host, port)).toMatchObject({ allowed: false, rule: null });
  });

  it.each([
    // Each special range: inside (refused under `*`) and just outside (public).
    ['0.0.0.0', false],
    ['0.255.255.255', false],
    ['1.0.0.0', true],
    ['9.255.255.255', true],
    ['10.255.255.255', false],
    ['100.63.255.255', true],
    ['100.64.0.0', false],
    ['100.127.255.255', false],
    ['100.128.0.0', true],
    ['126.255.255.255', true],
    ['127.255.255.254', false],
    ['169.254.0.1', false],
    ['172.15.255.255', true],
    ['172.16.0.1', false],
    ['172.31.255.255', false],
    ['172.32.0.0', true],
    ['192.168.255.255', false],
    ['192.169.0.0', true],
    ['224.0.0.1', false],
    ['255.255.255.255', false],
    ['223.255.255.255', true],
    ['::', false],
    ['::1', false],
    ['fc00::1', false],
    ['fd12:3456::1', false],
    ['fe00::1', true],
    ['fe80::1', false],
    ['febf::1', false],
    ['ff02::1', false],
    ['2001:db8::1', true],
    ['192.0.0.192', false],
    ['191.255.255.255', true],
    ['192.0.1.0', true],
    ['198.17.255.255', true],
    ['198.18.0.1', false],
    ['198.19.255.255', false],
    ['198.20.0.0', true],
    ['fec0::1', false],
    ['feff::1', false],
    // IPv4 inside IPv6: NAT64, local-use NAT64, 6to4, IPv4-compatible; the same forms of a public address are public.
    ['64:ff9b::7f00:1', false],
    ['64:ff9b::a9fe:a9fe', false],
    ['64:ff9b::808:808', true],
    ['64:ff9b:1::808:808', false],
    ['2002:7f00:1::1', false],
    ['2002:c0a8:101::1', false],
    ['2002:808:808::1', true],
    ['::7f00:1', false],
    ['::a9fe:a9fe', false],
    ['::808:808', true],
  ])('under `*`, an address %s is public: %s', (addr, allowed) => {
    expect(decideAddress(policy({ allow: ['*'] }), addr, 443).allowed).toBe(allowed);
  });

  it("this host's own addresses are refused like private ones unless an IP rule allows them", () => {
    const own = ['203.0.113.7', '2001:db8::7', 'fe80::1'];
    expect(decideAddress(policy({ allow: ['*'] }), '203.0.113.7', 443, own)).toMatchObject({ allowed: false, reason: "address 203.0.113.7 is one of this host's own addresses and no IP rule allows it (DNS-rebinding guard)" });
    expect(decideAddress(policy({ allow: ['*'] }), '::ffff:203.0.113.7', 443, own).allowed).toBe(false);
    expect(decideAddress(policy({ allow: ['*'] }), '2001:db8::7', 443, own).allowed).toBe(false);
    expect(decideAddress(policy({ allow: ['*'] }), '203.0.113.8', 443, own).allowed).toBe(true);
    expect(decideAddress(policy({ allow: ['*', '203.0.113.0/24'] }), '203.0.113.7', 443, own)).toMatchObject({ allowed: true, rule: 'allow 203.0.113.0/24' });
    expect(decideAddress(policy({ allow: ['*'], allowHostPorts: [443] }), '203.0.113.7', 443, own).allowed).toBe(false);
  });

  it('deny CIDR rules apply to resolved addresses too', () => {
    const q = policy({ allow: ['*'], deny: ['93.184.0.0/16'] });
    expect(decideAddress(q, '93.184.216.34', 443)).toMatchObject({ allowed: false, rule: 'deny 93.184.0.0/16' });
  });

  const label = fc.stringMatching(/^[a-z0-9]{1,10}$/);
  const domain = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.'));
  const rule = fc.oneof(domain, domain.map((d) => `*.${d}`), fc.constant('*'), fc.ipV4().map((ip) => `${ip}/${ip.length % 33}`));
  const port = fc.integer({ min: 1, max: 65535 });

  it('property: deny wins — a host matched by any deny rule is never allowed', () => {
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 4 }), fc.array(rule, { minLength: 1, maxLength: 4 }), fc.oneof(domain, fc.ipV4()), port, (allow, deny, host, prt) => {
        const both = policy({ allow: [...allow, ...deny], deny });
        const onlyDeny = policy({ deny });
        const denied = decideHost(onlyDeny, host, prt).rule !== null;
        if (denied) expect(decideHost(both, host, prt).allowed).toBe(false);
      }),
    );
  });

  it('property: a wildcard matches every subdomain and never the apex or a look-alike', () => {
    fc.assert(
      fc.property(domain, label, port, (d, sub, prt) => {
        const q = policy({ allow: [`*.${d}`] });
        expect(decideHost(q, `${sub}.${d}`, prt).allowed).toBe(true);
        expect(decideHost(q, d, prt).allowed).toBe(false);
        expect(decideHost(q, `${sub}${d}`, prt).allowed).toBe(false);
      }),
    );
  });

  it('property: adding allow rules never turns an allowed host into a denied one', () => {
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 4 }), fc.array(rule, { maxLength: 3 }), fc.array(rule, { maxLength: 3 }), fc.oneof(domain, fc.ipV4()), port, (allow, more, deny, host, prt) => {
        if (decideHost(policy({ allow, deny }), host, prt).allowed) expect(decideHost(policy({ allow: [...allow, ...more], deny }), host, prt).allowed).toBe(true);
      }),
    );
  });

  it('property: canonicalHost is idempotent', () => {
    fc.assert(
      fc.property(fc.oneof(domain, fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 12 })), (h) => {
        const c = canonicalHost(h);
        if (c !== null) expect(canonicalHost(c)).toBe(c);
      }),
    );
  });
});

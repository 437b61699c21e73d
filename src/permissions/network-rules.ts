/**
 * Network allow lists: which destinations a sandboxed command may reach through the filtering proxy
 * (src/launch/proxy). Pure: rule text in, decisions out; name resolution happens in the proxy, which
 * hands the resolved address back to `decideAddress`.
 *
 * Rule syntax (one destination each, optional `:port` suffix, IPv6 literals bracketed when a port follows):
 *   `example.com`       that name exactly (case-insensitive, trailing dot ignored)
 *   `*.example.com`     any subdomain of example.com, not the apex (as srt's `allowedDomains`)
 *   `10.0.0.0/8`, `::1` an IP literal or CIDR block
 *   `*`                 anything (useful in deny lists: `*:22`)
 * Deny rules win over allow rules. A name that is allowed but resolves to a loopback, private,
 * link-local, multicast or unspecified address, or to one of this host's own addresses, is refused
 * unless an IP/CIDR allow rule (or a host port, for loopback) covers that address: the DNS-rebinding
 * guard of srt's proxy (sandbox-runtime.md §3.2, §5).
 */
import { SandboxError } from '../errors.js';

export interface NetworkAccessPolicy {
  /** Destinations the command may reach (rule syntax above). Empty = nothing. */
  allow: readonly string[];
  /** Destinations refused even when an allow rule matches. */
  deny: readonly string[];
  /** Ports on the host's loopback (127.0.0.1, ::1, `localhost`) the command may reach. */
  allowHostPorts: readonly number[];
  /** Unix socket paths the command may connect to (macOS Seatbelt; Linux cannot filter by path). */
  unixSockets: readonly string[];
  /** Bind/listen on local ports (Codex `allow_local_binding`). */
  allowLocalBinding: boolean;
}

export const EMPTY_NETWORK_ACCESS: NetworkAccessPolicy = { allow: [], deny: [], allowHostPorts: [], unixSockets: [], allowLocalBinding: false };

/** A network rule that does not parse. */
export class NetworkRuleError extends SandboxError {
  constructor(
    readonly rule: string,
    detail: string,
  ) {
    super('InvalidNetworkRule', `network rule ${JSON.stringify(rule)}: ${detail}`);
    this.name = 'NetworkRuleError';
  }
}

type HostMatcher =
  | { kind: 'any' }
  | { kind: 'name'; name: string }
  | { kind: 'subdomains'; suffix: string }
  | { kind: 'cidr'; family: 4 | 6; base: bigint; bits: number };

export interface NetworkRule {
  /** The rule as written (reported with denials). */
  text: string;
  host: HostMatcher;
  port: number | null;
}

export interface CompiledNetworkPolicy {
  allow: NetworkRule[];
  deny: NetworkRule[];
  hostPorts: ReadonlySet<number>;
}

export interface NetworkDecision {
  allowed: boolean;
  /** The rule that decided (`deny *.evil.com`, `allow 10.0.0.0/8`, `host-port 8080`), or null when none matched. */
  rule: string | null;
  /** Why, in words: `denied by rule "*.evil.com"`, `not in the allow list`, … */
  reason: string;
}

// ---------------------------------------------------------------- IP literals

/** IPv4 dotted quad (strict: four decimal parts, no leading zeros beyond `0`) → 32-bit value. */
function parseIpv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

/** IPv6 text (with `::`, optional trailing dotted quad, no zone) → 128-bit value. */
function parseIpv6(text: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.split('::').length > 2) return null;
  let s = text;
  const lastColon = s.lastIndexOf(':');
  if (lastColon < 0) return null;
  if (s.includes('.', lastColon)) {
    // A trailing dotted quad (`::ffff:1.2.3.4`) is the last two groups.
    const v4 = parseIpv4(s.slice(lastColon + 1));
    if (v4 === null) return null;
    s = `${s.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const groups = (part: string): bigint[] | null => {
    if (part === '') return [];
    const out: bigint[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(BigInt(`0x${g}`));
    }
    return out;
  };
  let all: bigint[];
  if (s.includes('::')) {
    const [a = '', b = ''] = s.split('::');
    const head = groups(a);
    const rest = groups(b);
    if (head === null || rest === null) return null;
    const fill = 8 - head.length - rest.length;
    if (fill < 1) return null;
    all = [...head, ...Array<bigint>(fill).fill(0n), ...rest];
  } else {
    const g = groups(s);
    if (g === null) return null;
    all = g;
  }
  if (all.length !== 8) return null;
  return all.reduce((acc, g) => (acc << 16n) | g, 0n);
}

export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

/** An IP literal (IPv4, IPv6, bracketed IPv6); IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is read as IPv4. */
export function parseIp(text: string): IpAddress | null {
  const t = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const v4 = parseIpv4(t);
  if (v4 !== null) return { family: 4, value: v4 };
  const v6 = parseIpv6(t);
  if (v6 === null) return null;
  // ::ffff:0:0/96 carries an IPv4 address: match it against IPv4 rules (srt decodes these too).
  if (v6 >> 32n === 0xffffn) return { family: 4, value: v6 & 0xffffffffn };
  return { family: 6, value: v6 };
}

function inCidr(ip: IpAddress, family: 4 | 6, base: bigint, bits: number): boolean {
  if (ip.family !== family) return false;
  const width = family === 4 ? 32 : 128;
  const shift = BigInt(width - bits);
  return ip.value >> shift === base >> shift;
}

/** Ranges a *name* may not resolve into unless an IP rule allows them (loopback, private, link-local, …). */
const SPECIAL_RANGES: ReadonlyArray<readonly [string, 4 | 6, number]> = [
  ['0.0.0.0', 4, 8],
  ['10.0.0.0', 4, 8],
  ['100.64.0.0', 4, 10],
  ['127.0.0.0', 4, 8],
  ['169.254.0.0', 4, 16],
  ['172.16.0.0', 4, 12],
  ['192.0.0.0', 4, 24], // IETF protocol assignments (RFC 6890); Oracle Cloud's metadata service is 192.0.0.192
  ['192.168.0.0', 4, 16],
  ['198.18.0.0', 4, 15], // network benchmarking (RFC 2544): lab and appliance networks
  ['224.0.0.0', 4, 4],
  ['240.0.0.0', 4, 4],
  ['::', 6, 128],
  ['::1', 6, 128],
  ['64:ff9b:1::', 6, 48], // local-use NAT64 (RFC 8215): the IPv4 address may sit anywhere in it
  ['fc00::', 6, 7],
  ['fe80::', 6, 10],
  ['fec0::', 6, 10], // site-local (deprecated, RFC 3879; still routed on some networks)
  ['ff00::', 6, 8],
];
const SPECIAL = SPECIAL_RANGES.map(([base, family, bits]) => ({ family, bits, base: (parseIp(base) as IpAddress).value }));

/**
 * The IPv4 address an IPv6 form carries besides `::ffff:` (which parseIp reads as IPv4): NAT64
 * `64:ff9b::/96` (RFC 6052; a NAT64 gateway dials the IPv4 address), 6to4 `2002::/16` (RFC 3056) and
 * IPv4-compatible `::a.b.c.d` (RFC 4291, deprecated). `64:ff9b::7f00:1` must not pass for public when it
 * reaches 127.0.0.1 (srt's guard decodes IPv4-in-IPv6 forms too).
 */
function embeddedIpv4(ip: IpAddress): IpAddress | null {
  if (ip.family !== 6) return null;
  const low32 = ip.value & 0xffffffffn;
  if (ip.value >> 32n === 0x64ff9bn << 64n) return { family: 4, value: low32 };
  if (ip.value >> 112n === 0x2002n) return { family: 4, value: (ip.value >> 80n) & 0xffffffffn };
  if (ip.value >> 32n === 0n) return { family: 4, value: low32 };
  return null;
}

/** Loopback, private, link-local, multicast, unspecified or reserved, also when carried inside an IPv6 form. */
export function isSpecialAddress(ip: IpAddress): boolean {
  const inner = embeddedIpv4(ip);
  return SPECIAL.some((r) => inCidr(ip, r.family, r.base, r.bits) || (inner !== null && inCidr(inner, r.family, r.base, r.bits)));
}

function isLoopback(ip: IpAddress): boolean {
  return ip.family === 4 ? ip.value >> 24n === 127n : ip.value === 1n;
}

// ---------------------------------------------------------------- rules

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Lower-case, trailing dot dropped, brackets dropped; null when it is not a host name or IP literal. */
export function canonicalHost(host: string): string | null {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h === '' || h.length > 253) return null;
  const ip = parseIp(h);
  if (ip !== null) return formatIp(ip);
  return h.split('.').every((l) => LABEL.test(l)) ? h : null;
}

export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 0xffn)).join('.');
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((s) => ((ip.value >> s) & 0xffffn).toString(16));
  // RFC 5952: the longest run of two or more zero groups becomes `::`.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

function parsePort(text: string, rule: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw new NetworkRuleError(rule, `port ${JSON.stringify(text)} is not a number from 1 to 65535`);
  return Number(text);
}

/** One rule's text → a NetworkRule. Throws NetworkRuleError naming the rule. */
export function parseNetworkRule(text: string): NetworkRule {
  const rule = text.trim();
  if (rule === '') throw new NetworkRuleError(text, 'empty rule; expected a domain (`example.com`, `*.example.com`), an IP/CIDR or `*`');
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f]/.test(rule)) throw new NetworkRuleError(text, 'contains spaces or control characters');
  // Common mistakes get their own message (a URL, a path, a Unicode name) rather than a misleading one about ports or CIDRs.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rule)) throw new NetworkRuleError(text, 'is a URL; give only the host and an optional port (example.com, example.com:443)');
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(rule)) throw new NetworkRuleError(text, 'contains non-ASCII characters; write an internationalised domain name in its ASCII (punycode) form, e.g. xn--bcher-kva.de');
  let hostText = rule;
  let port: number | null = null;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(rule);
  if (bracket !== null) {
    hostText = bracket[1] ?? '';
    if (parseIp(hostText)?.family !== 6) throw new NetworkRuleError(text, 'brackets are only for IPv6 addresses ([::1]:8080)');
    if (bracket[2] !== undefined) port = parsePort(bracket[2], text);
  } else if (rule.split(':').length === 2) {
    const i = rule.lastIndexOf(':');
    hostText = rule.slice(0, i);
    port = parsePort(rule.slice(i + 1), text);
  }
  if (hostText === '') throw new NetworkRuleError(text, `no host before the port; \`*:${port ?? ''}\` means any host at that port`);
  const host = parseHostPattern(hostText, text);
  return { text: rule, host, port };
}

function parseHostPattern(text: string, rule: string): HostMatcher {
  if (text === '*') return { kind: 'any' };
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const ip = parseIp(text.slice(0, slash));
    const bitsText = text.slice(slash + 1);
    if (ip === null && !/^[\d.]+$/.test(text.slice(0, slash)) && canonicalHost(text.slice(0, slash)) !== null) throw new NetworkRuleError(rule, 'a rule names a host, not a URL path; drop everything from the `/`');
    if (ip === null) throw new NetworkRuleError(rule, `${JSON.stringify(text.slice(0, slash))} is not an IP address (a CIDR block is written 10.0.0.0/8 or fd00::/8)`);
    const width = ip.family === 4 ? 32 : 128;
    if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > width) throw new NetworkRuleError(rule, `prefix length must be 0 to ${width}`);
    return { kind: 'cidr', family: ip.family, base: ip.value, bits: Number(bitsText) };
  }
  const ip = parseIp(text);
  if (ip !== null) return { kind: 'cidr', family: ip.family, base: ip.value, bits: ip.family === 4 ? 32 : 128 };
  if (text.startsWith('*.')) {
    const suffix = canonicalHost(text.slice(2));
    if (suffix === null || parseIp(suffix) !== null) throw new NetworkRuleError(rule, 'a wildcard must be `*.` followed by a domain name');
    return { kind: 'subdomains', suffix };
  }
  if (text.includes('*')) throw new NetworkRuleError(rule, 'a wildcard is only allowed as a leading `*.` (`*.example.com`) or alone (`*`)');
  const name = canonicalHost(text);
  if (name === null) throw new NetworkRuleError(rule, 'not a domain name, IP address or CIDR block');
  return { kind: 'name', name };
}

function parsePorts(ports: readonly number[]): Set<number> {
  for (const p of ports) if (!Number.isInteger(p) || p < 1 || p > 65535) throw new NetworkRuleError(String(p), 'a host port must be a number from 1 to 65535');
  return new Set(ports);
}

export function compileNetworkPolicy(policy: NetworkAccessPolicy): CompiledNetworkPolicy {
  return { allow: policy.allow.map(parseNetworkRule), deny: policy.deny.map(parseNetworkRule), hostPorts: parsePorts(policy.allowHostPorts) };
}

/** Does `rule` match this canonical host (a name, or an IP when `ip` is set) and port? */
function ruleMatches(rule: NetworkRule, host: string, ip: IpAddress | null, port: number): boolean {
  if (rule.port !== null && rule.port !== port) return false;
  switch (rule.host.kind) {
    case 'any':
      return true;
    case 'name':
      return ip === null && host === rule.host.name;
    case 'subdomains':
      return ip === null && host.endsWith(`.${rule.host.suffix}`);
    case 'cidr':
      return ip !== null && inCidr(ip, rule.host.family, rule.host.base, rule.host.bits);
  }
}

const isLocalhostName = (h: string): boolean => h === 'localhost' || h.endsWith('.localhost');

/**
 * May the command open a connection to `host:port` (the name or literal it asked for)? Deny rules
 * win; then allow rules; then host ports (loopback literals and `localhost`). An allowed *name* still
 * has to pass `decideAddress` once resolved.
 */
export function decideHost(policy: CompiledNetworkPolicy, host: string, port: number): NetworkDecision {
  const canonical = canonicalHost(host);
  if (canonical === null) return { allowed: false, rule: null, reason: `${JSON.stringify(host)} is not a valid host name` };
  const ip = parseIp(canonical);
  for (const r of policy.deny) if (ruleMatches(r, canonical, ip, port)) return { allowed: false, rule: `deny ${r.text}`, reason: `denied by rule ${JSON.stringify(r.text)}` };
  for (const r of policy.allow) if (ruleMatches(r, canonical, ip, port)) return { allowed: true, rule: `allow ${r.text}`, reason: `allowed by rule ${JSON.stringify(r.text)}` };
  if (policy.hostPorts.has(port) && (ip !== null ? isLoopback(ip) : isLocalhostName(canonical))) {
    return { allowed: true, rule: `host-port ${port}`, reason: `host loopback port ${port} is allowed` };
  }
  return { allowed: false, rule: null, reason: `${canonical}:${port} is not in the allow list` };
}

/**
 * The address a name resolved to (or the literal itself): deny CIDR rules apply to it, and an address
 * in a special range (loopback, private, link-local, …) is refused unless an IP/CIDR allow rule or a
 * host port covers it — a name allowed as `*.example.com` must not be pointed at 127.0.0.1 or the
 * cloud metadata endpoint (DNS rebinding; srt's resolved-address guard, sandbox-runtime.md §5).
 * `ownAddresses` are this host's interface addresses (the proxy passes them): a public one is refused
 * like a private one, since it reaches the host's services that listen on every interface (0.0.0.0),
 * which a host firewall lets local traffic reach (srt refuses "every address of the host's own
 * interfaces", sandbox-runtime.md §3.2).
 */
export function decideAddress(policy: CompiledNetworkPolicy, address: string, port: number, ownAddresses: readonly string[] = []): NetworkDecision {
  const ip = parseIp(address);
  if (ip === null) return { allowed: false, rule: null, reason: `resolved to ${JSON.stringify(address)}, which is not an IP address` };
  const text = formatIp(ip);
  for (const r of policy.deny) {
    if (r.host.kind === 'cidr' && ruleMatches(r, text, ip, port)) return { allowed: false, rule: `deny ${r.text}`, reason: `address ${text} is denied by rule ${JSON.stringify(r.text)}` };
  }
  const own = ownAddresses.some((a) => {
    const o = parseIp(a);
    return o !== null && o.family === ip.family && o.value === ip.value;
  });
  if (!own && !isSpecialAddress(ip)) return { allowed: true, rule: null, reason: `address ${text} is public` };
  for (const r of policy.allow) {
    if (r.host.kind === 'cidr' && ruleMatches(r, text, ip, port)) return { allowed: true, rule: `allow ${r.text}`, reason: `address ${text} is allowed by rule ${JSON.stringify(r.text)}` };
  }
  if (policy.hostPorts.has(port) && isLoopback(ip)) return { allowed: true, rule: `host-port ${port}`, reason: `host loopback port ${port} is allowed` };
  return {
    allowed: false,
    rule: null,
    reason: `address ${text} is ${own && !isSpecialAddress(ip) ? "one of this host's own addresses" : 'loopback, private or link-local'} and no IP rule allows it (DNS-rebinding guard)`,
  };
}

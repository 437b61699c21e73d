/**
 * Network allow-list keys of both configuration files, read into a NetworkAccessPolicy:
 *   codex-sandbox.toml `[profiles.NAME]`: allow_domains, deny_domains, allow_host_ports,
 *     allow_unix_sockets, allow_local_binding;
 *   Codex `[permissions.NAME.network]` (codex-rs/config NetworkToml): `domains = { "x" = "allow" | "deny" }`,
 *     `unix_sockets = { "/path" = "allow" | "none" }`, `allow_local_binding`, and the older
 *     `allowed_domains` / `denied_domains` arrays.
 * Every rule is checked here, so a bad one is an error with file, line and key.
 */
import { NetworkRuleError, parseNetworkRule } from '../permissions/index.js';
import type { NetworkAccessPolicy } from '../permissions/index.js';
import type { KeyPath } from './key-lines.js';
import { readBool, readEnum, readStringArray, readTable } from './toml-doc.js';
import type { TomlDoc, TomlTable } from './toml-doc.js';

function checkRule(doc: TomlDoc, rule: string, path: KeyPath): string {
  try {
    parseNetworkRule(rule);
  } catch (e) {
    if (e instanceof NetworkRuleError) throw doc.error(path, `${e.message}; expected example.com, *.example.com, an IP or CIDR (10.0.0.0/8), or *, each with an optional :port`);
    throw e;
  }
  return rule;
}

function readRules(doc: TomlDoc, value: unknown, path: KeyPath): string[] {
  return readStringArray(doc, value, path).map((r, i) => checkRule(doc, r, [...path, String(i)]));
}

function readPorts(doc: TomlDoc, value: unknown, path: KeyPath): number[] {
  if (!Array.isArray(value)) throw doc.error(path, 'expected an array of port numbers, e.g. [3000, 8080]');
  return value.map((v: unknown, i) => {
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) throw doc.error([...path, String(i)], `expected a port number from 1 to 65535, got ${JSON.stringify(typeof v === 'bigint' ? String(v) : v)}`);
    return n;
  });
}

function readAbsolutePaths(doc: TomlDoc, value: unknown, path: KeyPath): string[] {
  return readStringArray(doc, value, path).map((p, i) => {
    if (!p.startsWith('/')) throw doc.error([...path, String(i)], `expected an absolute unix socket path, got ${JSON.stringify(p)}`);
    return p;
  });
}

export const SANDBOX_NETWORK_KEYS = ['allow_domains', 'deny_domains', 'allow_host_ports', 'allow_unix_sockets', 'allow_local_binding'] as const;

/** `[profiles.NAME]`'s allow-list keys; undefined when none is set. */
export function readSandboxNetworkKeys(doc: TomlDoc, t: TomlTable, path: KeyPath): NetworkAccessPolicy | undefined {
  if (!SANDBOX_NETWORK_KEYS.some((k) => t[k] !== undefined)) return undefined;
  const at = (k: string): KeyPath => [...path, k];
  return {
    allow: t.allow_domains !== undefined ? readRules(doc, t.allow_domains, at('allow_domains')) : [],
    deny: t.deny_domains !== undefined ? readRules(doc, t.deny_domains, at('deny_domains')) : [],
    allowHostPorts: t.allow_host_ports !== undefined ? readPorts(doc, t.allow_host_ports, at('allow_host_ports')) : [],
    unixSockets: t.allow_unix_sockets !== undefined ? readAbsolutePaths(doc, t.allow_unix_sockets, at('allow_unix_sockets')) : [],
    allowLocalBinding: t.allow_local_binding !== undefined ? readBool(doc, t.allow_local_binding, at('allow_local_binding')) : false,
  };
}

/** The Codex network keys codex-sandbox enforces (the rest of NetworkToml is proxy plumbing it does not take). */
export const CODEX_NETWORK_POLICY_KEYS = ['domains', 'unix_sockets', 'allow_local_binding', 'allowed_domains', 'denied_domains'] as const;

/** `[permissions.NAME.network]`'s policy keys; undefined when none is set. */
export function readCodexNetworkKeys(doc: TomlDoc, net: TomlTable, path: KeyPath): NetworkAccessPolicy | undefined {
  if (!CODEX_NETWORK_POLICY_KEYS.some((k) => net[k] !== undefined)) return undefined;
  const policy: NetworkAccessPolicy = { allow: [], deny: [], allowHostPorts: [], unixSockets: [], allowLocalBinding: false };
  const allow: string[] = [];
  const deny: string[] = [];
  if (net.domains !== undefined) {
    const p = [...path, 'domains'];
    for (const [pattern, value] of Object.entries(readTable(doc, net.domains, p))) {
      const kind = readEnum(doc, value, [...p, pattern], ['allow', 'deny'] as const);
      (kind === 'allow' ? allow : deny).push(checkRule(doc, pattern, [...p, pattern]));
    }
  }
  if (net.allowed_domains !== undefined) allow.push(...readRules(doc, net.allowed_domains, [...path, 'allowed_domains']));
  if (net.denied_domains !== undefined) deny.push(...readRules(doc, net.denied_domains, [...path, 'denied_domains']));
  const sockets: string[] = [];
  if (net.unix_sockets !== undefined) {
    const p = [...path, 'unix_sockets'];
    for (const [socket, value] of Object.entries(readTable(doc, net.unix_sockets, p))) {
      if (readEnum(doc, value, [...p, socket], ['allow', 'none'] as const) === 'allow') sockets.push(socket);
    }
  }
  const binding = net.allow_local_binding !== undefined ? readBool(doc, net.allow_local_binding, [...path, 'allow_local_binding']) : false;
  return { ...policy, allow, deny, unixSockets: sockets, allowLocalBinding: binding };
}

import { describe, expect, it } from 'vitest';
import { ConfigError, parseCodexConfig, parseSandboxConfig, resolveProfileName } from '../../../src/config/index.js';
import { loaded } from './helpers.js';

const OPTS = { cwd: '/work/p', platform: 'linux' as const };
const user = (text: string) => loaded({ user: parseSandboxConfig(text, '/home/u/.config/codex-sandbox/config.toml') });
const codex = (text: string, file = '/home/u/.codex/config.toml') => loaded({ codex: [parseCodexConfig(text, file)] });

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('network allow lists in codex-sandbox.toml', () => {
  it('reads allow_domains, deny_domains, allow_host_ports, allow_unix_sockets, allow_local_binding', () => {
    const r = resolveProfileName(
      'npm',
      user(
        '[profiles.npm]\nextends = "workspace-write"\nallow_domains = ["*.npmjs.org", "registry.yarnpkg.com:443"]\ndeny_domains = ["evil.npmjs.org"]\nallow_host_ports = [5432]\nallow_unix_sockets = ["/run/x.sock"]\nallow_local_binding = true\n',
      ),
      OPTS,
    );
    expect(r.networkAccess).toEqual({
      allow: ['*.npmjs.org', 'registry.yarnpkg.com:443'],
      deny: ['evil.npmjs.org'],
      allowHostPorts: [5432],
      unixSockets: ['/run/x.sock'],
      allowLocalBinding: true,
    });
  });

  it('a profile that extends one with an allow list inherits it; an explicit network setting drops it', () => {
    const text = '[profiles.base]\nextends = "workspace-write"\nallow_domains = ["github.com"]\n[profiles.child]\nextends = "base"\n[profiles.off]\nextends = "base"\nnetwork = "restricted"\n';
    expect(resolveProfileName('child', user(text), OPTS).networkAccess?.allow).toEqual(['github.com']);
    expect(resolveProfileName('off', user(text), OPTS).networkAccess).toBeUndefined();
  });

  it.each([
    ['allow_domains = ["a.*.com"]', 3, 'profiles.p.allow_domains[0]', /network rule "a\.\*\.com": a wildcard is only allowed/],
    ['allow_host_ports = [70000]', 3, 'profiles.p.allow_host_ports[0]', /port number from 1 to 65535/],
    ['allow_unix_sockets = ["relative.sock"]', 3, 'profiles.p.allow_unix_sockets[0]', /absolute unix socket path/],
    ['network = "enabled"\nallow_domains = ["x.com"]', 3, 'profiles.p.network', /conflicts with the allow list/],
  ])('%s is an error naming file, line and key', (body, line, key, detail) => {
    const e = configError(() => parseSandboxConfig(`[profiles.p]\nextends = "workspace-write"\n${body}\n`, 'c.toml'));
    expect(e.line).toBe(line);
    expect(e.key).toBe(key);
    expect(e.message).toMatch(detail);
  });

  it('an allow list from an untrusted project file is refused (a command could have written it)', () => {
    const project = parseSandboxConfig('[profiles.p]\nextends = "workspace-write"\nallow_domains = ["exfil.example"]\n', '/w/codex-sandbox.toml');
    const l = loaded({ project, untrusted: ['/w/codex-sandbox.toml'] });
    expect(() => resolveProfileName('p', l, OPTS)).toThrow(/allows network access \(an allow list\), but this profile comes from a project-level file/);
    // Only denials: nothing is opened, so it is accepted.
    const denyOnly = parseSandboxConfig('[profiles.p]\nextends = "workspace-write"\ndeny_domains = ["x.example"]\n', '/w/codex-sandbox.toml');
    expect(resolveProfileName('p', loaded({ project: denyOnly, untrusted: ['/w/codex-sandbox.toml'] }), OPTS).networkAccess?.deny).toEqual(['x.example']);
  });
});

describe("Codex [permissions.NAME.network] keys, read as Codex defines them", () => {
  const base = '[permissions.dev.filesystem]\n":root" = "read"\n[permissions.dev.network]\n';

  it('domains = { pattern = "allow" | "deny" }, unix_sockets = { path = "allow" | "none" }, allow_local_binding', () => {
    const r = resolveProfileName(
      'codex:dev',
      codex(`${base}enabled = true\ndomains = { "*.npmjs.org" = "allow", "evil.npmjs.org" = "deny" }\nunix_sockets = { "/run/a.sock" = "allow", "/run/b.sock" = "none" }\nallow_local_binding = true\n`),
      OPTS,
    );
    expect(r.networkAccess).toEqual({ allow: ['*.npmjs.org'], deny: ['evil.npmjs.org'], allowHostPorts: [], unixSockets: ['/run/a.sock'], allowLocalBinding: true });
    expect(r.origin.warnings).toEqual([]);
  });

  it('the legacy allowed_domains / denied_domains arrays', () => {
    const r = resolveProfileName('codex:dev', codex(`${base}allowed_domains = ["github.com"]\ndenied_domains = ["gist.github.com"]\n`), OPTS);
    expect(r.networkAccess).toMatchObject({ allow: ['github.com'], deny: ['gist.github.com'] });
  });

  it('no more "ignored with a warning" for the enforced keys; proxy plumbing keys still warn', () => {
    const parsed = parseCodexConfig(`${base}domains = { "a.com" = "allow" }\nproxy_url = "http://127.0.0.1:3128"\n`, 'config.toml');
    expect(parsed.warnings.join('\n')).toMatch(/proxy settings \(proxy_url\) are not supported/);
    expect(parsed.warnings.join('\n')).not.toMatch(/domains/);
  });

  it('enabled = false: the rules are not used, with a warning', () => {
    const parsed = parseCodexConfig(`${base}enabled = false\ndomains = { "a.com" = "allow" }\n`, 'config.toml');
    expect(parsed.warnings.join('\n')).toMatch(/enabled = false, so the domain and socket rules are not used/);
    expect(resolveProfileName('codex:dev', loaded({ codex: [parsed] }), OPTS).networkAccess).toBeUndefined();
  });

  it('a child profile overlays its domain rules on the parent\'s', () => {
    const text = `${base}domains = { "a.com" = "allow", "b.com" = "allow" }\n[permissions.kid]\nextends = "dev"\n[permissions.kid.network]\ndomains = { "b.com" = "deny", "c.com" = "allow" }\n`;
    expect(resolveProfileName('codex:kid', codex(text), OPTS).networkAccess).toMatchObject({ allow: ['a.com', 'c.com'], deny: ['b.com'] });
  });

  it('a bad pattern or value is an error with the line', () => {
    const e = configError(() => parseCodexConfig(`${base}domains = { "a.com" = "maybe" }\n`, 'config.toml'));
    expect(e.line).toBe(4);
    const bad = configError(() => parseCodexConfig(`${base}domains = { "x y" = "allow" }\n`, 'config.toml'));
    expect(bad.message).toMatch(/spaces or control characters/);
  });

  it.each([
    ['allow_domains = ["https://registry.npmjs.org"]', 3, /allow_domains.*"https:\/\/registry\.npmjs\.org".*is a URL/],
    ['deny_domains = ["10.0.0.0/40"]', 3, /deny_domains.*"10\.0\.0\.0\/40".*prefix length/],
    ['allow_domains = ["a.*.com"]', 3, /"a\.\*\.com".*wildcard/],
    ['allow_host_ports = [0]', 3, /allow_host_ports.*got 0/],
    ['allow_host_ports = ["5432"]', 3, /allow_host_ports.*got "5432"/],
    ['allow_host_ports = 5432', 3, /allow_host_ports.*expected an array of port numbers/],
    ['allow_unix_sockets = ["run/x.sock"]', 3, /allow_unix_sockets.*absolute unix socket path, got "run\/x\.sock"/],
  ])('codex-sandbox.toml %s: an error with the line and the value', (line, lineNo, message) => {
    const e = configError(() => parseSandboxConfig(`[profiles.p]\nextends = "workspace-write"\n${line}\n`, '/home/u/.config/codex-sandbox/config.toml'));
    expect(e.line).toBe(lineNo);
    expect(e.message).toMatch(message);
  });
});

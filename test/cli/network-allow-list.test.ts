/**
 * `codex-sandbox run --allow-domain/--deny-domain/--allow-host-port` on real bwrap: the command's
 * network goes through the proxy the CLI runs; every refusal is printed on stderr; bad rules and
 * conflicting flags are usage errors (exit 2) before anything runs.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, requireBuilt, Scratch } from './helpers.js';

const CURL = '/usr/bin/curl';

/** The CLI, asynchronously (a spawnSync would block the test's own HTTP server). */
function cli(s: Scratch, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: s.project, env: s.env(), encoding: 'utf8' }, (err, stdout, stderr) => {
      const status = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ status, stdout, stderr });
    });
  });
}

describe.skipIf(process.platform !== 'linux')('CLI network allow list (real bwrap + proxy)', () => {
  let s: Scratch;
  let web: Server;
  let port = 0;
  beforeAll(async () => {
    requireBuilt();
    s = new Scratch();
    web = createServer((req, res) => res.end(`host says ${req.url ?? ''}\n`));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    port = (web.address() as { port: number }).port;
  });
  afterAll(() => {
    web.close();
    s.dispose();
  });

  it.skipIf(!existsSync(CURL))('--allow-host-port reaches the host port; a destination outside the list is refused and the refusal printed (skipped without /usr/bin/curl)', async () => {
    const ok = await cli(s, ['run', '--allow-host-port', String(port), '--', CURL, '-sS', '--max-time', '10', `http://127.0.0.1:${port}/hi`]);
    expect(ok.stdout).toBe('host says /hi\n');
    expect(ok.status).toBe(0);
    const no = await cli(s, ['run', '--allow-domain', 'registry.npmjs.org', '--deny-domain', '*.evil.test', '--', CURL, '-sS', '-f', '--max-time', '10', 'http://x.evil.test/']);
    expect(no.status).not.toBe(0);
    expect(no.stderr).toContain('codex-sandbox: network: refused HTTP x.evil.test:80: denied by rule "*.evil.test" (rule: deny *.evil.test)');
  });

  it("Node's built-in fetch goes through the proxy (the NODE_OPTIONS preload, or NODE_USE_ENV_PROXY): a name outside the list is refused by the proxy and reported", async () => {
    const r = await cli(s, ['run', '--allow-host-port', String(port), '--', process.execPath, '-e', `fetch('http://localhost.test:${port}/f').then((x) => x.text()).then((t) => process.stdout.write(t), (e) => { console.error(e.message, e.cause?.message); process.exit(3); })`]);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/fetch failed .*403/);
    expect(r.stderr).toMatch(/codex-sandbox: network: refused (CONNECT|HTTP) localhost\.test:\d+: /);
  });

  it('a client that goes around the proxy (Node\'s http module ignores HTTP(S)_PROXY before v24.5) fails closed, and the report says so instead of "network is off"', async () => {
    const r = await cli(s, ['run', '--allow-host-port', String(port), '--', process.execPath, '-e', `require('http').get('http://localhost.test:${port}/f', (x) => x.pipe(process.stdout)).on('error', (e) => { console.error(e.message); process.exit(3); })`]);
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    if (major > 24 || (major === 24 && minor >= 5)) {
      expect(r.stderr).toMatch(/403|refused/); // NODE_USE_ENV_PROXY=1 (set by the plan) covers http too
      return;
    }
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/getaddrinfo EAI_AGAIN localhost\.test/);
    expect(r.stderr).toMatch(/codex-sandbox: blocked network: localhost\.test .*\(only the filtering proxy reaches the network and this client went around it; .*Node's http and https modules before v24\.5/);
  });

  it.skipIf(!existsSync(CURL))('a profile with allow_host_ports in the user config routes through the proxy; --no-network drops it (skipped without /usr/bin/curl)', async () => {
    s.write('home/.config/codex-sandbox/config.toml', `[profiles.net]\nextends = "workspace-write"\nallow_host_ports = [${port}]\n`);
    try {
      const ok = await cli(s, ['run', '-p', 'net', '--', CURL, '-sS', '--max-time', '10', `http://127.0.0.1:${port}/cfg`]);
      expect(ok.stdout).toBe('host says /cfg\n');
      const off = await cli(s, ['run', '-p', 'net', '--no-network', '--', CURL, '-sS', '--max-time', '10', `http://127.0.0.1:${port}/cfg`]);
      expect(off.status).not.toBe(0);
      expect(off.stdout).toBe('');
    } finally {
      s.write('home/.config/codex-sandbox/config.toml', '');
    }
  });

  it('a rule that does not parse, a bad port, and --network with an allow list are usage errors (exit 2)', async () => {
    const bad = await cli(s, ['run', '--allow-domain', 'a.*.com', '--', 'true']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/network rule "a\.\*\.com": a wildcard is only allowed as a leading/);
    const url = await cli(s, ['run', '--deny-domain', 'https://evil.example', '--', 'true']);
    expect(url.status).toBe(2);
    expect(url.stderr).toMatch(/network rule "https:\/\/evil\.example": is a URL; give only the host/);
    const port0 = await cli(s, ['run', '--allow-host-port', '0', '--', 'true']);
    expect(port0.status).toBe(2);
    expect(port0.stderr).toMatch(/--allow-host-port 0: expected a port number/);
    const both = await cli(s, ['run', '--network', '--allow-domain', 'example.com', '--', 'true']);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/--network \(unfiltered\) and an allow list/);
  });

  it('explain lists the allow list and where it came from', async () => {
    const r = await cli(s, ['explain', '--allow-domain', '*.npmjs.org', '--deny-domain', 'evil.npmjs.org', '--allow-host-port', '5432', '--', 'true']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('network:    allow list (through the filtering proxy)   (from --allow-domain/--deny-domain/--allow-host-port)');
    expect(r.stdout).toContain('  allow  *.npmjs.org\n  deny   evil.npmjs.org\n  allow  host loopback port 5432\n');
  });

  it('--dry-run shows the bridge, the proxy variables and the enforcement line', async () => {
    const r = await cli(s, ['run', '--dry-run', '--allow-domain', '*.npmjs.org', '--', 'true']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--proxy-bridge/);
    expect(r.stdout).toMatch(/set: .*HTTPS_PROXY/);
    expect(r.stdout).toMatch(/network: through the filtering proxy only/);
  });
});

/**
 * macOS: with a network allow list the Seatbelt policy lets the command reach only the filtering proxy's
 * loopback port. Real sandbox-exec and curl; skipped on other OSes (not run on the Linux build machine).
 */
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyDenial } from '../../../src/launch/proxy/session.js';
import { createSandbox } from '../../../src/sandbox.js';

const onMac = process.platform === 'darwin' && existsSync('/usr/bin/sandbox-exec') && existsSync('/usr/bin/curl');

describe.skipIf(!onMac)('macOS network allow list (needs sandbox-exec and curl; skipped on other OSes)', () => {
  let web: Server;
  let port = 0;
  let ws: string;
  beforeAll(async () => {
    ws = realpathSync(mkdtempSync(join(tmpdir(), 'csbx-net-')));
    web = createServer((req, res) => res.end(`host ${req.url ?? ''}\n`));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    port = (web.address() as { port: number }).port;
  });
  afterAll(() => {
    web.close();
    rmSync(ws, { recursive: true, force: true });
  });

  it('an allowed host port is reached through the proxy; a direct connection and a refused name are not', async () => {
    const sb = await createSandbox();
    const denials: ProxyDenial[] = [];
    const opts = { cwd: ws, reject: false, networkAccess: { allowHostPorts: [port] }, onNetworkDenial: (d: ProxyDenial) => denials.push(d) } as const;
    const ok = await sb.spawn(['/usr/bin/curl', '-sS', '--max-time', '10', `http://127.0.0.1:${port}/ok`], 'workspace-write', opts);
    expect(String(ok.stdout)).toBe('host /ok');
    const direct = await sb.spawn(['/usr/bin/curl', '-sS', '--noproxy', '*', '--max-time', '5', `http://127.0.0.1:${port}/direct`], 'workspace-write', opts);
    expect(direct.exitCode).not.toBe(0);
    const no = await sb.spawn(['/usr/bin/curl', '-sS', '-f', '--max-time', '10', 'http://example.invalid/'], 'workspace-write', opts);
    expect(no.exitCode).not.toBe(0);
    expect(denials).toMatchObject([{ host: 'example.invalid', protocol: 'http' }]);
  });
});

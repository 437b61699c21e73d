/**
 * The filtering proxy against real servers on 127.0.0.1 and real clients (curl when installed, raw
 * sockets for SOCKS5 and hostile input). Names are resolved through a fixed table so a "public" name
 * can point at a local server and a rebinding name at loopback.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startNetworkProxy } from '../../../src/launch/proxy/server.js';
import type { NetworkProxy, ProxyDenial } from '../../../src/launch/proxy/server.js';
import { EMPTY_NETWORK_ACCESS } from '../../../src/permissions/index.js';
import type { NetworkAccessPolicy } from '../../../src/permissions/index.js';

const run = promisify(execFile);
let server: http.Server;
let port = 0;
let tcpEcho: net.Server;
let echoPort = 0;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'csbx-proxy-test-'));
  server = http.createServer((req, res) => res.end(`hello ${req.method} ${req.url} host=${req.headers.host ?? ''}`));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
  tcpEcho = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => tcpEcho.listen(0, '127.0.0.1', r));
  echoPort = (tcpEcho.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await new Promise<void>((r) => tcpEcho.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const proxies: NetworkProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

/** A name table: `allowed.test` and `rebind.test` both point at the local server's loopback address. */
const resolve = async (host: string): Promise<string[]> => {
  if (host === 'allowed.test' || host === 'rebind.test' || host === 'denied.test') return ['127.0.0.1'];
  // Loopback first, then a documentation address (TEST-NET-3, RFC 5737) standing in for a public one.
  if (host === 'mixed.test') return ['127.0.0.1', '203.0.113.1'];
  throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
};

async function start(p: Partial<NetworkAccessPolicy>, listen: string | { port: number } = { port: 0 }): Promise<{ proxy: NetworkProxy; denials: ProxyDenial[] }> {
  const denials: ProxyDenial[] = [];
  const proxy = await startNetworkProxy({ policy: { ...EMPTY_NETWORK_ACCESS, ...p }, listen, resolve, onDenial: (d) => denials.push(d) });
  proxies.push(proxy);
  return { proxy, denials };
}

/** Raw request over a fresh connection to the proxy; returns everything the proxy sent until it closed. */
function exchange(target: string | { port: number }, data: Buffer | string, waitMs = 300): Promise<Buffer> {
  return new Promise((resolveOut) => {
    const s = typeof target === 'string' ? net.connect(target) : net.connect(target.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => undefined);
    s.on('connect', () => s.write(data));
    const done = () => resolveOut(Buffer.concat(chunks));
    s.on('close', done);
    setTimeout(() => {
      s.destroy();
    }, waitMs);
  });
}

function socksConnect(host: string, p: number): Buffer {
  const name = Buffer.from(host, 'latin1');
  const port = Buffer.alloc(2);
  port.writeUInt16BE(p);
  return Buffer.concat([Buffer.from([0x05, 0x01, 0x00]), Buffer.from([0x05, 0x01, 0x00, 0x03, name.length]), name, port]);
}

async function hasCurl(): Promise<boolean> {
  try {
    await run('curl', ['--version']);
    return true;
  } catch {
    return false;
  }
}
const curl = await hasCurl();

describe('filtering proxy', () => {
  it('plain HTTP: an allowed name reaches the server (resolved by the proxy), a denied one gets 403 and a report', async () => {
    const { proxy, denials } = await start({ allow: ['allowed.test'], deny: ['denied.test'], allowHostPorts: [port] });
    const ok = (await exchange({ port: proxy.port ?? 0 }, `GET http://allowed.test:${port}/x HTTP/1.1\r\nHost: allowed.test:${port}\r\nConnection: close\r\n\r\n`)).toString();
    expect(ok).toMatch(/^HTTP\/1.1 200/);
    expect(ok).toContain(`hello GET /x host=allowed.test:${port}`);
    const no = (await exchange({ port: proxy.port ?? 0 }, `GET http://denied.test:${port}/ HTTP/1.1\r\nHost: denied.test\r\nConnection: close\r\n\r\n`)).toString();
    expect(no).toMatch(/^HTTP\/1.1 403/);
    expect(no).toMatch(/X-Proxy-Error: blocked-by-allowlist/i);
    expect(denials).toEqual([{ host: 'denied.test', port, protocol: 'http', rule: 'deny denied.test', reason: 'denied by rule "denied.test"' }]);
  });

  it('CONNECT: allowed tunnels carry bytes both ways; a host not in the list is refused with 403', async () => {
    const { proxy, denials } = await start({ allow: ['allowed.test'], allowHostPorts: [echoPort] });
    const ok = (await exchange({ port: proxy.port ?? 0 }, `CONNECT allowed.test:${echoPort} HTTP/1.1\r\nHost: allowed.test:${echoPort}\r\n\r\nping`)).toString();
    expect(ok).toMatch(/^HTTP\/1.1 200/);
    expect(ok.endsWith('\r\n\r\nping')).toBe(true);
    const no = (await exchange({ port: proxy.port ?? 0 }, `CONNECT other.test:443 HTTP/1.1\r\n\r\n`)).toString();
    expect(no).toMatch(/^HTTP\/1.1 403/);
    expect(denials).toMatchObject([{ host: 'other.test', port: 443, protocol: 'connect', rule: null }]);
  });

  it('SOCKS5 on the same socket: allowed CONNECT echoes, denied gets reply 0x02 (not allowed by ruleset)', async () => {
    const { proxy, denials } = await start({ allow: ['allowed.test'], deny: ['*:22'], allowHostPorts: [echoPort] });
    const ok = await exchange({ port: proxy.port ?? 0 }, Buffer.concat([socksConnect('allowed.test', echoPort), Buffer.from('ping')]));
    // greeting reply (05 00), then connect reply (05 00 …), then the echoed payload.
    expect([...ok.subarray(0, 4)]).toEqual([0x05, 0x00, 0x05, 0x00]);
    expect(ok.subarray(12).toString()).toBe('ping');
    const no = await exchange({ port: proxy.port ?? 0 }, socksConnect('allowed.test', 22));
    expect([...no.subarray(0, 4)]).toEqual([0x05, 0x00, 0x05, 0x02]);
    expect(denials).toMatchObject([{ host: 'allowed.test', port: 22, protocol: 'socks5', rule: 'deny *:22' }]);
  });

  it('DNS-rebinding guard: an allowed name that resolves to loopback is refused unless an IP rule or host port allows it', async () => {
    const { proxy, denials } = await start({ allow: ['rebind.test'] });
    const no = (await exchange({ port: proxy.port ?? 0 }, `CONNECT rebind.test:${echoPort} HTTP/1.1\r\n\r\n`)).toString();
    expect(no).toMatch(/^HTTP\/1.1 403/);
    expect(denials[0]?.reason).toMatch(/127\.0\.0\.1 is loopback, private or link-local.*DNS-rebinding guard/);
  });

  it('a name with a loopback and a public address is dialed at the public one: the address checked is the one dialed', async () => {
    const { proxy, denials } = await start({ allow: ['mixed.test'] });
    // Dialing 127.0.0.1 would echo `ping` back; 203.0.113.1 answers nothing (or 502) within the wait.
    const out = (await exchange({ port: proxy.port ?? 0 }, `CONNECT mixed.test:${echoPort} HTTP/1.1\r\n\r\nping`)).toString();
    expect(out).not.toMatch(/^HTTP\/1.1 200/);
    expect(out).not.toContain('ping');
    expect(denials).toEqual([]);
  });

  it('IP literal spellings of loopback are not a way around the list', async () => {
    const { proxy, denials } = await start({ allow: ['*.test'] });
    for (const host of ['127.0.0.1', '[::ffff:127.0.0.1]', '[::1]']) {
      const out = (await exchange({ port: proxy.port ?? 0 }, `CONNECT ${host}:${echoPort} HTTP/1.1\r\n\r\n`)).toString();
      expect(out, host).toMatch(/^HTTP\/1.1 403/);
    }
    expect(denials).toHaveLength(3);
  });

  it('listens on a unix socket (how the sandbox reaches it)', async () => {
    const path = join(dir, 'p.sock');
    const { proxy } = await start({ allow: ['allowed.test'], allowHostPorts: [port] }, path);
    expect(proxy.address).toBe(path);
    const ok = (await exchange(path, `GET http://allowed.test:${port}/u HTTP/1.1\r\nHost: allowed.test\r\nConnection: close\r\n\r\n`)).toString();
    expect(ok).toContain('hello GET /u');
  });

  it('hostile input (garbage, truncated SOCKS, oversized handshake) closes that connection and the proxy keeps serving', async () => {
    const { proxy } = await start({ allow: ['allowed.test'], allowHostPorts: [port] });
    await exchange({ port: proxy.port ?? 0 }, Buffer.from([0x05, 0x01]), 100);
    await exchange({ port: proxy.port ?? 0 }, Buffer.concat([Buffer.from([0x05, 0x01, 0x00]), Buffer.alloc(4000, 0x41)]), 100);
    await exchange({ port: proxy.port ?? 0 }, '\x00\x01\x02garbage\r\n\r\n', 100);
    await exchange({ port: proxy.port ?? 0 }, 'GET /relative HTTP/1.1\r\n\r\n', 100);
    const ok = (await exchange({ port: proxy.port ?? 0 }, `GET http://allowed.test:${port}/still HTTP/1.1\r\nHost: allowed.test\r\nConnection: close\r\n\r\n`)).toString();
    expect(ok).toContain('hello GET /still');
  });

  it('connections beyond the cap are closed and reported (the proxy lives in the caller\'s process)', async () => {
    const denials: ProxyDenial[] = [];
    const proxy = await startNetworkProxy({ policy: { ...EMPTY_NETWORK_ACCESS }, listen: { port: 0 }, resolve, maxConnections: 2, onDenial: (d) => denials.push(d) });
    proxies.push(proxy);
    const open = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<net.Socket>((r) => {
            const s = net.connect(proxy.port ?? 0, '127.0.0.1', () => r(s));
            s.on('error', () => undefined);
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(denials).toMatchObject([{ reason: 'more than 2 connections at once through the proxy; this one was closed' }]);
    for (const s of open) s.destroy();
  });

  it.skipIf(!curl)('curl through the proxy: HTTP and SOCKS5 allowed, denied exits non-zero (skipped when curl is not installed)', async () => {
    const { proxy, denials } = await start({ allow: ['127.0.0.1'], allowHostPorts: [] });
    const http1 = await run('curl', ['-sS', '--max-time', '5', '-x', `http://127.0.0.1:${proxy.port}`, `http://127.0.0.1:${port}/c`]);
    expect(http1.stdout).toContain('hello GET /c');
    const socks = await run('curl', ['-sS', '--max-time', '5', '--socks5-hostname', `127.0.0.1:${proxy.port}`, `http://127.0.0.1:${port}/s`]);
    expect(socks.stdout).toContain('hello GET /s');
    await expect(run('curl', ['-sS', '-f', '--max-time', '5', '-x', `http://127.0.0.1:${proxy.port}`, `http://localhost:${port}/`])).rejects.toThrow();
    expect(denials).toMatchObject([{ host: 'localhost', protocol: 'http' }]);
  });
});

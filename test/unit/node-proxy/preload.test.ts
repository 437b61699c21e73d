/**
 * The Node fetch preload's pure parts (NO_PROXY, proxy URLs, CONNECT request and reply) and the
 * NODE_OPTIONS composition; one real `node` checks that a path with spaces and quotes is required.
 * The preload through the real proxy: test/integration/network/tools.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { proxyEnv, withNodeRequire } from '../../../src/env/index.js';
import { connectRequest, installFetchProxy, nodeHonoursEnvProxy, noProxyMatches, parseProxyUrl, proxyEnvironment, replyStatus } from '../../../src/node-proxy/connect.js';

describe('NODE_OPTIONS composition', () => {
  it('appends a quoted --require after the caller\'s own options, once', () => {
    expect(withNodeRequire(undefined, '/p/preload.cjs')).toBe('--require "/p/preload.cjs"');
    expect(withNodeRequire('  ', '/p/preload.cjs')).toBe('--require "/p/preload.cjs"');
    expect(withNodeRequire('--max-old-space-size=256 --enable-source-maps', '/p/preload.cjs')).toBe('--max-old-space-size=256 --enable-source-maps --require "/p/preload.cjs"');
    const once = withNodeRequire('--x', '/p/preload.cjs');
    expect(withNodeRequire(once, '/p/preload.cjs')).toBe(once);
    expect(withNodeRequire(undefined, '/a b/q"x\\y.cjs')).toBe('--require "/a b/q\\"x\\\\y.cjs"');
  });

  it('proxyEnv sets NODE_OPTIONS only when given the preload', () => {
    expect(proxyEnv({ port: 3128, hostPorts: false }).NODE_OPTIONS).toBeUndefined();
    expect(proxyEnv({ port: 3128, hostPorts: false }, { preload: '/p/x.cjs', nodeOptions: '--inspect=0' }).NODE_OPTIONS).toBe('--inspect=0 --require "/p/x.cjs"');
  });

  it('a real node requires a path with spaces and a quote, and keeps the caller\'s option', () => {
    const dir = mkdtempSync(join(tmpdir(), 'csbx node opts '));
    try {
      const file = join(dir, 'pre"load x.cjs');
      writeFileSync(file, 'globalThis.__csbxPreloaded = true;\n');
      const out = execFileSync(process.execPath, ['-e', 'console.log(globalThis.__csbxPreloaded === true, require("v8").getHeapStatistics().heap_size_limit < 300 * 1024 * 1024)'], {
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', NODE_OPTIONS: withNodeRequire('--max-old-space-size=200', file) },
        encoding: 'utf8',
      });
      expect(out.trim()).toBe('true true');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the preload\'s pure parts', () => {
  it('NO_PROXY: names, domain suffixes, ports, IPv6, `*`', () => {
    const np = 'localhost,127.0.0.1,::1, .internal.test, *.corp.test,api.test:8443,[fd00::1]:80';
    expect(noProxyMatches(np, 'localhost', 80)).toBe(true);
    expect(noProxyMatches(np, '127.0.0.1', 5)).toBe(true);
    expect(noProxyMatches(np, '[::1]', 5)).toBe(true);
    expect(noProxyMatches(np, 'a.internal.test', 443)).toBe(true);
    expect(noProxyMatches(np, 'internal.test', 443)).toBe(true);
    expect(noProxyMatches(np, 'x.corp.test', 443)).toBe(true);
    expect(noProxyMatches(np, 'notcorp.test', 443)).toBe(false);
    expect(noProxyMatches(np, 'api.test', 8443)).toBe(true);
    expect(noProxyMatches(np, 'api.test', 443)).toBe(false);
    expect(noProxyMatches(np, 'fd00::1', 80)).toBe(true);
    expect(noProxyMatches(np, 'registry.npmjs.org', 443)).toBe(false);
    expect(noProxyMatches('', 'localhost', 80)).toBe(false);
    expect(noProxyMatches(undefined, 'localhost', 80)).toBe(false);
    expect(noProxyMatches('*', 'anything', 1)).toBe(true);
  });

  it('proxy URLs: http only; user info becomes Proxy-Authorization; lowercase wins', () => {
    expect(parseProxyUrl('http://127.0.0.1:3128')).toEqual({ host: '127.0.0.1', port: 3128 });
    expect(parseProxyUrl('http://[::1]:8080/')).toEqual({ host: '::1', port: 8080 });
    expect(parseProxyUrl('http://u:p%40@proxy.test')).toEqual({ host: 'proxy.test', port: 80, auth: `Basic ${Buffer.from('u:p@').toString('base64')}` });
    expect(parseProxyUrl('socks5h://127.0.0.1:1080')).toBeUndefined();
    expect(parseProxyUrl('not a url')).toBeUndefined();
    expect(parseProxyUrl(undefined)).toBeUndefined();
    expect(proxyEnvironment({ HTTPS_PROXY: 'http://a:1', https_proxy: 'http://b:2', NO_PROXY: 'x' })).toEqual({ https: { host: 'b', port: 2 }, noProxy: 'x' });
    expect(proxyEnvironment({ ALL_PROXY: 'socks5h://127.0.0.1:1' })).toBeUndefined();
  });

  it('CONNECT request and reply', () => {
    expect(connectRequest('web.test', 443)).toBe('CONNECT web.test:443 HTTP/1.1\r\nHost: web.test:443\r\n\r\n');
    expect(connectRequest('[::1]', 80, 'Basic x')).toBe('CONNECT [::1]:80 HTTP/1.1\r\nHost: [::1]:80\r\nProxy-Authorization: Basic x\r\n\r\n');
    expect(replyStatus('HTTP/1.1 200 Connection established\r\nX: y')).toBe(200);
    expect(replyStatus('HTTP/1.0 403 Forbidden')).toBe(403);
    expect(replyStatus('SSH-2.0-OpenSSH')).toBeUndefined();
  });

  it('Node versions whose fetch honours NODE_USE_ENV_PROXY themselves', () => {
    expect(nodeHonoursEnvProxy('v20.20.2')).toBe(false);
    expect(nodeHonoursEnvProxy('v22.20.0')).toBe(false);
    expect(nodeHonoursEnvProxy('v22.21.0')).toBe(true);
    expect(nodeHonoursEnvProxy('v23.11.0')).toBe(false);
    expect(nodeHonoursEnvProxy('v24.4.1')).toBe(false);
    expect(nodeHonoursEnvProxy('v24.5.0')).toBe(true);
    expect(nodeHonoursEnvProxy('v25.0.0')).toBe(true);
  });

  it('installs nothing without proxy variables or where Node does it itself; otherwise wraps fetch until its first call', () => {
    const fetchFn = (): Promise<Response> => Promise.reject(new Error('x'));
    const g = (): typeof globalThis => ({ fetch: fetchFn }) as unknown as typeof globalThis;
    expect(installFetchProxy(g(), {}, 'v20.0.0')).toBe(false);
    expect(installFetchProxy(g(), { HTTP_PROXY: 'http://127.0.0.1:1', NODE_USE_ENV_PROXY: '1' }, 'v24.5.0')).toBe(false);
    const wrapped = g();
    expect(installFetchProxy(wrapped, { HTTP_PROXY: 'http://127.0.0.1:1' }, 'v20.0.0')).toBe(true);
    expect(wrapped.fetch).not.toBe(fetchFn);
    // Twice (a nested sandbox, NODE_OPTIONS inherited) installs once.
    expect(installFetchProxy(wrapped, { HTTP_PROXY: 'http://127.0.0.1:1' }, 'v20.0.0')).toBe(false);
  });
});

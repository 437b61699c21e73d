/**
 * Real clients through the filtering proxy under test DOMAIN NAMES: curl, git over HTTPS (git
 * http-backend behind a Node https server with a self-signed certificate), npm against a local registry
 * stub, pip against a local simple index, Python urllib, and Node's built-in fetch (through the
 * NODE_OPTIONS preload on Node before v24.5, NODE_USE_ENV_PROXY after). Everything is on loopback; the names
 * (`web.test`, `git.test`, …) are resolved by the proxy through the `resolve` parameter of
 * `openProxySession`, an internal module the CLI, the config files and the public API cannot reach
 * (production always uses the system resolver). Also: raw TCP, UDP, DNS (UDP/TCP 53), IPv6 and a host
 * unix socket are blocked; a name that resolves to 127.0.0.1 is refused (DNS-rebinding guard); host
 * ports allowed work, others not.
 *
 * Servers start once; the allowed tools run in one sandboxed shell, the blocked channels in one Python
 * process, so the file takes a few seconds.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import type { Socket as DgramSocket } from 'node:dgram';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import type { Server as NetServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openProxySession } from '../../../src/launch/proxy/session.js';
import type { ProxyDenial, ProxySession } from '../../../src/launch/proxy/session.js';
import { networkAccessOf, proxySocketOf } from '../../../src/sandbox.js';
import type { NetworkAccessPolicy } from '../../../src/permissions/index.js';
import { nodeHonoursEnvProxy } from '../../../src/node-proxy/connect.js';
import { isLinux, PY, sandbox, scratch } from '../linux/helpers.js';
import type { Scratch } from '../linux/helpers.js';

const has = (p: string): boolean => existsSync(p);
const TOOLS = ['/usr/bin/curl', '/usr/bin/git', '/usr/lib/git-core/git-http-backend', '/usr/bin/openssl', '/usr/bin/npm', '/usr/bin/tar', PY];
const missing = TOOLS.filter((t) => !has(t));
const hasPip = missing.length === 0 && (() => {
  try {
    execFileSync(PY, ['-m', 'pip', '--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** The test's own resolver: these names exist only here. Anything else does not resolve. */
const NAMES = ['web.test', 'git.test', 'registry.test', 'pypi.test', 'denied.test', 'rebind.test'];
const testResolve = async (host: string): Promise<string[]> => {
  if (NAMES.includes(host)) return ['127.0.0.1'];
  throw Object.assign(new Error(`no test name ${host}`), { code: 'ENOTFOUND' });
};

/** A git smart-HTTP server: the request handed to `git http-backend` as CGI (git-http-backend(1)). */
function gitBackend(root: string, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'https://git.test');
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: url.pathname.replace(/^\/git/, ''),
    REQUEST_METHOD: req.method ?? 'GET',
    QUERY_STRING: url.search.slice(1),
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_ADDR: '127.0.0.1',
  };
  const enc = req.headers['content-encoding'];
  if (typeof enc === 'string') env['HTTP_CONTENT_ENCODING'] = enc;
  const proto = req.headers['git-protocol'];
  if (typeof proto === 'string') env['GIT_PROTOCOL'] = proto;
  const child = spawn('/usr/lib/git-core/git-http-backend', [], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  req.pipe(child.stdin);
  let head = Buffer.alloc(0);
  let started = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (started) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const crlf = head.indexOf('\r\n\r\n');
    const lf = head.indexOf('\n\n');
    const end = crlf >= 0 ? crlf : lf;
    if (end < 0) return;
    const lines = head.subarray(0, end).toString().split(/\r?\n/);
    for (const line of lines) {
      const i = line.indexOf(':');
      const k = line.slice(0, i).trim();
      const v = line.slice(i + 1).trim();
      if (k.toLowerCase() === 'status') res.statusCode = Number(v.split(' ')[0]);
      else res.setHeader(k, v);
    }
    started = true;
    res.write(head.subarray(end + (crlf >= 0 ? 4 : 2)));
  });
  child.stdout.on('end', () => res.end());
}

interface Fixture {
  s: Scratch;
  http: Server;
  https: Server;
  hostPortOk: Server;
  hostPortOther: Server;
  udp: DgramSocket;
  unix: NetServer;
  ports: { http: number; https: number; ok: number; other: number; udp: number };
  sockPath: string;
  cert: string;
  /** Requests the servers got, by path. */
  hits: string[];
  udpPackets: number;
}

async function listen(server: Server | NetServer, portOrPath: number | string): Promise<number> {
  await new Promise<void>((r) => (typeof portOrPath === 'string' ? server.listen(portOrPath, r) : server.listen(portOrPath, '127.0.0.1', r)));
  const a = server.address();
  return typeof a === 'object' && a !== null ? a.port : 0;
}

async function start(): Promise<Fixture> {
  const s = scratch('csbx-net-tools-');
  const fx = join(s.base, 'fixtures');
  mkdirSync(fx);
  // Self-signed certificate for the two HTTPS names.
  const key = join(fx, 'key.pem');
  const cert = join(fx, 'cert.pem');
  execFileSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=git.test', '-addext', 'subjectAltName=DNS:git.test,DNS:web.test'], { stdio: 'ignore' });
  // A bare repository with one commit.
  const work = join(fx, 'src-repo');
  const git = (cwd: string, ...args: string[]): void => void execFileSync('/usr/bin/git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', ...args], { cwd, stdio: 'ignore' });
  mkdirSync(work);
  git(work, 'init', '-q');
  writeFileSync(join(work, 'README'), 'cloned through the proxy\n');
  git(work, 'add', 'README');
  git(work, 'commit', '-qm', 'one');
  mkdirSync(join(fx, 'git'));
  git(fx, 'clone', '-q', '--bare', work, join(fx, 'git', 'repo.git'));
  // An npm package tarball and its packument.
  const pkgDir = join(fx, 'npm', 'package');
  mkdirSync(pkgDir, { recursive: true });
  writeFileSync(join(pkgDir, 'package.json'), JSON.stringify({ name: 'csbx-demo', version: '1.0.0', main: 'index.js' }));
  writeFileSync(join(pkgDir, 'index.js'), 'module.exports = "installed through the proxy";\n');
  const tgz = join(fx, 'csbx-demo-1.0.0.tgz');
  execFileSync('/usr/bin/tar', ['czf', tgz, '-C', join(fx, 'npm'), 'package']);
  const tarball = readFileSync(tgz);
  // A wheel for pip (a zip with dist-info; written by Python's zipfile).
  const wheel = join(fx, 'csbx_demo-1.0-py3-none-any.whl');
  execFileSync(PY, [
    '-c',
    [
      'import sys, zipfile',
      "z = zipfile.ZipFile(sys.argv[1], 'w')",
      "z.writestr('csbx_demo/__init__.py', 'X = 1\\n')",
      "z.writestr('csbx_demo-1.0.dist-info/METADATA', 'Metadata-Version: 2.1\\nName: csbx-demo\\nVersion: 1.0\\n')",
      "z.writestr('csbx_demo-1.0.dist-info/WHEEL', 'Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n')",
      "z.writestr('csbx_demo-1.0.dist-info/RECORD', '')",
      'z.close()',
    ].join('\n'),
    wheel,
  ]);
  const wheelBytes = readFileSync(wheel);
  const hits: string[] = [];
  const f = { hits, udpPackets: 0 } as Fixture;
  f.http = createServer((req, res) => {
    const url = req.url ?? '/';
    hits.push(`http ${req.headers.host ?? ''}${url}`);
    if (url === '/npm/csbx-demo') {
      const p = f.ports.http;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          name: 'csbx-demo',
          'dist-tags': { latest: '1.0.0' },
          versions: {
            '1.0.0': {
              name: 'csbx-demo',
              version: '1.0.0',
              dist: {
                tarball: `http://registry.test:${p}/npm/csbx-demo/-/csbx-demo-1.0.0.tgz`,
                shasum: createHash('sha1').update(tarball).digest('hex'),
                integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
              },
            },
          },
        }),
      );
    } else if (url === '/npm/csbx-demo/-/csbx-demo-1.0.0.tgz') res.end(tarball);
    else if (url === '/simple/csbx-demo/') {
      const sha = createHash('sha256').update(wheelBytes).digest('hex');
      res.setHeader('content-type', 'text/html');
      res.end(`<!DOCTYPE html><html><body><a href="/files/csbx_demo-1.0-py3-none-any.whl#sha256=${sha}">csbx_demo-1.0-py3-none-any.whl</a></body></html>`);
    } else if (url === '/files/csbx_demo-1.0-py3-none-any.whl') res.end(wheelBytes);
    else res.end(`hello http ${url}\n`);
  });
  f.https = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    hits.push(`https ${req.headers.host ?? ''}${req.url ?? ''}`);
    if ((req.url ?? '').startsWith('/git/')) return gitBackend(join(fx, 'git'), req, res);
    res.end(`hello https ${req.url ?? ''}\n`);
  });
  f.hostPortOk = createServer((req, res) => res.end(`host port ok ${req.url ?? ''}\n`));
  f.hostPortOther = createServer((req, res) => {
    hits.push(`other ${req.url ?? ''}`);
    res.end('should not be reached\n');
  });
  f.udp = createSocket('udp4');
  f.udp.on('message', () => f.udpPackets++);
  await new Promise<void>((r) => f.udp.bind(0, '127.0.0.1', r));
  f.sockPath = join(s.base, 'host.sock');
  f.unix = createNetServer((c) => c.end('hello\n'));
  f.ports = {
    http: await listen(f.http, 0),
    https: await listen(f.https, 0),
    ok: await listen(f.hostPortOk, 0),
    other: await listen(f.hostPortOther, 0),
    udp: f.udp.address().port,
  };
  await listen(f.unix, f.sockPath);
  f.s = s;
  f.cert = cert;
  return f;
}

/** The allow list the tool checks run under: names with their ports, the loopback addresses they resolve to, one host port. */
function policyFor(f: Fixture): NetworkAccessPolicy {
  const { http, https, ok } = f.ports;
  return networkAccessOf({
    allow: [
      `web.test`,
      `git.test:${https}`,
      `registry.test:${http}`,
      `pypi.test:${http}`,
      'rebind.test',
      // The names resolve to loopback: the address guard lets only these two addresses:ports through
      // (as a real private registry would need its CIDR allowed).
      `127.0.0.1:${http}`,
      `127.0.0.1:${https}`,
    ],
    allowHostPorts: [ok],
  });
}

async function runWith(f: Fixture, policy: NetworkAccessPolicy, command: string[], env: Record<string, string>, profile: Parameters<Awaited<ReturnType<typeof sandbox>>['plan']>[1] = 'workspace-write'): Promise<{ stdout: string; stderr: string; exitCode: number | undefined; denials: ProxyDenial[] }> {
  const sb = await sandbox();
  const denials: ProxyDenial[] = [];
  const session: ProxySession = openProxySession(policy, (d) => denials.push(d), testResolve);
  try {
    await session.listening;
    const home = join(f.s.ws, 'home');
    mkdirSync(home, { recursive: true });
    const req = sb.plan(command, profile, {
      cwd: f.s.ws,
      networkAccess: policy,
      networkProxySocket: proxySocketOf(session),
      env: { PATH: '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', ...env },
    });
    const r = await sb.launch(req, { reject: false, stdin: 'ignore', timeout: 60_000 });
    return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode, denials };
  } finally {
    await session.close();
  }
}

/** `name=ok|fail(code) first-line-of-output`, one line per check. */
function results(stdout: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

describe.skipIf(!isLinux || missing.length > 0)(`network allow list: real clients under test domain names (skipped off Linux or without ${TOOLS.join(', ')}${missing.length > 0 ? `; missing: ${missing.join(', ')}` : ''})`, () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await start();
  }, 30_000);
  afterAll(() => {
    for (const srv of [f.http, f.https, f.hostPortOk, f.hostPortOther, f.unix]) srv.close();
    f.udp.close();
    rmSync(f.sockPath, { force: true });
    f.s.cleanup();
  });

  it(`allowed names work for curl (HTTP and HTTPS), git clone over HTTPS, npm install, ${hasPip ? 'pip download, ' : ''}Python urllib, Node's fetch (HTTP and HTTPS); denied names fail fast with a report; host ports: the allowed one works, another does not`, async () => {
    const { http, https, ok, other } = f.ports;
    const ws = f.s.ws;
    // Node's built-in fetch: on Node 20 through the preload the plan adds to NODE_OPTIONS (the caller's
    // own NODE_OPTIONS kept before it). One process, three requests, one line each.
    writeFileSync(
      join(ws, 'fetch.cjs'),
      [
        `const t = (u) => fetch(u).then((r) => r.status + ' ' + r.statusText).then((x) => 'ok ' + x, (e) => 'fail ' + e.message + ' ' + (e.cause ? e.cause.message : ''));`,
        `const started = Date.now();`,
        `Promise.all([t('http://web.test:${http}/fetch-http'), t('https://web.test:${https}/fetch-https'), t('http://denied.test:${http}/fetch-denied')]).then(([a, b, c]) => {`,
        `  console.log('fetch-http=' + a); console.log('fetch-https=' + b); console.log('fetch-denied=' + c); console.log('fetch-ms=' + (Date.now() - started));`,
        `  console.log('node-options=' + process.env.NODE_OPTIONS);`,
        `});`,
      ].join('\n'),
    );
    const script = [
      'check() { name=$1; shift; out=$("$@" 2>&1); rc=$?; first=$(printf %s "$out" | tr "\\n" " " | cut -c1-300); if [ $rc -eq 0 ]; then echo "$name=ok $first"; else echo "$name=fail($rc) $first"; fi; }',
      `check curl-http curl -sS -f --max-time 10 http://web.test:${http}/a`,
      `check curl-https curl -sS -f --max-time 10 --cacert "$CERT" https://web.test:${https}/b`,
      `check git-clone git clone -q https://git.test:${https}/git/repo.git ${ws}/clone`,
      `check git-file cat ${ws}/clone/README`,
      `check npm sh -c 'mkdir -p ${ws}/npmproj && cd ${ws}/npmproj && echo {} > package.json && npm install --no-audit --no-fund --registry http://registry.test:${http}/npm/ csbx-demo >/dev/null && node -p "require(\\"csbx-demo\\")"'`,
      hasPip ? `check pip ${PY} -m pip download -q --no-cache-dir --disable-pip-version-check --no-deps --index-url http://pypi.test:${http}/simple/ --trusted-host pypi.test -d ${ws}/pipdl csbx-demo` : 'echo pip=skipped',
      hasPip ? `check pip-file ls ${ws}/pipdl` : 'echo pip-file=skipped',
      `check urllib ${PY} -c 'import urllib.request as u; print(u.urlopen("https://web.test:${https}/c").read().decode(), u.urlopen("http://web.test:${http}/d").read().decode())'`,
      `check hostport-ok curl -sS -f --max-time 10 http://127.0.0.1:${ok}/e`,
      // Denied: the proxy answers at once (403 / CONNECT refused), so curl fails with an HTTP error, not a timeout (28).
      `check denied-http curl -sS -f --max-time 10 http://denied.test:${http}/x`,
      `check denied-https curl -sS -f --max-time 10 --cacert "$CERT" https://denied.test:${https}/x`,
      `check denied-port curl -sS -f --max-time 10 http://registry.test:${https}/x`,
      `check hostport-other curl -sS -f --max-time 10 http://127.0.0.1:${other}/x`,
      // Allowed by name, resolves to 127.0.0.1 at a port no IP rule or host port covers.
      `check rebind curl -sS -f --max-time 10 http://rebind.test:${other}/x`,
      // The preload must not break a Node program that never fetches.
      'check node-e0 node -e 0',
      `node ${ws}/fetch.cjs`,
    ].join('\n');
    const r = await runWith(f, policyFor(f), ['/bin/sh', '-c', script], { CERT: f.cert, GIT_SSL_CAINFO: f.cert, SSL_CERT_FILE: f.cert, NODE_EXTRA_CA_CERTS: f.cert, NODE_OPTIONS: '--max-old-space-size=256', npm_config_cache: join(ws, 'npm-cache'), npm_config_update_notifier: 'false' });
    const m = results(r.stdout);
    expect(m.get('curl-http'), r.stdout + r.stderr).toBe(`ok hello http /a`);
    expect(m.get('curl-https')).toBe('ok hello https /b');
    expect(m.get('git-clone')).toMatch(/^ok/);
    expect(m.get('git-file')).toBe('ok cloned through the proxy');
    expect(m.get('npm')).toBe('ok installed through the proxy');
    if (hasPip) {
      expect(m.get('pip')).toMatch(/^ok/);
      expect(m.get('pip-file')).toBe('ok csbx_demo-1.0-py3-none-any.whl');
    }
    expect(m.get('urllib')).toBe('ok hello https /c  hello http /d');
    expect(m.get('hostport-ok')).toBe('ok host port ok /e');
    expect(m.get('node-e0')).toBe('ok ');
    expect(m.get('fetch-http')).toBe('ok 200 OK');
    expect(m.get('fetch-https')).toBe('ok 200 OK');
    // Refused at once by the proxy (403), never a DNS error or a timeout.
    expect(m.get('fetch-denied')).toMatch(/^fail fetch failed .*403/);
    expect(Number(m.get('fetch-ms'))).toBeLessThan(10_000);
    expect(f.hits).toContain(`http web.test:${http}/fetch-http`);
    expect(f.hits).toContain(`https web.test:${https}/fetch-https`);
    if (!nodeHonoursEnvProxy(process.version)) expect(m.get('node-options')).toMatch(/^--max-old-space-size=256 --require ".*\/dist\/node-proxy\/preload\.cjs"$/);
    // curl -f on a 403: exit 22 (a refused CONNECT: 22 or 56 by curl version). Never 28 (timeout).
    expect(m.get('denied-http')).toMatch(/^fail\(22\).*403/);
    expect(m.get('denied-https')).toMatch(/^fail\((22|56)\).*403/);
    expect(m.get('denied-port')).toMatch(/^fail\(22\).*403/);
    expect(m.get('hostport-other')).toMatch(/^fail\(22\).*403/);
    expect(m.get('rebind')).toMatch(/^fail\(22\).*403/);
    const byHost = (h: string, p: number): ProxyDenial | undefined => r.denials.find((d) => d.host === h && d.port === p);
    expect(byHost('denied.test', http)).toMatchObject({ protocol: 'http', rule: null });
    expect(byHost('denied.test', https)).toMatchObject({ protocol: 'connect', rule: null });
    expect(byHost('registry.test', https)?.reason).toMatch(/not in the allow list/);
    expect(byHost('127.0.0.1', other)?.reason).toMatch(/not in the allow list/);
    expect(byHost('rebind.test', other)?.reason).toMatch(/DNS-rebinding guard/);
    // Node's fetch asks by CONNECT (the preload tunnels http too) or by plain HTTP (NODE_USE_ENV_PROXY).
    expect(r.denials.filter((d) => d.host === 'denied.test' && d.port === http)).toHaveLength(2);
    expect(r.denials).toHaveLength(6);
    expect(f.hits.filter((h) => h.startsWith('other') || h.includes('denied.test'))).toEqual([]);
  }, 90_000);

  it('restricted reads (:minimal): the preload alone is bound read-only and fetch works; a deny-read over the package drops it and Node still starts', async () => {
    const { http } = f.ports;
    const ws = f.s.ws;
    const pkg = realpathSync(join(import.meta.dirname, '..', '..', '..'));
    const preload = join(pkg, 'dist', 'node-proxy', 'preload.cjs');
    const entry = (path: string, access: string): Record<string, unknown> => ({ path: { type: 'path', path }, access });
    const minimal = (extra: Record<string, unknown>[]): Record<string, unknown> => ({
      type: 'managed',
      file_system: { type: 'restricted', entries: [{ path: { type: 'special', value: { kind: 'minimal' } }, access: 'read' }, entry(ws, 'write'), ...extra] },
      network: 'restricted',
    });
    writeFileSync(join(ws, 'fetch-min.cjs'), `fetch('http://web.test:${http}/fetch-min').then((r) => console.log('fetch=' + r.status), (e) => console.log('fetch=fail ' + (e.cause ? e.cause.code : e.message)));\n`);
    const script = `node ${ws}/fetch-min.cjs; cat ${JSON.stringify(join(pkg, 'package.json'))} >/dev/null 2>&1 && echo sibling=readable || echo sibling=unreadable; echo "opts=$NODE_OPTIONS"`;
    const r = await runWith(f, policyFor(f), ['/bin/sh', '-c', script], {}, minimal([]));
    const m = results(r.stdout);
    if (nodeHonoursEnvProxy(process.version)) expect(m.get('fetch'), r.stdout + r.stderr).toBe('200');
    else {
      expect(m.get('fetch'), r.stdout + r.stderr).toBe('200');
      expect(m.get('opts')).toBe(`--require "${preload}"`);
    }
    expect(m.get('sibling')).toBe('unreadable');
    // The user's deny-read wins: no --require of a file Node could not open (it would stop every Node program).
    const denied = await runWith(f, policyFor(f), ['/bin/sh', '-c', script], {}, minimal([entry(join(pkg, 'dist'), 'none')]));
    const d = results(denied.stdout);
    expect(d.get('opts'), denied.stdout + denied.stderr).toBe('');
    expect(d.get('fetch')).toMatch(nodeHonoursEnvProxy(process.version) ? /^200$/ : /^fail (EAI_AGAIN|ENOTFOUND)$/);
  }, 60_000);

  it('raw TCP, UDP, DNS over UDP/TCP 53, IPv6 and a host unix socket are blocked', async () => {
    const { http, udp } = f.ports;
    const probe = [
      'import socket, errno, sys',
      'def t(name, fn):',
      '    try:',
      '        fn(); print(name + "=open")',
      '    except socket.gaierror as e:',
      '        print(name + "=gaierror")',
      '    except OSError as e:',
      '        print(name + "=" + (errno.errorcode.get(e.errno, str(e.errno)) if e.errno else type(e).__name__))',
      'def tcp(fam, addr):',
      '    s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(3); s.connect(addr)',
      'def udp(fam, addr):',
      '    s = socket.socket(fam, socket.SOCK_DGRAM); s.sendto(b"\\x00" * 12, addr)',
      `t("tcp-direct", lambda: tcp(socket.AF_INET, ("127.0.0.1", ${http})))`,
      't("tcp-public", lambda: tcp(socket.AF_INET, ("93.184.215.14", 80)))',
      `t("udp-host", lambda: udp(socket.AF_INET, ("127.0.0.1", ${udp})))`,
      't("udp-dns", lambda: udp(socket.AF_INET, ("8.8.8.8", 53)))',
      't("tcp-dns", lambda: tcp(socket.AF_INET, ("8.8.8.8", 53)))',
      't("resolve", lambda: socket.getaddrinfo("web.test", 80))',
      `t("v6-loopback", lambda: tcp(socket.AF_INET6, ("::1", ${http})))`,
      't("v6-global", lambda: tcp(socket.AF_INET6, ("2001:4860:4860::8888", 53)))',
      't("v6-udp", lambda: udp(socket.AF_INET6, ("2001:4860:4860::8888", 53)))',
      `t("unix", lambda: socket.socket(socket.AF_UNIX).connect(${JSON.stringify(f.sockPath)}))`,
    ].join('\n');
    const before = f.hits.length;
    const r = await runWith(f, policyFor(f), [PY, '-c', probe], {});
    const m = results(r.stdout);
    expect(m.get('tcp-direct'), r.stdout + r.stderr).toBe('ECONNREFUSED'); // the sandbox's own loopback
    expect(m.get('tcp-public')).toBe('ENETUNREACH');
    expect(m.get('udp-host')).toBe('open'); // sent on the sandbox's own loopback: it never reaches the host's socket
    expect(m.get('udp-dns')).toBe('ENETUNREACH');
    expect(m.get('tcp-dns')).toBe('ENETUNREACH');
    expect(m.get('resolve')).toBe('gaierror');
    expect(m.get('v6-loopback')).toMatch(/^(ECONNREFUSED|EADDRNOTAVAIL)$/);
    expect(m.get('v6-global')).toMatch(/^(ENETUNREACH|EADDRNOTAVAIL)$/);
    expect(m.get('v6-udp')).toMatch(/^(ENETUNREACH|EADDRNOTAVAIL)$/);
    expect(m.get('unix')).toBe('EPERM');
    await new Promise((res) => setTimeout(res, 100));
    expect(f.udpPackets).toBe(0);
    expect(f.hits.slice(before)).toEqual([]);
  }, 60_000);
});

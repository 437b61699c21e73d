/**
 * The filtering proxy: the only way out of a sandbox whose network namespace has nothing but
 * loopback. One listening socket (a unix socket, or a TCP port for tests and macOS) serves HTTP
 * CONNECT, plain HTTP (absolute-URI requests) and SOCKS5; the first byte tells them apart (0x05 =
 * SOCKS5, as srt's mux proxy, sandbox-runtime.md §2). Every destination is checked against the
 * allow list, names are resolved here (never by the sandboxed command) and each resolved address is
 * checked again (DNS-rebinding guard). Every refusal is reported through `onDenial`.
 */
import type * as Dns from 'node:dns/promises';
import type * as Http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type * as Net from 'node:net';
import type { Socket } from 'node:net';
import type * as Os from 'node:os';
import { canonicalHost, compileNetworkPolicy, decideAddress, decideHost, parseIp } from '../../permissions/index.js';
import type { CompiledNetworkPolicy, NetworkAccessPolicy } from '../../permissions/index.js';
import { readSocksRequest, SOCKS_REPLY, socksReply } from './socks5.js';

// node:http, node:dns/promises and node:net (with the HTTP and streams stacks they pull in) load when a proxy starts, not with
// every module that imports this one: `codex-sandbox run` without an allow list never needs them (issue #21).
const requireBuiltin = createRequire(import.meta.url);
const http = (): typeof Http => requireBuiltin('node:http') as typeof Http;
const dns = (): typeof Dns => requireBuiltin('node:dns/promises') as typeof Dns;
const net = (): typeof Net => requireBuiltin('node:net') as typeof Net;
const os = (): typeof Os => requireBuiltin('node:os') as typeof Os;

/** This host's interface addresses now (they change: DHCP, VPNs), for the address guard (decideAddress). */
const hostAddresses = (): string[] =>
  Object.values(os().networkInterfaces())
    .flat()
    .flatMap((a) => (a === undefined ? [] : [a.address]));

export type ProxyProtocol = 'http' | 'connect' | 'socks5';

/**
 * One refused connection: what the command asked for, how, and which rule (null = no allow rule matched).
 * `host` is '' (port 0) for a connection closed before it asked for anything (over the connection cap).
 */
export interface ProxyDenial {
  host: string;
  port: number;
  protocol: ProxyProtocol;
  rule: string | null;
  reason: string;
}

export interface ProxyOptions {
  policy: NetworkAccessPolicy;
  /** Where to listen: a unix socket path, or `{ port: 0 }` for 127.0.0.1 on an ephemeral port. */
  listen: string | { port: number };
  onDenial?: (d: ProxyDenial) => void;
  /** Name resolution (default: the system resolver, every address). Tests pass a fixed table. */
  resolve?: (host: string) => Promise<string[]>;
  /** Connections open at once (default MAX_PROXY_CONNECTIONS); more are closed and reported. */
  maxConnections?: number;
}

/**
 * The proxy runs in the caller's process: a command that opened connections without end would exhaust
 * the caller's file descriptors (each costs two). Beyond this many at once, new ones are dropped.
 */
export const MAX_PROXY_CONNECTIONS = 256;

export interface NetworkProxy {
  /** The unix socket path, or `127.0.0.1:<port>`. */
  readonly address: string;
  readonly port: number | null;
  readonly denials: readonly ProxyDenial[];
  close(): Promise<void>;
}

const systemResolve = async (host: string): Promise<string[]> => (await dns().lookup(host, { all: true, verbatim: true })).map((a) => a.address);

const HANDSHAKE_TIMEOUT_MS = 30_000;

type Dialed = { ok: true; address: string } | { ok: false; denial: ProxyDenial };

/** Policy check, resolution and address check for one destination. Never throws. */
async function decide(policy: CompiledNetworkPolicy, resolve: (h: string) => Promise<string[]>, host: string, port: number, protocol: ProxyProtocol): Promise<Dialed> {
  const deny = (rule: string | null, reason: string): Dialed => ({ ok: false, denial: { host, port, protocol, rule, reason } });
  if (!Number.isInteger(port) || port < 1 || port > 65535) return deny(null, `port ${port} is not a valid port`);
  const d = decideHost(policy, host, port);
  if (!d.allowed) return deny(d.rule, d.reason);
  const canonical = canonicalHost(host) ?? host;
  let addresses: string[];
  if (parseIp(canonical) !== null) addresses = [canonical];
  else {
    try {
      addresses = await resolve(canonical);
    } catch (e) {
      return deny(null, `could not resolve ${canonical}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  let first: Dialed | null = null;
  const own = hostAddresses();
  for (const a of addresses) {
    const check = decideAddress(policy, a, port, own);
    if (check.allowed) return { ok: true, address: a };
    first ??= deny(check.rule, `${canonical} ${check.reason}`);
  }
  return first ?? deny(null, `${canonical} has no address`);
}

function connectTo(address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = net().connect({ host: address, port });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

function pipeBoth(a: Socket, b: Socket): void {
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.on('close', () => b.destroy());
  b.on('close', () => a.destroy());
  a.pipe(b);
  b.pipe(a);
  a.resume();
}

/** `host:port` of a CONNECT target or a Host header (IPv6 bracketed). */
function splitHostPort(text: string, defaultPort: number): { host: string; port: number } | null {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(text);
  if (m === null) return null;
  return { host: m[1] ?? '', port: m[2] !== undefined ? Number(m[2]) : defaultPort };
}

/** Starts the proxy and waits until it listens. */
export async function startNetworkProxy(opts: ProxyOptions): Promise<NetworkProxy> {
  const { proxy, listening } = createNetworkProxy(opts);
  await listening;
  return proxy;
}

/**
 * Starts the proxy without waiting: a unix socket is bound before this returns (Node binds a pipe
 * server synchronously), so a plan can name it at once; `listening` settles when it is ready.
 */
export function createNetworkProxy(opts: ProxyOptions): { proxy: NetworkProxy; listening: Promise<void> } {
  const policy = compileNetworkPolicy(opts.policy);
  const resolve = opts.resolve ?? systemResolve;
  const denials: ProxyDenial[] = [];
  const sockets = new Set<Socket>();
  const report = (d: ProxyDenial): void => {
    denials.push(d);
    opts.onDenial?.(d);
  };
  const check = async (host: string, port: number, protocol: ProxyProtocol): Promise<string | null> => {
    const r = await decide(policy, resolve, host, port, protocol);
    if (r.ok) return r.address;
    report(r.denial);
    return null;
  };
  const blocked = (host: string, port: number): string => `codex-sandbox: connection to ${host}:${port} refused by the network allow list (see the sandbox's denial report)\n`;

  const web = http().createServer();
  web.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    client.on('error', () => client.destroy());
    const target = splitHostPort(req.url ?? '', 443);
    if (target === null) {
      client.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    void (async () => {
      const addr = await check(target.host, target.port, 'connect');
      if (addr === null) {
        const body = blocked(target.host, target.port);
        client.end(`HTTP/1.1 403 Forbidden\r\nX-Proxy-Error: blocked-by-allowlist\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
        return;
      }
      try {
        const up = await connectTo(addr, target.port);
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) up.write(head);
        pipeBoth(client, up);
      } catch {
        client.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n');
      }
    })();
  });
  web.on('request', (req: IncomingMessage, res: ServerResponse) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('codex-sandbox proxy: expected an absolute http:// URL (this is a proxy)\n');
      return;
    }
    if (url.protocol !== 'http:') {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`codex-sandbox proxy: ${url.protocol} URLs go through CONNECT\n`);
      return;
    }
    const port = url.port === '' ? 80 : Number(url.port);
    void (async () => {
      const addr = await check(url.hostname, port, 'http');
      if (addr === null) {
        res.writeHead(403, { 'Content-Type': 'text/plain', 'X-Proxy-Error': 'blocked-by-allowlist' }).end(blocked(url.hostname, port));
        return;
      }
      const headers = { ...req.headers };
      delete headers['proxy-connection'];
      delete headers['proxy-authorization'];
      // The checked address is dialed (not the name again): a second lookup could answer differently.
      const up = http().request({ host: addr, port, method: req.method, path: `${url.pathname}${url.search}`, headers, setHost: false }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.rawHeaders);
        upRes.pipe(res);
      });
      up.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
        res.end();
      });
      req.pipe(up);
    })();
  });
  web.on('clientError', (_e, socket: Socket) => socket.destroy());

  const server = net().createServer((sock) => {
    // Until a request arrives the connection costs the caller a descriptor: a client that never speaks is dropped.
    sock.setTimeout(HANDSHAKE_TIMEOUT_MS, () => sock.destroy());
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    sock.once('data', (first: Buffer) => {
      sock.setTimeout(0);
      sock.pause();
      sock.unshift(first);
      if (first[0] === 0x05) void handleSocks(sock);
      else {
        web.emit('connection', sock);
        sock.resume();
      }
    });
  });

  const handleSocks = async (sock: Socket): Promise<void> => {
    const req = await readSocksRequest(sock);
    if (req === null) return;
    const addr = await check(req.host, req.port, 'socks5');
    if (addr === null) {
      socksReply(sock, SOCKS_REPLY.notAllowed);
      sock.end();
      return;
    }
    try {
      const up = await connectTo(addr, req.port);
      socksReply(sock, SOCKS_REPLY.succeeded);
      pipeBoth(sock, up);
    } catch {
      socksReply(sock, SOCKS_REPLY.refused);
      sock.end();
    }
  };

  server.maxConnections = opts.maxConnections ?? MAX_PROXY_CONNECTIONS;
  server.on('drop', () =>
    report({ host: '', port: 0, protocol: 'connect', rule: null, reason: `more than ${server.maxConnections} connections at once through the proxy; this one was closed` }),
  );
  const listening = new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    if (typeof opts.listen === 'string') server.listen(opts.listen, () => resolveListen());
    else server.listen(opts.listen.port, '127.0.0.1', () => resolveListen());
  });
  listening.catch(() => undefined);
  const proxy: NetworkProxy = {
    get address() {
      const port = proxy.port;
      return typeof opts.listen === 'string' ? opts.listen : `127.0.0.1:${port ?? 0}`;
    },
    get port() {
      const a = server.address();
      return a !== null && typeof a === 'object' ? a.port : null;
    },
    denials,
    close: () =>
      new Promise<void>((done) => {
        for (const s of sockets) s.destroy();
        if (!server.listening) return done();
        server.close(() => done());
      }),
  };
  return { proxy, listening };
}

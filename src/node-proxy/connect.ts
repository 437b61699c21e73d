/**
 * Node's built-in `fetch` through an HTTP proxy, without undici as a dependency: a `connect` function
 * for the undici `Agent` that Node already carries (its constructor is taken from Node's own default
 * dispatcher), which opens a CONNECT tunnel through the proxy and, for https, TLS over it. Used by the
 * preload (preload.ts) that the sandbox adds to NODE_OPTIONS under a network allow list. Imports only
 * node builtins: it is bundled on its own into dist/node-proxy/preload.cjs.
 */
import net from 'node:net';
import tls from 'node:tls';

/** Where undici keeps the global dispatcher (undici lib/global.js `globalDispatcher`; Node 18–24 share it). */
export const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

export interface ProxyTarget {
  host: string;
  port: number;
  /** `Proxy-Authorization` value when the proxy URL has user info. */
  auth?: string;
}

/** An `http://host:port` proxy URL, or undefined (unset, another scheme, unparsable: the preload then does nothing). */
export function parseProxyUrl(value: string | undefined): ProxyTarget | undefined {
  if (value === undefined || value === '') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' || url.hostname === '') return undefined;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const target: ProxyTarget = { host, port: url.port === '' ? 80 : Number(url.port) };
  if (url.username !== '') {
    const cred = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    target.auth = `Basic ${Buffer.from(cred).toString('base64')}`;
  }
  return target;
}

/**
 * Whether NO_PROXY exempts host:port (curl's rules: `*` for all, comma/space separated names matching
 * the host or a domain suffix, a leading `.` or `*.` allowed, an optional `:port`; IPv6 literals
 * bracketed or bare).
 */
export function noProxyMatches(noProxy: string | undefined, host: string, port: number): boolean {
  if (noProxy === undefined) return false;
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase().replace(/\.$/, '');
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    let entryPort: number | undefined;
    const bracket = /^\[(.*)\](?::(\d+))?$/.exec(entry);
    if (bracket) {
      entry = bracket[1] ?? '';
      entryPort = bracket[2] !== undefined ? Number(bracket[2]) : undefined;
    } else {
      const m = /^([^:]+):(\d+)$/.exec(entry);
      if (m) {
        entry = m[1] ?? '';
        entryPort = Number(m[2]);
      }
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    entry = entry.replace(/^\*?\./, '').replace(/\.$/, '');
    if (h === entry || h.endsWith(`.${entry}`)) return true;
  }
  return false;
}

/** The CONNECT request for host:port (an IPv6 literal in brackets, RFC 9110 §9.3.6 authority-form). */
export function connectRequest(host: string, port: number, auth?: string): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  const authority = `${bare.includes(':') ? `[${bare}]` : bare}:${port}`;
  return `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth !== undefined ? `Proxy-Authorization: ${auth}\r\n` : ''}\r\n`;
}

/** The status code of a proxy's reply head (`HTTP/1.1 200 Connection established`), or undefined if it is not one. */
export function replyStatus(head: string): number | undefined {
  const m = /^HTTP\/1\.[01] (\d{3})(?: |\r?$)/.exec(head.split('\n', 1)[0] ?? '');
  return m ? Number(m[1]) : undefined;
}

/** What undici passes to a custom `connect` (undici lib/core/connect.js). */
export interface ConnectOptions {
  protocol: string;
  hostname: string;
  port: string | number;
  servername?: string | null;
  localAddress?: string | null;
}
export type ConnectCallback = (err: Error | null, socket: net.Socket | null) => void;

export interface ProxyEnvironment {
  http?: ProxyTarget;
  https?: ProxyTarget;
  noProxy?: string;
}

/** The proxies the environment names (lowercase wins, as in curl); undefined when there are none. */
export function proxyEnvironment(env: NodeJS.ProcessEnv): ProxyEnvironment | undefined {
  const http = parseProxyUrl(env['http_proxy'] ?? env['HTTP_PROXY']);
  const https = parseProxyUrl(env['https_proxy'] ?? env['HTTPS_PROXY']);
  if (http === undefined && https === undefined) return undefined;
  const noProxy = env['no_proxy'] ?? env['NO_PROXY'];
  return { ...(http ? { http } : {}), ...(https ? { https } : {}), ...(noProxy !== undefined ? { noProxy } : {}) };
}

const MAX_REPLY_HEAD = 16 * 1024;

/** undici's `connect` option: a CONNECT tunnel through the proxy, TLS over it for https; direct for NO_PROXY hosts. */
export function proxyConnector(pe: ProxyEnvironment): (opts: ConnectOptions, cb: ConnectCallback) => void {
  return (opts, cb) => {
    const https = opts.protocol === 'https:';
    const port = Number(opts.port) || (https ? 443 : 80);
    const host = opts.hostname.replace(/^\[(.*)\]$/, '$1');
    const servername = opts.servername || (net.isIP(host) ? undefined : host);
    const proxy = https ? pe.https : pe.http;
    let done = false;
    const finish = (err: Error | null, socket: net.Socket | null): void => {
      if (done) return;
      done = true;
      cb(err, socket);
    };
    const overTls = (raw: net.Socket | undefined): void => {
      const socket = tls.connect({ ...(raw ? { socket: raw } : { host, port }), ...(servername !== undefined ? { servername } : {}), ALPNProtocols: ['http/1.1'] });
      socket.once('secureConnect', () => finish(null, socket));
      socket.once('error', (e) => finish(e, null));
    };
    if (proxy === undefined || noProxyMatches(pe.noProxy, host, port)) {
      if (https) return overTls(undefined);
      const socket = net.connect({ host, port });
      socket.once('connect', () => finish(null, socket));
      socket.once('error', (e) => finish(e, null));
      return;
    }
    const raw = net.connect({ host: proxy.host, port: proxy.port });
    let head = Buffer.alloc(0);
    const onError = (e: Error): void => finish(e, null);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_REPLY_HEAD) {
          raw.destroy();
          finish(new Error(`proxy ${proxy.host}:${proxy.port} sent no complete reply to CONNECT ${host}:${port}`), null);
        }
        return;
      }
      raw.off('data', onData);
      raw.off('error', onError);
      const text = head.subarray(0, end).toString('latin1');
      const status = replyStatus(text);
      if (status !== 200) {
        raw.destroy();
        const line = text.split('\r\n', 1)[0] ?? '';
        const reason = /^x-proxy-error:\s*(.*)$/im.exec(text)?.[1];
        const err = Object.assign(new Error(`proxy ${proxy.host}:${proxy.port} refused CONNECT ${host}:${port}: ${line}${reason ? ` (${reason})` : ''}`), { code: 'ECONNREFUSED', status });
        return finish(err, null);
      }
      const rest = head.subarray(end + 4);
      if (rest.length > 0) raw.unshift(rest);
      if (https) return overTls(raw);
      finish(null, raw);
    };
    raw.once('connect', () => raw.write(connectRequest(host, port, proxy.auth)));
    raw.on('data', onData);
    raw.on('error', onError);
  };
}

/** Node versions whose fetch honours NODE_USE_ENV_PROXY=1 itself (v24.5.0, v22.21.0): the preload stands aside. */
export function nodeHonoursEnvProxy(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major > 24 || (major === 24 && minor >= 5) || (major === 22 && minor >= 21);
}

interface AgentLike {
  dispatch: unknown;
  constructor: new (opts: { connect: (opts: ConnectOptions, cb: ConnectCallback) => void }) => AgentLike;
}

/**
 * Install on first use of `fetch`: replacing the global `fetch` by a wrapper that, on its first call,
 * loads Node's undici (reading the lazy `Headers` global does), takes the default Agent's constructor
 * and stores a proxied Agent in its place, then puts the original `fetch` back. Programs that never
 * fetch pay nothing. Returns whether the wrapper was installed.
 */
export function installFetchProxy(g: typeof globalThis, env: NodeJS.ProcessEnv, version: string): boolean {
  if (nodeHonoursEnvProxy(version) && env['NODE_USE_ENV_PROXY'] === '1') return false;
  const pe = proxyEnvironment(env);
  const original = g.fetch;
  if (pe === undefined || typeof original !== 'function') return false;
  const slots = g as unknown as Record<symbol, unknown>;
  if (slots[Symbol.for('codex-sandbox.nodeProxy')] === true) return false;
  slots[Symbol.for('codex-sandbox.nodeProxy')] = true;
  let installed = false;
  const install = (): void => {
    if (installed) return;
    installed = true;
    if (g.fetch === wrapper) g.fetch = original;
    void g.Headers; // loads undici, which creates its default Agent in the global slot
    const current = slots[GLOBAL_DISPATCHER] as AgentLike | undefined;
    // Only Node's plain default Agent is replaced: a dispatcher the program set itself is kept.
    if (current === undefined || typeof current.dispatch !== 'function' || current.constructor.name !== 'Agent') return;
    slots[GLOBAL_DISPATCHER] = new current.constructor({ connect: proxyConnector(pe) });
  };
  type Fetch = typeof g.fetch;
  const wrapper = function fetch(this: unknown, ...args: Parameters<Fetch>): ReturnType<Fetch> {
    try {
      install();
    } catch {
      // Never break fetch: without the dispatcher it fails closed (no DNS in the sandbox).
    }
    return original.apply(this, args);
  };
  g.fetch = wrapper;
  return true;
}

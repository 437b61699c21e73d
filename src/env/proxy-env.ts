/**
 * The variables that point a sandboxed command's clients at the filtering proxy (one port serves
 * HTTP, CONNECT and SOCKS5). Pure.
 */
import type { NetworkProxyRoute } from '../contracts/index.js';

/**
 * curl reads only lowercase `http_proxy`; most others read either case; git and pip use libcurl /
 * requests conventions (both cases); npm's `proxy`/`https-proxy` default to HTTP(S)_PROXY but are set
 * explicitly too. Node 20's built-in fetch ignores proxy variables (undici needs a dispatcher);
 * `NODE_USE_ENV_PROXY=1` makes Node ≥ 24 honour them. A client that ignores all of these gets no
 * network at all (the namespace has only loopback), never an unfiltered one.
 */
export function proxyEnv(route: Pick<NetworkProxyRoute, 'port' | 'hostPorts'>): Record<string, string> {
  const http = `http://127.0.0.1:${route.port}`;
  const socks = `socks5h://127.0.0.1:${route.port}`;
  // Loopback inside the sandbox is the sandbox's own; with host ports allowed, loopback names go
  // through the proxy so 127.0.0.1:PORT reaches the host's port.
  const noProxy = route.hostPorts ? '' : 'localhost,127.0.0.1,::1';
  const env: Record<string, string> = {
    HTTP_PROXY: http,
    HTTPS_PROXY: http,
    ALL_PROXY: socks,
    http_proxy: http,
    https_proxy: http,
    all_proxy: socks,
    NO_PROXY: noProxy,
    no_proxy: noProxy,
    npm_config_proxy: http,
    npm_config_https_proxy: http,
    NODE_USE_ENV_PROXY: '1',
    CODEX_SANDBOX_NETWORK_PROXY: http,
  };
  return env;
}

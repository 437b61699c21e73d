/**
 * The variables that point a sandboxed command's clients at the filtering proxy (one port serves
 * HTTP, CONNECT and SOCKS5). Pure.
 */
import type { NetworkProxyRoute } from '../contracts/index.js';

/**
 * curl reads only lowercase `http_proxy`; most others read either case; git and pip use libcurl /
 * requests conventions (both cases); npm's `proxy`/`https-proxy` default to HTTP(S)_PROXY but are set
 * explicitly too. Node's built-in fetch ignores proxy variables before v24.5/v22.21, which honour
 * them with `NODE_USE_ENV_PROXY=1`; for older Node `nodePreload` (dist/node-proxy/preload.cjs) is
 * added to NODE_OPTIONS. A client that ignores all of these gets no network at all (the namespace has
 * only loopback), never an unfiltered one.
 */
export function proxyEnv(
  route: Pick<NetworkProxyRoute, 'port' | 'hostPorts'>,
  node?: { preload: string; nodeOptions: string | undefined },
): Record<string, string> {
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
  if (node !== undefined) env['NODE_OPTIONS'] = withNodeRequire(node.nodeOptions, node.preload);
  return env;
}

/**
 * The caller's NODE_OPTIONS with `--require "PATH"` appended (kept as it was when it already has it).
 * Node splits NODE_OPTIONS at white space outside double quotes, and inside them takes `\` as an
 * escape (node src/node_options.cc ParseNodeOptionsEnvVar): a path with spaces or quotes survives.
 */
export function withNodeRequire(nodeOptions: string | undefined, preload: string): string {
  const arg = `--require "${preload.replace(/[\\"]/g, '\\$&')}"`;
  const existing = (nodeOptions ?? '').trim();
  if (existing.includes(arg)) return existing;
  return existing === '' ? arg : `${existing} ${arg}`;
}

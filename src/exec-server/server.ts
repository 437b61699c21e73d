/**
 * `createExecServer(options)`: a Codex-compatible exec-server whose processes all start through a
 * codex-sandbox Sandbox. Listens on `ws://IP:PORT` (default `ws://127.0.0.1:0`) or serves one
 * connection over stdio.
 */
import { UsageError } from '../errors.js';
import { isIP } from 'node:net';
import { ensureCacheDirs } from '../host/caches.js';
import type { ProxyDenial, ProxySession } from '../launch/proxy/session.js';
import type { CacheTool, NetworkAccessPolicy } from '../permissions/index.js';
import { createSandbox, networkAccessOf, proxySocketOf } from '../sandbox.js';
import type { ProfileInput, Sandbox } from '../sandbox.js';
import type { GitMode } from '../contracts/index.js';
import { Connection } from './connection.js';
import type { Transport } from './connection.js';
import { ServerCore } from './server-core.js';
import { DETACHED_SESSION_TTL_MS } from './session.js';
import { MAX_STDIO_MESSAGE_BYTES, serveStdio } from './transport-stdio.js';
import { listenWebSocket, MAX_WEBSOCKET_MESSAGE_BYTES, WEBSOCKET_KEEPALIVE_MS } from './transport-ws.js';
import type { Readable, Writable } from 'node:stream';

export const DEFAULT_LISTEN_URL = 'ws://127.0.0.1:0';
export const DEFAULT_MAX_PROCESSES_PER_SESSION = 256;
export const DEFAULT_MAX_RETAINED_BYTES_PER_SESSION = 256 * 1024 * 1024;

export type ListenTarget = { kind: 'stdio' } | { kind: 'ws'; host: string; port: number };

/** Codex's parse_listen_url, with its messages. */
export function parseListenUrl(url: string): ListenTarget {
  if (url === 'stdio' || url === 'stdio://') return { kind: 'stdio' };
  if (url.startsWith('ws://')) {
    const rest = url.slice('ws://'.length);
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(rest);
    const host = m?.[1] ?? m?.[2];
    const port = m?.[3] !== undefined ? Number(m[3]) : NaN;
    const family = host === undefined ? 0 : isIP(host);
    if (host === undefined || family === 0 || (m?.[1] !== undefined && family !== 6) || !(port >= 0 && port <= 65535)) {
      throw new UsageError(`invalid websocket --listen URL \`${url}\`; expected \`ws://IP:PORT\``);
    }
    return { kind: 'ws', host, port };
  }
  throw new UsageError(`unsupported --listen URL \`${url}\`; expected \`ws://IP:PORT\` or \`stdio\``);
}

export function isLoopback(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  const h = host.toLowerCase();
  return h === '::1' || h.startsWith('::ffff:127.');
}

export interface ExecServerOptions {
  /** `ws://IP:PORT`, `stdio` or `stdio://` (default ws://127.0.0.1:0). */
  listen?: string;
  /** The sandbox processes start through (default: createSandbox()). */
  sandbox?: Sandbox;
  /**
   * Profile for a `process/start` without a `sandbox` field. Codex runs those unsandboxed, and so
   * does the default ('danger-full-access'); give a profile to confine every process.
   */
  defaultProfile?: ProfileInput;
  /** Bearer token every WebSocket upgrade must carry; required on a non-loopback address. */
  authToken?: string;
  /**
   * A network allow list for every process/start (Codex's wire shape carries only `network:
   * restricted|enabled`, so this is the server's setting, not a request field). One filtering proxy
   * serves all of the server's processes and stops with the server; a process whose profile runs
   * unsandboxed is refused (-32602), never started outside the list. fs/* helpers keep no network.
   */
  networkAccess?: Partial<NetworkAccessPolicy>;
  /** Called for each connection the proxy refuses (default: a line on `log`). */
  onNetworkDenial?: (denial: ProxyDenial) => void;
  /** Tool caches every process/start may write (as `codex-sandbox run --cache`); created at start. */
  caches?: readonly CacheTool[];
  /** What git may write in a writable root's `.git` (as `codex-sandbox run --git`). */
  git?: GitMode;
  /** Absolute paths no sandboxed process may read (give the token file's path). */
  hiddenPaths?: readonly string[];
  /**
   * Linux: run each sandboxed process without `tty` or `arg0` in a sandbox session shared with the
   * same client session's processes of the same plan, instead of a sandbox of its own (default true;
   * false = a sandbox per process, `--no-sessions`; docs/exec-server.md says what changes). Sandbox
   * sessions are never shared between client sessions.
   */
  sessions?: boolean;
  /** Per-connection request concurrency (Codex --concurrent-requests; 1 = serial, the default). */
  concurrentRequests?: number;
  detachedSessionTtlMs?: number;
  exitedRetentionMs?: number;
  keepaliveMs?: number;
  maxMessageBytes?: number;
  maxProcessesPerSession?: number;
  maxRetainedBytesPerSession?: number;
  /** The server's environment (what `envPolicy` filters; default process.env). */
  env?: Record<string, string | undefined>;
  /** stdio transport streams (default process.stdin / process.stdout). */
  stdin?: Readable;
  stdout?: Writable;
  log?: (line: string) => void;
}

export interface ExecServer {
  /** `ws://<bound address>`, or `stdio`. */
  readonly url: string;
  /** Resolves when the server has stopped (stdio: at EOF). */
  readonly closed: Promise<void>;
  /** Stops listening and kills every process of every session. */
  close(): Promise<void>;
}

export async function createExecServer(options: ExecServerOptions = {}): Promise<ExecServer> {
  const target = parseListenUrl(options.listen ?? DEFAULT_LISTEN_URL);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const concurrency = options.concurrentRequests ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`concurrentRequests must be a positive integer, got ${String(concurrency)}`);
  if (target.kind === 'ws' && !isLoopback(target.host) && options.authToken === undefined) {
    // Codex serves its WebSocket without authentication and binds loopback by default; anyone who
    // can reach a non-loopback port could run commands, so a token is mandatory there.
    throw new UsageError(`listening on ${target.host} (not a loopback address) requires a bearer token (--auth-token-file)`);
  }
  const sandbox = options.sandbox ?? (await createSandbox({ env: options.env }));
  const env = options.env ?? process.env;
  if (options.caches !== undefined) ensureCacheDirs(sandbox.cacheDirsOf(options.caches));
  const proxy = await openServerProxy(sandbox, options, log);
  const core = new ServerCore({
    sandbox,
    sandboxOptions: {
      ...(proxy ? { networkAccess: proxy.policy, networkProxySocket: proxySocketOf(proxy.session) } : {}),
      ...(options.caches !== undefined ? { caches: options.caches } : {}),
      ...(options.git !== undefined ? { git: options.git } : {}),
    },
    defaultProfile: options.defaultProfile ?? 'danger-full-access',
    ...(options.sessions !== false ? { sessions: true } : {}),
    serverEnv: env,
    ...(options.hiddenPaths ? { hiddenPaths: options.hiddenPaths } : {}),
    limits: {
      maxProcesses: options.maxProcessesPerSession ?? DEFAULT_MAX_PROCESSES_PER_SESSION,
      maxRetainedBytes: options.maxRetainedBytesPerSession ?? DEFAULT_MAX_RETAINED_BYTES_PER_SESSION,
      detachedTtlMs: options.detachedSessionTtlMs ?? DETACHED_SESSION_TTL_MS,
    },
    ...(options.exitedRetentionMs !== undefined ? { exitedRetentionMs: options.exitedRetentionMs } : {}),
    log,
  });
  const onConnection = (transport: Transport): { onText(text: string): void; onClosed(): void } => {
    const conn = new Connection(core, transport, concurrency);
    return { onText: (t) => conn.onText(t), onClosed: () => conn.onTransportClosed() };
  };

  // The proxy outlives the processes' kill (core.shutdown), so a dying command's last connection is still filtered.
  const shutdown = async (): Promise<void> => {
    core.shutdown();
    await proxy?.session.close();
  };

  if (target.kind === 'stdio') {
    const closed = serveStdio({
      input: options.stdin ?? process.stdin,
      output: options.stdout ?? process.stdout,
      maxMessageBytes: options.maxMessageBytes ?? MAX_STDIO_MESSAGE_BYTES,
      onConnection,
      log,
    }).then(() => shutdown());
    return { url: 'stdio', closed, close: async () => shutdown() };
  }

  const listener = await listenWebSocket({
    host: target.host,
    port: target.port,
    authToken: options.authToken,
    keepaliveMs: options.keepaliveMs ?? WEBSOCKET_KEEPALIVE_MS,
    maxMessageBytes: options.maxMessageBytes ?? MAX_WEBSOCKET_MESSAGE_BYTES,
    onConnection,
    log,
  });
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });
  return {
    url: listener.url,
    closed,
    close: async () => {
      await shutdown();
      await listener.close();
      resolveClosed();
    },
  };
}

const PROTOCOL_NAMES = { http: 'HTTP', connect: 'CONNECT', socks5: 'SOCKS5' } as const;

/** The server's one filtering proxy (listening when this returns), or undefined without an allow list. */
async function openServerProxy(sandbox: Sandbox, options: ExecServerOptions, log: (line: string) => void): Promise<{ policy: NetworkAccessPolicy; session: ProxySession } | undefined> {
  if (options.networkAccess === undefined) return undefined;
  const policy = networkAccessOf(options.networkAccess);
  const onNetworkDenial =
    options.onNetworkDenial ?? ((d: ProxyDenial) => log(`codex-sandbox exec-server: network: ${d.host === '' ? d.reason : `refused ${PROTOCOL_NAMES[d.protocol]} ${d.host}:${d.port}: ${d.reason}${d.rule !== null ? ` (rule: ${d.rule})` : ' (add --allow-domain to allow it)'}`}`));
  const session = sandbox.openProxy({ networkAccess: policy, onNetworkDenial });
  try {
    await session.listening;
  } catch (e) {
    await session.close();
    throw e;
  }
  return { policy, session };
}

/**
 * `createExecServer(options)`: a Codex-compatible exec-server whose processes all start through a
 * codex-sandbox Sandbox. Listens on `ws://IP:PORT` (default `ws://127.0.0.1:0`) or serves one
 * connection over stdio.
 */
import { UsageError } from '../errors.js';
import { isIP } from 'node:net';
import { createSandbox } from '../sandbox.js';
import type { ProfileInput, Sandbox } from '../sandbox.js';
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
  /** Absolute paths no sandboxed process may read (give the token file's path). */
  hiddenPaths?: readonly string[];
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
  const core = new ServerCore({
    sandbox,
    defaultProfile: options.defaultProfile ?? 'danger-full-access',
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

  if (target.kind === 'stdio') {
    const closed = serveStdio({
      input: options.stdin ?? process.stdin,
      output: options.stdout ?? process.stdout,
      maxMessageBytes: options.maxMessageBytes ?? MAX_STDIO_MESSAGE_BYTES,
      onConnection,
      log,
    }).then(() => core.shutdown());
    return { url: 'stdio', closed, close: async () => core.shutdown() };
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
      core.shutdown();
      await listener.close();
      resolveClosed();
    },
  };
}

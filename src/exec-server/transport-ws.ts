/**
 * The WebSocket listener (Codex exec-server server/transport.rs): HTTP upgrade on `/`, `GET /readyz`,
 * requests carrying `Origin` refused, text and binary frames in, text frames out, server pings.
 * Beyond Codex: an optional bearer token (required by the CLI on a non-loopback address).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import type { Transport } from './connection.js';

/** Codex: WEBSOCKET_KEEPALIVE_INTERVAL. */
export const WEBSOCKET_KEEPALIVE_MS = 30_000;
/** Outbound bytes queued on one socket above which process output is held back. */
export const WEBSOCKET_SEND_HIGH_WATER = 8 * 1024 * 1024;
/** Codex's listeners accept 64 MiB messages. */
export const MAX_WEBSOCKET_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface WsListenOptions {
  host: string;
  port: number;
  /** Bearer token every upgrade must carry (`Authorization: Bearer <token>`); undefined = none. */
  authToken: string | undefined;
  keepaliveMs: number;
  maxMessageBytes: number;
  onConnection: (transport: Transport) => { onText(text: string): void; onClosed(): void };
  log: (line: string) => void;
}

export interface WsListener {
  /** `ws://<bound address>`. */
  url: string;
  close(): Promise<void>;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time check of the Authorization header against the expected token. */
function authorized(req: IncomingMessage, expected: Buffer | undefined): boolean {
  if (expected === undefined) return true;
  const header = req.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
  // Comparing fixed-size digests keeps the comparison constant-time whatever the length sent
  // (crypto.timingSafeEqual needs equal lengths; a length check first would leak the token's length).
  return timingSafeEqual(digest(header.slice('Bearer '.length)), expected);
}

function rejectUpgrade(socket: Duplex, status: number, reason: string, extra = ''): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n${extra}\r\n`);
}

function hostUrl(addr: AddressInfo): string {
  return addr.family === 'IPv6' ? `ws://[${addr.address}]:${addr.port}` : `ws://${addr.address}:${addr.port}`;
}

export async function listenWebSocket(opts: WsListenOptions): Promise<WsListener> {
  const expected = opts.authToken === undefined ? undefined : digest(opts.authToken);
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxMessageBytes, perMessageDeflate: false });

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // A browser page may reach a loopback port; any request from one carries Origin and is refused
    // (Codex test exec_server_rejects_browser_origin_websocket_handshake; cross-site WebSocket hijacking).
    if (req.headers.origin !== undefined) {
      res.writeHead(403).end();
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/readyz' && req.method === 'GET') {
      res.writeHead(200).end();
      return;
    }
    if (path === '/') {
      res.writeHead(400, { 'content-type': 'text/plain' }).end("Connection header did not include 'upgrade'");
      return;
    }
    res.writeHead(404).end();
  };

  const server = createServer(onRequest);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    if (req.headers.origin !== undefined) {
      rejectUpgrade(socket, 403, 'Forbidden');
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/') {
      rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    if (!authorized(req, expected)) {
      opts.log(`exec-server: refused a WebSocket upgrade from ${req.socket.remoteAddress ?? '?'} without a valid bearer token`);
      rejectUpgrade(socket, 401, 'Unauthorized', 'WWW-Authenticate: Bearer\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, req));
  });

  const sockets = new Set<WebSocket>();
  const accept = (ws: WebSocket, req: IncomingMessage): void => {
    sockets.add(ws);
    const peer = `${req.socket.remoteAddress ?? '?'}:${String(req.socket.remotePort ?? '?')}`;
    const transport: Transport = {
      parseErrorPrefix: `failed to parse websocket JSON-RPC message from exec-server websocket ${peer}`,
      send: (message) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
      },
      close: () => ws.close(),
      congested: () => ws.bufferedAmount > WEBSOCKET_SEND_HIGH_WATER,
    };
    const conn = opts.onConnection(transport);
    let closed = false;
    const end = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(ping);
      sockets.delete(ws);
      conn.onClosed();
    };
    // The server pings (Codex #23327): a peer that vanished without a FIN is noticed when a ping fails.
    const ping = setInterval(() => {
      try {
        ws.ping();
      } catch {
        ws.terminate();
        end();
      }
    }, opts.keepaliveMs);
    ws.on('message', (data: RawData) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      conn.onText(buf.toString('utf8'));
    });
    ws.on('close', end);
    ws.on('error', (e) => {
      opts.log(`exec-server: websocket ${peer}: ${e.message}`);
      end();
    });
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = hostUrl(server.address() as AddressInfo);
  return {
    url,
    close: async () => {
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The SOCKS5 half of the filtering proxy (RFC 1928): no authentication, CONNECT only, addresses as
 * IPv4, IPv6 or a domain name (names are resolved by the proxy, never by the sandboxed client).
 */
import type { Socket } from 'node:net';

export interface SocksRequest {
  host: string;
  port: number;
}

/** RFC 1928 §6 reply codes used here. */
export const SOCKS_REPLY = { succeeded: 0x00, failure: 0x01, notAllowed: 0x02, hostUnreachable: 0x04, refused: 0x05, commandNotSupported: 0x07, addressNotSupported: 0x08 } as const;

/** Reads exactly what the handshake needs from `socket`, buffering across chunks; null = protocol error (socket closed). */
class Reader {
  private buf = Buffer.alloc(0);
  private waiting: (() => void) | null = null;
  private ended = false;

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
    socket.once('end', () => this.finish());
    socket.once('close', () => this.finish());
    socket.resume();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.buf = Buffer.concat([this.buf, chunk]);
    // A handshake is a few hundred bytes at most; a client that sends more before its reply is hostile.
    if (this.buf.length > 1024) this.socket.destroy();
    this.waiting?.();
  };

  private finish(): void {
    this.ended = true;
    this.waiting?.();
  }

  async take(n: number): Promise<Buffer | null> {
    while (this.buf.length < n) {
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = null;
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Stops reading; whatever arrived after the handshake goes back to the socket. */
  release(): void {
    this.socket.off('data', this.onData);
    this.socket.pause();
    if (this.buf.length > 0) this.socket.unshift(this.buf);
  }
}

export function socksReply(socket: Socket, code: number): void {
  if (socket.writable) socket.write(Buffer.from([0x05, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0]));
}

/**
 * Runs the greeting and reads the CONNECT request. Returns null (after replying and closing) when the
 * client speaks something else; the caller answers with `socksReply` and then pipes.
 */
export async function readSocksRequest(socket: Socket): Promise<SocksRequest | null> {
  const r = new Reader(socket);
  const fail = (code?: number): null => {
    if (code !== undefined) socksReply(socket, code);
    socket.end();
    return null;
  };
  const head = await r.take(2);
  if (head === null || head[0] !== 0x05) return fail();
  const methods = await r.take(head[1] ?? 0);
  if (methods === null) return fail();
  if (!methods.includes(0x00)) {
    socket.end(Buffer.from([0x05, 0xff]));
    return null;
  }
  socket.write(Buffer.from([0x05, 0x00]));
  const req = await r.take(4);
  if (req === null || req[0] !== 0x05) return fail();
  if (req[1] !== 0x01) return fail(SOCKS_REPLY.commandNotSupported);
  let host: string;
  switch (req[3]) {
    case 0x01: {
      const a = await r.take(4);
      if (a === null) return fail();
      host = [...a].join('.');
      break;
    }
    case 0x03: {
      const len = await r.take(1);
      const name = len === null ? null : await r.take(len[0] ?? 0);
      if (name === null) return fail();
      host = name.toString('latin1');
      break;
    }
    case 0x04: {
      const a = await r.take(16);
      if (a === null) return fail();
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(a.readUInt16BE(i).toString(16));
      host = `[${groups.join(':')}]`;
      break;
    }
    default:
      return fail(SOCKS_REPLY.addressNotSupported);
  }
  const portBuf = await r.take(2);
  if (portBuf === null) return fail();
  r.release();
  return { host, port: portBuf.readUInt16BE(0) };
}

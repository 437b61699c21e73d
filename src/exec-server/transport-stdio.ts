/**
 * The stdio listener (Codex exec-server connection.rs): newline-delimited JSON, one message per
 * line, a trailing CR stripped, blank lines skipped, at most MAX_STDIO_MESSAGE_BYTES per line (a
 * longer one, terminated or not, ends the connection without a reply). Nothing but messages is
 * written to stdout.
 */
import type { Readable, Writable } from 'node:stream';
import type { Transport } from './connection.js';

/** Codex: MAX_STDIO_JSONRPC_MESSAGE_LEN. */
export const MAX_STDIO_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface StdioOptions {
  input: Readable;
  output: Writable;
  maxMessageBytes: number;
  onConnection: (transport: Transport) => { onText(text: string): void; onClosed(): void };
  log: (line: string) => void;
}

/** Serves one connection; resolves when it ends (EOF, an over-long line, or the connection closing). */
export function serveStdio(opts: StdioOptions): Promise<void> {
  return new Promise((resolve) => {
    let ended = false;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const finish = (): void => {
      if (ended) return;
      ended = true;
      opts.input.off('data', onData);
      opts.input.off('end', finish);
      opts.input.off('error', finish);
      opts.input.pause();
      conn.onClosed();
      resolve();
    };
    const transport: Transport = {
      parseErrorPrefix: 'failed to parse JSON-RPC message from exec-server stdio',
      send: (message) => {
        if (!ended) opts.output.write(`${JSON.stringify(message)}\n`);
      },
      close: finish,
      congested: () => opts.output.writableNeedDrain,
    };
    const conn = opts.onConnection(transport);
    const line = (buf: Buffer): void => {
      let end = buf.length;
      if (end > 0 && buf[end - 1] === 0x0d) end -= 1;
      const text = buf.toString('utf8', 0, end);
      if (text.trim().length === 0) return;
      conn.onText(text);
    };
    const tooLong = (): void => {
      opts.log(`exec-server: JSON-RPC message from exec-server stdio exceeds maximum length of ${opts.maxMessageBytes} bytes`);
      finish();
    };
    const onData = (chunk: Buffer): void => {
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, start);
        if (nl < 0) break;
        const piece = chunk.subarray(start, nl);
        const whole = pendingBytes > 0 ? Buffer.concat([...pending, piece]) : piece;
        pending = [];
        pendingBytes = 0;
        const len = whole.length > 0 && whole[whole.length - 1] === 0x0d ? whole.length - 1 : whole.length;
        if (len > opts.maxMessageBytes) {
          tooLong();
          return;
        }
        line(whole);
        if (ended) return;
        start = nl + 1;
      }
      if (start < chunk.length) {
        const rest = chunk.subarray(start);
        pending.push(rest);
        pendingBytes += rest.length;
        // An unterminated line is refused as soon as it passes the limit (+1 for a possible CR).
        if (pendingBytes > opts.maxMessageBytes + 1) tooLong();
      }
    };
    opts.input.on('data', onData);
    opts.input.on('end', finish);
    opts.input.on('error', finish);
  });
}

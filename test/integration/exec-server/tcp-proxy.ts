/**
 * A real TCP proxy between a client and an exec-server, for tests that cut the connection: `drop()`
 * destroys every open pair, `pause()` refuses new connections, `dropWhenServerSends(text)` cuts the
 * connection just before a server→client frame containing `text` would be delivered (server frames
 * are unmasked, so the text is visible in the bytes).
 */
import net from 'node:net';

export interface TcpProxy {
  url: string;
  drop(): void;
  pause(): void;
  resume(): void;
  dropWhenServerSends(text: string): Promise<void>;
  connections: number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const u = new URL(target);
  const pairs = new Set<[net.Socket, net.Socket]>();
  let paused = false;
  let trap: { text: string; hit: () => void } | undefined;
  const state = { connections: 0 };
  const server = net.createServer((client) => {
    if (paused) {
      client.destroy();
      return;
    }
    state.connections++;
    const upstream = net.connect(Number(u.port), u.hostname);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (d: Buffer) => upstream.write(d));
    upstream.on('data', (d: Buffer) => {
      const t = trap;
      if (t !== undefined && d.includes(t.text)) {
        trap = undefined;
        end();
        t.hit();
        return;
      }
      client.write(d);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${String(port)}`,
    drop: () => {
      for (const [a, b] of [...pairs]) {
        a.destroy();
        b.destroy();
      }
    },
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
    dropWhenServerSends: (text) => new Promise<void>((hit) => (trap = { text, hit })),
    get connections() {
      return state.connections;
    },
    close: async () => {
      for (const [a, b] of [...pairs]) {
        a.destroy();
        b.destroy();
      }
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

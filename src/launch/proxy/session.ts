/**
 * One sandboxed command's proxy: a fresh private directory (mkdtemp, mode 0700) holding the proxy's
 * unix socket, the proxy listening on it, and its removal when the command is done.
 */
import { mkdtempSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NetworkAccessPolicy } from '../../permissions/index.js';
import { createNetworkProxy } from './server.js';
import type { ProxyDenial } from './server.js';

export type { ProxyDenial, ProxyProtocol } from './server.js';

/** The loopback port inside the sandbox where the launcher's bridge listens (Squid's default, as srt's HTTP proxy). */
export const SANDBOX_PROXY_PORT = 3128;

export interface ProxySession {
  readonly socketPath: string;
  /** The socket's identity, checked by the launcher's inner stage before it bridges to it. */
  readonly socketDev: string;
  readonly socketIno: string;
  /** TCP sessions: the proxy's loopback port on the host. */
  readonly port?: number;
  readonly denials: readonly ProxyDenial[];
  /** Settles when the proxy listens; rejects if it could not. */
  readonly listening: Promise<void>;
  close(): Promise<void>;
}

/**
 * `tcp`: listen on 127.0.0.1 instead (macOS: Seatbelt lets the command reach one loopback port, and a
 * unix socket path cannot be bound into its view). `port` is then the proxy's port.
 */
/**
 * Removes the socket and its directory, never recursively: the sandboxed command (or a concurrent one)
 * may have swapped entries in this directory, and a recursive removal by path follows a directory
 * swapped for a symlink mid-walk (the rm -rf race). unlink(2) and rmdir(2) follow nothing; whatever
 * else a command left there stays.
 */
function removeSocketDir(dir: string, socketPath: string): void {
  try {
    unlinkSync(socketPath);
  } catch {
    // already gone, or replaced by a directory: left alone
  }
  try {
    rmdirSync(dir);
  } catch {
    // not empty (the command put something there) or gone
  }
}

export function openProxySession(policy: NetworkAccessPolicy, onDenial?: (d: ProxyDenial) => void, resolve?: (host: string) => Promise<string[]>, tcp = false): ProxySession {
  if (tcp) {
    const { proxy, listening } = createNetworkProxy({ policy, listen: { port: 0 }, ...(onDenial ? { onDenial } : {}), ...(resolve ? { resolve } : {}) });
    // Node binds a TCP server on an IP literal synchronously: the port is known now.
    const port = proxy.port;
    if (port === null) throw new Error('the network proxy did not get a port');
    return { socketPath: proxy.address, socketDev: '0', socketIno: '0', port, denials: proxy.denials, listening, close: () => proxy.close() };
  }
  // A directory only this user can enter, named at random: no other user can connect to the proxy
  // or plant a socket at the path the plan binds (mkdtemp(3) creates it 0700, fails if it exists).
  const dir = mkdtempSync(join(tmpdir(), 'codex-sandbox-proxy-'));
  const socketPath = join(dir, 'proxy.sock');
  let proxy;
  try {
    proxy = createNetworkProxy({ policy, listen: socketPath, ...(onDenial ? { onDenial } : {}), ...(resolve ? { resolve } : {}) });
  } catch (e) {
    removeSocketDir(dir, socketPath);
    throw e;
  }
  const started = proxy.proxy;
  // Node binds a pipe server synchronously: the socket exists now.
  const st = statSync(socketPath, { bigint: true });
  let closing: Promise<void> | undefined;
  return {
    socketPath,
    socketDev: String(st.dev),
    socketIno: String(st.ino),
    denials: started.denials,
    listening: proxy.listening,
    close: () => (closing ??= started.close().then(() => removeSocketDir(dir, socketPath))),
  };
}

/**
 * A hostile command's own CONNECT, plain-HTTP and SOCKS5 requests, from inside a real sandbox, through
 * the real bridge and the filtering proxy with the system resolver (production's). Loopback spelled
 * every way the proxy and the C library accept — an IP literal, IPv4-mapped IPv6, a decimal, hex or
 * short-form name that getaddrinfo reads as 127.0.0.1, `0` (0.0.0.0, which Linux connects to the
 * host's loopback), `[::]` (reaches ::1) — is refused under an allow-everything rule (`*` covers no
 * loopback/private address: the DNS-rebinding guard), so is each of this host's own interface
 * addresses (a server listening on every interface answers there), and `localhost` is refused by a deny
 * CIDR even where a host port allows it. Host ports are the controls that show the channel is real. One
 * sandboxed Python process.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyDenial } from '../../../src/launch/proxy/session.js';
import { isLinux, PY, run, scratch } from '../linux/helpers.js';
import type { Scratch } from '../linux/helpers.js';

/** A server that answers `reached <name>` and records the request; null when the address cannot be bound (no IPv6). */
async function listen(host: string, name: string, hits: string[]): Promise<{ srv: Server; port: number } | null> {
  const srv = createServer((req, res) => {
    hits.push(`${name} ${req.url ?? ''}`);
    res.end(`reached ${name}`);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(0, host, resolve);
    });
  } catch {
    return null;
  }
  return { srv, port: (srv.address() as { port: number }).port };
}

/** Each probe prints `name=<the proxy's answer>`: `reached <server>` when a request got through. */
const CLIENT = `
import json, socket, sys
def talk(first, then=None):
    s = socket.create_connection(('127.0.0.1', 3128), timeout=5)
    s.sendall(first)
    if then is None:
        out = b''
        while True:
            c = s.recv(4096)
            if not c: break
            out += c
        return out
    return s, s.recv(4096)
def read_all(s):
    out = b''
    while True:
        c = s.recv(4096)
        if not c: return out
        out += c
def body_or_status(raw):
    text = raw.decode('latin1')
    return text.split('\\r\\n\\r\\n', 1)[-1] if text.startswith('HTTP/1.1 200') else text.split('\\r\\n')[0]
for kind, name, a, b in json.loads(sys.argv[1]):
    try:
        if kind == 'connect':
            s, head = talk(('CONNECT %s HTTP/1.1\\r\\nHost: %s\\r\\n\\r\\n' % (a, a)).encode(), True)
            if head.startswith(b'HTTP/1.1 200'):
                s.sendall(('GET /%s HTTP/1.0\\r\\n\\r\\n' % name).encode())
                head = read_all(s)
            out = body_or_status(head)
        elif kind == 'get':
            out = body_or_status(talk(('GET %s HTTP/1.1\\r\\nHost: %s\\r\\nConnection: close\\r\\n\\r\\n' % (a, a.split('/')[2])).encode()))
        else:
            atyp = {'v4': 1, 'name': 3, 'v6': 4}[kind]
            addr = socket.inet_pton(socket.AF_INET, a) if atyp == 1 else socket.inet_pton(socket.AF_INET6, a) if atyp == 4 else bytes([len(a)]) + a.encode()
            s, greeting = talk(b'\\x05\\x01\\x00', True)
            s.sendall(b'\\x05\\x01\\x00' + bytes([atyp]) + addr + int(b).to_bytes(2, 'big'))
            reply = s.recv(10)
            if reply[1] == 0:
                s.sendall(('GET /%s HTTP/1.0\\r\\n\\r\\n' % name).encode())
                out = body_or_status(read_all(s))
            else:
                out = 'socks %d' % reply[1]
    except OSError as e:
        out = 'error %s' % e
    print('%s=%s' % (name, out))
`;

describe.skipIf(!isLinux)('network allow list: loopback in every spelling, from a hostile client inside the sandbox', () => {
  let s: Scratch;
  const hits: string[] = [];
  let guarded: { srv: Server; port: number };
  let hostPort: { srv: Server; port: number };
  let denied: { srv: Server; port: number };
  let v6: { srv: Server; port: number } | null;
  let everywhere: { srv: Server; port: number };

  beforeAll(async () => {
    s = scratch('csbx-net-guard-');
    guarded = (await listen('127.0.0.1', 'guarded', hits))!;
    hostPort = (await listen('127.0.0.1', 'host-port', hits))!;
    denied = (await listen('127.0.0.1', 'denied', hits))!;
    v6 = await listen('::1', 'v6', hits);
    // Like a dev server on 0.0.0.0: reachable at every address of the host.
    everywhere = (await listen('::', 'everywhere', hits)) ?? (await listen('0.0.0.0', 'everywhere', hits))!;
  });
  afterAll(() => {
    for (const x of [guarded, hostPort, denied, v6, everywhere]) x?.srv.close();
    s.cleanup();
  });

  it("literal, mapped, decimal, hex, `0` and `[::]` spellings of loopback and the host's own addresses are refused under `*`; `localhost` loses to a deny CIDR over a host port", async () => {
    const g = guarded.port;
    // The host's own addresses (not loopback, not link-local: those need a scope). A public one is the case
    // that matters (a cloud VM's or this CI host's); private ones are refused as private anyway.
    const own = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a !== undefined && !a.internal && !a.address.startsWith('fe80:'))
      .map((a) => (a!.family === 'IPv6' ? `[${a!.address}]` : a!.address));
    const probes: Array<[string, string, string, string]> = [
      // Controls: a host port, by address and by name, over CONNECT, plain HTTP and SOCKS5.
      ['connect', 'ctl-connect', `127.0.0.1:${hostPort.port}`, ''],
      ['get', 'ctl-get', `http://localhost:${hostPort.port}/ctl-get`, ''],
      ['v4', 'ctl-socks', '127.0.0.1', String(hostPort.port)],
      // `*` allows every name and address, but no loopback/private address (decideAddress).
      ['connect', 'literal', `127.0.0.1:${g}`, ''],
      ['connect', 'mapped', `[::ffff:127.0.0.1]:${g}`, ''],
      ['connect', 'mapped-hex', `[::ffff:7f00:1]:${g}`, ''],
      ['connect', 'decimal', `2130706433:${g}`, ''],
      ['connect', 'hex', `0x7f.1:${g}`, ''],
      ['connect', 'short', `127.1:${g}`, ''],
      ['connect', 'zero', `0:${g}`, ''],
      ['connect', 'zero-dotted', `0.0.0.0:${g}`, ''],
      ['get', 'get-mapped', `http://[::ffff:127.0.0.1]:${g}/get-mapped`, ''],
      ['get', 'get-hex', `http://0x7f.1:${g}/get-hex`, ''],
      ['v4', 'socks-v4', '127.0.0.1', String(g)],
      ['v6', 'socks-mapped', '::ffff:127.0.0.1', String(g)],
      ['name', 'socks-decimal', '2130706433', String(g)],
      ['name', 'socks-zero', '0', String(g)],
      // A deny CIDR wins over a host port for every spelling, names included (their resolved address).
      ['connect', 'deny-literal', `127.0.0.1:${denied.port}`, ''],
      ['connect', 'deny-localhost', `localhost:${denied.port}`, ''],
      ['connect', 'deny-localhost-upper', `LocalHost.:${denied.port}`, ''],
      ['name', 'deny-socks-localhost', 'localhost', String(denied.port)],
      ...own.map((a, i): [string, string, string, string] => ['connect', `own-${i}-${a}`, `${a}:${everywhere.port}`, '']),
      ...(v6 !== null
        ? ([
            ['connect', 'v6-unspecified', `[::]:${v6.port}`, ''],
            ['v6', 'socks-v6-unspecified', '::', String(v6.port)],
            ['connect', 'v6-loopback', `[::1]:${v6.port}`, ''],
          ] as Array<[string, string, string, string]>)
        : []),
    ];
    const denials: ProxyDenial[] = [];
    const r = await run([PY, '-c', CLIENT, JSON.stringify(probes)], 'workspace-write', {
      cwd: s.ws,
      networkAccess: { allow: ['*'], deny: [`127.0.0.0/8:${denied.port}`], allowHostPorts: [hostPort.port, denied.port] },
      onNetworkDenial: (d: ProxyDenial) => denials.push(d),
    });
    const out = new Map(r.stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const));
    const all = r.stdout + r.stderr;
    expect(out.get('ctl-connect'), all).toBe('reached host-port');
    expect(out.get('ctl-get'), all).toBe('reached host-port');
    expect(out.get('ctl-socks'), all).toBe('reached host-port');
    for (const [kind, name] of probes.filter(([, n]) => !n.startsWith('ctl-'))) {
      expect(out.get(name), `${name}: ${all}`).toBe(kind === 'connect' || kind === 'get' ? 'HTTP/1.1 403 Forbidden' : 'socks 2');
    }
    expect(hits.filter((h) => !h.startsWith('host-port '))).toEqual([]);
    const guardedProbes = probes.filter(([, n]) => !n.startsWith('ctl-') && !n.startsWith('deny-'));
    expect(denials.filter((d) => d.reason.includes('DNS-rebinding guard')), all).toHaveLength(guardedProbes.length);
    expect(denials.filter((d) => d.rule === `deny 127.0.0.0/8:${denied.port}`)).toHaveLength(4);
  });
});

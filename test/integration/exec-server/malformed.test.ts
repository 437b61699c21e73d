/**
 * Bad input against the real server: each malformed request gets the documented error (code and
 * message as Codex's exec-server gives them, reference §2.2–§3.8, checked against codex-cli 0.171.0
 * side by side) and the server keeps serving
 * (an `environment/status` on the same connection still answers after every case).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { b64, built, isLinux, scratch, startParams, startServer, workspaceWriteSandbox, WsClient } from './helpers.js';
import type { RpcMessage, ServerProcess } from './helpers.js';

interface Case {
  name: string;
  /** A raw frame (answered with id -1) or a request. */
  raw?: string;
  method?: string;
  params?: unknown;
  code: number;
  message: string | RegExp;
}

const dir = scratch();
const ok = startParams('ok', ['true'], dir.wsUri);
const sb = workspaceWriteSandbox(dir.wsUri);
const start = (over: Record<string, unknown>): Record<string, unknown> => ({ ...ok, processId: `p-${Math.random()}`, ...over });
const without = (obj: Record<string, unknown>, key: string): Record<string, unknown> => {
  const copy = { ...obj };
  delete copy[key];
  return copy;
};

const PARSE = /^failed to parse websocket JSON-RPC message from exec-server websocket 127\.0\.0\.1:\d+: /;

const CASES: Case[] = [
  { name: 'not JSON', raw: 'not-json', code: -32600, message: PARSE },
  { name: 'truncated JSON', raw: '{"id":1,"method":', code: -32600, message: PARSE },
  { name: 'a JSON array', raw: '[]', code: -32600, message: /: expected a JSON-RPC object$/ },
  { name: 'a JSON number', raw: '42', code: -32600, message: /: expected a JSON-RPC object$/ },
  { name: 'an empty object', raw: '{}', code: -32600, message: /untagged enum JSONRPCMessage$/ },
  { name: 'a boolean id', raw: '{"id":true,"method":"environment/status"}', code: -32600, message: /untagged enum RequestId$/ },
  { name: 'a fractional id', raw: '{"id":1.5,"method":"environment/status"}', code: -32600, message: /untagged enum RequestId$/ },
  { name: 'duplicate keys at the top', raw: '{"id":1,"id":2,"method":"environment/status"}', code: -32600, message: /duplicate JSON object key `id`$/ },
  { name: 'duplicate keys deep in params', raw: JSON.stringify({ id: 1, method: 'process/read' }).replace('}', ',"params":{"processId":"a","processId":"b"}}'), code: -32600, message: /duplicate JSON object key `processId`$/ },
  { name: 'duplicate keys spelled with escapes', raw: '{"id":1,"method":"environment/status","params":{"a":1,"\\u0061":2}}', code: -32600, message: /duplicate JSON object key `a`$/ },
  { name: 'compact array amplification (more than 262144 values)', raw: `{"id":1,"method":"environment/status","params":[${'[],'.repeat(300_000)}[]]}`, code: -32600, message: /more than 262144 JSON values$/ },
  { name: 'unknown method', method: 'http/request', params: {}, code: -32601, message: 'exec-server stub does not implement `http/request` yet' },
  { name: 'fs/writeFile without path', method: 'fs/writeFile', params: {}, code: -32602, message: 'missing field `path`' },
  { name: 'fs/readFile without params', method: 'fs/readFile', code: -32602, message: 'invalid type: null, expected struct FileSystemParams' },
  { name: 'process/start without params', method: 'process/start', code: -32602, message: 'invalid type: null, expected struct ExecParams' },
  { name: 'process/start params as an array', method: 'process/start', params: [], code: -32602, message: 'invalid type: sequence, expected struct ExecParams' },
  { name: 'process/start without argv', method: 'process/start', params: without(ok, 'argv'), code: -32602, message: 'missing field `argv`' },
  { name: 'argv as a string', method: 'process/start', params: start({ argv: 'ls' }), code: -32602, message: 'invalid type: string "ls", expected a sequence' },
  { name: 'an argv element that is a number', method: 'process/start', params: start({ argv: ['echo', 5] }), code: -32602, message: 'invalid type: number, expected a string' },
  { name: 'empty argv', method: 'process/start', params: start({ argv: [] }), code: -32602, message: 'argv must not be empty' },
  { name: 'processId as a number', method: 'process/start', params: start({ processId: 12 }), code: -32602, message: 'invalid type: number, expected a string' },
  { name: 'missing tty', method: 'process/start', params: without(ok, 'tty'), code: -32602, message: 'missing field `tty`' },
  { name: 'tty as a string', method: 'process/start', params: start({ tty: 'yes' }), code: -32602, message: 'invalid type: string "yes", expected a boolean' },
  { name: 'missing env', method: 'process/start', params: without(ok, 'env'), code: -32602, message: 'missing field `env`' },
  { name: 'an env value that is not a string', method: 'process/start', params: start({ env: { A: 1 } }), code: -32602, message: 'invalid type: number, expected a string' },
  { name: 'cwd as a native path', method: 'process/start', params: start({ cwd: dir.ws }), code: -32602, message: 'invalid URI: relative URL without a base' },
  { name: 'cwd with an http: scheme', method: 'process/start', params: start({ cwd: 'http://example.com/x' }), code: -32602, message: 'unsupported path URI scheme `http`' },
  { name: 'cwd with a query', method: 'process/start', params: start({ cwd: `${dir.wsUri}?x=1` }), code: -32602, message: 'query parameters are not allowed in path URIs' },
  { name: 'cwd a Windows UNC URI (non-native)', method: 'process/start', params: start({ cwd: 'file://server/share/checkout' }), code: -32602, message: "cwd URI `file://server/share/checkout` is not valid on this exec-server host: 'file://server/share/checkout' is invalid on 'linux'" },
  { name: 'sandbox.cwd non-native', method: 'process/start', params: start({ sandbox: { ...sb, cwd: 'file://server/share/x' } }), code: -32602, message: /^sandbox cwd URI `file:\/\/server\/share\/x` is not valid on this exec-server host: / },
  { name: 'sandbox workspace root non-native', method: 'process/start', params: start({ sandbox: { ...sb, workspaceRoots: ['file:///C:/work'] } }), code: -32602, message: /^sandbox workspace root URI `file:\/\/\/C:\/work` is not valid on this exec-server host: / },
  { name: 'sandbox without windowsSandboxLevel', method: 'process/start', params: start({ sandbox: without(sb, 'windowsSandboxLevel') }), code: -32602, message: 'missing field `windowsSandboxLevel`' },
  { name: 'sandbox with an unknown windowsSandboxLevel', method: 'process/start', params: start({ sandbox: { ...sb, windowsSandboxLevel: 'max' } }), code: -32602, message: 'unknown variant `max`, expected one of `disabled`, `restricted-token`, `elevated`, `mxc`' },
  { name: 'sandbox without permissions', method: 'process/start', params: start({ sandbox: without(sb, 'permissions') }), code: -32602, message: 'missing field `permissions`' },
  { name: 'sandbox permissions of an unknown type', method: 'process/start', params: start({ sandbox: { ...sb, permissions: { type: 'superuser' } } }), code: -32602, message: /^invalid sandbox permissions: / },
  { name: 'envPolicy with an unknown inherit', method: 'process/start', params: start({ envPolicy: { inherit: 'some' } }), code: -32602, message: 'unknown variant `some`, expected one of `core`, `all`, `none`' },
  { name: 'managedNetwork (not supported: fail closed)', method: 'process/start', params: start({ managedNetwork: { loopbackPorts: [1] } }), code: -32602, message: /managed network is not supported/ },
  { name: 'shellSnapshot', method: 'process/start', params: start({ shellSnapshot: { scopeId: 'x', shell: { name: 'sh', path: '/bin/sh' } } }), code: -32602, message: /shell snapshots are unsupported/ },
  { name: 'process/write without writeId (the stale README example)', method: 'process/write', params: { processId: 'cat', chunk: b64('x') }, code: -32602, message: 'missing field `writeId`' },
  { name: 'process/write with an empty writeId', method: 'process/write', params: { processId: 'cat', chunk: b64('x'), writeId: '' }, code: -32602, message: 'writeId must not be empty' },
  { name: 'process/write with invalid base64', method: 'process/write', params: { processId: 'cat', chunk: 'not base64!', writeId: 'w' }, code: -32602, message: 'Invalid symbol 32, offset 3.' },
  { name: 'process/write with unpadded base64', method: 'process/write', params: { processId: 'cat', chunk: 'eA', writeId: 'w2' }, code: -32602, message: 'Invalid padding' },
  { name: 'process/signal kill', method: 'process/signal', params: { processId: 'cat', signal: 'kill' }, code: -32602, message: 'unknown variant `kill`, expected `interrupt`' },
  { name: 'process/read with a negative afterSeq', method: 'process/read', params: { processId: 'cat', afterSeq: -1 }, code: -32602, message: 'invalid number' },
  { name: 'process/read of an unknown process', method: 'process/read', params: { processId: 'nope' }, code: -32600, message: 'unknown process id nope' },
  { name: 'process/terminate without processId', method: 'process/terminate', params: {}, code: -32602, message: 'missing field `processId`' },
  { name: 'process/resize with 0 rows', method: 'process/resize', params: { processId: 'cat', rows: 0, cols: 80 }, code: -32602, message: 'rows and cols must be between 1 and 65535' },
  { name: 'process/closeStdin of an unknown process', method: 'process/closeStdin', params: { processId: 'nope' }, code: -32600, message: 'unknown process id nope' },
];

describe.skipIf(!isLinux || !built)('exec-server: malformed requests get the documented error and the server keeps serving', () => {
  let server: ServerProcess;
  let c: WsClient;
  beforeAll(async () => {
    server = await startServer();
    c = await WsClient.connect(server.url);
    await c.initialize();
    await c.call('process/start', startParams('cat', ['cat'], dir.wsUri, { pipeStdin: true }));
  });
  afterAll(async () => {
    await c.close();
    await server.stop();
    dir.cleanup();
  });

  it(`has at least 30 cases (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(CASES)('$name', async (tc) => {
    let reply: RpcMessage;
    if (tc.raw !== undefined) {
      const before = c.unsolicited.length;
      c.sendRaw(tc.raw);
      await c.waitFor(() => c.unsolicited.length > before, 10_000, 'the error reply');
      reply = c.unsolicited[before] ?? {};
      expect(reply.id).toBe(-1);
    } else {
      reply = await c.request(tc.method ?? '', tc.params);
    }
    expect(reply.error?.code).toBe(tc.code);
    if (typeof tc.message === 'string') expect(reply.error?.message).toBe(tc.message);
    else expect(reply.error?.message).toMatch(tc.message);
    expect(c.closed).toBe(false);
    expect(await c.call('environment/status')).toEqual({ status: 'ready' });
  });

  it('unknown fields are ignored (serde without deny_unknown_fields)', async () => {
    const r = await c.call('process/start', { ...startParams('extra', ['true'], dir.wsUri), someFutureField: { x: 1 }, jsonrpc: '2.0' });
    expect(r).toEqual({ processId: 'extra', sandboxType: 'none' });
  });

  it('initialize params: absent → invalid type null; without clientName → missing field (a later good initialize works)', async () => {
    const d = await WsClient.connect(server.url);
    expect((await d.request('initialize')).error).toEqual({ code: -32602, message: 'invalid type: null, expected struct InitializeParams' });
    expect((await d.request('initialize', {})).error).toEqual({ code: -32602, message: 'missing field `clientName`' });
    expect((await d.request('initialize', { clientName: 5 })).error).toEqual({ code: -32602, message: 'invalid type: number, expected a string' });
    await d.initialize();
    await d.close();
  });

  it('a frame over the 64 MiB message limit closes that connection (1009); the server keeps serving others', async () => {
    const d = await WsClient.connect(server.url);
    const code = new Promise<number>((res) => d.ws.once('close', (n: number) => res(n)));
    d.sendRaw(Buffer.alloc(64 * 1024 * 1024 + 16, 0x20));
    expect(await code).toBe(1009);
    expect(await c.call('environment/status')).toEqual({ status: 'ready' });
  });

  it('Origin headers and bad bearer tokens are refused before any JSON-RPC (403 / 401)', async () => {
    const status = (url: string, headers: Record<string, string>): Promise<number> =>
      new Promise((res) => {
        const ws = new WebSocket(url, { headers });
        ws.once('unexpected-response', (_q, r) => res(r.statusCode ?? 0));
        ws.once('open', () => {
          ws.close();
          res(101);
        });
        ws.once('error', () => undefined);
      });
    expect(await status(server.url, { Origin: 'http://localhost:3000' })).toBe(403);
    expect(await status(server.url, { Origin: '' })).toBe(403);
    expect(await c.call('environment/status')).toEqual({ status: 'ready' });
  });
});

/**
 * The exec-server's pure pieces: strict JSON decoding (Codex exec-server-protocol rpc_tests.rs:
 * rejects_duplicate_object_keys, rejects_compact_array_heap_amplification, accepts_large_scalar_payload),
 * serde-like params, listen-URL parsing (server/transport_tests.rs) and the output history's cursor.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonTextError, MAX_JSONRPC_VALUE_NODES, parseJsonText } from '../../../src/exec-server/json-text.js';
import { classify } from '../../../src/exec-server/jsonrpc.js';
import { decodeByteChunk, Fields } from '../../../src/exec-server/params.js';
import { OutputHistory } from '../../../src/exec-server/process-output.js';
import { isLoopback, parseListenUrl } from '../../../src/exec-server/server.js';

describe('parseJsonText', () => {
  it('rejects_duplicate_object_keys, at any depth and however the key is spelled', () => {
    expect(() => parseJsonText('{"a":1,"a":2}')).toThrow('duplicate JSON object key `a`');
    expect(() => parseJsonText('{"x":[{"k":1,"k":1}]}')).toThrow('duplicate JSON object key `k`');
    expect(() => parseJsonText('{"a":1,"\\u0061":2}')).toThrow('duplicate JSON object key `a`');
    expect(() => parseJsonText('{"a\\"b":1,"a\\"b":2}')).toThrow('duplicate JSON object key `a"b`');
    expect(parseJsonText('{"a":{"a":1},"b":{"a":2}}')).toEqual({ a: { a: 1 }, b: { a: 2 } });
    expect(parseJsonText('{"a":"\\"","b":"}","c":"\\\\"}')).toEqual({ a: '"', b: '}', c: '\\' });
  });

  it('rejects_compact_array_heap_amplification; accepts_large_scalar_payload', () => {
    const many = `[${'[],'.repeat(MAX_JSONRPC_VALUE_NODES)}[]]`;
    expect(() => parseJsonText(many)).toThrow(JsonTextError);
    const big = JSON.stringify({ id: 1, method: 'process/write', params: { chunk: 'A'.repeat(8 * 1024 * 1024) } });
    expect((parseJsonText(big) as { id: number }).id).toBe(1);
  });

  it('agrees with JSON.parse on every JSON value without duplicate keys', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = JSON.stringify(v);
        expect(parseJsonText(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it('classifies messages as Codex does', () => {
    expect(classify({ id: 1, method: 'm' }).kind).toBe('request');
    expect(classify({ method: 'm' }).kind).toBe('notification');
    expect(classify({ id: 'x', result: {} }).kind).toBe('response');
    expect(classify({ id: true, method: 'm' })).toEqual({ kind: 'malformed', reason: 'data did not match any variant of untagged enum RequestId' });
    expect(classify([])).toEqual({ kind: 'malformed', reason: 'expected a JSON-RPC object' });
  });
});

describe('params', () => {
  it('serde messages', () => {
    expect(() => Fields.of(null, 'InitializeParams')).toThrow('invalid type: null, expected struct InitializeParams');
    expect(() => Fields.of({}, 'X').string('clientName')).toThrow('missing field `clientName`');
    expect(() => Fields.of({ a: 5 }, 'X').string('a')).toThrow('invalid type: number, expected a string');
    expect(() => Fields.of({ a: -1 }, 'X').uint('a')).toThrow('invalid number');
    expect(() => Fields.of({ s: 'kill' }, 'X').enumValue('s', ['interrupt'])).toThrow('unknown variant `kill`, expected `interrupt`');
    expect(Fields.of({ a: null }, 'X').optString('a')).toBeUndefined();
  });

  it('ByteChunk: standard base64 with padding only, with the base64 crate texts', () => {
    expect(decodeByteChunk('aGk=').toString()).toBe('hi');
    expect(() => decodeByteChunk('aGk')).toThrow('Invalid padding');
    expect(() => decodeByteChunk('aG k=')).toThrow('Invalid symbol 32, offset 2.');
    expect(() => decodeByteChunk('aGk_')).toThrow('Invalid symbol 95, offset 3.');
  });
});

describe('parseListenUrl', () => {
  it('parse_listen_url_accepts_default_websocket_url / _accepts_stdio / _accepts_stdio_url / _accepts_websocket_url', () => {
    expect(parseListenUrl('ws://127.0.0.1:0')).toEqual({ kind: 'ws', host: '127.0.0.1', port: 0 });
    expect(parseListenUrl('stdio')).toEqual({ kind: 'stdio' });
    expect(parseListenUrl('stdio://')).toEqual({ kind: 'stdio' });
    expect(parseListenUrl('ws://[::1]:1234')).toEqual({ kind: 'ws', host: '::1', port: 1234 });
  });

  it('parse_listen_url_rejects_invalid_websocket_url / _rejects_unsupported_url (exact messages)', () => {
    expect(() => parseListenUrl('ws://localhost:1234')).toThrow('invalid websocket --listen URL `ws://localhost:1234`; expected `ws://IP:PORT`');
    expect(() => parseListenUrl('ws://127.0.0.1:99999')).toThrow('invalid websocket --listen URL');
    expect(() => parseListenUrl('http://127.0.0.1:1234')).toThrow('unsupported --listen URL `http://127.0.0.1:1234`; expected `ws://IP:PORT` or `stdio`');
  });

  it('loopback: 127/8 and ::1 only', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('127.5.0.1')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('0.0.0.0')).toBe(false);
    expect(isLoopback('::')).toBe(false);
    expect(isLoopback('10.0.0.1')).toBe(false);
  });
});

describe('OutputHistory', () => {
  it('process_read_replay_is_bounded_by_chunk_count and by bytes, oldest first; seqs keep counting', () => {
    const h = new OutputHistory(10, 3);
    for (let i = 0; i < 5; i += 1) h.push({ seq: h.allocate(), stream: 'stdout', data: Buffer.from('ab') });
    expect(h.after(0, undefined).map((c) => c.seq)).toEqual([3, 4, 5]);
    h.push({ seq: h.allocate(), stream: 'stderr', data: Buffer.from('0123456789') });
    expect(h.after(0, undefined).map((c) => c.seq)).toEqual([6]);
    expect(h.retainedBytes).toBe(10);
    expect(h.nextSeq).toBe(7);
  });

  it('maxBytes returns at least one chunk and stops before one that would pass the budget', () => {
    const h = new OutputHistory(1000, 100);
    for (const n of [4, 4, 4]) h.push({ seq: h.allocate(), stream: 'stdout', data: Buffer.alloc(n) });
    expect(h.after(0, 1).map((c) => c.seq)).toEqual([1]);
    expect(h.after(0, 8).map((c) => c.seq)).toEqual([1, 2]);
    expect(h.after(2, undefined).map((c) => c.seq)).toEqual([3]);
  });
});

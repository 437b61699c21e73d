/**
 * A session command's START environment (src/session/session.ts encodeEnv): the session's defaults,
 * encoded once, with a command's `env` replacing or adding variables as `{ ...defaults, ...env }` does.
 * The supervisor here is a pair of in-memory streams: only the bytes the host sends are checked.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { LaunchRequest } from '../../src/contracts/index.js';
import { FrameDecoder, FrameType } from '../../src/session/protocol.js';
import { SandboxSession } from '../../src/session/session.js';

/** The env strings of every START frame the session wrote. */
function startEnvs(bytes: Buffer): string[][] {
  const out: string[][] = [];
  for (const f of new FrameDecoder().push(bytes)) {
    if (f.type !== FrameType.start) continue;
    let o = 0;
    const strings = (): string[] => {
      const n = f.payload.readUInt32LE(o);
      o += 4;
      const items: string[] = [];
      for (let i = 0; i < n; i += 1) {
        const len = f.payload.readUInt32LE(o);
        items.push(f.payload.subarray(o + 4, o + 4 + len).toString('latin1'));
        o += 4 + len;
      }
      return items;
    };
    strings(); // argv
    out.push(strings());
  }
  return out;
}

/** A session over a fake supervisor (session env A=1 B=2): what it writes to the supervisor's stdin, and how to end it. */
function fakeSession(): { session: SandboxSession; written: Buffer[]; end: (v: unknown) => void } {
  const stdin = new PassThrough();
  const written: Buffer[] = [];
  stdin.on('data', (c: Buffer) => written.push(c));
  let end: (v: unknown) => void = () => undefined;
  const ended = new Promise((resolve) => (end = resolve));
  const supervisor = { stdin, stdout: new PassThrough(), stderr: new PassThrough(), kill: () => true, then: ended.then.bind(ended) };
  return { session: new SandboxSession(supervisor, {} as LaunchRequest, { cwd: '/w', env: { A: '1', B: '2' } }), written, end };
}

describe('session START environment', () => {
  it('sends the defaults, a command env replacing in place and adding at the end, and refuses a NUL', async () => {
    const { session, written, end } = fakeSession();
    void session.spawn(['x']).catch(() => undefined);
    void session.spawn(['x'], { env: { B: 'b', C: '\udcff' } }).catch(() => undefined);
    void session.spawn(['x'], { env: {} }).catch(() => undefined);
    void session.spawn(['x']).catch(() => undefined);
    expect(() => session.spawn(['x'], { env: { D: 'a\0b' } })).toThrow(/contains a NUL byte/);
    await new Promise((resolve) => setImmediate(resolve));
    expect(startEnvs(Buffer.concat(written))).toEqual([['A=1', 'B=2'], ['A=1', 'B=b', 'C=\xff'], ['A=1', 'B=2'], ['A=1', 'B=2']]);
    end({ exitCode: 0 });
    await session.ended;
  });

  it("one command's env never reaches a later command's, with or without an env of its own", async () => {
    // encodeEnv merges a command's env into a copy of the session's encoded defaults: merged into the
    // defaults themselves, a secret given to one command would go to every later one that adds a variable.
    const { session, written, end } = fakeSession();
    void session.spawn(['x'], { env: { B: 'b', SECRET: 's' } }).catch(() => undefined);
    void session.spawn(['x'], { env: { C: 'c' } }).catch(() => undefined);
    void session.spawn(['x'], { env: { A: 'a' } }).catch(() => undefined);
    void session.spawn(['x']).catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(startEnvs(Buffer.concat(written))).toEqual([['A=1', 'B=b', 'SECRET=s'], ['A=1', 'B=2', 'C=c'], ['A=a', 'B=2'], ['A=1', 'B=2']]);
    end({ exitCode: 0 });
    await session.ended;
  });
});

/** The session supervisor's frame protocol, host side (native/session/frames.h is the other end). */
import { describe, expect, it } from 'vitest';
import { FrameDecoder, FrameType, START_STDIN_NULL, encodeFrame, encodeStart, encodeStartFrame, encodeStrings } from '../../src/session/protocol.js';

describe('session frame protocol', () => {
  it('encodes the header little-endian: u32 length, u8 type, u32 id', () => {
    const f = encodeFrame(FrameType.stdin, 0x01020304, Buffer.from('ab'));
    expect([...f]).toEqual([2, 0, 0, 0, FrameType.stdin, 4, 3, 2, 1, 0x61, 0x62]);
  });

  it('decodes frames split across chunks and several in one chunk', () => {
    const bytes = Buffer.concat([encodeFrame(FrameType.stdout, 7, Buffer.from('hello')), encodeFrame(FrameType.exit, 7, Buffer.from([0, 3, 0, 0, 0])), encodeFrame(FrameType.ready, 0)]);
    const d = new FrameDecoder();
    const frames = [];
    for (let i = 0; i < bytes.length; i += 3) frames.push(...d.push(bytes.subarray(i, i + 3)));
    expect(frames.map((f) => [f.type, f.id, f.payload.toString('hex')])).toEqual([
      [FrameType.stdout, 7, Buffer.from('hello').toString('hex')],
      [FrameType.exit, 7, '0003000000'],
      [FrameType.ready, 0, ''],
    ]);
  });

  it('START carries argv, env and cwd as length-prefixed raw bytes', () => {
    const p = encodeStart([Buffer.from('ls'), Buffer.from([0xff])], [Buffer.from('A=1')], Buffer.from('/w'));
    expect(p.toString('hex')).toBe(['02000000', '02000000', '6c73', '01000000', 'ff', '01000000', '03000000', '413d31', '02000000', '2f77'].join(''));
  });

  it('a whole START frame in one buffer is the header and encodeStart payload', () => {
    const argv = [Buffer.from('ls'), Buffer.from([0xff])];
    const env = [Buffer.from('A=1')];
    const f = encodeStartFrame(9, encodeStrings(argv), encodeStrings(env), Buffer.from('/w'));
    expect(f.toString('hex')).toBe(encodeFrame(FrameType.start, 9, encodeStart(argv, env, Buffer.from('/w'))).toString('hex'));
    expect(() => encodeStartFrame(1, encodeStrings(argv), encodeStrings(env), Buffer.from('/\0'))).toThrow(/contains a NUL byte/);
    // Flags, when not 0: one byte after the cwd, counted in the length.
    const flagged = encodeStartFrame(9, encodeStrings(argv), encodeStrings(env), Buffer.from('/w'), START_STDIN_NULL);
    expect(flagged.subarray(9).toString('hex')).toBe(`${f.subarray(9).toString('hex')}01`);
    expect(flagged.readUInt32LE(0)).toBe(f.readUInt32LE(0) + 1);
  });

  it('refuses a NUL byte, naming the argument', () => {
    expect(() => encodeStart([Buffer.from('a\0b')], [], Buffer.from('/'))).toThrow(/contains a NUL byte/);
  });
});

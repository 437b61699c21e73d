/**
 * The session supervisor's frame protocol (native/session/frames.h is the other end): every frame is
 * u32 payload length (little-endian), u8 type, u32 command id, payload.
 */
export const FrameType = {
  start: 1,
  stdin: 2,
  signal: 3,
  /** Stop reading one command's stdout/stderr (flow control); RESUME goes on. No payload. */
  pause: 4,
  resume: 5,
  ready: 10,
  started: 11,
  stdout: 12,
  stderr: 13,
  exit: 14,
  failed: 15,
  fatal: 16,
} as const;

export interface Frame {
  type: number;
  id: number;
  payload: Buffer;
}

const HEADER = 9;

export function encodeFrame(type: number, id: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.allocUnsafe(HEADER);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt8(type, 4);
  header.writeUInt32LE(id, 5);
  return payload.length === 0 ? header : Buffer.concat([header, payload]);
}

function checkNul(item: Buffer): void {
  if (item.includes(0)) throw new TypeError(`session.spawn: ${JSON.stringify(item.toString('utf8'))} contains a NUL byte, which a command's argv, environment or cwd cannot hold`);
}

/** A u32 count, then each item as u32 length + bytes (NUL checked: see encodeStart). */
export function encodeStrings(items: readonly Buffer[]): Buffer {
  let size = 4;
  for (const item of items) {
    checkNul(item);
    size += 4 + item.length;
  }
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32LE(items.length, 0);
  let offset = 4;
  for (const item of items) {
    out.writeUInt32LE(item.length, offset);
    item.copy(out, offset + 4);
    offset += 4 + item.length;
  }
  return out;
}

/**
 * A START payload from its parts: argv and env as encodeStrings gave them (a session encodes its
 * default environment once), then the cwd.
 */
export function encodeStartParts(argv: Buffer, env: Buffer, cwd: Buffer): Buffer {
  checkNul(cwd);
  const cwdLength = Buffer.allocUnsafe(4);
  cwdLength.writeUInt32LE(cwd.length, 0);
  return Buffer.concat([argv, env, cwdLength, cwd]);
}

/** START's optional flags byte after the cwd: the command's stdin is /dev/null (no STDIN frames follow). */
export const START_STDIN_NULL = 1;

/**
 * A whole START frame (header and payload, encodeStartParts's layout, then `flags` as one byte if not
 * 0) in one buffer: the parts are copied once (a session's default environment section is the same
 * buffer for every command).
 */
export function encodeStartFrame(id: number, argv: Buffer, env: Buffer, cwd: Buffer, flags = 0): Buffer {
  checkNul(cwd);
  const length = argv.length + env.length + 4 + cwd.length + (flags !== 0 ? 1 : 0);
  const out = Buffer.allocUnsafe(HEADER + length);
  out.writeUInt32LE(length, 0);
  out.writeUInt8(FrameType.start, 4);
  out.writeUInt32LE(id, 5);
  let offset = HEADER;
  offset += argv.copy(out, offset);
  offset += env.copy(out, offset);
  out.writeUInt32LE(cwd.length, offset);
  offset += 4 + cwd.copy(out, offset + 4);
  if (flags !== 0) out.writeUInt8(flags, offset);
  return out;
}

/**
 * A START payload: argv, env (NAME=VALUE), cwd, each as raw bytes. A NUL byte cannot reach execve:
 * TypeError naming the argument, before anything is sent.
 */
export function encodeStart(argv: readonly Buffer[], env: readonly Buffer[], cwd: Buffer): Buffer {
  return encodeStartParts(encodeStrings(argv), encodeStrings(env), cwd);
}

/** Collects bytes from the supervisor's stdout and yields whole frames. */
export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: Frame[] = [];
    let offset = 0;
    while (this.buffer.length - offset >= HEADER) {
      const length = this.buffer.readUInt32LE(offset);
      if (this.buffer.length - offset < HEADER + length) break;
      frames.push({
        type: this.buffer.readUInt8(offset + 4),
        id: this.buffer.readUInt32LE(offset + 5),
        payload: this.buffer.subarray(offset + HEADER, offset + HEADER + length),
      });
      offset += HEADER + length;
    }
    this.buffer = offset === this.buffer.length ? Buffer.alloc(0) : this.buffer.subarray(offset);
    return frames;
  }
}

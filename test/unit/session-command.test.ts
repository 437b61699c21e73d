/**
 * One session command's flow control, host side (src/session/command.ts): PAUSE once a stream's buffer
 * is full, RESUME only when every full stream has drained, and `buffer: false`. The supervisor end is
 * covered with real bwrap in test/integration/linux/session-flow.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { SessionCommand } from '../../src/session/command.js';

function command(options: { buffer?: boolean } = {}): { cmd: SessionCommand; paused: boolean[] } {
  const paused: boolean[] = [];
  const cmd = new SessionCommand(1, 'x', { sendStdin: () => undefined, sendSignal: () => undefined, setPaused: (_id, p) => paused.push(p) }, { stdin: 'ignore', ...options });
  return { cmd, paused };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('session command flow control', () => {
  it('pauses once when a stream is full and resumes after both full streams drained', async () => {
    const { cmd, paused } = command({ buffer: false });
    const chunk = Buffer.alloc(20_000);
    cmd.output(1, chunk);
    cmd.output(1, chunk);
    cmd.output(2, chunk);
    cmd.output(2, chunk);
    expect(paused).toEqual([true]);
    cmd.stdout.resume();
    await tick();
    expect(paused).toEqual([true]);
    cmd.stderr.resume();
    await tick();
    expect(paused).toEqual([true, false]);
  });

  it('a flowing stream (buffer: true collects the output) never pauses, and the result has it', async () => {
    const { cmd, paused } = command();
    for (let i = 0; i < 10; i += 1) cmd.output(1, Buffer.alloc(20_000, 0x61));
    cmd.exited(0, undefined);
    const r = await cmd.subprocess;
    expect(paused).toEqual([]);
    expect(String(r.stdout)).toHaveLength(200_000);
  });

  it('buffer: false leaves the result empty', async () => {
    const { cmd } = command({ buffer: false });
    cmd.output(1, Buffer.from('hello\n'));
    cmd.stdout.resume();
    cmd.exited(0, undefined);
    expect(await cmd.subprocess).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
  });
});

describe('session command streams made on first use', () => {
  function recorder(options: ConstructorParameters<typeof SessionCommand>[3]): { cmd: SessionCommand; stdin: string[] } {
    const stdin: string[] = [];
    const cmd = new SessionCommand(1, 'x', { sendStdin: (_id, c) => stdin.push(c.toString('hex')), sendSignal: () => undefined, setPaused: () => undefined }, options);
    cmd.begin();
    return { cmd, stdin };
  }

  it('collects output without a stream, and a stream made later gets what comes after', async () => {
    const { cmd } = recorder({ stdin: 'ignore' });
    cmd.output(1, Buffer.from('a'));
    const seen: string[] = [];
    cmd.subprocess.stdout.on('data', (c: Buffer) => seen.push(c.toString()));
    cmd.output(1, Buffer.from('b'));
    cmd.output(2, Buffer.from('e'));
    cmd.exited(0, undefined);
    expect(await cmd.subprocess).toMatchObject({ stdout: 'ab', stderr: 'e' });
    expect(seen).toEqual(['b']);
    // Made after the end: ended at once.
    await new Promise<void>((resolve) => cmd.subprocess.stderr.on('end', resolve).resume());
  });

  it("stdin: 'ignore' and input send one EOF each; the stream, if asked for, is ended", () => {
    const ignore = recorder({ stdin: 'ignore' });
    expect(ignore.stdin).toEqual(['']);
    expect(ignore.cmd.subprocess.stdin.writableEnded).toBe(true);
    expect(ignore.stdin).toEqual(['']);
    const input = recorder({ input: 'hi' });
    expect(input.stdin).toEqual(['6869', '']);
    const piped = recorder({});
    expect(piped.stdin).toEqual([]);
    piped.cmd.subprocess.stdin.end('x');
    expect(piped.stdin).toEqual(['78', '']);
  });

  it('the subprocess is a promise with pid, streams, kill and interrupt; then() gives a plain promise', async () => {
    const signals: number[] = [];
    const cmd = new SessionCommand(1, 'x', { sendStdin: () => undefined, sendSignal: (_id, s) => signals.push(s), setPaused: () => undefined }, { stdin: 'ignore' });
    const sub = cmd.subprocess;
    expect(sub).toBeInstanceOf(Promise);
    expect(sub.pid).toBeUndefined();
    cmd.pid = 42;
    expect(sub.pid).toBe(42);
    expect(sub.kill()).toBe(true);
    expect(sub.interrupt()).toBe(true);
    expect(signals).toEqual([15, 2]);
    const chained = sub.then((r) => r.exitCode);
    expect(Object.getPrototypeOf(chained)).toBe(Promise.prototype);
    cmd.exited(0, undefined);
    expect(await chained).toBe(0);
    expect(sub.kill()).toBe(false);
  });

  it('a start failure is in the result stderr', async () => {
    const { cmd } = recorder({ stdin: 'ignore', reject: false });
    cmd.failedToStart(2, 'nope: not found');
    expect(await cmd.subprocess).toMatchObject({ exitCode: 127, stderr: 'codex-sandbox: nope: not found' });
  });
});

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
    cmd.output(cmd.stdout, chunk);
    cmd.output(cmd.stdout, chunk);
    cmd.output(cmd.stderr, chunk);
    cmd.output(cmd.stderr, chunk);
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
    for (let i = 0; i < 10; i += 1) cmd.output(cmd.stdout, Buffer.alloc(20_000, 0x61));
    cmd.exited(0, undefined);
    const r = await cmd.subprocess;
    expect(paused).toEqual([]);
    expect(String(r.stdout)).toHaveLength(200_000);
  });

  it('buffer: false leaves the result empty', async () => {
    const { cmd } = command({ buffer: false });
    cmd.output(cmd.stdout, Buffer.from('hello\n'));
    cmd.stdout.resume();
    cmd.exited(0, undefined);
    expect(await cmd.subprocess).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
  });
});

/**
 * `codex-sandbox run --tty`: the command gets a terminal of its own. This process (outside the
 * sandbox) opens a NEW pseudo-terminal, hands its slave to the command as stdin/stdout/stderr (the
 * launcher's inner stage makes it the controlling terminal of a new session: `--ctty`), puts the
 * caller's terminal in raw mode and copies bytes both ways. Ctrl-C, Ctrl-Z and the rest are then
 * keys the inner line discipline turns into signals for the inner foreground job, so a shell in the
 * sandbox has job control. The caller's terminal never reaches the sandbox: TIOCSTI through the
 * inner pty types only into the command's own input (CVE-2017-5226 was about the caller's terminal).
 */
import { closeSync, write as fsWrite } from 'node:fs';
import { ReadStream as TtyReadStream } from 'node:tty';
import { REFUSAL_SCAN_BYTES } from '../launch/refusals.js';
import { loadNative } from '../native.js';

/**
 * How long after the command's exit the relay waits for the rest of its output. The pty reads EIO
 * at once when every process of the sandbox is gone (bwrap's pid namespace); a background process of
 * an unnamespaced launch that keeps the terminal open delays the caller this long.
 */
const OUTPUT_DRAIN_MS = 2000;
/**
 * How often the relay asks the pty whether the command's job stopped (Ctrl-Z, or its own SIGTSTP):
 * the launcher's --ctty-job supervisor then holds the terminal's foreground (one ioctl pair).
 */
const STOP_POLL_MS = 100;
/**
 * After the start or a SIGCONT, the leader's foreground means "not handed to the job yet" for at most
 * this long (the supervisor does it at once); a job that stopped before we saw it run counts after it.
 */
const HANDOVER_MS = 1000;

/** Window size of the caller's terminal (rows, columns); 24x80 when no output stream is one. */
function callerWindow(): [number, number] {
  for (const s of [process.stdout, process.stderr]) {
    if (s.isTTY && s.rows > 0 && s.columns > 0) return [s.rows, s.columns];
  }
  return [24, 80];
}

export class PtyRelay {
  private stream: TtyReadStream | undefined;
  private slaveOpen = true;
  private raw = false;
  private ended: Promise<void> = Promise.resolve();
  private chunks: Buffer[] = [];
  private kept = 0;
  /** Keystrokes not yet written to the master (EAGAIN: the command is not reading its input). */
  private pending: Buffer[] = [];
  private writing = false;
  private closed = false;
  private readonly onInput = (d: Buffer): void => this.send(d);
  private readonly onResize = (): void => this.resize();

  private constructor(
    readonly master: number,
    readonly slave: number,
    private readonly setSize: (fd: number, rows: number, cols: number) => void,
    private readonly jobState: ((fd: number) => 'stopped' | 'running' | 'none') | undefined,
  ) {}

  private poll: NodeJS.Timeout | undefined;
  private stopped = false;
  /**
   * Until the job is seen holding the terminal, the leader's foreground means "not started yet" (before
   * the supervisor's tcsetpgrp) or "not continued yet" (after our SIGCONT), not a stop.
   */
  private awaitRunningUntil: number | undefined;

  /** A new pty pair with the caller's window size. Throws when the addon has no pty support. */
  static open(): PtyRelay {
    const native = loadNative();
    if (!native.openPty || !native.setPtySize) throw new Error('this build of the native addon has no openPty (rebuild it: npm run build:native)');
    const [rows, cols] = callerWindow();
    const { master, slave } = native.openPty(rows, cols);
    return new PtyRelay(master, slave, native.setPtySize.bind(native), native.ptyJobState?.bind(native));
  }

  /** After the command was spawned (it has its own copy of the slave): start relaying. */
  start(): void {
    // Our copy of the slave would keep the pty open (no EIO) after the command's last process is gone.
    this.closeSlave();
    const stream = new TtyReadStream(this.master);
    this.stream = stream;
    this.ended = new Promise<void>((resolve) => {
      // A pty master reads EIO once every slave is closed: that is its end of file.
      stream.once('error', () => resolve());
      stream.once('end', resolve);
      stream.once('close', resolve);
    });
    stream.on('data', (chunk: Buffer) => {
      this.keep(chunk);
      // A slow reader of our stdout back-pressures the command (its writes block on the full pty).
      if (!process.stdout.write(chunk)) {
        stream.pause();
        process.stdout.once('drain', () => stream.resume());
      }
    });
    // A reader of our stdout that went away must not crash the CLI; the command goes on.
    process.stdout.on('error', () => undefined);
    process.stdout.on('resize', this.onResize);
    process.stdin.on('data', this.onInput);
    this.enterRaw();
  }

  /**
   * Calls `onStop` each time the command's job stops (Ctrl-Z through the inner pty): the caller then
   * suspends the relay and stops itself, as the job of the caller's shell. Nothing happens with an
   * addon that cannot tell (no ptyJobState).
   */
  watchStops(onStop: () => void): void {
    const check = this.jobState;
    if (!check) return;
    this.poll = setInterval(() => {
      if (this.closed || this.stopped) return;
      const state = check(this.master);
      // No session yet: the sandbox is still being set up (the hand-over wait starts after it).
      if (state === 'none') return;
      if (state === 'running') {
        this.awaitRunningUntil = 0;
        return;
      }
      if (this.awaitRunningUntil === undefined) this.awaitRunningUntil = Date.now() + HANDOVER_MS;
      if (Date.now() < this.awaitRunningUntil) return;
      this.stopped = true;
      onStop();
    }, STOP_POLL_MS);
    this.poll.unref();
  }

  /** The caller's terminal size onto the inner pty (the kernel sends SIGWINCH to its foreground job). */
  resize(): void {
    if (this.closed) return;
    const [rows, cols] = callerWindow();
    try {
      this.setSize(this.master, rows, cols);
    } catch {
      // The pty is already gone (the command ended): nothing to resize.
    }
  }

  /** Before this process stops (SIGTSTP): the caller's terminal back as it was. */
  suspend(): void {
    this.leaveRaw();
  }

  /** After SIGCONT: raw mode again, and the size the terminal has now. */
  resume(): void {
    this.stopped = false;
    this.awaitRunningUntil = Date.now() + HANDOVER_MS;
    if (this.closed) return;
    this.enterRaw();
    this.resize();
  }

  /**
   * After the command exited: waits for the rest of its output (EIO, or OUTPUT_DRAIN_MS), restores the
   * caller's terminal and returns the end of the output for the refusal report (src/launch/refusals.ts).
   */
  async finish(): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.ended, new Promise<void>((resolve) => (timer = setTimeout(() => setImmediate(resolve), OUTPUT_DRAIN_MS)))]);
    clearTimeout(timer);
    this.close();
    const all = Buffer.concat(this.chunks);
    // The pty's line discipline turned every \n into \r\n (ONLCR); the scan reads plain lines.
    return all.subarray(Math.max(0, all.length - REFUSAL_SCAN_BYTES)).toString('utf8').replace(/\r/g, '');
  }

  /** Restores the terminal and releases the pty; safe to call more than once, on any exit path. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.poll);
    this.leaveRaw();
    process.stdin.off('data', this.onInput);
    process.stdin.pause();
    process.stdout.off('resize', this.onResize);
    this.closeSlave();
    if (this.stream) this.stream.destroy();
    else closeSync(this.master);
  }

  private closeSlave(): void {
    if (!this.slaveOpen) return;
    this.slaveOpen = false;
    closeSync(this.slave);
  }

  private enterRaw(): void {
    if (this.raw || !process.stdin.isTTY) return;
    // Raw: every key, Ctrl-C and Ctrl-Z included, goes to the inner pty, whose line discipline
    // signals the command's foreground job (not this CLI).
    process.stdin.setRawMode(true);
    process.stdin.resume();
    this.raw = true;
  }

  private leaveRaw(): void {
    if (!this.raw) return;
    this.raw = false;
    try {
      process.stdin.setRawMode(false);
    } catch {
      // stdin is no longer a terminal we can set (closed): nothing to restore.
    }
  }

  private keep(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.kept += chunk.length;
    if (this.kept > 2 * REFUSAL_SCAN_BYTES) {
      const all = Buffer.concat(this.chunks);
      this.chunks = [all.subarray(all.length - REFUSAL_SCAN_BYTES)];
      this.kept = REFUSAL_SCAN_BYTES;
    }
  }

  /** Keystrokes to the master, in order; the master is non-blocking (libuv), EAGAIN retries. */
  private send(data: Buffer): void {
    if (this.closed) return;
    this.pending.push(data);
    if (!this.writing) this.flush();
  }

  private flush(): void {
    const next = this.pending[0];
    if (next === undefined || this.closed) {
      this.writing = false;
      return;
    }
    this.writing = true;
    fsWrite(this.master, next, 0, next.length, null, (err, n) => {
      if (err) {
        if (err.code === 'EAGAIN') {
          setTimeout(() => this.flush(), 5);
          return;
        }
        // The command is gone (EIO): its input goes nowhere.
        this.pending = [];
        this.writing = false;
        return;
      }
      if (n < next.length) this.pending[0] = next.subarray(n);
      else this.pending.shift();
      this.flush();
    });
  }
}

/**
 * One command of a session: its streams, its result promise, kill/interrupt/timeout. Shaped like the
 * execa subprocess `sandbox.spawn` returns (stdout/stderr/stdin streams, a promise of
 * { exitCode, signal, stdout, stderr, failed, timedOut }, rejecting unless `reject: false`).
 */
import { createRequire } from 'node:module';
import type * as StreamModule from 'node:stream';
import type { PassThrough, Writable } from 'node:stream';
import { constants } from 'node:os';

// node:stream when a session command is made: `codex-sandbox run` bundles this module but never
// makes one, and loading the streams stack is part of its start-up (issue #21).
const lazyRequire = createRequire(import.meta.url);
const stream = (): typeof StreamModule => lazyRequire('node:stream') as typeof StreamModule;

export interface SessionSpawnOptions {
  /** Working directory inside the sandbox (default: the session's cwd). */
  cwd?: string;
  /** Variables added to (or replacing) the session's command environment for this command. */
  env?: Record<string, string>;
  /** `pipe` (default): `subprocess.stdin` is writable; `ignore`: the command's stdin is /dev/null (read-only), as sandbox.spawn's. */
  stdin?: 'pipe' | 'ignore';
  /** Written to the command's stdin, which is then closed. */
  input?: string | Buffer;
  /** Milliseconds before `killSignal` is sent to the command's process group (SIGKILL 2 s later). */
  timeout?: number;
  killSignal?: NodeJS.Signals;
  /** false: the promise resolves with a failed result instead of rejecting (default true). */
  reject?: boolean;
  /** `utf8` (default) or `buffer` for the result's stdout/stderr. */
  encoding?: 'utf8' | 'buffer';
  /** Remove one final newline from the result's stdout/stderr (default true, like execa). */
  stripFinalNewline?: boolean;
  /**
   * false: the output is not collected into the result (its stdout and stderr are empty); read it
   * from `subprocess.stdout` / `stderr`, or the command blocks once their buffers are full (flow
   * control, docs/sessions.md). Default true.
   */
  buffer?: boolean;
}

export interface SessionResult {
  command: string;
  /** The command's exit code; undefined when a signal ended it. */
  exitCode: number | undefined;
  /** The signal that ended it, e.g. 'SIGTERM'. */
  signal: NodeJS.Signals | undefined;
  stdout: string | Buffer;
  stderr: string | Buffer;
  failed: boolean;
  timedOut: boolean;
}

/** A command that failed (non-zero exit, signal, timeout, or the session ending under it). */
export class SessionCommandError extends Error implements SessionResult {
  command = '';
  exitCode: number | undefined = undefined;
  signal: NodeJS.Signals | undefined = undefined;
  stdout: string | Buffer = '';
  stderr: string | Buffer = '';
  failed = true;
  timedOut = false;
  constructor(message: string, result: SessionResult, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SessionCommandError';
    Object.assign(this, result);
  }
}

export interface SessionSubprocess extends Promise<SessionResult> {
  /** The command's pid inside the sandbox (its process group id); undefined until it started. */
  readonly pid: number | undefined;
  readonly stdin: Writable;
  readonly stdout: PassThrough;
  readonly stderr: PassThrough;
  /** Sends a signal (default SIGTERM) to the command's process group; false once it ended. */
  kill(signal?: NodeJS.Signals): boolean;
  /** SIGINT to the command's process group. */
  interrupt(): boolean;
}

/** What a command needs of its session. */
export interface CommandChannel {
  sendStdin(id: number, chunk: Buffer): void;
  sendSignal(id: number, signal: number): void;
  /** PAUSE (true) or RESUME (false): the supervisor stops or goes on reading this command's output. */
  setPaused(id: number, paused: boolean): void;
}

const MAX_STDIN_FRAME = 1 << 20;

function signalName(n: number): NodeJS.Signals | undefined {
  for (const [name, value] of Object.entries(constants.signals)) if (value === n) return name as NodeJS.Signals;
  return undefined;
}

function strip(b: Buffer, yes: boolean): Buffer {
  if (!yes || b.length === 0) return b;
  let end = b.length;
  if (b[end - 1] === 0x0a) end -= 1;
  if (end > 0 && end < b.length && b[end - 1] === 0x0d) end -= 1;
  return b.subarray(0, end);
}

/**
 * The promise `session.spawn` returns, with the command's streams, pid and signals as getters and
 * methods of its class: nothing is defined on each promise (properties defined on a promise object
 * made it a slow dictionary object, most of a session command's JavaScript CPU).
 */
class Subprocess extends Promise<SessionResult> implements SessionSubprocess {
  // then/catch/finally make plain promises.
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  #command: SessionCommand | undefined;

  static of(command: SessionCommand, executor: (resolve: (r: SessionResult) => void, reject: (e: unknown) => void) => void): Subprocess {
    const p = new Subprocess(executor);
    p.#command = command;
    return p;
  }

  private get cmd(): SessionCommand {
    if (!this.#command) throw new TypeError('session subprocess: no command');
    return this.#command;
  }

  get pid(): number | undefined {
    return this.cmd.pid;
  }

  get stdin(): Writable {
    return this.cmd.stdin;
  }

  get stdout(): PassThrough {
    return this.cmd.stdout;
  }

  get stderr(): PassThrough {
    return this.cmd.stderr;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    return this.cmd.kill(signal);
  }

  interrupt(): boolean {
    return this.cmd.kill('SIGINT');
  }
}

/** Which output stream a chunk belongs to (the STDOUT and STDERR frames). */
export type OutputFd = 1 | 2;

/**
 * The session side of one command: fed by frames, settled by EXIT/FAILED or the session's end. Its
 * streams are made on first use (most callers only await the result, and three streams per command
 * were most of a session command's Node CPU). With `buffer` on, output is collected straight into the
 * result, and an output stream made later is flowing and gets what arrives from then on (as a
 * listener added late to an always-flowing stream did). With `buffer: false` both output streams
 * exist from the start.
 */
export class SessionCommand {
  readonly subprocess: SessionSubprocess;
  pid: number | undefined;
  private readonly out: Buffer[] = [];
  private readonly err: Buffer[] = [];
  private outStream: PassThrough | undefined;
  private errStream: PassThrough | undefined;
  private stdinStream: Writable | undefined;
  /** STDIN EOF was sent (by begin() for `input`/`stdin: 'ignore'`, or by the stream's end). */
  private stdinEnded = false;
  private settled = false;
  private timedOut = false;
  /** The output streams whose buffer is full: the command's output is paused until both drained. */
  private readonly full = new Set<PassThrough>();
  private timers: NodeJS.Timeout[] = [];
  private settle!: (r: SessionResult | SessionCommandError) => void;

  constructor(
    readonly id: number,
    private readonly name: string,
    private readonly channel: CommandChannel,
    private readonly options: SessionSpawnOptions,
  ) {
    if (options.buffer === false) {
      this.outStream = this.makeOutput();
      this.errStream = this.makeOutput();
    }
    this.subprocess = Subprocess.of(this, (resolve, rejectPromise) => {
      this.settle = (r): void => (r instanceof SessionCommandError ? rejectPromise(r) : resolve(r));
    });
    if (options.timeout !== undefined && options.timeout > 0) {
      const t = setTimeout(() => {
        this.timedOut = true;
        this.kill(options.killSignal ?? 'SIGTERM');
        const force = setTimeout(() => this.kill('SIGKILL'), 2000);
        force.unref();
        this.timers.push(force);
      }, options.timeout);
      t.unref();
      this.timers.push(t);
    }
  }

  get stdout(): PassThrough {
    this.outStream ??= this.makeOutput();
    return this.outStream;
  }

  get stderr(): PassThrough {
    this.errStream ??= this.makeOutput();
    return this.errStream;
  }

  get stdin(): Writable {
    if (!this.stdinStream) {
      this.stdinStream = new (stream().Writable)({
        write: (chunk: Buffer, _enc, done): void => {
          for (let o = 0; o < chunk.length; o += MAX_STDIN_FRAME) this.channel.sendStdin(this.id, chunk.subarray(o, o + MAX_STDIN_FRAME));
          done();
        },
        final: (done): void => {
          this.endStdin();
          done();
        },
      });
      // Already closed (begin(): `input` or `stdin: 'ignore'`; or the command ended): an ended stream.
      if (this.stdinEnded) this.stdinStream.end();
      else if (this.settled) this.stdinStream.destroy();
    }
    return this.stdinStream;
  }

  /** An output stream: flowing with `buffer` on (the result collects the output; nothing waits for a reader). */
  private makeOutput(): PassThrough {
    const out = new (stream().PassThrough)();
    if (this.options.buffer !== false) out.resume();
    if (this.settled) out.end();
    return out;
  }

  private endStdin(): void {
    if (this.stdinEnded) return;
    this.stdinEnded = true;
    this.channel.sendStdin(this.id, Buffer.alloc(0));
  }

  /**
   * Called once START is sent: `input` or `stdin: 'ignore'` reach the command after it. `stdinInStart`:
   * START already gave the command /dev/null as its stdin (nothing to send).
   */
  begin(stdinInStart = false): void {
    if (stdinInStart) {
      this.stdinEnded = true;
      return;
    }
    const input = this.options.input;
    if (input !== undefined) {
      const b = typeof input === 'string' ? Buffer.from(input) : input;
      for (let o = 0; o < b.length; o += MAX_STDIN_FRAME) this.channel.sendStdin(this.id, b.subarray(o, o + MAX_STDIN_FRAME));
      this.endStdin();
    } else if (this.options.stdin === 'ignore') {
      this.endStdin();
    }
  }

  /**
   * Output from the supervisor. A stream whose reader does not keep up (write() false: paused, or
   * piped to something slower) pauses this command only, until 'drain': what Node holds per command
   * stays bounded by the stream's buffer plus what was already in flight. With `buffer` on it is also
   * collected into the result.
   */
  output(fd: OutputFd, chunk: Buffer): void {
    if (this.settled) return;
    if (this.options.buffer !== false) (fd === 1 ? this.out : this.err).push(chunk);
    const stream = fd === 1 ? this.outStream : this.errStream;
    if (!stream) return;
    if (stream.write(chunk) || this.full.has(stream)) return;
    if (this.full.size === 0) this.channel.setPaused(this.id, true);
    this.full.add(stream);
    stream.once('drain', () => {
      this.full.delete(stream);
      if (this.full.size === 0 && !this.settled) this.channel.setPaused(this.id, false);
    });
  }

  get done(): boolean {
    return this.settled;
  }

  kill(signal: NodeJS.Signals): boolean {
    if (this.settled) return false;
    const n = constants.signals[signal] as number | undefined;
    if (n === undefined) throw new TypeError(`kill: unknown signal ${String(signal)}`);
    this.channel.sendSignal(this.id, n);
    return true;
  }

  exited(exitCode: number | undefined, signal: number | undefined): void {
    this.finish(exitCode, signal === undefined ? undefined : signalName(signal));
  }

  /** The command could not start: reported like a shell would (127 not found, 126 otherwise). */
  failedToStart(errno: number, message: string): void {
    this.output(2, Buffer.from(`codex-sandbox: ${message}\n`));
    this.finish(errno === constants.errno.ENOENT ? 127 : 126, undefined);
  }

  /** The session ended under the command. */
  aborted(reason: string, cause?: unknown): void {
    if (this.settled) return;
    this.finish(undefined, undefined, reason, cause);
  }

  private finish(exitCode: number | undefined, signal: NodeJS.Signals | undefined, abortReason?: string, cause?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    for (const t of this.timers) clearTimeout(t);
    this.outStream?.end();
    this.errStream?.end();
    if (this.stdinStream && !this.stdinStream.writableEnded) this.stdinStream.destroy();
    const binary = this.options.encoding === 'buffer';
    const stripIt = this.options.stripFinalNewline ?? true;
    const text = (chunks: Buffer[]): string | Buffer => {
      const b = strip(Buffer.concat(chunks), stripIt);
      return binary ? b : b.toString('utf8');
    };
    const result: SessionResult = {
      command: this.name,
      exitCode,
      signal,
      stdout: text(this.out),
      stderr: text(this.err),
      failed: abortReason !== undefined || exitCode !== 0 || this.timedOut,
      timedOut: this.timedOut,
    };
    if (!result.failed || this.options.reject === false) {
      if (abortReason !== undefined && this.options.reject === false) {
        this.settle(new SessionCommandError(`${this.name}: ${abortReason}`, result, { cause }));
        return;
      }
      this.settle(result);
      return;
    }
    const why =
      abortReason ?? (this.timedOut ? `timed out after ${String(this.options.timeout)} ms` : signal ? `killed by ${signal}` : `exited with code ${String(exitCode)}`);
    this.settle(new SessionCommandError(`Command failed: ${this.name}: ${why}`, result, { cause }));
  }
}

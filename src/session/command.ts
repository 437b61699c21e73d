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
  /** `pipe` (default): `subprocess.stdin` is writable; `ignore`: the command reads EOF at once. */
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

/** The session side of one command: fed by frames, settled by EXIT/FAILED or the session's end. */
export class SessionCommand {
  readonly stdout = new (stream().PassThrough)();
  readonly stderr = new (stream().PassThrough)();
  readonly stdin: Writable;
  readonly subprocess: SessionSubprocess;
  pid: number | undefined;
  private readonly out: Buffer[] = [];
  private readonly err: Buffer[] = [];
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
    if (options.buffer !== false) {
      this.stdout.on('data', (c: Buffer) => this.out.push(c));
      this.stderr.on('data', (c: Buffer) => this.err.push(c));
    }
    this.stdin = new (stream().Writable)({
      write: (chunk: Buffer, _enc, done): void => {
        for (let o = 0; o < chunk.length; o += MAX_STDIN_FRAME) this.channel.sendStdin(this.id, chunk.subarray(o, o + MAX_STDIN_FRAME));
        done();
      },
      final: (done): void => {
        this.channel.sendStdin(this.id, Buffer.alloc(0));
        done();
      },
    });
    const promise = new Promise<SessionResult>((resolve, rejectPromise) => {
      this.settle = (r): void => (r instanceof SessionCommandError ? rejectPromise(r) : resolve(r));
    });
    const extras = {
      stdin: this.stdin,
      stdout: this.stdout,
      stderr: this.stderr,
      kill: (signal: NodeJS.Signals = 'SIGTERM'): boolean => this.kill(signal),
      interrupt: (): boolean => this.kill('SIGINT'),
    };
    // A getter on the promise itself (Object.assign would copy a getter's value once).
    this.subprocess = Object.defineProperty(Object.assign(promise, extras), 'pid', { get: () => this.pid, enumerable: true }) as SessionSubprocess;
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

  /** Called once START is sent: `input` or `stdin: 'ignore'` reach the command after it. */
  begin(): void {
    if (this.options.input !== undefined) this.stdin.end(this.options.input);
    else if (this.options.stdin === 'ignore') this.stdin.end();
  }

  /**
   * Output from the supervisor. A stream whose reader does not keep up (write() false: paused, or
   * piped to something slower) pauses this command only, until 'drain': what Node holds per command
   * stays bounded by the stream's buffer plus what was already in flight.
   */
  output(stream: PassThrough, chunk: Buffer): void {
    if (this.settled || stream.write(chunk) || this.full.has(stream)) return;
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
    this.stderr.write(`codex-sandbox: ${message}\n`);
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
    this.stdout.end();
    this.stderr.end();
    if (!this.stdin.writableEnded) this.stdin.destroy();
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

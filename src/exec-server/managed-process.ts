/**
 * One process started by `process/start`: its subprocess (always started through Sandbox.launch,
 * so it is sandboxed exactly as sandbox.spawn would sandbox it), its output history and cursor, stdin
 * with `writeId` dedupe, signals, and the `process/output|exited|closed` events.
 */
import { closeSync, write as fsWrite } from 'node:fs';
import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { ReadStream as TtyReadStream } from 'node:tty';
import { OutputHistory } from './process-output.js';
import type { OutputChunk, OutputStream } from './process-output.js';
import type { SandboxType } from './launch-tweaks.js';

/** Codex: EXITED_PROCESS_RETENTION (an entry is kept this long after `closed`). */
export const EXITED_PROCESS_RETENTION_MS = 30_000;
/** Codex: the last 4096 accepted writeIds per process are remembered. */
const WRITE_ID_MEMORY = 4096;
/** Codex waits at most 20 ms for trailing output before judging sandboxDenied. */
const TRAILING_OUTPUT_WAIT_MS = 20;

/**
 * What a process needs of its started command: a launcher subprocess (`sandbox.launch`) or a
 * command in a sandbox session (spawner.ts wraps a SessionSubprocess into this shape).
 */
export interface StartedCommand {
  readonly pid?: number | undefined;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  kill(signal?: NodeJS.Signals): boolean;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
}

export type WriteStatus = 'accepted' | 'unknownProcess' | 'stdinClosed' | 'starting';

export interface ProcessSink {
  /** Sends a notification to the attached connection (dropped while the session is detached). */
  notify(method: string, params: object): void;
  /** Output bytes retained (+) or evicted (−), for the session's budget. */
  retained(delta: number): void;
  /** The process may be forgotten (its retention after `closed` ran out). */
  evict(process: ManagedProcess): void;
  /** The attached connection's outbound buffer is full: stop reading output until it drains. */
  congested(): boolean;
}

/** How often paused output streams check whether the connection drained. */
const BACKPRESSURE_POLL_MS = 20;

export interface ReadResult {
  chunks: Array<{ seq: number; stream: OutputStream; chunk: string }>;
  nextSeq: number;
  exited: boolean;
  exitCode: number | null;
  closed: boolean;
  failure: null;
  sandboxDenied: boolean;
}

/** Words Codex's is_likely_sandbox_denied (codex-rs/core/src/exec.rs) looks for in a failed sandboxed command's output. */
const SANDBOX_DENIED_KEYWORDS = ['operation not permitted', 'permission denied', 'read-only file system', 'seccomp', 'sandbox', 'landlock', 'failed to write file'];

/** Codex's heuristic: a sandboxed command that failed with a denial message (or SIGSYS from seccomp). */
export function likelySandboxDenied(sandboxType: SandboxType, exitCode: number, output: string): boolean {
  if (sandboxType === 'none' || exitCode === 0) return false;
  // Shell usage errors and "not executable / not found" are the command's own failures.
  if (exitCode === 2 || exitCode === 126 || exitCode === 127) return false;
  const text = output.toLowerCase();
  if (SANDBOX_DENIED_KEYWORDS.some((k) => text.includes(k))) return true;
  return exitCode === 128 + osConstants.signals.SIGSYS;
}

export interface ManagedProcessOptions {
  processId: string;
  tty: boolean;
  pipeStdin: boolean;
  sandboxType: SandboxType;
  maxRetainedBytes: number;
  maxRetainedChunks: number;
  exitedRetentionMs: number;
  /** Signals the command's process group (interrupt = SIGINT, terminate = SIGKILL). */
  signalGroup: (sub: StartedCommand, signal: 'SIGINT' | 'SIGKILL') => void;
  /** Resizes the pty (tty processes). */
  resizePty?: (masterFd: number, rows: number, cols: number) => void;
}

export class ManagedProcess {
  readonly processId: string;
  private state: 'starting' | 'running' | 'exited' = 'starting';
  private sub: StartedCommand | undefined;
  private readonly history: OutputHistory;
  private exitCode: number | null = null;
  private exitedEmitted = false;
  private closedEmitted = false;
  private sandboxDenied = false;
  private openStreams = 0;
  private readonly waiters = new Set<() => void>();
  private readonly writeIds = new Set<string>();
  private readonly writeOrder: string[] = [];
  private ptyMaster: number | undefined;
  private ptyStream: TtyReadStream | undefined;
  private stdinOpen: boolean;
  private evictTimer: NodeJS.Timeout | undefined;
  cancelled = false;
  private held: Array<[string, object]> | undefined = [];

  constructor(
    private readonly options: ManagedProcessOptions,
    private readonly sink: ProcessSink,
  ) {
    this.processId = options.processId;
    this.history = new OutputHistory(options.maxRetainedBytes, options.maxRetainedChunks);
    this.stdinOpen = options.tty || options.pipeStdin;
  }

  get starting(): boolean {
    return this.state === 'starting';
  }

  get running(): boolean {
    return this.state === 'running';
  }

  get closed(): boolean {
    return this.closedEmitted;
  }

  get retainedBytes(): number {
    return this.history.retainedBytes;
  }

  /** Drops this process's oldest retained chunk (session budget); returns its size. */
  evictOldest(): number {
    return this.history.evictOldest();
  }

  /** Wires a started subprocess (pipes) or a pty master. Call once, after the subprocess spawned. */
  attach(sub: StartedCommand, ptyMaster: number | undefined): void {
    this.sub = sub;
    this.state = 'running';
    if (ptyMaster !== undefined) {
      this.ptyMaster = ptyMaster;
      const stream = new TtyReadStream(ptyMaster);
      this.ptyStream = stream;
      this.pump(stream, 'pty');
    } else {
      if (sub.stdout) this.pump(sub.stdout, 'stdout');
      if (sub.stderr) this.pump(sub.stderr, 'stderr');
      // A command that closed its stdin early must not crash the server with EPIPE.
      sub.stdin?.on('error', () => undefined);
    }
    sub.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
      const status = code ?? (signal !== null ? 128 + (osConstants.signals[signal] ?? 0) : -1);
      this.onExit(status);
    });
  }

  private pump(stream: Readable, name: OutputStream): void {
    this.openStreams += 1;
    let done = false;
    const end = (): void => {
      if (done) return;
      done = true;
      this.openStreams -= 1;
      this.maybeClosed();
    };
    stream.on('data', (data: Buffer | string) => {
      this.onOutput(name, typeof data === 'string' ? Buffer.from(data) : data);
      // Codex back-pressures output on a full outbound queue (CHANNEL_CAPACITY): a client that does
      // not read must not make the server buffer a chatty command's output without bound, so the
      // pipe fills and the command blocks on write instead.
      if (this.sink.congested()) {
        stream.pause();
        const poll = setInterval(() => {
          if (this.sink.congested() && !stream.destroyed) return;
          clearInterval(poll);
          stream.resume();
        }, BACKPRESSURE_POLL_MS);
      }
    });
    // A pty master reads EIO once every slave is closed: that is its end of file.
    stream.on('error', end);
    stream.on('end', end);
    stream.on('close', end);
  }

  private onOutput(stream: OutputStream, data: Buffer): void {
    if (data.length === 0) return;
    const chunk: OutputChunk = { seq: this.history.allocate(), stream, data };
    const evicted = this.history.push(chunk);
    this.sink.retained(data.length - evicted);
    this.notify('process/output', { processId: this.processId, seq: chunk.seq, stream, chunk: data.toString('base64') });
    this.wake();
  }

  private onExit(status: number): void {
    this.exitCode = status;
    this.state = 'exited';
    this.stdinOpen = false;
    const emit = (): void => {
      if (this.exitedEmitted) return;
      this.exitedEmitted = true;
      this.sandboxDenied = likelySandboxDenied(this.options.sandboxType, status, this.history.text());
      const seq = this.history.allocate();
      this.notify('process/exited', { processId: this.processId, seq, exitCode: status, sandboxDenied: this.sandboxDenied });
      this.wake();
      this.maybeClosed();
    };
    // Output still in the pipes comes before the exit event when it arrives within the wait.
    if (this.openStreams === 0) emit();
    else {
      const timer = setTimeout(emit, TRAILING_OUTPUT_WAIT_MS);
      this.exitWaiter = (): void => {
        clearTimeout(timer);
        emit();
      };
    }
  }

  private exitWaiter: (() => void) | undefined;

  private maybeClosed(): void {
    if (this.openStreams > 0 || this.state !== 'exited') return;
    if (!this.exitedEmitted) {
      const w = this.exitWaiter;
      this.exitWaiter = undefined;
      if (w) w();
      return;
    }
    if (this.closedEmitted) return;
    this.closedEmitted = true;
    this.releasePty();
    const seq = this.history.allocate();
    this.notify('process/closed', { processId: this.processId, seq });
    this.wake();
    this.evictTimer = setTimeout(() => this.sink.evict(this), this.options.exitedRetentionMs);
    this.evictTimer.unref();
  }

  private releasePty(): void {
    if (this.ptyStream) {
      this.ptyStream.destroy();
      this.ptyStream = undefined;
      this.ptyMaster = undefined;
    } else if (this.ptyMaster !== undefined) {
      closeSync(this.ptyMaster);
      this.ptyMaster = undefined;
    }
  }

  private notify(method: string, params: object): void {
    if (this.held) this.held.push([method, params]);
    else this.sink.notify(method, params);
  }

  /** Sends the notifications held back while `process/start` was answering. */
  releaseNotifications(): void {
    const held = this.held;
    this.held = undefined;
    for (const [method, params] of held ?? []) this.sink.notify(method, params);
  }

  private wake(): void {
    const list = [...this.waiters];
    this.waiters.clear();
    for (const w of list) w();
  }

  /** Wakes every pending long-poll (its request is answered from the current state). */
  wakeAll(): void {
    this.wake();
  }

  private snapshot(afterSeq: number, maxBytes: number | undefined): ReadResult {
    const chunks = this.history.after(afterSeq, maxBytes);
    const last = chunks[chunks.length - 1];
    const nextSeq = maxBytes !== undefined && last !== undefined ? last.seq + 1 : this.history.nextSeq;
    return {
      chunks: chunks.map((c) => ({ seq: c.seq, stream: c.stream, chunk: c.data.toString('base64') })),
      nextSeq,
      exited: this.exitedEmitted,
      exitCode: this.exitedEmitted ? this.exitCode : null,
      closed: this.closedEmitted,
      failure: null,
      sandboxDenied: this.sandboxDenied,
    };
  }

  /** `process/read`: retained events after `afterSeq`, waiting up to waitMs when there are none. */
  async read(afterSeq: number, maxBytes: number | undefined, waitMs: number, abort: AbortSignal): Promise<ReadResult> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const r = this.snapshot(afterSeq, maxBytes);
      const ready = r.chunks.length > 0 || r.closed || (r.exited && afterSeq < this.history.nextSeq - 1);
      const left = deadline - Date.now();
      if (ready || left <= 0 || abort.aborted) return r;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          abort.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiters.add(done);
        abort.addEventListener('abort', done);
      });
    }
  }

  /** `process/write` with Codex's writeId dedupe. */
  async write(data: Buffer, writeId: string): Promise<WriteStatus> {
    if (this.state === 'starting') return 'starting';
    if (!this.options.tty && !this.options.pipeStdin) return 'stdinClosed';
    if (this.writeIds.has(writeId)) return 'accepted';
    this.rememberWriteId(writeId);
    // Codex accepts (and drops) a write to a pipeStdin process that has exited.
    if (!this.stdinOpen || this.state === 'exited') return 'accepted';
    if (this.ptyMaster !== undefined) {
      await writeAll(this.ptyMaster, data);
      return 'accepted';
    }
    const stdin = this.sub?.stdin;
    if (!stdin || stdin.destroyed || stdin.writableEnded) return 'accepted';
    await new Promise<void>((resolve, reject) => {
      stdin.write(data, (err) => (err ? reject(err) : resolve()));
    });
    return 'accepted';
  }

  private rememberWriteId(id: string): void {
    this.writeIds.add(id);
    this.writeOrder.push(id);
    if (this.writeOrder.length > WRITE_ID_MEMORY) {
      const old = this.writeOrder.shift();
      if (old !== undefined) this.writeIds.delete(old);
    }
  }

  /** Extension `process/closeStdin`: EOF on a pipe; on a pty the line discipline's EOF character (^D). */
  async closeStdin(): Promise<void> {
    if (!this.stdinOpen || this.state !== 'running') return;
    if (this.ptyMaster !== undefined) {
      await writeAll(this.ptyMaster, Buffer.from([4]));
      return;
    }
    this.stdinOpen = false;
    this.sub?.stdin?.end();
  }

  /** Extension `process/resize` (tty only). */
  resize(rows: number, cols: number): boolean {
    if (this.ptyMaster === undefined || !this.options.resizePty) return false;
    this.options.resizePty(this.ptyMaster, rows, cols);
    return true;
  }

  get hasPty(): boolean {
    return this.options.tty;
  }

  /** `process/signal interrupt`: SIGINT to the command's process group. */
  interrupt(): void {
    if (this.state !== 'running' || !this.sub) return;
    this.options.signalGroup(this.sub, 'SIGINT');
  }

  /** `process/terminate`: hard kill of the group; true if it was still running. */
  terminate(): boolean {
    if (this.state === 'starting') {
      this.cancelled = true;
      return true;
    }
    if (this.state !== 'running' || !this.sub) return false;
    this.options.signalGroup(this.sub, 'SIGKILL');
    return true;
  }

  /** Forget the process (its retention ended or the session is gone). */
  dispose(): void {
    if (this.evictTimer) clearTimeout(this.evictTimer);
    this.wake();
    if (this.state === 'running' && this.sub) this.options.signalGroup(this.sub, 'SIGKILL');
  }
}

function writeAll(fd: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    let offset = 0;
    const step = (): void => {
      if (offset >= data.length) {
        resolve();
        return;
      }
      fsWrite(fd, data, offset, data.length - offset, null, (err, n) => {
        if (err) {
          if (err.code === 'EAGAIN') {
            setTimeout(step, 5);
            return;
          }
          reject(err);
          return;
        }
        offset += n;
        step();
      });
    };
    step();
  });
}

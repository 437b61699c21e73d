/** One process on an exec-server, as the client sees it: events in seq order, stdin, signals, its end. */
import { randomUUID } from 'node:crypto';
import { ExecServerDisconnectedError, ExecServerRequestError } from './errors.js';
import { SeqReorderBuffer } from './reorder.js';
import type { ProcessEvent } from './reorder.js';
import type { ReadResult, StartResult, WriteStatus } from './types.js';

/** What a finished remote process leaves: Codex's exit code (128+N for a signal) and its output. */
export interface RemoteProcessResult {
  processId: string;
  exitCode: number;
  sandboxDenied: boolean;
  stdout: Buffer;
  stderr: Buffer;
  /** `tty: true`: everything arrives on the pty stream. */
  pty: Buffer;
}

/** The calls a RemoteProcess makes through its client (ExecServerClient implements them). */
export interface ProcessCalls {
  write(processId: string, data: Buffer | string, writeId?: string): Promise<WriteStatus>;
  signal(processId: string, signal?: 'interrupt'): Promise<void>;
  terminate(processId: string): Promise<boolean>;
  resize(processId: string, rows: number, cols: number): Promise<void>;
  closeStdin(processId: string): Promise<void>;
}

export class RemoteProcess {
  sandboxType: StartResult['sandboxType'];
  private readonly reorder: SeqReorderBuffer;
  private readonly out = { stdout: [] as Buffer[], stderr: [] as Buffer[], pty: [] as Buffer[] };
  private listeners: Array<(stream: 'stdout' | 'stderr' | 'pty', chunk: Buffer) => void> = [];
  private exitCode: number | undefined;
  private sandboxDenied = false;
  private settle!: { resolve: (r: RemoteProcessResult) => void; reject: (e: Error) => void };
  /** Resolves at `process/closed` (all output in); rejects when the connection is lost for good. */
  readonly finished: Promise<RemoteProcessResult>;
  done = false;

  constructor(
    private readonly calls: ProcessCalls,
    readonly processId: string,
    readonly tty: boolean,
    /** Keep the output for `finished` (default true; turn off for long streams read with onOutput). */
    private readonly collect = true,
  ) {
    this.finished = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.finished.catch(() => undefined);
    this.reorder = new SeqReorderBuffer((e) => this.onEvent(e));
  }

  /** The last seq delivered in order (the cursor a resumed client reads after). */
  get lastSeq(): number {
    return this.reorder.lastSeq;
  }

  push(e: ProcessEvent): void {
    if (!this.done) this.reorder.push(e);
  }

  /** Output read with `process/read` after a resume. */
  applyRead(r: ReadResult): void {
    const first = r.chunks[0];
    if (first !== undefined) this.reorder.skipTo(first.seq);
    for (const c of r.chunks) this.push({ kind: 'output', seq: c.seq, stream: c.stream, chunk: Buffer.from(c.chunk, 'base64') });
    if (r.closed) {
      // The exit and close events' own seqs are not in a read result: what is held is delivered in
      // order, then the process ends with the exit code the read reports.
      this.reorder.flushAll();
      if (this.exitCode === undefined && r.exitCode !== null) {
        this.exitCode = r.exitCode;
        this.sandboxDenied = r.sandboxDenied === true;
      }
      if (!this.done) this.onEvent({ kind: 'closed', seq: r.nextSeq - 1 });
    }
  }

  private onEvent(e: ProcessEvent): void {
    if (e.kind === 'output') {
      if (this.collect) this.out[e.stream].push(e.chunk);
      for (const l of this.listeners) l(e.stream, e.chunk);
    } else if (e.kind === 'exited') {
      this.exitCode = e.exitCode;
      this.sandboxDenied = e.sandboxDenied;
    } else {
      if (this.done) return;
      this.done = true;
      this.settle.resolve({
        processId: this.processId,
        exitCode: this.exitCode ?? -1,
        sandboxDenied: this.sandboxDenied,
        stdout: Buffer.concat(this.out.stdout),
        stderr: Buffer.concat(this.out.stderr),
        pty: Buffer.concat(this.out.pty),
      });
    }
  }

  /** Fails the process (connection lost for good); a no-op once it finished. */
  fail(error: Error): void {
    if (this.done) return;
    this.done = true;
    const message = error.message.includes(this.processId) ? error.message : `process ${this.processId}: ${error.message}`;
    const e =
      error instanceof ExecServerDisconnectedError
        ? new ExecServerDisconnectedError(message, { cause: error })
        : error instanceof ExecServerRequestError
          ? new ExecServerRequestError(error.method, error.code, message, error.data, error.serverMessage)
          : new Error(message, { cause: error });
    this.settle.reject(e);
  }

  /** Output in seq order, as it arrives. */
  onOutput(listener: (stream: 'stdout' | 'stderr' | 'pty', chunk: Buffer) => void): void {
    this.listeners.push(listener);
  }

  write(data: Buffer | string, writeId: string = randomUUID()): Promise<WriteStatus> {
    return this.calls.write(this.processId, data, writeId);
  }
  interrupt(): Promise<void> {
    return this.calls.signal(this.processId, 'interrupt');
  }
  terminate(): Promise<boolean> {
    return this.calls.terminate(this.processId);
  }
  resize(rows: number, cols: number): Promise<void> {
    return this.calls.resize(this.processId, rows, cols);
  }
  closeStdin(): Promise<void> {
    return this.calls.closeStdin(this.processId);
  }
}

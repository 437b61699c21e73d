/**
 * One process's event history: output chunks, exit and close share one `seq` counter starting at 1
 * (Codex exec-server `process/read` cursor model). Output is retained up to a byte and chunk budget,
 * oldest evicted first, so a reader that falls behind loses the oldest output, never the newest.
 */

export type OutputStream = 'stdout' | 'stderr' | 'pty';

export interface OutputChunk {
  seq: number;
  stream: OutputStream;
  data: Buffer;
}

/** Codex: RETAINED_OUTPUT_BYTES_PER_PROCESS. */
export const RETAINED_OUTPUT_BYTES_PER_PROCESS = 1024 * 1024;
/** Codex: at most this many chunks are retained per process. */
export const RETAINED_OUTPUT_CHUNKS_PER_PROCESS = 50_000;

export class OutputHistory {
  private chunks: Array<OutputChunk | undefined> = [];
  private head = 0;
  private bytes = 0;
  private next = 1;

  constructor(
    private readonly maxBytes: number,
    private readonly maxChunks: number,
  ) {}

  /** Allocates the next seq (for output, exit and close alike). */
  allocate(): number {
    const seq = this.next;
    this.next += 1;
    return seq;
  }

  /** The next seq that has not been allocated. */
  get nextSeq(): number {
    return this.next;
  }

  get retainedBytes(): number {
    return this.bytes;
  }

  /** Records an output chunk; returns the bytes evicted to stay within the budget. */
  push(chunk: OutputChunk): number {
    this.chunks.push(chunk);
    this.bytes += chunk.data.length;
    let evicted = 0;
    while (this.chunks.length - this.head > 1 && (this.bytes > this.maxBytes || this.chunks.length - this.head > this.maxChunks)) {
      evicted += this.evictOldest();
    }
    return evicted;
  }

  /** Drops the oldest retained chunk (also used by the session's byte budget); returns its size. */
  evictOldest(): number {
    const first = this.chunks[this.head];
    if (first === undefined) return 0;
    this.chunks[this.head] = undefined;
    this.head += 1;
    this.bytes -= first.data.length;
    if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    return first.data.length;
  }

  /** Retained chunks with seq > afterSeq, stopping before one that would pass maxBytes (at least one is returned). */
  after(afterSeq: number, maxBytes: number | undefined): OutputChunk[] {
    const out: OutputChunk[] = [];
    let used = 0;
    for (let i = this.head; i < this.chunks.length; i += 1) {
      const c = this.chunks[i];
      if (c === undefined || c.seq <= afterSeq) continue;
      if (maxBytes !== undefined && out.length > 0 && used + c.data.length > maxBytes) break;
      out.push(c);
      used += c.data.length;
    }
    return out;
  }

  /** All retained output as text (for the sandbox-denied heuristic). */
  text(): string {
    let s = '';
    for (let i = this.head; i < this.chunks.length; i += 1) {
      const c = this.chunks[i];
      if (c !== undefined) s += c.data.toString('utf8');
    }
    return s;
  }
}

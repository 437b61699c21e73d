/**
 * Delivers one process's events in `seq` order. The server may send them out of order (stdout and
 * stderr are pumped separately; `closed` can reach the wire before `exited`: Codex client
 * `process_events_are_delivered_in_seq_order_when_notifications_are_reordered`).
 */
export type ProcessEvent =
  | { kind: 'output'; seq: number; stream: 'stdout' | 'stderr' | 'pty'; chunk: Buffer }
  | { kind: 'exited'; seq: number; exitCode: number; sandboxDenied: boolean }
  | { kind: 'closed'; seq: number };

export class SeqReorderBuffer {
  private readonly held = new Map<number, ProcessEvent>();
  /** The last seq delivered (0: none yet). */
  lastSeq = 0;

  constructor(private readonly deliver: (e: ProcessEvent) => void) {}

  push(e: ProcessEvent): void {
    if (e.seq <= this.lastSeq || this.held.has(e.seq)) return; // a duplicate (notification and read both carried it)
    this.held.set(e.seq, e);
    this.drain();
  }

  private drain(): void {
    for (let next = this.held.get(this.lastSeq + 1); next !== undefined; next = this.held.get(this.lastSeq + 1)) {
      this.held.delete(next.seq);
      this.lastSeq = next.seq;
      this.deliver(next);
    }
  }

  /**
   * Output the server no longer retains (evicted) can never arrive: after a `process/read` whose
   * lowest seq is above the cursor, continue from there rather than wait forever.
   */
  skipTo(seq: number): void {
    if (seq - 1 > this.lastSeq && ![...this.held.keys()].some((s) => s < seq)) {
      this.lastSeq = seq - 1;
      this.drain();
    }
  }

  /** Delivers everything held, in seq order, gaps or not. */
  flushAll(): void {
    for (const seq of [...this.held.keys()].sort((a, b) => a - b)) {
      const e = this.held.get(seq);
      this.held.delete(seq);
      if (e === undefined) continue;
      this.lastSeq = seq;
      this.deliver(e);
    }
  }

  get pending(): number {
    return this.held.size;
  }
}

/** The client's seq reorder buffer (Codex client: events delivered in seq order, duplicates dropped, gaps after eviction skipped). */
import { describe, expect, it } from 'vitest';
import { SeqReorderBuffer } from '../../../src/exec-server/client/reorder.js';
import type { ProcessEvent } from '../../../src/exec-server/client/reorder.js';

const out = (seq: number): ProcessEvent => ({ kind: 'output', seq, stream: 'stdout', chunk: Buffer.from(String(seq)) });

describe('SeqReorderBuffer', () => {
  it('holds events until every lower seq arrived; closed before exited is delivered last', () => {
    const got: number[] = [];
    const b = new SeqReorderBuffer((e) => got.push(e.seq));
    b.push({ kind: 'closed', seq: 4 });
    b.push(out(2));
    b.push({ kind: 'exited', seq: 3, exitCode: 0, sandboxDenied: false });
    expect(got).toEqual([]);
    b.push(out(1));
    expect(got).toEqual([1, 2, 3, 4]);
  });
  it('drops duplicates (a notification and a process/read after resume carry the same seq)', () => {
    const got: number[] = [];
    const b = new SeqReorderBuffer((e) => got.push(e.seq));
    b.push(out(1));
    b.push(out(1));
    b.push(out(3));
    b.push(out(3));
    b.push(out(2));
    expect(got).toEqual([1, 2, 3]);
  });
  it('skipTo continues past output the server no longer retains', () => {
    const got: number[] = [];
    const b = new SeqReorderBuffer((e) => got.push(e.seq));
    b.push(out(1));
    b.push(out(5));
    b.skipTo(5);
    expect(got).toEqual([1, 5]);
  });
});

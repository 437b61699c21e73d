/** Throughput (item 6): N commands through the library at a fixed concurrency. */
import { summarise } from './stats.js';
import type { Summary } from './stats.js';
import { timeOnce } from './sampler.js';

export interface ThroughputResult {
  concurrency: number;
  commands: number;
  failed: number;
  wallMs: number;
  commandsPerSecond: number;
  /** Wall time divided by commands: the amortised cost of one command at this concurrency. */
  msPerCommand: number;
  /** Latency of single commands (spawn to exit) while the batch ran. */
  latency: Summary | undefined;
  firstFailure: string | undefined;
}

export async function measureThroughput(run: () => Promise<void>, commands: number, concurrency: number): Promise<ThroughputResult> {
  let next = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  const latencies: number[] = [];
  const worker = async (): Promise<void> => {
    while (next < commands) {
      next += 1;
      try {
        latencies.push(await timeOnce(run));
      } catch (e) {
        failed += 1;
        firstFailure ??= e instanceof Error ? e.message : String(e);
      }
    }
  };
  const wallMs = await timeOnce(async () => {
    await Promise.all(Array.from({ length: Math.min(concurrency, commands) }, () => worker()));
  });
  return {
    concurrency,
    commands,
    failed,
    wallMs,
    commandsPerSecond: (commands / wallMs) * 1000,
    msPerCommand: wallMs / commands,
    latency: latencies.length > 0 ? summarise(latencies) : undefined,
    firstFailure,
  };
}

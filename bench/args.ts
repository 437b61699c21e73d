/** Command-line flags of `npm run bench`. */

export interface BenchArgs {
  /** Print one JSON document (for comparing commits) instead of the tables. */
  json: boolean;
  /** A short run (~30 s): fewer rounds, smaller throughput batches, no 100k-file tree. */
  quick: boolean;
  help: boolean;
}

export const USAGE = `usage: npm run bench -- [--quick] [--json]
  --quick   short run (about 30 s): fewer rounds, 100-command throughput, trees of 1k and 10k files
  --json    print the results as one JSON document on stdout (progress goes to stderr)`;

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const out: BenchArgs = { json: false, quick: false, help: false };
  for (const a of argv) {
    if (a === '--json') out.json = true;
    else if (a === '--quick') out.quick = true;
    else if (a === '--help' || a === '-h') out.help = true;
    else throw new Error(`unknown bench option ${JSON.stringify(a)}\n${USAGE}`);
  }
  return out;
}

export interface BenchConfig {
  /** Rounds of the in-process per-command group (bare, raw bwrap, library, srt library). */
  spawnRounds: number;
  /** Rounds of the whole-process group (CLI, node -e 0, raw bwrap, srt CLI). */
  processRounds: number;
  warmup: number;
  throughputCommands: number;
  concurrency: number[];
  /** transform(): batches of `transformBatch` calls per preset. */
  transformBatches: number;
  transformBatch: number;
  treeSizes: number[];
  scanDepths: number[];
  scanRepeats: number;
  /** Every sandboxed or spawned run is killed after this long. */
  timeoutMs: number;
}

export function benchConfig(quick: boolean): BenchConfig {
  return quick
    ? {
        spawnRounds: 25,
        processRounds: 6,
        warmup: 2,
        throughputCommands: 100,
        concurrency: [1, 8, 32],
        transformBatches: 20,
        transformBatch: 100,
        treeSizes: [1000, 10000],
        scanDepths: [1, 2, 3, 4, 5],
        scanRepeats: 3,
        timeoutMs: 15000,
      }
    : {
        spawnRounds: 150,
        processRounds: 30,
        warmup: 5,
        throughputCommands: 500,
        concurrency: [1, 8, 32],
        transformBatches: 60,
        transformBatch: 200,
        treeSizes: [1000, 10000, 100000],
        scanDepths: [1, 2, 3, 4, 5],
        scanRepeats: 7,
        timeoutMs: 15000,
      };
}

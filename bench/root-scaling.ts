/**
 * `node dist/bench/root-scaling.js [COUNTS…]`: transform() time against the number of writable roots
 * (each with protected metadata and a deny-read file), one line per count. Default counts 1 4 16 64 256.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { getHostFacts } from '../src/host/facts.js';
import { measureRootScaling } from './transform-cost.js';

const counts = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
const base = mkdtempSync('/var/tmp/codex-sandbox-bench-roots-');
try {
  const rows = measureRootScaling(getHostFacts(), base, counts.length > 0 ? counts : [1, 4, 16, 64, 256], 15);
  for (const r of rows) {
    process.stdout.write(`roots ${String(r.roots).padStart(4)}  transform ${r.ms.median.toFixed(2).padStart(8)} ms (p10–p90 ${r.ms.p10.toFixed(2)}–${r.ms.p90.toFixed(2)})  ${(r.ms.median / r.roots).toFixed(3)} ms/root  argv ${r.argc}\n`);
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}

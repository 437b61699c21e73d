/**
 * `node dist/bench/root-scaling.js [COUNTS…]`: transform() time against the number of writable roots
 * (each with protected metadata and a deny-read file), one line per count. Default counts 1 4 16 64 256.
 * Each line also times the filesystem questions of one transform() alone (the same host inspector), and
 * the last line gives the ratio's floor: what it would be with no JavaScript per extra root.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { getHostFacts } from '../src/host/facts.js';
import { measureRootScaling, rootScalingFloor } from './transform-cost.js';

const counts = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
const base = mkdtempSync('/var/tmp/codex-sandbox-bench-roots-');
try {
  const rows = measureRootScaling(getHostFacts(), base, counts.length > 0 ? counts : [1, 4, 16, 64, 256], 15);
  const one = rows.find((r) => r.roots === 1);
  for (const r of rows) {
    process.stdout.write(`roots ${String(r.roots).padStart(4)}  transform ${r.ms.median.toFixed(2).padStart(8)} ms (p10–p90 ${r.ms.p10.toFixed(2)}–${r.ms.p90.toFixed(2)})  ${(r.ms.median / r.roots).toFixed(3)} ms/root  argv ${r.argc}  fs questions ${r.fsCalls} alone ${r.fsMs.median.toFixed(2)} ms\n`);
  }
  const most = rows.reduce<(typeof rows)[number] | undefined>((a, r) => (a === undefined || r.roots > a.roots ? r : a), undefined);
  if (one !== undefined && most !== undefined && most.roots > 1) {
    process.stdout.write(`${most.roots} roots / 1 root: ${(most.ms.median / one.ms.median).toFixed(1)}x; floor with no JavaScript per root (1 root + the extra fs questions alone): ${rootScalingFloor(one, most).toFixed(1)}x\n`);
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}

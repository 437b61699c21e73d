/**
 * `node dist/bench/registry-live.js [ROUNDS] [COUNTS…]`: launch cost against the number of live
 * sandboxes in the placeholder registry (the section `npm run bench` runs; registry-scale.ts), alone.
 * Defaults: 20 rounds, counts 0 10 100 1000.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createSandbox } from '../src/sandbox.js';
import { measureRegistryScale } from './registry-scale.js';

const [roundsArg, ...countArgs] = process.argv.slice(2).map(Number);
const rounds = roundsArg !== undefined && Number.isInteger(roundsArg) && roundsArg > 0 ? roundsArg : 20;
const counts = countArgs.filter((n) => Number.isInteger(n) && n >= 0);
const work = mkdtempSync('/var/tmp/codex-sandbox-bench-registry-');
try {
  const sb = await createSandbox();
  const plan = sb.plan(['/bin/true'], 'workspace-write', { cwd: work });
  const rows = await measureRegistryScale({
    plan,
    counts: counts.length > 0 ? (counts.includes(0) ? counts : [0, ...counts]) : [0, 10, 100, 1000],
    rounds,
    timeoutMs: 15000,
    workDir: work,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  for (const r of rows) {
    const over = (x: typeof r.overNone): string => (x === undefined ? '' : ` ${x.value.toFixed(3)}x none (paired p10–p90 ${x.pairedP10.toFixed(3)}–${x.pairedP90.toFixed(3)})`);
    process.stdout.write(
      `live ${String(r.live).padStart(5)} ${r.shared ? 'sharing our targets' : 'elsewhere          '}  wall ${r.ms.median.toFixed(2).padStart(7)} ms${over(r.overNone)}  CPU ${r.cpuMs.median.toFixed(2).padStart(6)} ms${over(r.cpuOverNone)}  n=${r.ms.n}\n`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

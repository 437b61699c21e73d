#!/usr/bin/env node
// Interleaved A/B timing of whole commands (e.g. the CLI of two checkouts), for comparing commits on
// a shared, loaded machine: each round runs every variant once in a rotating order; the figure is the
// ratio of medians, and the spread of the per-round (paired) ratios.
// Usage: node scripts/bench-ab.mjs ROUNDS 'label=cmd arg…' 'label=cmd arg…' …
import { spawnSync } from 'node:child_process';

const [roundsText, ...specs] = process.argv.slice(2);
const rounds = Number(roundsText);
if (!Number.isInteger(rounds) || rounds < 1 || specs.length < 2) {
  process.stderr.write("usage: node scripts/bench-ab.mjs ROUNDS 'label=cmd arg…' 'label=cmd arg…' [...]\n");
  process.exit(2);
}
const variants = specs.map((s) => {
  const i = s.indexOf('=');
  return { label: s.slice(0, i), argv: s.slice(i + 1).split(' '), times: [] };
});
const once = (v) => {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(v.argv[0], v.argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${v.label} exited ${r.status}: ${r.stderr}`);
  return ms;
};
for (const v of variants) once(v); // warm-up
for (let r = 0; r < rounds; r++) {
  const order = variants.map((_, i) => variants[(i + r) % variants.length]);
  if (r % 2 === 1) order.reverse();
  for (const v of order) v.times.push(once(v));
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const base = variants[0];
for (const v of variants) {
  const paired = v.times.map((t, i) => t / base.times[i]);
  process.stdout.write(
    `${v.label.padEnd(24)} median ${median(v.times).toFixed(2)} ms  ratio vs ${base.label} ${(median(v.times) / median(base.times)).toFixed(3)}x` +
      `  (paired p10–p90 ${pct(paired, 0.1).toFixed(3)}–${pct(paired, 0.9).toFixed(3)}, n=${v.times.length})\n`,
  );
}

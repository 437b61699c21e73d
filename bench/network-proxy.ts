/**
 * `npm run bench:network [-- --rounds N] [-- --first K]`: what a network allow list costs per command
 * (Linux). In the same run:
 *   - first command: K fresh Node processes per case, each timing `createSandbox()` + its first
 *     `sandbox.spawn('/bin/true')` (what a CLI-like caller pays once), cases alternating;
 *   - steady state: interleaved rounds in this process, `/bin/true` under workspace-write with the
 *     network off, with an allow list (a fresh proxy session + the launcher's bridge per command), and
 *     srt (`@anthropic-ai/sandbox-runtime`, settings of bench/srt-peer.ts: `allowedDomains: []`, which
 *     makes srt route the command through its own proxy bridges) — "srt not installed" when absent;
 *   - one HTTP request: `curl` to a local server with the network enabled (direct) and with an allow
 *     list for its host port (through the proxy), so the proxy's per-request cost is visible.
 * Ratios are of medians measured in this run; no figure is compared with another run.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createSandbox } from '../src/sandbox.js';
import type { SpawnOptions } from '../src/sandbox.js';
import { parseRounds, TIMEOUT_MS } from './exec-server-conn.js';
import { runInterleaved, timeOnce } from './sampler.js';
import type { BenchCase } from './sampler.js';
import { loadSrtPeer } from './srt-peer.js';
import { defined, summarise } from './stats.js';

const CURL = '/usr/bin/curl';
const FIRST_CASES = { off: {}, proxy: { networkAccess: { allow: ['example.com'] } } } as const satisfies Record<string, SpawnOptions>;
type FirstCase = keyof typeof FIRST_CASES;

/** Child mode: time createSandbox + the first spawn, print the milliseconds. */
async function firstCommand(name: FirstCase, cwd: string): Promise<void> {
  const ms = await timeOnce(async () => {
    const sb = await createSandbox();
    const r = await sb.spawn(['/bin/true'], 'workspace-write', { cwd, reject: false, stdin: 'ignore', timeout: TIMEOUT_MS, ...FIRST_CASES[name] });
    if (r.exitCode !== 0) throw new Error(`exit ${String(r.exitCode)}: ${String(r.stderr)}`);
  });
  process.stdout.write(`${ms}\n`);
}

function childFirst(name: FirstCase, cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--first-child', name, cwd], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`first-command child (${name}) exited ${String(code)}`))));
  });
}

function intArg(argv: string[], flag: string, dflt: number): number {
  const i = argv.indexOf(flag);
  const n = i >= 0 ? Number(argv[i + 1]) : dflt;
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} N: a positive whole number`);
  return n;
}

const fmt = (xs: ReadonlyArray<number | undefined>): string => {
  const s = defined(xs);
  if (s.length === 0) return 'no successful run';
  const m = summarise(s);
  return `median ${m.median.toFixed(1)} ms  (p10 ${m.p10.toFixed(1)} – p90 ${m.p90.toFixed(1)}, n=${m.n})`;
};

const ratioOf = (a: ReadonlyArray<number | undefined>, b: ReadonlyArray<number | undefined>): string => {
  const x = defined(a);
  const y = defined(b);
  return x.length && y.length ? `${(summarise(x).median / summarise(y).median).toFixed(2)}×` : 'n/a';
};

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--first-child') return firstCommand(argv[1] as FirstCase, argv[2] ?? '/var/tmp');
  if (process.platform !== 'linux') throw new Error('bench:network measures the Linux proxy bridge; run it on Linux');
  const rounds = parseRounds(argv);
  const firstRuns = intArg(argv, '--first', 5);
  const cwd = mkdtempSync('/var/tmp/csbx-bench-net-');
  const web = createServer((_req, res) => res.end('ok\n'));
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const port = (web.address() as { port: number }).port;
  const srt = await loadSrtPeer({ cwd, workDir: cwd, timeoutMs: TIMEOUT_MS });
  try {
    // First command, fresh processes, alternating.
    process.stderr.write(`network bench: first command, ${firstRuns} fresh processes per case…\n`);
    const first: Record<FirstCase, number[]> = { off: [], proxy: [] };
    for (let i = 0; i < firstRuns; i += 1) {
      for (const name of (i % 2 === 0 ? ['off', 'proxy'] : ['proxy', 'off']) as FirstCase[]) first[name].push(await childFirst(name, cwd));
    }

    const sb = await createSandbox();
    const run = (command: string[], opts: SpawnOptions) => async (): Promise<void> => {
      const r = await sb.spawn(command, 'workspace-write', { cwd, reject: false, stdin: 'ignore', timeout: TIMEOUT_MS, ...opts });
      if (r.exitCode !== 0) throw new Error(`${command.join(' ')} exit ${String(r.exitCode)}: ${String(r.stderr)}`);
    };
    const curl = [CURL, '-sS', '-f', '--max-time', '10', `http://127.0.0.1:${port}/`];
    const cases: BenchCase[] = [
      { name: 'off', run: run(['/bin/true'], {}) },
      { name: 'proxy', run: run(['/bin/true'], { networkAccess: { allow: ['example.com'] } }) },
      ...(typeof srt !== 'string' ? [{ name: 'srt', run: () => srt.runLibrary() }] : []),
      ...(existsSync(CURL)
        ? [
            { name: 'curl-open', run: run(curl, { network: 'enabled' }) },
            { name: 'curl-proxy', run: run(curl, { networkAccess: { allowHostPorts: [port] } }) },
          ]
        : []),
    ];
    process.stderr.write(`network bench: ${rounds} interleaved rounds of ${cases.length} cases…\n`);
    const res = await runInterleaved(cases, { rounds, warmup: 3 });
    const s = (n: string): ReadonlyArray<number | undefined> => res.samples[n] ?? [];
    const failed = (n: string): string => ((res.failures[n] ?? []).length ? `  failures: ${(res.failures[n] ?? []).join('; ')}` : '');
    const out = [
      'first command (createSandbox + first spawn of /bin/true, workspace-write, fresh process):',
      `  network off           ${fmt(first.off)}`,
      `  allow list (proxy)    ${fmt(first.proxy)}`,
      `  proxy / off           ${ratioOf(first.proxy, first.off)}`,
      'steady state per command (/bin/true, one Sandbox):',
      `  network off           ${fmt(s('off'))}${failed('off')}`,
      `  allow list (proxy)    ${fmt(s('proxy'))}${failed('proxy')}`,
      typeof srt === 'string' ? `  srt                   ${srt.endsWith('is not installed (npm install -D @anthropic-ai/sandbox-runtime)') ? 'srt not installed' : `srt not measured: ${srt}`}` : `  srt ${srt.version.padEnd(17)} ${fmt(s('srt'))}${failed('srt')}`,
      `  proxy / off           ${ratioOf(s('proxy'), s('off'))}`,
      `  srt / proxy           ${typeof srt === 'string' ? 'n/a (srt not measured)' : ratioOf(s('srt'), s('proxy'))}`,
      ...(existsSync(CURL)
        ? [
            'one HTTP request to a local server (curl, command included):',
            `  network enabled       ${fmt(s('curl-open'))}${failed('curl-open')}`,
            `  allow list (proxy)    ${fmt(s('curl-proxy'))}${failed('curl-proxy')}`,
            `  proxy / enabled       ${ratioOf(s('curl-proxy'), s('curl-open'))}`,
          ]
        : ['curl not installed: no HTTP request case']),
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    web.close();
    if (typeof srt !== 'string') await srt.close();
    rmSync(cwd, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:network: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});

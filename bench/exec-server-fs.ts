/**
 * `npm run bench:exec-server-fs [-- --rounds N]`: cost per sandboxed filesystem operation. In one
 * interleaved run against a real `codex-sandbox exec-server` (separate process, one WebSocket):
 *   spawn-cat        sandbox.spawn(['cat', file], workspace-write) in-process — the baseline: a sandboxed
 *                    command doing the same read
 *   fs-cold          fs/readFile with a sandbox context never seen before (a helper is launched: what
 *                    one sandbox launch per operation, Codex's design, costs)
 *   fs-warm          fs/readFile with the same context again (the connection's helper is reused)
 *   fs-direct        fs/readFile without a sandbox (in-process)
 * Prints medians, p10–p90 and each case's ratio to spawn-cat measured in the same rounds.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createSandbox } from '../src/sandbox.js';
import { parseRounds, startExecServer, TIMEOUT_MS, workspaceContext } from './exec-server-conn.js';
import type { Rpc } from './exec-server-conn.js';
import { runInterleaved } from './sampler.js';
import type { BenchCase } from './sampler.js';
import { defined, summarise } from './stats.js';


/** A distinct (missing, skipped) read entry makes a distinct context: a fresh helper. */
function context(cwdUri: string, extraReadUri?: string): object {
  return workspaceContext(cwdUri, extraReadUri ? [{ path: { type: 'path', path: extraReadUri }, access: 'read', missing_path_behavior: 'skip' }] : []);
}

async function main(): Promise<void> {
  const rounds = parseRounds(process.argv.slice(2));
  const cwd = mkdtempSync('/var/tmp/csbx-bench-fs-');
  const cwdUri = pathToFileURL(cwd).href;
  const file = join(cwd, 'data.txt');
  writeFileSync(file, 'x'.repeat(4096));
  const fileUri = pathToFileURL(file).href;
  const { server, ws, client } = await startExecServer();
  try {
    const check = (m: Rpc): void => {
      if (Buffer.from(m.result?.dataBase64 ?? '', 'base64').length !== 4096) throw new Error('fs/readFile returned the wrong bytes');
    };
    let n = 0;
    const warm = context(cwdUri);
    const sb = await createSandbox();
    const cases: BenchCase[] = [
      {
        name: 'spawn-cat',
        run: async () => {
          const r = await sb.spawn(['/bin/cat', file], 'workspace-write', { cwd, reject: false, stdin: 'ignore', timeout: TIMEOUT_MS });
          if (r.exitCode !== 0 || String(r.stdout).length !== 4096) throw new Error(`sandbox.spawn exit ${String(r.exitCode)}: ${String(r.stderr)}`);
        },
      },
      { name: 'fs-cold', run: async () => check(await client.call('fs/readFile', { path: fileUri, sandbox: context(cwdUri, `${cwdUri}/missing-${++n}`) })) },
      { name: 'fs-warm', run: async () => check(await client.call('fs/readFile', { path: fileUri, sandbox: warm })) },
      { name: 'fs-direct', run: async () => check(await client.call('fs/readFile', { path: fileUri })) },
    ];
    process.stderr.write(`exec-server fs bench: ${rounds} interleaved rounds of ${cases.length} cases…\n`);
    const res = await runInterleaved(cases, { rounds, warmup: 3 });
    const base = defined(res.samples['spawn-cat'] ?? []);
    const baseMedian = base.length ? summarise(base).median : NaN;
    const out = cases.map(({ name }) => {
      const s = defined(res.samples[name] ?? []);
      if (s.length === 0) return `${name.padEnd(10)} failed: ${(res.failures[name] ?? []).join('; ')}`;
      const m = summarise(s);
      return `${name.padEnd(10)} median ${m.median.toFixed(2)} ms  (p10 ${m.p10.toFixed(2)} – p90 ${m.p90.toFixed(2)}, n=${m.n})  ×${(m.median / baseMedian).toFixed(3)} of spawn-cat`;
    });
    process.stdout.write(`${out.join('\n')}\n`);
    ws.close();
  } finally {
    server.kill('SIGTERM');
    rmSync(cwd, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:exec-server-fs: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});

/**
 * `npm run bench:exec-server [-- --rounds N]`: what the exec-server adds per process. In the same
 * interleaved run: `sandbox.spawn('/bin/true')` in-process, and `process/start` of the same command
 * through a real `codex-sandbox exec-server` (separate process, one WebSocket) until its
 * `process/closed` — each sandboxed (workspace-write) and unsandboxed. Prints medians, p10–p90 and
 * the paired difference (server − spawn) per round. `client-remote` is the same sandboxed command
 * through the client library (`RemoteSandbox.spawn` over connectExecServer, src/exec-server/client):
 * the cost per remote command a library user pays, as a ratio to a local `sandbox.spawn` in the same run.
 * The first server runs with `--no-sessions` (a sandbox per process). `server-sessions` is the sandboxed
 * `process/start` through a second server with sandbox sessions, the default (one sandbox session reused by
 * every process of the connection), as a ratio to `server-sandboxed`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createSandbox } from '../src/sandbox.js';
import { connectExecServer, RemoteSandbox } from '../src/exec-server/client/index.js';
import { parseRounds, startExecServer, TIMEOUT_MS, workspaceContext } from './exec-server-conn.js';
import { runInterleaved } from './sampler.js';
import type { BenchCase } from './sampler.js';
import { defined, summarise } from './stats.js';


async function main(): Promise<void> {
  const rounds = parseRounds(process.argv.slice(2));
  const cwd = mkdtempSync('/var/tmp/csbx-bench-es-');
  const cwdUri = pathToFileURL(cwd).href;
  const { server, ws, client, url } = await startExecServer(['--no-sessions']);
  const withSessions = await startExecServer(['--sessions']);
  try {
    const sandboxField = workspaceContext(cwdUri, [
      { path: { type: 'special', value: { kind: 'tmpdir' } }, access: 'write' },
      { path: { type: 'special', value: { kind: 'slash_tmp' } }, access: 'write' },
    ]);
    let n = 0;
    const viaServer = (sandboxed: boolean, c = client) => async (): Promise<void> => {
      const processId = `p${++n}`;
      const closed = c.wait(`closed:${processId}`);
      const exited = c.wait(`exited:${processId}`);
      await c.call('process/start', { processId, argv: ['/bin/true'], cwd: cwdUri, env: { PATH: '/usr/bin:/bin' }, tty: false, ...(sandboxed ? { sandbox: sandboxField } : {}) });
      const e = await exited;
      await closed;
      if (e.params?.exitCode !== 0) throw new Error(`exit ${String(e.params?.exitCode)}`);
    };
    const sb = await createSandbox();
    const viaSpawn = (profile: 'workspace-write' | 'danger-full-access') => async (): Promise<void> => {
      const r = await sb.spawn(['/bin/true'], profile, { cwd, reject: false, stdin: 'ignore', timeout: TIMEOUT_MS });
      if (r.exitCode !== 0) throw new Error(`sandbox.spawn exit ${String(r.exitCode)}: ${String(r.stderr)}`);
    };
    const remote = new RemoteSandbox(await connectExecServer(url, { clientName: 'bench-client' }), 'bench');
    const viaClient = async (): Promise<void> => {
      const r = await remote.spawn(['/bin/true'], 'workspace-write', { cwd, envPolicy: { inherit: 'none', set: { PATH: '/usr/bin:/bin' } } });
      if (r.exitCode !== 0) throw new Error(`RemoteSandbox.spawn exit ${String(r.exitCode)}: ${r.stderr}`);
    };
    const cases: BenchCase[] = [
      { name: 'spawn-sandboxed', run: viaSpawn('workspace-write') },
      { name: 'client-remote', run: viaClient },
      { name: 'server-sandboxed', run: viaServer(true) },
      { name: 'server-sessions', run: viaServer(true, withSessions.client) },
      { name: 'spawn-direct', run: viaSpawn('danger-full-access') },
      { name: 'server-direct', run: viaServer(false) },
    ];
    process.stderr.write(`exec-server bench: ${rounds} interleaved rounds of 6 cases…\n`);
    const res = await runInterleaved(cases, { rounds, warmup: 3 });
    const line = (name: string): string => {
      const s = defined(res.samples[name] ?? []);
      if (s.length === 0) return `${name.padEnd(18)} failed: ${(res.failures[name] ?? []).join('; ')}`;
      const m = summarise(s);
      return `${name.padEnd(18)} median ${m.median.toFixed(1)} ms  (p10 ${m.p10.toFixed(1)} – p90 ${m.p90.toFixed(1)}, n=${m.n})`;
    };
    const added = (a: string, b: string): string => {
      const xs = res.samples[a] ?? [];
      const ys = res.samples[b] ?? [];
      const diffs: number[] = [];
      for (let i = 0; i < Math.min(xs.length, ys.length); i += 1) {
        const x = xs[i];
        const y = ys[i];
        if (x !== undefined && y !== undefined) diffs.push(x - y);
      }
      if (diffs.length === 0) return 'n/a';
      const d = summarise(diffs);
      return `${d.median.toFixed(1)} ms (paired p10 ${d.p10.toFixed(1)} – p90 ${d.p90.toFixed(1)})`;
    };
    const ratio = (a: string, b: string): string => {
      const x = defined(res.samples[a] ?? []);
      const y = defined(res.samples[b] ?? []);
      return x.length && y.length ? `${(summarise(x).median / summarise(y).median).toFixed(2)}×` : 'n/a';
    };
    const out = [
      line('spawn-sandboxed'),
      line('client-remote'),
      line('server-sandboxed'),
      line('server-sessions'),
      line('spawn-direct'),
      line('server-direct'),
      `server added cost per process, sandboxed: ${added('server-sandboxed', 'spawn-sandboxed')}`,
      `server added cost per process, direct:    ${added('server-direct', 'spawn-direct')}`,
      `remote command via the client vs local sandbox.spawn: ${ratio('client-remote', 'spawn-sandboxed')} (paired added ${added('client-remote', 'spawn-sandboxed')})`,
      `client library vs raw process/start (both sandboxed): ${ratio('client-remote', 'server-sandboxed')}`,
      `process/start in sandbox sessions (default) vs --no-sessions (both sandboxed): ${ratio('server-sessions', 'server-sandboxed')} (paired ${added('server-sessions', 'server-sandboxed')})`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
    ws.close();
    withSessions.ws.close();
    await remote.close();
  } finally {
    server.kill('SIGTERM');
    withSessions.server.kill('SIGTERM');
    rmSync(cwd, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:exec-server: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});

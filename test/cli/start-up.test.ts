/**
 * `codex-sandbox run` loads only what running a command needs: every sandboxed command pays the CLI's
 * start-up (issue #21), so the exec-server, explain's renderer and the HTTP proxy stack stay unloaded.
 * Which files each subcommand loads is observed, not listed: a `--require` preload records
 * `require.cache` and Node's builtin load list at exit (the CLI is CommonJS chunks, rolldown.config.mjs).
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scratch, repo, requireBuilt } from './helpers.js';

interface Loaded {
  /** Node's event loop ran dry ('beforeExit'): the CLI left through Node's full teardown. */
  beforeExit: boolean;
  files: string[];
  builtins: string[];
  /** Per loaded file: what main.cjs's loader did with its V8 code cache (rolldown.config.mjs installCodeCache). */
  codeCache: Record<string, string | undefined>;
  /** Calls of node:child_process's spawn (which forks this whole Node process). */
  spawns: number;
}

describe('CLI start-up', () => {
  let s: Scratch;
  let preload: string;
  beforeAll(() => {
    requireBuilt();
    s = new Scratch();
    preload = s.write(
      'preload.cjs',
      "let beforeExit = false; process.on('beforeExit', () => { beforeExit = true; });\n" +
        "let spawns = 0; const cp = require('child_process'); const spawn = cp.spawn; cp.spawn = (...a) => { spawns++; return spawn(...a); };\n" +
        "process.on('exit', () => require('fs').writeFileSync(process.env.CSBX_LOADED_OUT, JSON.stringify({ beforeExit, spawns, " +
        "files: Object.keys(require.cache), codeCache: Object.fromEntries(Object.entries(require.cache).map(([f, m]) => [f, m.codeCache])), builtins: process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)) })));\n",
    );
  });
  afterAll(() => s.dispose());

  function loaded(args: string[], nodeOptions = ''): { status: number | null; report: string; loaded: Loaded } {
    const out = path.join(s.root, `loaded-${args[0] ?? 'none'}.json`);
    const r = s.cli(args, { env: s.env({ NODE_OPTIONS: `--require ${preload} ${nodeOptions}`, CSBX_LOADED_OUT: out }) });
    return { status: r.status, report: r.report, loaded: JSON.parse(readFileSync(out, 'utf8')) as Loaded };
  }

  /** The loaded files of the CLI defining `name` (rolldown keeps function names). */
  const defining = (l: Loaded, name: string): string[] => l.files.filter((f) => f.endsWith('.cjs') && readFileSync(f, 'utf8').includes(`function ${name}(`));

  it('run loads neither the exec-server, explain nor doctor modules, nor node:http', () => {
    const run = loaded(['run', '--', '/bin/true']);
    expect(run.status, run.report).toBe(0);
    // A usage error the exec-server module itself reports: its module is loaded, nothing is served.
    const server = loaded(['exec-server', '--listen', 'bogus://x']);
    expect(server.status, server.report).toBe(2);
    const explain = loaded(['explain', '--', '/bin/true']);
    expect(explain.status, explain.report).toBe(0);
    // The markers are real: each subcommand does load its own module.
    expect(defining(server.loaded, 'execServerCommand')).toHaveLength(1);
    expect(defining(explain.loaded, 'explainCommand')).toHaveLength(1);

    for (const name of ['execServerCommand', 'explainCommand', 'doctorCommand', 'profilesCommand', 'cleanupCommand']) {
      expect(defining(run.loaded, name), name).toEqual([]);
    }
    // The CLI's own code comes from its chunks: no separately resolved npm package but the addon loader's.
    expect(run.loaded.files.filter((f) => f.includes(`${path.sep}node_modules${path.sep}`))).toEqual([]);
    expect(run.loaded.builtins).not.toContain('http');
    // node:crypto's ~20 modules load on first use only (src/host/bundled-bwrap.ts, probe-cache.ts,
    // platforms/win32/sid.ts) and the cgroup name reads /dev/urandom (src/launch/cgroups.ts); the
    // exec-server, which needs it, shows the check can see it.
    expect(run.loaded.builtins).not.toContain('crypto');
    expect(server.loaded.builtins).toContain('crypto');
    // What run needs before it starts the command is one chunk (rolldown.config.mjs coreChunk): main.cjs,
    // that chunk and the bundler's runtime, not one file per module.
    expect(run.loaded.files.filter((f) => f.includes(`${path.sep}dist${path.sep}cli${path.sep}`)).length, run.loaded.files.join('\n')).toBeLessThanOrEqual(3);
    // The chunks are ASCII (rolldown.config.mjs charset): Node reads them as one-byte strings, not UTF-16.
    for (const f of run.loaded.files.filter((f) => f.includes(`${path.sep}dist${path.sep}cli${path.sep}`))) {
      expect(/[\u0080-\uffff]/.test(readFileSync(f, 'utf8')), f).toBe(false);
    }
    // `run` exits as soon as it is done (src/cli/main.ts), not through Node's teardown; explain does not.
    expect(run.loaded.beforeExit).toBe(false);
    expect(explain.loaded.beforeExit).toBe(true);
  });

  it('run compiles its chunks from the V8 code caches built next to them; a rejected cache only costs the compile', () => {
    const chunks = (l: Loaded): string[] => l.files.filter((f) => f.includes(`${path.sep}dist${path.sep}cli${path.sep}`) && !f.endsWith(`${path.sep}main.cjs`));
    const run = loaded(['run', '--', '/bin/true']);
    expect(run.status, run.report).toBe(0);
    expect(chunks(run.loaded).length).toBeGreaterThanOrEqual(1);
    // Removing the loader (undefined), its cache files ('none') or a cache V8 refuses ('rejected') fails here.
    for (const f of chunks(run.loaded)) expect(run.loaded.codeCache[f], f).toBe('accepted');
    // Another V8 heap limit changes V8's flag hash: V8 rejects the caches, the chunks compile from source.
    const other = loaded(['run', '--', 'sh', '-c', 'exit 3'], '--max-old-space-size=300');
    expect(other.status, other.report).toBe(3);
    for (const f of chunks(other.loaded)) expect(other.loaded.codeCache[f], f).toBe('rejected');
  });

  it('a copy of the package that did not keep timestamps still uses its caches; a chunk edited after its cache ignores it', () => {
    // The package as `cp -r` copies it (fresh mtimes); the rest of the package is linked.
    const pkg = path.join(s.root, 'pkg');
    mkdirSync(path.join(pkg, 'dist'), { recursive: true });
    cpSync(path.join(repo, 'dist', 'cli'), path.join(pkg, 'dist', 'cli'), { recursive: true });
    for (const f of ['package.json', 'build', 'node_modules', 'vendor']) symlinkSync(path.join(repo, f), path.join(pkg, f));
    const main = path.join(pkg, 'dist', 'cli', 'main.cjs');
    const run = (label: string): Loaded => {
      const out = path.join(s.root, `copy-${label}.json`);
      const r = spawnSync(process.execPath, [main, 'run', '--', 'sh', '-c', 'exit 6'], { cwd: s.project, env: s.env({ NODE_OPTIONS: `--require ${preload}`, CSBX_LOADED_OUT: out }), encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(6);
      return JSON.parse(readFileSync(out, 'utf8')) as Loaded;
    };
    const core = (l: Loaded): string | undefined => l.files.find((f) => f.startsWith(path.join(pkg, 'dist', 'cli', 'core-')));
    const copied = run('copied');
    const chunk = core(copied);
    expect(chunk, copied.files.join('\n')).toBeDefined();
    expect(copied.codeCache[chunk ?? '']).toBe('accepted');
    // Edited (V8 would accept a same-length edit: it checks only the length): the cache is not used.
    const later = statSync(`${chunk ?? ''}.cache`).mtimeMs / 1000 + 5;
    utimesSync(chunk ?? '', later, later);
    expect(run('edited').codeCache[chunk ?? '']).toBe('none');
  });

  it.runIf(process.platform === 'linux')('a sandboxed command cannot plant, change or move a code cache the next CLI run would load', () => {
    const dir = path.join(repo, 'dist', 'cli');
    const cache = readdirSync(dir).find((f) => f.startsWith('core-') && f.endsWith('.cjs.cache'));
    expect(cache).toBeDefined();
    const file = path.join(dir, cache ?? '');
    const before = readFileSync(file);
    const planted = path.join(dir, 'explain-planted.cjs.cache');
    // Each attempt must fail; the command says which one did not.
    const attack = [`printf x >> '${file}'`, `cp /bin/true '${planted}'`, `mv '${file}' '${file}.old'`, `mv '${dir}' '${dir}.old'`]
      .map((a) => `if ${a} 2>/dev/null; then echo "DONE: ${a}"; fi`)
      .join('; ');
    const r = s.cli(['run', '-p', 'workspace-write', '--', 'sh', '-c', attack]);
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(existsSync(planted)).toBe(false);
    // Nor can the caller make dist/cli a writable root: refused before launch (PlanError WritableRootInPackage, exit 125).
    const w = s.cli(['run', '-w', dir, '--', '/bin/true']);
    expect(w.status, w.report).toBe(125);
    expect(w.stderr).toMatch(/part of codex-sandbox's own installation/);
  });

  it.runIf(process.platform === 'linux')("run starts the launcher with the addon's clone+pidfd spawner, not by forking Node", () => {
    const run = loaded(['run', '--', 'sh', '-c', 'exit 4']);
    expect(run.status, run.report).toBe(4);
    expect(run.loaded.spawns).toBe(0);
    // The count is real: with the addon's spawner ruled out (src/launch/spawn-hook.ts) the fork is seen.
    const forked = s.cli(['run', '--', 'sh', '-c', 'exit 4'], { env: s.env({ NODE_OPTIONS: `--require ${preload}`, CSBX_LOADED_OUT: path.join(s.root, 'forked.json'), CODEX_SANDBOX_SPAWN: 'node' }) });
    expect(forked.status, forked.report).toBe(4);
    expect((JSON.parse(readFileSync(path.join(s.root, 'forked.json'), 'utf8')) as Loaded).spawns).toBe(1);
  });

  /** The builtin modules a `run` of `script` (under `sh -c`) loaded, through a preload that lists them at exit. */
  function builtinsOf(label: string, script: string, env: Record<string, string> = {}): { status: number | null; stderr: string; report: string; list: string[] } {
    const builtinsPreload = s.write(
      'builtins-preload.cjs',
      "process.on('exit', () => require('fs').writeFileSync(process.env.CSBX_BUILTINS_OUT, JSON.stringify(process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)))));\n",
    );
    const out = path.join(s.root, `builtins-${label}.json`);
    const r = s.cli(['run', '--', 'sh', '-c', script], { env: s.env({ NODE_OPTIONS: `--require ${builtinsPreload}`, CSBX_BUILTINS_OUT: out, ...env }) });
    return { status: r.status, stderr: r.stderr, report: r.report, list: JSON.parse(readFileSync(out, 'utf8')) as string[] };
  }

  it.runIf(process.platform === 'linux')('run loads neither node:child_process nor fs/promises: the packages that require them at load get them lazily', () => {
    // commander (executable subcommands only) and isexe (async check only) through rolldown.config.mjs
    // lazyBuiltins; spawn-inherit, spawn-hook, userns and bwrap-select require node:child_process on first use.
    const run = builtinsOf('run', 'exit 5');
    expect(run.status, run.report).toBe(5);
    for (const m of ['child_process', 'internal/child_process', 'dgram', 'fs/promises']) expect(run.list, m).not.toContain(m);
    // The check can see it: the node:child_process fallback (src/launch/spawn-inherit.ts) loads it.
    const forked = builtinsOf('forked', 'exit 5', { CODEX_SANDBOX_SPAWN: 'node' });
    expect(forked.status, forked.report).toBe(5);
    expect(forked.list).toContain('child_process');
  });

  it.runIf(process.platform === 'linux')('run loads neither node:net, node:stream nor node:tty: stdio checks, the stderr relay and the status fd go through the addon and plain reads', () => {
    // stderr is a pipe (spawnSync): the relay is on and the command's stderr comes through it. (A line
    // of the CLI's own, a refusal's, is written through process.stderr, which does load node:net.)
    const script = 'echo to-stderr >&2; exit 5';
    const run = builtinsOf('net-run', script);
    expect(run.stderr, run.report).toBe('to-stderr\n');
    expect(run.status, run.report).toBe(5);
    for (const m of ['net', 'stream', 'tty', 'internal/streams/readable']) expect(run.list, m).not.toContain(m);
    // The check can see them: the node:child_process fallback reads its pipes through net.Sockets.
    const forked = builtinsOf('net-forked', script, { CODEX_SANDBOX_SPAWN: 'node' });
    expect(forked.status, forked.report).toBe(5);
    expect(forked.list).toContain('net');
  });

  /** Runs the CLI with stderr a pipe this test reads after `delayMs` (or never: destroyed at once). */
  function withStderrReader(args: string[], opts: { delayMs?: number; nodeOptions?: string }): Promise<{ status: number | null; stderr: Buffer }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(repo, 'dist', 'cli', 'main.cjs'), ...args], {
        cwd: s.project,
        env: s.env(opts.nodeOptions !== undefined ? { NODE_OPTIONS: opts.nodeOptions } : {}),
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('the CLI did not exit within 60 s'));
      }, 60_000);
      if (opts.delayMs === undefined) child.stderr.destroy();
      else {
        child.stderr.pause();
        setTimeout(() => child.stderr.on('data', (c: Buffer) => chunks.push(c)).resume(), opts.delayMs);
      }
      child.once('close', (status) => {
        clearTimeout(timer);
        resolve({ status, stderr: Buffer.concat(chunks) });
      });
    });
  }

  it('a reader of stderr that goes away: the relay keeps draining the command\'s stderr and run exits with its status', async () => {
    const r = await withStderrReader(['run', '--', 'sh', '-c', 'head -c 1048576 /dev/zero >&2; exit 7'], {});
    expect(r.status).toBe(7);
  });

  it('a non-blocking stderr with a slow reader loses nothing: the relay waits out EAGAIN', async () => {
    // Touching process.stderr in a preload opens fd 2 (a pipe) through libuv, which makes it O_NONBLOCK.
    const nonblocking = s.write('stderr-nonblock-preload.cjs', 'process.stderr;\n');
    const mib = 512 * 1024;
    const r = await withStderrReader(['run', '--', 'sh', '-c', `head -c ${mib} /dev/zero | tr '\\0' e >&2; exit 3`], { delayMs: 500, nodeOptions: `--require ${nonblocking}` });
    expect(r.status).toBe(3);
    expect(r.stderr.length).toBe(mib);
    expect(r.stderr.toString('latin1')).toBe('e'.repeat(mib));
  });

  it("run's early exit loses nothing: 512 KiB of relayed stderr, then the refusal line, then the command's status", () => {
    const mib = 512 * 1024; // under spawnSync's 1 MiB maxBuffer
    // The relay pipe holds 64 KiB: the CLI must wait for this reader many times before it may exit.
    const r = s.cli(['run', '--', 'sh', '-c', `head -c ${mib} /dev/zero | tr '\\0' e >&2; echo >&2; touch /usr/codex-sandbox-start-up`]);
    expect(r.status, r.report.slice(-2000)).toBe(1);
    expect(r.stderr.slice(0, mib)).toBe('e'.repeat(mib));
    const tail = r.stderr.slice(mib).trim().split('\n');
    expect(tail[0]).toMatch(/codex-sandbox-start-up.*Read-only file system/);
    expect(tail.at(-1)).toMatch(/^codex-sandbox: blocked write: \/usr\/codex-sandbox-start-up \(read-only/);
  });
});

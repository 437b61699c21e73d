/**
 * README.md's code blocks, run as written (#17): the Node quick start imports the package by its name
 * and runs; every `$ command` of a console block runs in one bash (so `echo $?` sees the command
 * before it) with `codex-sandbox` on PATH, and its output must be what the README prints. The demo
 * world the examples assume (/tmp/demo: a user config with profile `ci`, a project with profile
 * `dev`) is created here. Machine-specific lines (the launcher's path, the environment's size, the
 * elided argv, what already lies in /tmp) are compared by shape; doctor's verdict by its exit code and last line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, repo, requireBuilt } from './helpers.js';

interface Block {
  lang: string;
  body: string;
  /** 1-based line of the opening fence. */
  line: number;
}

function readmeBlocks(): Block[] {
  const lines = readFileSync(path.join(repo, 'README.md'), 'utf8').split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    out.push({ lang: open[1]!, body: body.join('\n'), line: start + 1 });
  }
  return out;
}

interface Step {
  command: string;
  expected: string[];
}

function steps(block: Block): Step[] {
  const out: Step[] = [];
  for (const l of block.body.split('\n')) {
    if (l.startsWith('$ ')) out.push({ command: l.slice(2), expected: [] });
    else out.at(-1)?.expected.push(l);
  }
  return out;
}

const DEMO = '/tmp/demo';
const USER_CONFIG = `${DEMO}/home/.config/codex-sandbox/config.toml`;
const CI_CONFIG = `[profiles.ci]
description = "CI jobs that download dependencies"
extends = "workspace-write"
network = "enabled"
writable_roots = ["${DEMO}/home/.cache"]
`;
/** The configuration the "bad configuration file" example reads. */
const BAD_CONFIG = `[profiles.x]
extends = "workspace-write"
network = "on"
`;
const shim = path.join(DEMO, 'bin');

/** Runs a console block's commands in one bash; returns each command's output (stdout and stderr in order). */
function runConsole(block: Block): string[] {
  const script = steps(block)
    .map((s, i) => `printf '\\n@@step ${i}\\n'\n(exit $__rc)\n${s.command} 2>&1\n__rc=$?`)
    .join('\n');
  const r = spawnSync('/bin/bash', ['-c', `__rc=0\n${script}\nprintf '\\n@@end\\n'`], {
    cwd: `${DEMO}/app`,
    env: { PATH: `${shim}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, HOME: `${DEMO}/home`, LANG: 'C.UTF-8', TMPDIR: '/tmp' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const parts = r.stdout.split(/\n@@step \d+\n/).slice(1);
  const last = parts.length - 1;
  if (last >= 0) parts[last] = parts[last]!.replace(/\n@@end\n$/, '');
  return parts.map((p) => p.replace(/\n$/, ''));
}

function blockStartingWith(prefix: string): Block {
  const b = readmeBlocks().find((x) => x.lang === 'console' && x.body.startsWith(`$ ${prefix}`));
  if (b === undefined) throw new Error(`README.md has no console block starting with "$ ${prefix}"`);
  return b;
}

/** Expected vs actual for one block, each command's output compared line by line after `normalise`. */
function expectBlock(block: Block, normalise: (s: string) => string = (s) => s): void {
  const want = steps(block);
  const got = runConsole(block);
  expect(got.length, `README.md:${block.line}: every command ran`).toBe(want.length);
  want.forEach((s, i) => {
    expect(normalise(got[i]!), `README.md:${block.line}: output of \`${s.command}\``).toBe(normalise(s.expected.join('\n')));
  });
}

describe('README.md runs as written', () => {
  beforeAll(() => {
    requireBuilt();
    rmSync(DEMO, { recursive: true, force: true });
    for (const d of ['app', 'out', 'home/.cache', 'home/.config/codex-sandbox', 'bin']) mkdirSync(path.join(DEMO, d), { recursive: true });
    writeFileSync(USER_CONFIG, CI_CONFIG);
    writeFileSync(
      `${DEMO}/app/codex-sandbox.toml`,
      `default_profile = "dev"\n\n[profiles.dev]\ndescription = "daily work, no secrets"\nextends = "workspace-write"\ndeny_read = ["${DEMO}/app/.env"]\n`,
    );
    writeFileSync(path.join(shim, 'codex-sandbox'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} "$@"\n`);
    chmodSync(path.join(shim, 'codex-sandbox'), 0o755);
  });
  afterAll(() => rmSync(DEMO, { recursive: true, force: true }));

  it('the install and test commands are the ones CI runs (.ci/run)', () => {
    const ci = readFileSync(path.join(repo, '.ci/run'), 'utf8');
    const [install, test] = readmeBlocks().filter((b) => b.lang === 'sh');
    expect(ci).toContain(`\n${install!.body}\n`);
    expect(ci).toContain(`\n${test!.body}\n`);
  });

  it('the Node quick start runs, importing the package by its name', () => {
    const block = readmeBlocks().find((b) => b.lang === 'ts' && b.body.includes("from 'codex-sandbox'"));
    if (block === undefined) throw new Error('README.md has no Node quick start');
    const dir = path.join(DEMO, 'node-quick-start');
    mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
    symlinkSync(repo, path.join(dir, 'node_modules', 'codex-sandbox'));
    // The block has no type annotations, so it is also a valid ES module.
    writeFileSync(path.join(dir, 'quick-start.mjs'), block.body);
    const r = spawnSync(process.execPath, ['quick-start.mjs'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const printed = /\/\/ (.*)$/.exec(block.body.split('\n').find((l) => l.startsWith('console.log(')) ?? '')?.[1];
    expect(r.stdout.trim()).toBe(printed);
  });

  it('From the shell', () => {
    expectBlock(blockStartingWith('codex-sandbox run -- sh -c "echo hello'));
  });

  it('run: flags and usage errors', () => {
    expectBlock(blockStartingWith('codex-sandbox run --profile read-only --writable-root'));
  });

  it('explain (the launcher and bwrap paths, the environment size and the elided argv compared by shape)', () => {
    const shape = (s: string): string =>
      s
        .replace(/^(\s*program:\s+).*\/codex-sandbox-launcher$/m, '$1<launcher>')
        .replace(/^(\s*env:\s+)\d+ variables$/m, '$1N variables')
        // Which bwrap (and so its path) is this machine's: doctor's subject, not the README's.
        .replace(/^( {2}bwrap: {6}).*$/m, '$1<bwrap>')
        .replace(/bubblewrap \((?:system|bundled)\) with /, 'bubblewrap (<source>) with ')
        .replace(/^(\s*argv:\n)(?:\s{4}.*\n)+/m, '$1    <argv>\n')
        // What already exists in the host's /tmp (another tool's .git, say) is this machine's, not the README's.
        .replace(/^( {2}write {2}\/tmp\n)\s+read-only inside: .*\n/m, '$1');
    expectBlock(blockStartingWith('codex-sandbox explain'), shape);
  });

  it('profiles', () => {
    expectBlock(blockStartingWith('codex-sandbox profiles'));
  });

  it('doctor: exit 0 and the verdict line on a host where sandboxing works (the rest describes this machine)', () => {
    const block = blockStartingWith('codex-sandbox doctor');
    const want = steps(block)[0]!.expected.filter((l) => l !== '').at(-1) ?? '';
    const r = spawnSync(process.execPath, [bin, 'doctor'], { encoding: 'utf8', env: { ...process.env, HOME: `${DEMO}/home` } });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(want.startsWith('sandboxing works: ')).toBe(true);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^sandboxing works: /);
  });

  it('a bad configuration file names the file, line and key (exit 2)', () => {
    writeFileSync(USER_CONFIG, BAD_CONFIG);
    try {
      expectBlock(blockStartingWith('codex-sandbox run --profile x'));
      const r = spawnSync(process.execPath, [bin, 'run', '--profile', 'x', '--', 'true'], { cwd: `${DEMO}/app`, env: { PATH: process.env['PATH'] ?? '', HOME: `${DEMO}/home` } });
      expect(r.status).toBe(2);
    } finally {
      writeFileSync(USER_CONFIG, CI_CONFIG);
    }
  });

  it('exec-server: the bound URL is the first line on stdout, the listening line on stderr (the port compared by shape)', async () => {
    const block = blockStartingWith('codex-sandbox exec-server');
    const [want] = steps(block);
    const server = spawn(process.execPath, [bin, 'exec-server'], { cwd: `${DEMO}/app`, env: { ...process.env, HOME: `${DEMO}/home` } });
    try {
      let out = '';
      let err = '';
      server.stdout.on('data', (d: Buffer) => (out += d.toString()));
      server.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const t0 = Date.now();
      while ((!out.includes('\n') || !err.includes('\n')) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
      const port = (s: string): string => s.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT');
      expect(port(`${out.split('\n')[0]!}\n${err.split('\n')[0]!}`)).toBe(port(want!.expected.join('\n')));
    } finally {
      server.kill('SIGTERM');
    }
  });

  it('every console example of the README is run by a test here', () => {
    const covered = ['codex-sandbox run -- sh -c "echo hello', 'codex-sandbox run --profile read-only --writable-root', 'codex-sandbox explain', 'codex-sandbox profiles', 'codex-sandbox doctor', 'codex-sandbox exec-server', 'codex-sandbox run --profile x'];
    // The simulated-container doctor is the one example not run (see below).
    const notRun = ['CODEX_SANDBOX_BWRAP=/tmp/demo/bwrap codex-sandbox doctor'];
    for (const b of readmeBlocks().filter((x) => x.lang === 'console')) {
      const first = steps(b)[0]?.command ?? '';
      expect(covered.some((c) => first.startsWith(c)) || notRun.includes(first), `README.md:${b.line}: \`${first}\` is run by no test`).toBe(true);
    }
  });

  // Not run: the simulated container doctor (`CODEX_SANDBOX_BWRAP=/tmp/demo/bwrap`) needs /.dockerenv and a
  // bubblewrap whose uid map fails; test/cli/doctor.test.ts produces that verdict with a fake bwrap.
});

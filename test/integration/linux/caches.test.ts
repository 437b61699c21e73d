/**
 * Per-tool caches (`caches: ['npm', 'pip']`, CLI `--cache`): real npm and pytest in a real sandbox,
 * with a home directory of the test's own (under /var/tmp, which workspace-write does not make writable).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox } from '../../../src/sandbox.js';
import type { Sandbox, SpawnOptions } from '../../../src/sandbox.js';
import { isLinux, scratch } from './helpers.js';
import type { Scratch } from './helpers.js';

const hasNpm = isLinux && existsSync('/usr/bin/npm');
const hasPytest = isLinux && (() => {
  try {
    execFileSync('/usr/bin/python3', ['-m', 'pytest', '--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!isLinux)('linux sandbox: per-tool caches (real bwrap)', () => {
  let s: Scratch;
  let home: string;
  let env: Record<string, string>;
  let sb: Sandbox;
  beforeEach(async () => {
    s = scratch('csbx-cache-');
    home = join(s.base, 'home');
    mkdirSync(home);
    // The integration-bundled project selects the bundled bwrap through this variable.
    const bwrap = process.env['CODEX_SANDBOX_BWRAP'];
    env = { PATH: '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', ...(bwrap !== undefined ? { CODEX_SANDBOX_BWRAP: bwrap } : {}) };
    sb = await createSandbox({ env });
  });
  afterEach(() => s.cleanup());

  async function shIn(script: string, options: SpawnOptions = {}): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }> {
    const r = await sb.spawn(['/bin/sh', '-c', script], 'workspace-write', { cwd: s.ws, env, reject: false, stdin: 'ignore', ...options });
    return { exitCode: r.exitCode, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  }

  it('caches: [npm] makes ~/.npm/_cacache and ~/.npm/_logs writable (created if missing), and nothing else of $HOME', async () => {
    const r = await shIn(
      'echo c > ~/.npm/_cacache/probe && echo l > ~/.npm/_logs/probe && echo ok; ' +
        'echo x > ~/.npm/_npx/probe; echo x > ~/.npmrc; echo x > ~/.bashrc; echo x > ~/.npm/probe; true',
      { caches: ['npm'] },
    );
    expect(r.stdout).toBe('ok');
    expect(readFileSync(join(home, '.npm/_cacache/probe'), 'utf8')).toBe('c\n');
    expect(readFileSync(join(home, '.npm/_logs/probe'), 'utf8')).toBe('l\n');
    // `_npx` holds packages a later `npx` runs; ~/.npmrc and ~/.bashrc are read by the next unsandboxed run.
    for (const p of ['.npm/_npx', '.npmrc', '.bashrc', '.npm/probe']) expect(existsSync(join(home, p)), p).toBe(false);
  });

  it('without the option the cache stays read-only', async () => {
    mkdirSync(join(home, '.npm/_cacache'), { recursive: true });
    const r = await shIn('echo c > ~/.npm/_cacache/probe');
    expect(r.exitCode).not.toBe(0);
    expect(existsSync(join(home, '.npm/_cacache/probe'))).toBe(false);
  });

  it('an unknown cache name is refused with the known names', () => {
    expect(() => sb.plan(['true'], 'workspace-write', { cwd: s.ws, caches: ['npmm' as 'npm'] })).toThrow(/unknown cache "npmm": known caches are npm, pip, cargo, go, yarn/);
  });

  /** A package tarball and a project whose lockfile names it under a registry URL, as `npm install` would have left it. */
  function npmProject(): string {
    const pkg = join(s.base, 'pkg');
    mkdirSync(pkg);
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'csbx-demo', version: '1.0.0', main: 'index.js' }));
    writeFileSync(join(pkg, 'index.js'), 'module.exports = 42;\n');
    execFileSync('npm', ['pack', '-q', '--cache', join(s.base, 'pack-cache')], { cwd: pkg, env, stdio: 'ignore' });
    const tgz = join(pkg, 'csbx-demo-1.0.0.tgz');
    const integrity = 'sha512-' + createHash('sha512').update(readFileSync(tgz)).digest('base64');
    writeFileSync(join(s.ws, 'package.json'), JSON.stringify({ name: 'proj', version: '1.0.0', dependencies: { 'csbx-demo': '1.0.0' } }));
    writeFileSync(
      join(s.ws, 'package-lock.json'),
      JSON.stringify({
        name: 'proj',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: 'proj', version: '1.0.0', dependencies: { 'csbx-demo': '1.0.0' } },
          'node_modules/csbx-demo': { version: '1.0.0', resolved: 'https://registry.npmjs.org/csbx-demo/-/csbx-demo-1.0.0.tgz', integrity },
        },
      }),
    );
    return tgz;
  }

  it.skipIf(!hasNpm)('with caches: [npm], npm fills its cache inside the sandbox and `npm ci --offline` installs from it (network off) (skipped without /usr/bin/npm)', async () => {
    const tgz = npmProject();
    const r = await shIn(`npm cache add ${tgz} && npm ci --offline --no-audit --no-fund && node -e "console.log(require('csbx-demo'))"`, { caches: ['npm'] });
    expect(r.stderr).not.toMatch(/ERR/);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/\n42$/);
    expect(existsSync(join(s.ws, 'node_modules/csbx-demo/index.js'))).toBe(true);
  });

  it.skipIf(!hasNpm)('without caches: [npm], npm cannot write its cache (npm cache add fails; nothing lands in ~/.npm) (skipped without /usr/bin/npm)', async () => {
    const tgz = npmProject();
    mkdirSync(join(home, '.npm/_cacache'), { recursive: true });
    const r = await shIn(`npm cache add ${tgz}`);
    expect(r.exitCode).not.toBe(0);
    expect(readdirSync(join(home, '.npm/_cacache'))).toEqual([]);
  });

  it.skipIf(!hasPytest)('pytest runs under workspace-write (it writes .pytest_cache and __pycache__ in the project) with caches: [pip] (skipped when /usr/bin/python3 has no pytest: scripts/install.sh --dev installs python3-pytest)', async () => {
    writeFileSync(join(s.ws, 'mod.py'), 'def add(a, b):\n    return a + b\n');
    writeFileSync(join(s.ws, 'test_mod.py'), 'from mod import add\n\ndef test_add():\n    assert add(2, 3) == 5\n');
    const r = await shIn('/usr/bin/python3 -m pytest -q', { caches: ['pip'] });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/1 passed/);
    expect(existsSync(join(s.ws, '.pytest_cache'))).toBe(true);
    expect(existsSync(join(home, '.cache/pip'))).toBe(true);
  });
});

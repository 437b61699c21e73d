/**
 * Real bubblewrap: a Sandbox reuses a plan for the same request only when the filesystem still answers
 * every planning question the same (src/manager/plan-cache.ts). A hostile command that runs again and
 * again, with the same inputs, changes the workspace between runs; each run must be planned exactly as a
 * fresh plan (a Sandbox with CODEX_SANDBOX_PLAN_CACHE=0) and the protection must hold in the next run.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Sandbox } from '../../../src/sandbox.js';
import type { SpawnOptions } from '../../../src/sandbox.js';
import { isLinux, scratch } from './helpers.js';
import type { Scratch } from './helpers.js';
import { getHostFacts } from '../../../src/host/facts.js';
import { launch } from '../../../src/launch/run.js';

describe.skipIf(!isLinux)('linux sandbox: cached plans across runs (real bwrap)', () => {
  let s: Scratch;
  beforeEach(() => {
    s = scratch('csbx-plancache-');
  });
  afterEach(() => s.cleanup());

  const env = { PATH: '/usr/bin:/bin' };
  const facts = getHostFacts({ env: process.env });
  const cached = new Sandbox(facts, env, launch);
  const fresh = new Sandbox(facts, { ...env, CODEX_SANDBOX_PLAN_CACHE: '0' }, launch);

  async function runThrice(script: string, options: SpawnOptions): Promise<string[]> {
    const out: string[] = [];
    const command = ['/bin/sh', '-c', script];
    for (let i = 0; i < 3; i++) {
      // Planned now, by both: the cached plan must be the fresh one (same inputs, the tree as it is now).
      expect(cached.plan(command, 'read-only', options)).toEqual(fresh.plan(command, 'read-only', options));
      const r = await cached.spawn(command, 'read-only', { ...options, reject: false, stdin: 'ignore' });
      out.push(`${String(r.stdout)}|exit ${String(r.exitCode)}`);
    }
    return out;
  }

  it('a .env a command plants is unreadable in its next run; a .git/hooks and .agents made between runs are not writable', async () => {
    const options: SpawnOptions = { cwd: s.ws, writableRoots: [s.ws], denyRead: [join(s.ws, '**/.env')], env };
    // Every run tries everything: write a hook, write into .agents, read the .env (after planting them).
    const script = [
      'for d in .git .git/hooks .agents; do mkdir $d 2>/dev/null; done',
      '(echo SECRET-VALUE > .env) 2>/dev/null',
      '(echo pwn > .git/hooks/pre-commit) 2>/dev/null && echo WROTE-HOOK',
      '(echo pwn > .agents/x) 2>/dev/null && echo WROTE-AGENTS',
      'cat .env 2>/dev/null',
      'true',
    ].join('; ');
    const out = await runThrice(script, options);
    // Run 1 planted the .env (deny-read covers files that exist when the run is planned, so run 1 can read
    // its own): runs 2 and 3, same request, must be planned with it and cannot read it.
    expect(out[0]).toContain('SECRET-VALUE');
    expect(out[1]).not.toContain('SECRET-VALUE');
    expect(out[2]).not.toContain('SECRET-VALUE');
    expect(readFileSync(join(s.ws, '.env'), 'utf8')).toBe('SECRET-VALUE\n');
    // No .git existed: each run's repository was staged, and a hook is never accepted into the workspace.
    expect(existsSync(join(s.ws, '.git', 'hooks', 'pre-commit'))).toBe(false);
    // The caller's own repository and .agents, made between runs as a user would (outside the sandbox).
    mkdirSync(join(s.ws, '.git', 'hooks'), { recursive: true });
    mkdirSync(join(s.ws, '.agents'), { recursive: true });
    const after = await runThrice(script, options);
    for (const o of after) {
      expect(o).not.toContain('WROTE-HOOK');
      expect(o).not.toContain('WROTE-AGENTS');
      expect(o).not.toContain('SECRET-VALUE');
    }
    expect(existsSync(join(s.ws, '.git', 'hooks', 'pre-commit'))).toBe(false);
    expect(existsSync(join(s.ws, '.agents', 'x'))).toBe(false);
  });

  it('a writable directory swapped for a symlink between runs is refused by the next run, cached or not', async () => {
    mkdirSync(join(s.ws, 'pkg'));
    const options: SpawnOptions = { cwd: s.ws, writableRoots: [join(s.ws, 'pkg')], env };
    const script = 'echo ok > pkg/made';
    await runThrice(script, options);
    expect(readFileSync(join(s.ws, 'pkg', 'made'), 'utf8')).toBe('ok\n');
    // The swap (a command that could write the workspace's parent could do it; here the test does).
    renameSync(join(s.ws, 'pkg'), join(s.ws, 'pkg.old'));
    symlinkSync(s.outside, join(s.ws, 'pkg'));
    expect(() => fresh.plan(['/bin/sh', '-c', script], 'read-only', options)).toThrow(/symlink/);
    expect(() => cached.plan(['/bin/sh', '-c', script], 'read-only', options)).toThrow(/symlink/);
    expect(() => cached.spawn(['/bin/sh', '-c', script], 'read-only', { ...options, reject: false })).toThrow(/symlink/);
    expect(existsSync(join(s.outside, 'made'))).toBe(false);
  });
});

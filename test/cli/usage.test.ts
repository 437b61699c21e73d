/** Help, --version, and usage errors (exit 2, with a suggestion) from the built binary. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scratch, repo, requireBuilt } from './helpers.js';

let s: Scratch;
beforeAll(() => {
  requireBuilt();
  s = new Scratch();
});
afterAll(() => s.dispose());

describe('codex-sandbox usage', () => {
  it('--version prints the package.json version and exits 0', () => {
    const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string };
    const r = s.cli(['--version']);
    expect(r.status, r.report).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('--help lists every subcommand and exits 0', () => {
    const r = s.cli(['--help']);
    expect(r.status, r.report).toBe(0);
    for (const cmd of ['run', 'explain', 'doctor', 'profiles', 'cleanup']) expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
  });

  it('run --help documents the profile flag and the config trust flag', () => {
    const r = s.cli(['run', '--help']);
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).toContain('--profile <profile>');
    expect(r.stdout).toContain('--trust-project-config');
  });

  it('a mistyped subcommand exits 2 and suggests the right one', () => {
    const r = s.cli(['rn', '--', 'true']);
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toContain("unknown command 'rn'");
    expect(r.stderr).toContain('Did you mean run?');
  });

  it('a mistyped flag exits 2 and suggests the right one', () => {
    const r = s.cli(['run', '--netwrk', '--', 'true']);
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toContain("unknown option '--netwrk'");
    expect(r.stderr).toContain('Did you mean --network?');
  });

  it('doctor rejects an unknown flag with exit 2', () => {
    const r = s.cli(['doctor', '--jsn']);
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toContain('Did you mean --json?');
  });

  it('a bad --env-inherit value exits 2 naming the allowed choices', () => {
    const r = s.cli(['run', '--env-inherit', 'some', '--', 'true']);
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toContain('Allowed choices are all, core, none');
  });

  it('run without a command exits 2', () => {
    const r = s.cli(['run']);
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toContain("missing required argument 'command'");
  });

  it('explain without a command exits 2', () => {
    const r = s.cli(['explain']);
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toContain("missing required argument 'command'");
  });

  it('run --json without --dry-run exits 2 and says what is missing', () => {
    const r = s.cli(['run', '--json', '--', 'true']);
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toContain('--json needs --dry-run');
  });

  it('run --platform for another OS without --dry-run exits 2', () => {
    const other = process.platform === 'darwin' ? 'linux' : 'darwin';
    const r = s.cli(['run', '--platform', other, '--', 'true']);
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toContain(`--platform ${other} can only be used with --dry-run`);
  });

  it('an unknown profile name exits 2 and lists the names that exist', () => {
    const r = s.cli(['run', '--profile', 'workspace-wrte', '--', 'true']);
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toContain('unknown profile "workspace-wrte"');
    expect(r.stderr).toContain('read-only, workspace-write, danger-full-access');
  });

  it('a profile file that does not exist exits 2 naming the file', () => {
    const r = s.cli(['run', '--profile', 'missing.json', '--', 'true']);
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toContain(`cannot read profile file ${path.join(s.project, 'missing.json')}: ENOENT`);
  });
});

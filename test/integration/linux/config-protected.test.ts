/**
 * codex-sandbox.toml at a project root picks the next run's profile, so a sandboxed command may not
 * create, modify, rename or replace it (like .codex). Real sandbox, real files.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLinux, scratch, settle, sh } from './helpers.js';
import type { Scratch } from './helpers.js';

describe.skipIf(!isLinux)('linux sandbox: codex-sandbox.toml is protected metadata', () => {
  let s: Scratch;
  beforeEach(() => {
    s = scratch();
  });
  afterEach(() => s.cleanup());

  it('an existing codex-sandbox.toml cannot be modified, truncated, removed, renamed or replaced', async () => {
    const file = join(s.ws, 'codex-sandbox.toml');
    writeFileSync(file, 'default_profile = "read-only"\n');
    const r = await sh(
      [
        'echo \'default_profile = "danger-full-access"\' >> codex-sandbox.toml && echo appended',
        '(: > codex-sandbox.toml) 2>/dev/null && echo truncated',
        'mv codex-sandbox.toml moved.toml && echo renamed',
        'rm -f codex-sandbox.toml && echo removed',
        'echo x > new.toml && mv -f new.toml codex-sandbox.toml && echo replaced',
        'ln -sf /dev/null codex-sandbox.toml 2>/dev/null && echo linked',
        'true',
      ].join('; '),
      'workspace-write',
      { cwd: s.ws },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(file, 'utf8')).toBe('default_profile = "read-only"\n');
    expect(existsSync(join(s.ws, 'moved.toml'))).toBe(false);
  });

  it('a missing codex-sandbox.toml cannot be created (file, rename or link), and no placeholder is left behind', async () => {
    mkdirSync(join(s.ws, 'sub'));
    const r = await sh(
      [
        'echo \'default_profile = "danger-full-access"\' > codex-sandbox.toml && echo created',
        'echo x > sub/t.toml && mv sub/t.toml codex-sandbox.toml && echo renamed',
        'ln -s sub/t.toml codex-sandbox.toml 2>/dev/null && echo linked',
        'true',
      ].join('; '),
      'workspace-write',
      { cwd: s.ws },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    await settle();
    expect(existsSync(join(s.ws, 'codex-sandbox.toml'))).toBe(false);
  });

  it('an extra writable root cannot get a codex-sandbox.toml either', async () => {
    const r = await sh(`echo 'default_profile = "danger-full-access"' > ${s.outside}/codex-sandbox.toml && echo created; true`, 'workspace-write', {
      cwd: s.ws,
      writableRoots: [s.outside],
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    await settle();
    expect(existsSync(join(s.outside, 'codex-sandbox.toml'))).toBe(false);
  });
});

/**
 * Real bubblewrap: placeholders bound from the prepared empty sources in the hidden registry
 * directory (src/host/placeholder-sources.ts) are as tight as the tmpfs ones they replace. The hostile
 * command attacks every placeholder and the sources themselves; afterwards the sources are still empty.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { launch } from '../../../src/launch/run.js';
import { Sandbox } from '../../../src/sandbox.js';
import { isLinux, sandbox, scratch, settle, sh } from './helpers.js';
import type { Scratch } from './helpers.js';

describe.skipIf(!isLinux)('linux sandbox: placeholders bound from prepared empty sources (real bwrap)', () => {
  let s: Scratch;
  beforeEach(() => {
    s = scratch('csbx-phsrc-');
  });
  afterEach(() => s.cleanup());

  it('a placeholder directory or file cannot be written, chmod-ed, removed, renamed or replaced from inside, and the shared sources stay empty', async () => {
    const sources = (await sandbox()).facts.linux?.placeholderSources;
    expect(sources?.emptyDir, 'the registry directory should hold the prepared sources').toBeDefined();
    expect(sources?.emptyFile).toBeDefined();
    const emptyDir = sources?.emptyDir ?? '';
    const emptyFile = sources?.emptyFile ?? '';
    mkdirSync(join(s.ws, '.git', 'objects'), { recursive: true });
    writeFileSync(join(s.ws, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(s.ws, '.git', 'config'), '[core]\n');
    const plan = (await sandbox()).plan(['/bin/true'], 'workspace-write', { cwd: s.ws });
    const argv = plan.argv.map(String);
    // The fast path is what is under test: .codex and .git/config.worktree come from the sources.
    expect(argv.join(' ')).toContain(`${emptyDir} ${join(s.ws, '.codex')}`);
    expect(argv.join(' ')).toContain(`${emptyFile} ${join(s.ws, '.git', 'config.worktree')}`);
    const attacks = [
      'touch .codex/config.toml',
      'mkdir .codex/sub',
      'chmod 777 .codex',
      'rmdir .codex',
      'mv .codex c2',
      'mv .agents .codex',
      'ln -s /tmp .codex/l',
      'echo x > codex-sandbox.toml/f',
      'echo "[core] hooksPath=/x" > .git/config.worktree',
      'echo x >> .git/config.worktree',
      'chmod 666 .git/config.worktree',
      'rm -f .git/config.worktree',
      'mv .git/config.worktree w2',
      'touch .git/branches/x',
      `chmod 755 ${emptyDir}`,
      `touch ${emptyDir}/planted`,
      `chmod 644 ${emptyFile}`,
      `mv ${emptyDir} ${emptyDir}.old`,
      `echo x > ${emptyFile}`,
      `ls ${emptyDir}`,
    ];
    const script = attacks.map((a) => `if (${a}) 2>/dev/null; then echo "ALLOWED: ${a.replace(/"/g, '\\"')}"; fi`).join('\n') + '\necho end';
    const r = await sh(script, 'workspace-write', { cwd: s.ws });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('end\n');
    expect(r.exitCode).toBe(0);
    await settle();
    // Nothing reached the host: not the workspace, not the shared sources.
    expect(readdirSync(emptyDir)).toEqual([]);
    expect(statSync(emptyFile).size).toBe(0);
    expect(existsSync(join(s.ws, '.codex'))).toBe(false);
    expect(existsSync(join(s.ws, '.git', 'config.worktree'))).toBe(false);
  });

  it('a source that is not empty any more is not bound: the placeholder is built by bwrap and shows nothing', async () => {
    const base = await sandbox();
    const linux = base.facts.linux;
    if (linux === undefined) throw new Error('no Linux facts');
    const own = mkdtempSync('/var/tmp/csbx-phsrc-src-');
    try {
      const dir = join(own, 'd');
      mkdirSync(dir, { mode: 0o555 });
      const sb = new Sandbox({ ...base.facts, linux: { ...linux, placeholderSources: { emptyDir: dir } } }, process.env, launch);
      expect(sb.plan(['/bin/true'], 'workspace-write', { cwd: s.ws }).argv.map(String).join(' ')).toContain(`--ro-bind ${dir} ${join(s.ws, '.codex')}`);
      // The same user (outside every sandbox) fills it after the facts were read.
      rmSync(dir, { recursive: true });
      mkdirSync(join(dir, 'hooks'), { recursive: true });
      writeFileSync(join(dir, 'config.toml'), 'PLANTED\n');
      const argv = sb.plan(['/bin/true'], 'workspace-write', { cwd: s.ws }).argv.map(String);
      expect(argv).not.toContain(dir);
      const r = await sb.spawn(['/bin/sh', '-c', 'ls -A .codex; cat .codex/config.toml; touch .codex/x; echo end'], 'workspace-write', { cwd: s.ws, reject: false, stdin: 'ignore' });
      expect(String(r.stdout)).toBe('end');
      expect(String(r.stderr)).toMatch(/Read-only file system/);
      expect(String(r.stderr)).not.toContain('PLANTED');
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
});

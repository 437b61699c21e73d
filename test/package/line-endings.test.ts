/**
 * Windows runners check the repository out through Git's line-ending rules: without .gitattributes a
 * CRLF checkout breaks every shell script Git Bash runs (`set -euo pipefail\r`). The rule must force LF
 * for every shell script, and no committed text file may carry CRLF.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const git = (args: string[]): string => {
  const r = spawnSync('git', args, { cwd: repo, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const inGit = spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: repo, encoding: 'utf8' }).stdout.trim() === 'true';

describe.skipIf(!inGit)('line endings (a Windows checkout runs the shell scripts as written; skipped outside a git checkout)', () => {
  it('every shell script, and .ci/run, is checked out with LF on every OS', () => {
    const scripts = git(['ls-files', '*.sh', '.ci/run', 'test/fixtures/fake-bwrap/*/bwrap']).split('\n').filter(Boolean);
    expect(scripts.length).toBeGreaterThan(3);
    const attrs = git(['check-attr', 'eol', 'text', '--', ...scripts]);
    for (const f of scripts) {
      expect(attrs, f).toContain(`${f}: eol: lf`);
      expect(attrs, f).not.toContain(`${f}: text: unset`);
    }
  });

  it('no committed text file has CRLF line endings', () => {
    const crlf = git(['ls-files', '--eol']).split('\n').filter((l) => /^i\/(crlf|mixed)/.test(l));
    expect(crlf).toEqual([]);
  });
});

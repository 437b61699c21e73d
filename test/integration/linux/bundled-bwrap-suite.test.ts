/** The Linux integration suite again, forced onto the bundled, digest-verified bwrap (CODEX_SANDBOX_BWRAP=bundled). */
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getHostFacts } from '../../../src/host/facts.js';
import { bundledBwrapPath } from '../../../src/native.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const bundled = process.platform === 'linux' ? bundledBwrapPath() : undefined;

describe.skipIf(bundled === undefined)('linux sandbox on the bundled bwrap (skipped: this build has no bundled bwrap)', () => {
  it('CODEX_SANDBOX_BWRAP=bundled selects the bundled binary, verified by digest', () => {
    const facts = getHostFacts({ env: { ...process.env, CODEX_SANDBOX_BWRAP: 'bundled' } });
    expect(facts.linux?.bwrap?.source).toBe('bundled');
    expect(facts.linux?.bwrap?.path).toBe(bundled);
  });

  it('the Linux integration suite passes on the bundled bwrap', () => {
    const r = spawnSync(
      process.execPath,
      [
        'node_modules/vitest/vitest.mjs',
        'run',
        'test/integration/linux',
        '--exclude',
        '**/unprivileged.test.ts',
        '--exclude',
        '**/bundled-bwrap-suite.test.ts',
        '--reporter=dot',
      ],
      { cwd: repo, encoding: 'utf8', timeout: 600_000, env: { ...process.env, CODEX_SANDBOX_BWRAP: 'bundled' } },
    );
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.status, out.slice(-6000)).toBe(0);
    expect(out).toMatch(/Tests\s+.*\d+ passed/);
  }, 900_000);
});

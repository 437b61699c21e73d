/**
 * CODEX_SANDBOX_BWRAP=bundled selects the bundled, digest-verified bwrap. The Linux integration suite itself
 * runs on it as the vitest project `integration-bundled` (vitest.config.ts, test/integration/linux/bundled-setup.ts).
 */
import { describe, expect, it } from 'vitest';
import { getHostFacts } from '../../../src/host/facts.js';
import { bundledBwrapPath } from '../../../src/native.js';

const bundled = process.platform === 'linux' ? bundledBwrapPath() : undefined;

describe.skipIf(bundled === undefined)('linux sandbox on the bundled bwrap (skipped: this build has no bundled bwrap)', () => {
  it('CODEX_SANDBOX_BWRAP=bundled selects the bundled binary, verified by digest', () => {
    const facts = getHostFacts({ env: { ...process.env, CODEX_SANDBOX_BWRAP: 'bundled' } });
    expect(facts.linux?.bwrap?.source).toBe('bundled');
    expect(facts.linux?.bwrap?.path).toBe(bundled);
  });
});

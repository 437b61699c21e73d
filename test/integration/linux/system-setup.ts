/**
 * Set-up of the `integration-system` project (vitest.config.ts): the Linux integration suite again with
 * CODEX_SANDBOX_BWRAP=system. The default pass runs on the bundled bwrap (preferred when the system one adds
 * nothing, src/host/bwrap-select.ts); every file of this pass fails unless the system binary really is selected.
 */
import { getHostFacts } from '../../../src/host/facts.js';

const bwrap = getHostFacts().linux?.bwrap;
if (process.env.CODEX_SANDBOX_BWRAP !== 'system' || bwrap?.source !== 'system') {
  throw new Error(
    `integration-system: CODEX_SANDBOX_BWRAP=${process.env.CODEX_SANDBOX_BWRAP ?? '(unset)'} selected ${bwrap === undefined ? 'no bwrap' : `the ${bwrap.source} bwrap ${bwrap.path}`}, ` +
      'not a system one; the suite would not test the system binary',
  );
}

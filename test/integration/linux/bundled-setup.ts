/**
 * Set-up of the `integration-bundled` project (vitest.config.ts): the Linux integration suite again with
 * CODEX_SANDBOX_BWRAP=bundled. Every file fails unless that really selects the bundled, digest-verified bwrap.
 */
import { getHostFacts } from '../../../src/host/facts.js';
import { bundledBwrapPath } from '../../../src/native.js';

const bwrap = getHostFacts().linux?.bwrap;
const bundled = bundledBwrapPath();
if (process.env.CODEX_SANDBOX_BWRAP !== 'bundled' || bwrap?.source !== 'bundled' || bwrap.path !== bundled) {
  throw new Error(
    `integration-bundled: CODEX_SANDBOX_BWRAP=${process.env.CODEX_SANDBOX_BWRAP ?? '(unset)'} selected ${bwrap === undefined ? 'no bwrap' : `the ${bwrap.source} bwrap ${bwrap.path}`}, ` +
      `not the bundled ${bundled ?? '(none in this build)'}; the suite would not test the bundled binary`,
  );
}

/**
 * The launcher installs seccomp programs compiled at build time (native/linux/seccomp_gen.cc →
 * seccomp_bpf.h); they must be exactly what the rules in native/linux/seccomp_filter.cc build now, as
 * the addon builds them at run time — a stale header would enforce yesterday's rules. The escape tests
 * (kernel-surface, network) prove what the programs enforce.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { launcherPath, loadNative } from '../../../src/native.js';

const dir = process.platform === 'linux' ? path.dirname(launcherPath()) : '';
const built = dir !== '' && existsSync(path.join(dir, 'seccomp-base.bpf'));

describe.skipIf(!built)(`the launcher's build-time seccomp programs (skipped: ${process.platform !== 'linux' ? 'not Linux' : 'a prebuilt launcher, no build output next to it'})`, () => {
  for (const mode of ['base', 'restricted', 'proxy'] as const) {
    it(`${mode}: byte for byte what the rules build now`, () => {
      const addon = loadNative() as unknown as { seccompFilter(m: string): Buffer };
      const embedded = readFileSync(path.join(dir, `seccomp-${mode}.bpf`));
      expect(embedded.length % 8).toBe(0);
      expect(embedded.length).toBeGreaterThan(0);
      expect(Buffer.compare(embedded, addon.seccompFilter(mode))).toBe(0);
    });
  }

  it('the programs with nested user namespaces allowed are shorter (their CLONE_NEWUSER rules are gone)', () => {
    for (const mode of ['base', 'restricted', 'proxy']) {
      const strict = readFileSync(path.join(dir, `seccomp-${mode}.bpf`));
      const userns = readFileSync(path.join(dir, `seccomp-${mode}_userns.bpf`));
      expect(userns.length).toBeLessThan(strict.length);
    }
  });
});

/**
 * The Linux integration suite (and the configuration- and bwrap-trust attacks) again, as an unprivileged user (created when the tests run as root):
 * unprivileged user namespaces are what users' machines have, and root hides permission mistakes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const USER = 'csbx-test';
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const isRoot = process.platform === 'linux' && process.getuid?.() === 0;

function ensureUser(): void {
  if (spawnSync('id', ['-u', USER]).status === 0) return;
  execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', USER]);
}

/** Whether USER can reach the checkout; a checkout under a private home gets copied to /var/tmp. */
function reachableRepo(): { dir: string; cleanup: () => void } {
  const ok = spawnSync('su', [USER, '-s', '/bin/sh', '-c', `test -r ${JSON.stringify(join(repo, 'package.json'))} && test -x ${JSON.stringify(join(repo, 'node_modules/.bin'))}`]).status === 0;
  if (ok) return { dir: repo, cleanup: () => undefined };
  const dir = mkdtempSync('/var/tmp/csbx-repo-');
  cpSync(repo, dir, { recursive: true, filter: (src) => !src.includes('/.git/') });
  execFileSync('chmod', ['-R', 'a+rX', dir]);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

describe.skipIf(!isRoot)('linux sandbox as an unprivileged user', () => {
  it(
    `the Linux integration suite passes as the unprivileged user ${USER}`,
    () => {
      ensureUser();
      accessSync('/var/tmp', constants.W_OK);
      const { dir, cleanup } = reachableRepo();
      try {
        const cache = `/var/tmp/csbx-vitest-cache-${USER}`;
        const cmd = [
          `cd ${JSON.stringify(dir)}`,
          `export VITEST_CACHE_DIR=${cache} HOME=/home/${USER} PATH=${JSON.stringify(dirname(process.execPath) + ':/usr/bin:/bin')}`,
          `exec ${JSON.stringify(process.execPath)} node_modules/vitest/vitest.mjs run --configLoader runner test/integration/linux test/integration/native test/cli/config-trust.test.ts test/cli/input-mistakes.test.ts test/integration/bwrap-selection/trust.test.ts --exclude '**/unprivileged.test.ts' --exclude '**/bundled-bwrap-suite.test.ts' --reporter=dot`,
        ].join(' && ');
        const r = spawnSync('su', [USER, '-s', '/bin/sh', '-c', cmd], { encoding: 'utf8', timeout: 600_000 });
        const out = `${r.stdout}\n${r.stderr}`;
        expect(r.status, out.slice(-6000)).toBe(0);
        expect(out).toMatch(/Tests\s+.*\d+ passed/);
      } finally {
        cleanup();
      }
    },
    900_000,
  );
});

/**
 * --bwrap-verified: the launcher hashes the bundled bwrap through one fd, compares with the digest
 * compiled into it, and executes that fd. Which branch runs depends on the build: a release-style
 * build (vendor/bubblewrap/build.sh produced bwrap) has a digest; a development build has none.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { bundledBwrapPath, loadNative } from '../../../src/native.js';
import { bwrapBase, bwrapWorks, NO_BWRAP_REASON, runLauncher, SYSTEM_BWRAP } from './harness.js';

const embedded = loadNative().embeddedBwrapSha256();
const bundled = bundledBwrapPath();

describe.skipIf(!bwrapWorks)(`--bwrap-verified (skipped when ${NO_BWRAP_REASON})`, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'codex-native-bundled-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(embedded === null || bundled === undefined)(
    'runs the bundled bwrap whose digest matches (skipped in a development build without a digest)',
    async () => {
      const result = await runLauncher(['--bwrap-verified', '--', bundled ?? '', ...bwrapBase(), '--', 'sh', '-c', 'echo inside']);
      expect(result.stderr).toBe('');
      expect(result).toMatchObject({ code: 0, stdout: 'inside\n' });
    },
  );

  it.skipIf(embedded === null)(
    'refuses a different binary with the digest-mismatch message and exit 125 (skipped in a development build)',
    async () => {
      const impostor = join(dir, 'bwrap');
      copyFileSync(SYSTEM_BWRAP, impostor);
      const actual = createHash('sha256').update(readFileSync(impostor)).digest('hex');
      const result = await runLauncher(['--bwrap-verified', '--', impostor, ...bwrapBase(), '--', 'true']);
      expect(result.code).toBe(125);
      expect(result.stderr).toBe(
        `codex-sandbox: bundled bubblewrap digest mismatch for ${impostor}: expected sha256:${embedded ?? ''}, got sha256:${actual}\n`,
      );
    },
  );

  it.skipIf(embedded === null)(
    'a mismatch with a registry and a staged .git in the plan leaves nothing behind: exit 125, no record, placeholder or staging directory (skipped in a development build)',
    async () => {
      // Guards any reordering of the launcher's set-up (say, hashing while the registry is set up):
      // a mismatch must leave the host as if nothing had been started.
      const impostor = join(dir, 'bwrap-impostor');
      copyFileSync(SYSTEM_BWRAP, impostor);
      const work = mkdtempSync(join(dir, 'work-'));
      const registry = join(dir, `registry-${String(Date.now())}`);
      const target = join(work, 'missing-config');
      const st = statSync(work);
      const result = await runLauncher([
        '--pin', `6:${String(st.dev)}:${String(st.ino)}`, work,
        '--fresh-git', `8:6`, work,
        '--devnull', '7', '--registry', registry, '--synthetic', target, '--synthetic', join(work, '.git'),
        '--bwrap-verified', '--', impostor, ...bwrapBase(), '--bind-fd', '6', work, '--ro-bind-data', '7', target, '--bind-fd', '8', join(work, '.git'),
        '--', 'true',
      ]);
      expect(result.code).toBe(125);
      expect(result.stderr).toContain(`bundled bubblewrap digest mismatch for ${impostor}`);
      // ROOT/.git (the mount point made for the staged repository) and the target are gone; the
      // registry (if it was made at all) keeps no launcher record, no staging directory and no
      // target marked synthetic.
      const entries = (d: string): string[] => (existsSync(d) ? readdirSync(d) : []);
      expect(readdirSync(work)).toEqual([]);
      expect(entries(join(registry, 'launchers-3'))).toEqual([]);
      expect(entries(registry).filter((n) => n.startsWith('fresh-git-'))).toEqual([]);
      for (const key of entries(join(registry, 'paths-3'))) {
        expect(statSync(join(registry, 'paths-3', key)).mode & 0o7777).toBe(0o700);
      }
      expect(existsSync(join(registry, 'table-2'))).toBe(false);
    },
  );

  it.skipIf(embedded !== null)(
    'a development build (all-zero digest) skips verification and runs any bwrap (skipped when a digest is compiled in)',
    async () => {
      const result = await runLauncher(['--bwrap-verified', '--', SYSTEM_BWRAP, ...bwrapBase(), '--', 'true']);
      expect(result.code).toBe(0);
    },
  );

  it('a missing bundled bwrap fails setup with exit 125 naming the path', async () => {
    const missing = join(dir, 'no-such-bwrap');
    const result = await runLauncher(['--bwrap-verified', '--', missing, '--version']);
    expect(result.code).toBe(125);
    expect(result.stderr).toBe(`codex-sandbox: opening bundled bubblewrap ${missing}: No such file or directory\n`);
  });
});

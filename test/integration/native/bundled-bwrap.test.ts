/**
 * --bwrap-verified: the launcher hashes the bundled bwrap through one fd, compares with the digest
 * compiled into it, and executes that fd. Which branch runs depends on the build: a release-style
 * build (vendor/bubblewrap/build.sh produced bwrap) has a digest; a development build has none.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

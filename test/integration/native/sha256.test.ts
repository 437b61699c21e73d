/**
 * native/common/sha256.c compiled on its own, once with the CPU dispatch (SHA-NI when present) and
 * once portable-only, checked against node:crypto. The addon test covers the built copy.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../../src/native.js';

const haveCc = spawnSync('cc', ['--version']).status === 0;

const MAIN = String.raw`
#include <stdio.h>
#include "sha256.h"
int main(void) {
  unsigned char d[32]; char hex[65];
  if (codex_sha256_fd(0, d) != 0) return 1;
  codex_sha256_hex(d, hex);
  puts(hex);
  return 0;
}
`;

describe.skipIf(!haveCc)('sha256.c variants (skipped without a C compiler)', () => {
  let dir: string;
  const variants: Record<string, string> = {};
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'codex-native-sha-'));
    writeFileSync(join(dir, 'main.c'), MAIN);
    const common = join(packageRoot(), 'native', 'common');
    for (const [name, defines] of [['dispatch', []], ['portable', ['-DCODEX_SHA256_PORTABLE_ONLY']]] as const) {
      const out = join(dir, name);
      const cc = spawnSync('cc', ['-O2', '-std=c11', ...defines, '-I', common, join(dir, 'main.c'), join(common, 'sha256.c'), '-o', out], {
        encoding: 'utf8',
      });
      expect(cc.stderr).toBe('');
      variants[name] = out;
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['dispatch', 'portable'])('%s matches node:crypto for sizes around block boundaries', (name) => {
    for (const size of [0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 4096, 65_537, 300_001]) {
      const data = randomBytes(size);
      const result = spawnSync(variants[name] ?? '', [], { input: data, encoding: 'utf8' });
      expect(result.stdout.trim()).toBe(createHash('sha256').update(data).digest('hex'));
    }
  });
});

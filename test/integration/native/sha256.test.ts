/**
 * native/common/sha256.c compiled on its own, once with the CPU dispatch (SHA-NI when present) and
 * once portable-only, checked against node:crypto. The addon test covers the built copy.
 * codex_sha256_fd hashes a regular file read from offset 0 through a mapping, anything else
 * (a pipe, a file at another offset) with read(): both paths are checked.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../../src/native.js';

const haveCc = spawnSync('cc', ['--version']).status === 0;

const MAIN = String.raw`
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "sha256.h"
int main(int argc, char** argv) {
  unsigned char d[32]; char hex[65];
  if (argc > 1 && lseek(0, atol(argv[1]), SEEK_SET) < 0) return 2;
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

  it.each(['dispatch', 'portable'])('%s hashes a regular file (mapped from offset 0, read from another offset) like node:crypto', (name) => {
    for (const size of [1, 63, 64, 65, 4096, 65_537, 300_001]) {
      const data = randomBytes(size);
      const file = join(dir, `data-${name}-${size}`);
      writeFileSync(file, data);
      for (const offset of [0, 1, Math.floor(size / 2)]) {
        const fd = openSync(file, 'r');
        try {
          const result = spawnSync(variants[name] ?? '', offset === 0 ? [] : [String(offset)], { stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8' });
          expect(result.status).toBe(0);
          expect(result.stdout.trim()).toBe(createHash('sha256').update(data.subarray(offset)).digest('hex'));
        } finally {
          closeSync(fd);
        }
      }
    }
  });
});

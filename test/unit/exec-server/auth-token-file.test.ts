/**
 * `auth_token_file` (environments.toml): the bearer token lets its holder run commands, so the file is read
 * only when no one else could have written it or can read it. Real files and directories.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAuthTokenFile } from '../../../src/exec-server/client/index.js';

describe.skipIf(process.platform === 'win32')('readAuthTokenFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'csbx-token-'));
    chmodSync(dir, 0o700);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const token = (where: string, text: string, mode: number): string => {
    const file = join(where, 'token');
    writeFileSync(file, text);
    chmodSync(file, mode);
    return file;
  };

  it('reads a 0600 file in your own 0700 directory (one trailing newline dropped)', () => {
    expect(readAuthTokenFile(token(dir, 's3cret\n', 0o600))).toBe('s3cret');
  });

  it('refuses a file other users can read', () => {
    const file = token(dir, 's3cret\n', 0o644);
    expect(() => readAuthTokenFile(file)).toThrow(`auth_token_file ${file}: readable or writable by other users; run chmod 600 on it`);
  });

  it('refuses a 0600 file in a directory anyone can write (another user could have replaced it)', () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const file = token(open, 's3cret\n', 0o600);
    expect(() => readAuthTokenFile(file)).toThrow(`its directory ${open} is writable by every user and not sticky (mode 0777)`);
  });

  it('refuses an empty file', () => {
    const file = token(dir, '\n', 0o600);
    expect(() => readAuthTokenFile(file)).toThrow(`auth_token_file ${file} is empty`);
  });
});

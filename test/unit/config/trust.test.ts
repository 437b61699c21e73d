/**
 * The ownership rule for configuration files (src/config/trust.ts), on stats made up for the cases
 * a test machine cannot create without other users and groups. The real-file attacks (another
 * user's file, a directory they own, a world-writable directory) are in test/cli/config-trust.test.ts.
 */
import type { Stats } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { trustProblem } from '../../../src/config/trust.js';

const ME = { uid: 1000, gid: 1000 };

function st(uid: number, gid: number, mode: number, kind: 'file' | 'dir' = 'dir'): Stats {
  return { uid, gid, mode, isFile: () => kind === 'file' } as unknown as Stats;
}

/** A tree of directory stats by path; every directory not listed is root:root 0755. */
function tree(dirs: Record<string, Stats>): (p: string) => Stats {
  return (p) => dirs[p] ?? st(0, 0, 0o40755);
}

describe('trustProblem (configuration files)', () => {
  const file = '/home/me/proj/codex-sandbox.toml';
  const mine = tree({ '/home/me': st(1000, 1000, 0o40755), '/home/me/proj': st(1000, 1000, 0o40755) });

  it('your own file in your own directories is trusted; so is root\'s', () => {
    expect(trustProblem(file, st(1000, 1000, 0o100644, 'file'), ME, mine)).toBeUndefined();
    expect(trustProblem(file, st(0, 0, 0o100644, 'file'), ME, mine)).toBeUndefined();
  });

  it("another user's file is not", () => {
    expect(trustProblem(file, st(1001, 1001, 0o100644, 'file'), ME, mine)).toBe(`${file} is owned by uid 1001, not by you (uid 1000) or root`);
  });

  it('a file writable by others, or by a group that is neither yours nor root\'s, is not', () => {
    expect(trustProblem(file, st(1000, 1000, 0o100646, 'file'), ME, mine)).toBe(`${file} is writable by every user (mode 0646)`);
    expect(trustProblem(file, st(1000, 50, 0o100664, 'file'), ME, mine)).toBe(`${file} is writable by group 50 (mode 0664)`);
    // Your own primary group (user private groups, umask 002) is you.
    expect(trustProblem(file, st(1000, 1000, 0o100664, 'file'), ME, mine)).toBeUndefined();
  });

  it('an ancestor another user owns, or that others can write without the sticky bit, makes it untrusted', () => {
    const theirs = tree({ '/home/me': st(1001, 1001, 0o40755), '/home/me/proj': st(1000, 1000, 0o40755) });
    expect(trustProblem(file, st(1000, 1000, 0o100644, 'file'), ME, theirs)).toBe('its directory /home/me is owned by uid 1001, not by you (uid 1000) or root');
    const open = tree({ '/home/me': st(1000, 1000, 0o40755), '/home/me/proj': st(1000, 1000, 0o40777) });
    expect(trustProblem(file, st(1000, 1000, 0o100644, 'file'), ME, open)).toBe(
      'its directory /home/me/proj is writable by every user and not sticky (mode 0777), so another user can replace the file',
    );
    const shared = tree({ '/home/me': st(1000, 1000, 0o40755), '/home/me/proj': st(0, 50, 0o40775) });
    expect(trustProblem(file, st(1000, 1000, 0o100644, 'file'), ME, shared)).toMatch(/its directory \/home\/me\/proj is writable by group 50 and not sticky/);
  });

  it('a sticky world-writable ancestor (/tmp) is fine: only an entry\'s owner can replace it there', () => {
    const tmp = tree({ '/tmp': st(0, 0, 0o41777), '/tmp/proj': st(1000, 1000, 0o40755) });
    expect(trustProblem('/tmp/proj/codex-sandbox.toml', st(1000, 1000, 0o100644, 'file'), ME, tmp)).toBeUndefined();
    // ... but not one another user owns (they may rename anything in it).
    const bobs = tree({ '/tmp': st(0, 0, 0o41777), '/tmp/shared': st(1001, 1001, 0o41777), '/tmp/shared/proj': st(1000, 1000, 0o40755) });
    expect(trustProblem('/tmp/shared/proj/codex-sandbox.toml', st(1000, 1000, 0o100644, 'file'), ME, bobs)).toMatch(/its directory \/tmp\/shared is owned by uid 1001/);
  });

  it('not a regular file: refused', () => {
    expect(trustProblem(file, st(1000, 1000, 0o40755, 'dir'), ME, mine)).toBe(`${file} is not a regular file`);
  });
});

describe('readBounded (a configuration file read through its descriptor)', () => {
  it('reads past the size fstat gave (a file that grew), and gives up once it holds more than the bound', async () => {
    const { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { readBounded } = await import('../../../src/config/trust.js');
    const dir = mkdtempSync(join(tmpdir(), 'csbx-bounded-'));
    try {
      const at = (text: string, expected: number, max: number): string | undefined => {
        writeFileSync(join(dir, 'f'), text);
        const fd = openSync(join(dir, 'f'), 'r');
        try {
          return readBounded(fd, expected, max);
        } finally {
          closeSync(fd);
        }
      };
      expect(at('0123456789', 0, 10)).toBe('0123456789'); // fstat said empty: the buffer grows
      expect(at('0123456789', 3, 10)).toBe('0123456789');
      expect(at('0123456789a', 0, 10)).toBeUndefined();
      expect(at('0123456789a', 11, 10)).toBeUndefined();
      expect(at('', 0, 10)).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

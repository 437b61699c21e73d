import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { helpOptions, looksLikeBwrapHelp, parseBwrapHelp, parseBwrapVersion } from '../../../src/host/bwrap-help.js';
import { isInsideDir } from '../../../src/host/bwrap-select.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/fake-bwrap');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

/** The help text embedded in a fake bwrap shell script (between the HELP heredoc markers). */
function embeddedHelp(script: string): string {
  const text = fixture(script);
  const m = /<<'HELP'\n([\s\S]*?)\nHELP\n/.exec(text);
  if (m?.[1] === undefined) throw new Error(`${script} has no HELP heredoc`);
  return m[1];
}

describe('parseBwrapHelp on captured help texts', () => {
  it('Debian 12 bubblewrap 0.8.0: --perms, backported --ro-bind-fd, --as-pid-1, --disable-userns, no --argv0', () => {
    const caps = parseBwrapHelp(fixture('help-0.8.0-debian.txt'));
    expect(caps).toEqual({ argv0: false, perms: true, roBindFd: true, asPid1: true, disableUserns: true });
  });

  it('bubblewrap 0.12.0 (the bundled build): every capability', () => {
    expect(parseBwrapHelp(fixture('help-0.12.0.txt'))).toEqual({ argv0: true, perms: true, roBindFd: true, asPid1: true, disableUserns: true });
  });

  it('0.4.0-style help (old-no-perms fixture): neither --perms nor --argv0', () => {
    const caps = parseBwrapHelp(embeddedHelp('old-no-perms/bwrap'));
    expect(caps.perms).toBe(false);
    expect(caps.argv0).toBe(false);
    expect(caps.roBindFd).toBe(false);
  });

  it('recognises real help texts as bubblewrap and rejects other programs', () => {
    expect(looksLikeBwrapHelp(fixture('help-0.8.0-debian.txt'))).toBe(true);
    expect(looksLikeBwrapHelp(embeddedHelp('old-no-perms/bwrap'))).toBe(true);
    expect(looksLikeBwrapHelp('Usage: true [ignored command line arguments]\n  or:  true OPTION\n')).toBe(false);
    expect(looksLikeBwrapHelp('')).toBe(false);
  });
});

describe('helpOptions', () => {
  it('matches whole option tokens only', () => {
    const opts = helpOptions('    --permsx OCTAL   not it\n    --ro-bind-try SRC DEST\n');
    expect(opts.has('--perms')).toBe(false);
    expect(opts.has('--ro-bind')).toBe(false);
    expect(opts.has('--ro-bind-try')).toBe(true);
  });

  it('finds options mentioned inside descriptions and usage lines', () => {
    const opts = helpOptions('    --share-net   Retain the network namespace (can only combine with --unshare-all)\nusage: bwrap [--argv0 X]');
    expect([...opts].sort()).toEqual(['--argv0', '--share-net', '--unshare-all']);
  });

  it('finds every listed option in any order (property)', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/);
    fc.assert(
      fc.property(fc.uniqueArray(name, { minLength: 1, maxLength: 12 }), (names) => {
        const text = names.map((n) => `    --${n} ARG   some description`).join('\n');
        const found = helpOptions(text);
        for (const n of names) expect(found.has(`--${n}`)).toBe(true);
        expect(found.size).toBe(names.length);
      }),
    );
  });
});

describe('parseBwrapVersion', () => {
  it('reads the version line', () => {
    expect(parseBwrapVersion('bubblewrap 0.8.0\n')).toBe('0.8.0');
    expect(parseBwrapVersion('bubblewrap 0.12.0')).toBe('0.12.0');
    expect(parseBwrapVersion('\nbubblewrap 0.11.0-rc1\n')).toBe('0.11.0-rc1');
  });

  it('returns undefined for anything else', () => {
    expect(parseBwrapVersion('bwrap: Unknown option --version')).toBeUndefined();
    expect(parseBwrapVersion('')).toBeUndefined();
    expect(parseBwrapVersion('not bubblewrap 1.0')).toBeUndefined();
  });
});

describe('isInsideDir', () => {
  it('treats the directory itself and descendants as inside', () => {
    expect(isInsideDir('/work/repo', '/work/repo')).toBe(true);
    expect(isInsideDir('/work/repo/bin/bwrap', '/work/repo')).toBe(true);
    expect(isInsideDir('/work/..repo/bwrap', '/work')).toBe(true);
  });

  it('does not treat siblings with a common prefix or parents as inside', () => {
    expect(isInsideDir('/work/repo2/bwrap', '/work/repo')).toBe(false);
    expect(isInsideDir('/usr/bin/bwrap', '/work/repo')).toBe(false);
    expect(isInsideDir('/work', '/work/repo')).toBe(false);
  });

  it('a cwd of / contains nothing (otherwise every system bwrap would be skipped)', () => {
    expect(isInsideDir('/usr/bin/bwrap', '/')).toBe(false);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadDenyMatcher, globMatches, parsePermissionProfile, resolvePermissions } from '../../../src/permissions/index.js';
import type { ResolvedFileSystem } from '../../../src/permissions/index.js';
import { makeTree, realFs, removeTree } from './helpers.js';

let t = '';
beforeAll(() => {
  t = makeTree({ 'secret/key': 'k', 'public/alias': { symlink: '../secret/key' }, 'public/readme': 'r' });
});
afterAll(() => removeTree(t));

function resolvedFor(entries: string): ResolvedFileSystem {
  const p = parsePermissionProfile(
    `{"type":"managed","file_system":{"type":"restricted","entries":[{"path":{"type":"special","value":{"kind":"root"}},"access":"read"},${entries}]},"network":"restricted"}`,
  );
  return resolvePermissions(p, { cwd: t, platform: 'linux', tmpdir: undefined, fs: realFs }).fileSystem;
}

describe('read-deny matcher (ReadDenyMatcher)', () => {
  it('exact_path_and_descendants_are_denied', () => {
    const denied = createReadDenyMatcher(resolvedFor(`{"path":{"type":"path","path":"${t}/secret"},"access":"deny"}`), { platform: 'linux', cwd: t });
    expect(denied(`${t}/secret`)).toBe(true);
    expect(denied(`${t}/secret/key`)).toBe(true);
    expect(denied('secret/key')).toBe(true);
    expect(denied(`${t}/secretive`)).toBe(false);
    expect(denied(`${t}/public/readme`)).toBe(false);
  });

  it('canonical_target_matches_denied_symlink_alias', () => {
    const fs = resolvedFor(`{"path":{"type":"path","path":"${t}/secret"},"access":"deny"}`);
    expect(createReadDenyMatcher(fs, { platform: 'linux', fs: realFs })(`${t}/public/alias`)).toBe(true);
    // Without a host view only the lexical path is checked.
    expect(createReadDenyMatcher(fs, { platform: 'linux' })(`${t}/public/alias`)).toBe(false);
  });

  it('glob_patterns_do_not_cross_path_separators', () => {
    expect(globMatches('/a/*.env', '/a/x.env', 'linux')).toBe(true);
    expect(globMatches('/a/*.env', '/a/b/x.env', 'linux')).toBe(false);
    expect(globMatches('/a/?', '/a/b/c', 'linux')).toBe(false);
  });

  it('globstar_patterns_deny_root_and_nested_matches', () => {
    expect(globMatches('/a/**/*.env', '/a/x.env', 'linux')).toBe(true);
    expect(globMatches('/a/**/*.env', '/a/b/c/x.env', 'linux')).toBe(true);
    expect(globMatches('/a/**', '/a', 'linux')).toBe(true);
    expect(globMatches('/a/**', '/a/b/c', 'linux')).toBe(true);
    expect(globMatches('/a/**', '/ab', 'linux')).toBe(false);
  });

  it('unclosed_character_classes_match_literal_brackets', () => {
    expect(globMatches('/a/[b', '/a/[b', 'linux')).toBe(true);
    expect(globMatches('/a/[bc]', '/a/c', 'linux')).toBe(true);
    expect(globMatches('/a/[!bc]', '/a/c', 'linux')).toBe(false);
  });

  it('Windows globs use either separator and ignore ASCII case', () => {
    expect(globMatches('C:\\Users\\*\\.ssh\\**', 'c:\\users\\bob\\.SSH\\id_rsa', 'win32')).toBe(true);
  });

  it('a malformed deny glob denies every read (fail closed)', () => {
    const fs = resolvedFor('{"path":{"type":"glob_pattern","pattern":"/x/[z-a]"},"access":"deny"}');
    expect(createReadDenyMatcher(fs, { platform: 'linux' })(`${t}/public/readme`)).toBe(true);
  });

  it('a relative path without a cwd is denied; unrestricted filesystems deny nothing', () => {
    expect(createReadDenyMatcher(resolvedFor('{"path":{"type":"glob_pattern","pattern":"/x/*"},"access":"deny"}'), { platform: 'linux' })('rel')).toBe(true);
    const open = resolvePermissions({ type: 'disabled' }, { cwd: t, platform: 'linux', tmpdir: undefined, fs: realFs }).fileSystem;
    expect(createReadDenyMatcher(open, { platform: 'linux' })('/etc/shadow')).toBe(false);
  });
});

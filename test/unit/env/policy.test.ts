import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  applyEnvPolicy,
  CODEX_DEFAULT_ENV_POLICY,
  envNameMatches,
} from '../../../src/env/index.js';

const parent = {
  PATH: '/usr/bin',
  HOME: '/home/user',
  API_KEY: 'secret',
  SECRET_TOKEN: 't',
  github_token: 'gh',
  MonkeyBusiness: 'k',
  FOO: 'bar',
  UNSET: undefined,
};

describe('applyEnvPolicy (ports of Codex exec_env tests)', () => {
  it('test_core_inherit_defaults_keep_sensitive_vars: Codex default passes everything', () => {
    expect(applyEnvPolicy(parent, CODEX_DEFAULT_ENV_POLICY, 'linux')).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/user',
      API_KEY: 'secret',
      SECRET_TOKEN: 't',
      github_token: 'gh',
      MonkeyBusiness: 'k',
      FOO: 'bar',
    });
    // An EnvPolicy without ignoreDefaultExcludes behaves like Codex's default (filter off).
    expect(applyEnvPolicy({ API_KEY: 'x' }, { inherit: 'all' }, 'linux')).toEqual({ API_KEY: 'x' });
  });

  it('test_core_inherit_with_default_excludes_enabled', () => {
    expect(applyEnvPolicy(parent, { inherit: 'core', ignoreDefaultExcludes: false }, 'linux')).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/user',
    });
  });

  it('test_inherit_all_with_default_excludes drops *KEY*, *SECRET*, *TOKEN* case-insensitively', () => {
    expect(applyEnvPolicy(parent, { inherit: 'all', ignoreDefaultExcludes: false }, 'linux')).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/user',
      FOO: 'bar',
    });
  });

  it('test_include_only keeps only matching names', () => {
    expect(
      applyEnvPolicy({ PATH: '/usr/bin', FOO: 'bar' }, { inherit: 'all', includeOnly: ['*path'] }, 'linux'),
    ).toEqual({ PATH: '/usr/bin' });
  });

  it('test_set_overrides adds and replaces variables', () => {
    expect(
      applyEnvPolicy({ PATH: '/usr/bin', FOO: 'old' }, { inherit: 'all', set: { NEW_VAR: '42', FOO: 'new' } }, 'linux'),
    ).toEqual({ PATH: '/usr/bin', NEW_VAR: '42', FOO: 'new' });
  });

  it('test_inherit_none starts empty; set still applies', () => {
    expect(applyEnvPolicy(parent, { inherit: 'none', set: { ONLY_VAR: 'yes' } }, 'linux')).toEqual({
      ONLY_VAR: 'yes',
    });
  });
});

describe('applyEnvPolicy rules', () => {
  it('core keeps exactly Codex core names on Unix (case-sensitive)', () => {
    const env = {
      HOME: 'h',
      LOGNAME: 'l',
      PATH: 'p',
      SHELL: 's',
      USER: 'u',
      USERNAME: 'un',
      TMPDIR: 't',
      TEMP: 'te',
      TMP: 'tm',
      Path: 'mixed',
      LANG: 'C',
      SYSTEMROOT: 'C:\\Windows',
    };
    expect(Object.keys(applyEnvPolicy(env, { inherit: 'core' }, 'linux')).sort()).toEqual(
      ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'USER', 'USERNAME', 'TMPDIR', 'TEMP', 'TMP'].sort(),
    );
    expect(applyEnvPolicy(env, { inherit: 'core' }, 'darwin')).not.toHaveProperty('Path');
  });

  it('exclude globs drop matches case-insensitively with * and ?', () => {
    const env = { AWS_REGION: 'r', aws_profile: 'p', NPM_CONFIG_X: 'n', AB: '1', ABC: '2' };
    expect(applyEnvPolicy(env, { inherit: 'all', exclude: ['aws_*', 'A?'] }, 'linux')).toEqual({
      NPM_CONFIG_X: 'n',
      ABC: '2',
    });
  });

  it('exclude runs before includeOnly, and set comes last (set survives includeOnly)', () => {
    const env = { PATH: 'p', PATH_EXTRA: 'e', HOME: 'h' };
    expect(
      applyEnvPolicy(
        env,
        { inherit: 'all', exclude: ['PATH_*'], includeOnly: ['PATH*'], set: { MARK: '1' } },
        'linux',
      ),
    ).toEqual({ PATH: 'p', MARK: '1' });
  });

  it('set can re-add a name the default excludes removed', () => {
    expect(
      applyEnvPolicy({ API_KEY: 'parent' }, { inherit: 'all', ignoreDefaultExcludes: false, set: { API_KEY: 'mine' } }, 'linux'),
    ).toEqual({ API_KEY: 'mine' });
  });

  it('pattern characters other than * and ? are literal', () => {
    expect(envNameMatches('A.B', 'AxB')).toBe(false);
    expect(envNameMatches('A.B', 'a.b')).toBe(true);
    expect(envNameMatches('[AB]', 'A')).toBe(false);
    expect(envNameMatches('*', '')).toBe(true);
  });

  it('keeps a variable named __proto__ as a plain entry', () => {
    const env: Record<string, string> = {};
    Object.defineProperty(env, '__proto__', { value: 'x', enumerable: true });
    const out = applyEnvPolicy(env, { inherit: 'all' }, 'linux');
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });
});

describe('applyEnvPolicy on Windows (names are case-insensitive)', () => {
  it('test_core_inherit_respects_case_insensitive_names_on_windows, plus Windows system variables', () => {
    const env = {
      Path: 'C:\\Windows\\System32',
      TEMP: 'C:\\Temp',
      SystemRoot: 'C:\\Windows',
      ComSpec: 'C:\\Windows\\system32\\cmd.exe',
      PATHEXT: '.COM;.EXE',
      windir: 'C:\\Windows',
      FOO: 'bar',
    };
    expect(applyEnvPolicy(env, { inherit: 'core' }, 'win32')).toEqual({
      Path: 'C:\\Windows\\System32',
      TEMP: 'C:\\Temp',
      SystemRoot: 'C:\\Windows',
      ComSpec: 'C:\\Windows\\system32\\cmd.exe',
      PATHEXT: '.COM;.EXE',
      windir: 'C:\\Windows',
    });
  });

  it('dedupes case-insensitive duplicates keeping the first spelling', () => {
    const out = applyEnvPolicy({ Path: 'first', PATH: 'second', path: 'third' }, { inherit: 'all' }, 'win32');
    expect(out).toEqual({ Path: 'first' });
    // On Unix they are three variables.
    expect(Object.keys(applyEnvPolicy({ Path: '1', PATH: '2' }, { inherit: 'all' }, 'linux'))).toHaveLength(2);
  });

  it('set replaces the value under the existing spelling', () => {
    expect(applyEnvPolicy({ Path: 'old' }, { inherit: 'all', set: { PATH: 'new' } }, 'win32')).toEqual({ Path: 'new' });
  });
});

describe('default excludes (property)', () => {
  const fragments = ['KEY', 'key', 'Secret', 'TOKEN', 'tok', 'en', 'SEC', 'RET', 'K', 'EY', 'PATH', 'HOME', '_', 'A', 'x', '1'];
  const name = fc.array(fc.constantFrom(...fragments), { minLength: 1, maxLength: 6 }).map((parts) => parts.join(''));
  const env = fc.dictionary(name, fc.option(fc.string(), { nil: undefined }));
  const secretLike = /KEY|SECRET|TOKEN/i;

  it('no output name matches *KEY*, *SECRET* or *TOKEN* when the default excludes are on', () => {
    fc.assert(
      fc.property(
        env,
        fc.constantFrom('all', 'core', 'none') as fc.Arbitrary<'all' | 'core' | 'none'>,
        fc.constantFrom('linux', 'darwin', 'win32') as fc.Arbitrary<'linux' | 'darwin' | 'win32'>,
        fc.array(name, { maxLength: 3 }),
        (parentEnv, inherit, platform, exclude) => {
          const out = applyEnvPolicy(parentEnv, { inherit, ignoreDefaultExcludes: false, exclude }, platform);
          for (const n of Object.keys(out)) expect(n).not.toMatch(secretLike);
        },
      ),
    );
  });

  it('with the filter off, inherit all keeps every defined variable (Unix)', () => {
    fc.assert(
      fc.property(env, (parentEnv) => {
        const out = applyEnvPolicy(parentEnv, { inherit: 'all', ignoreDefaultExcludes: true }, 'linux');
        const defined = Object.entries(parentEnv).filter(([, v]) => v !== undefined);
        expect(out).toEqual(Object.fromEntries(defined));
      }),
    );
  });
});

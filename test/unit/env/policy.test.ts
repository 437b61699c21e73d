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

describe('the POSIX single pass (issue #21) gives what the general Map-based steps give', () => {
  /** The general steps (inherit, filter, set) as applyEnvPolicy ran them on every platform before the POSIX pass. */
  function reference(parentEnv: Record<string, string | undefined>, policy: Parameters<typeof applyEnvPolicy>[1]): Array<[string, string]> {
    const env = new Map<string, string>();
    if (policy.inherit !== 'none') {
      for (const [n, v] of Object.entries(parentEnv)) {
        if (v === undefined) continue;
        if (policy.inherit === 'core' && !['HOME', 'LOGNAME', 'PATH', 'SHELL', 'USER', 'USERNAME', 'TMPDIR', 'TEMP', 'TMP'].includes(n)) continue;
        env.set(n, v);
      }
    }
    const any = (ps: readonly string[], n: string): boolean => ps.some((p) => envNameMatches(p, n));
    for (const n of [...env.keys()]) {
      const drop = (policy.ignoreDefaultExcludes === false && any(['*KEY*', '*SECRET*', '*TOKEN*'], n)) || any(policy.exclude ?? [], n) || ((policy.includeOnly ?? []).length > 0 && !any(policy.includeOnly ?? [], n));
      if (drop) env.delete(n);
    }
    for (const [n, v] of Object.entries(policy.set ?? {})) env.set(n, v);
    const out: Record<string, string> = {};
    for (const [n, v] of env) Object.defineProperty(out, n, { value: v, enumerable: true, writable: true, configurable: true });
    return Object.entries(out);
  }
  const name = fc.oneof(
    fc.constantFrom('PATH', 'HOME', 'API_KEY', 'token', '__proto__', 'toString', 'constructor', 'hasOwnProperty', '1', '10', '02', 'A', 'b'),
    fc.string({ minLength: 1, maxLength: 4 }),
  );
  const env = fc.dictionary(name, fc.option(fc.string({ maxLength: 3 }), { nil: undefined }));

  it('same entries, same order, own data properties (linux and darwin)', () => {
    fc.assert(
      fc.property(
        env,
        fc.constantFrom('all', 'core', 'none') as fc.Arbitrary<'all' | 'core' | 'none'>,
        fc.boolean(),
        fc.array(fc.oneof(name, fc.constantFrom('*A*', 'T?KEN', '*')), { maxLength: 2 }),
        fc.array(fc.oneof(name, fc.constantFrom('P*', '*E')), { maxLength: 2 }),
        fc.dictionary(name, fc.string({ maxLength: 3 }), { maxKeys: 3 }),
        fc.constantFrom('linux', 'darwin') as fc.Arbitrary<'linux' | 'darwin'>,
        (parentEnv, inherit, ignoreDefaultExcludes, exclude, includeOnly, set, platform) => {
          const policy = { inherit, ignoreDefaultExcludes, exclude, includeOnly, set };
          const out = applyEnvPolicy(parentEnv, policy, platform);
          expect(Object.entries(out)).toEqual(reference(parentEnv, policy));
          expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
          for (const k of Object.keys(out)) expect(Object.getOwnPropertyDescriptor(out, k)).toMatchObject({ enumerable: true, writable: true, configurable: true });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a pattern with `-` matches literally (it threw: `\\-` is an invalid escape under the u flag)', () => {
    expect(envNameMatches('MY-VAR', 'my-var')).toBe(true);
    expect(envNameMatches('A-*', 'A-B')).toBe(true);
    expect(applyEnvPolicy({ 'MY-VAR': '1', OTHER: '2' }, { inherit: 'all', exclude: ['my-*'] }, 'linux')).toEqual({ OTHER: '2' });
  });

  it('reads each variable of process.env once', () => {
    const reads = new Map<string, number>();
    const src: Record<string, string> = { PATH: '/bin', HOME: '/h', API_KEY: 'k' };
    const proxy = new Proxy(src, {
      get(t, k) {
        if (typeof k === 'string') reads.set(k, (reads.get(k) ?? 0) + 1);
        return Reflect.get(t, k) as unknown;
      },
    });
    expect(applyEnvPolicy(proxy, { inherit: 'all', ignoreDefaultExcludes: false }, 'linux')).toEqual({ PATH: '/bin', HOME: '/h' });
    expect([...reads.values()].every((n) => n === 1)).toBe(true);
  });
});

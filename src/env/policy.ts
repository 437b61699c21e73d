/**
 * Codex's shell-environment policy (codex-rs/core/src/exec_env.rs `create_env`; config
 * `shell_environment_policy`): which of the
 * caller's environment variables the sandboxed command sees.
 *
 * Codex (`codex-rs/core/src/exec_env.rs` `populate_env`): inherit all | core | none, then the default
 * excludes `*KEY*`, `*SECRET*`, `*TOKEN*` unless `ignore_default_excludes`, then `exclude`, then `set`,
 * then `include_only`. Patterns are `EnvironmentVariablePattern::new_case_insensitive` (wildmatch `*`/`?`).
 * Codex's TOML defaults (`codex-rs/config/src/types.rs`, `From<ShellEnvironmentPolicyToml>`):
 * `inherit.unwrap_or(All)` and `ignore_default_excludes.unwrap_or(true)` — i.e. by default the whole
 * environment is passed and the secret-name filter is OFF. CODEX_DEFAULT_ENV_POLICY mirrors that.
 *
 * One deliberate difference (the EnvPolicy contract: "Variables set last"): `set` is applied after
 * `includeOnly`, so an explicitly set variable always reaches the command.
 */
import type { EnvPolicy } from '../contracts/index.js';
import type { Platform } from '../path-uri/index.js';

/** Codex's `core` set (exec_env.rs `CORE_VARS`). */
export const CORE_ENV_VARS: readonly string[] = [
  'HOME',
  'LOGNAME',
  'PATH',
  'SHELL',
  'USER',
  'USERNAME',
  'TMPDIR',
  'TEMP',
  'TMP',
];

/**
 * Added to `core` on Windows (not in Codex): without them many Windows programs fail to start
 * (SYSTEMROOT for Winsock/crypto DLLs, COMSPEC for `cmd`, PATHEXT for command lookup, WINDIR).
 */
export const WINDOWS_EXTRA_CORE_ENV_VARS: readonly string[] = ['SYSTEMROOT', 'COMSPEC', 'PATHEXT', 'WINDIR'];

/** Codex's default excludes, matched case-insensitively. */
export const DEFAULT_ENV_EXCLUDES: readonly string[] = ['*KEY*', '*SECRET*', '*TOKEN*'];

/** What Codex uses when `shell_environment_policy` is absent from config. */
export const CODEX_DEFAULT_ENV_POLICY: Readonly<EnvPolicy> = Object.freeze({
  inherit: 'all',
  ignoreDefaultExcludes: true,
});

const patternCache = new Map<string, RegExp>();

/** A case-insensitive wildcard (`*` any run, `?` one character, all else literal) as a RegExp. */
function envPatternRegExp(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (re === undefined) {
    let src = '^';
    for (const ch of pattern) {
      if (ch === '*') src += '.*';
      else if (ch === '?') src += '.';
      // Only syntax characters (and `/`) are escaped: under the `u` flag `\-` is an invalid escape, so a
      // pattern such as `MY-VAR` used to throw instead of matching the name MY-VAR.
      else src += ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
    }
    re = new RegExp(`${src}$`, 'isu');
    patternCache.set(pattern, re);
  }
  return re;
}

/** Whether an environment variable name matches a case-insensitive `*`/`?` pattern. */
export function envNameMatches(pattern: string, name: string): boolean {
  return envPatternRegExp(pattern).test(name);
}

function matchesAny(patterns: readonly string[], name: string): boolean {
  return patterns.some((p) => envNameMatches(p, name));
}

/** Answers for names already seen: the same few dozen names come back on every spawn. */
const defaultExcludedCache = new Map<string, boolean>();
const DEFAULT_EXCLUDED_CACHE_LIMIT = 4096;

/** Whether a name is dropped by the default excludes (`*KEY*`, `*SECRET*`, `*TOKEN*`). */
export function isDefaultExcludedEnvName(name: string): boolean {
  let excluded = defaultExcludedCache.get(name);
  if (excluded === undefined) {
    excluded = matchesAny(DEFAULT_ENV_EXCLUDES, name);
    if (defaultExcludedCache.size >= DEFAULT_EXCLUDED_CACHE_LIMIT) defaultExcludedCache.clear();
    defaultExcludedCache.set(name, excluded);
  }
  return excluded;
}

/** Names are case-insensitive on Windows: compare by an ASCII-uppercased key there. */
function nameKey(name: string, platform: Platform): string {
  return platform === 'win32' ? name.toUpperCase() : name;
}

function isCoreVar(name: string, platform: Platform): boolean {
  if (platform !== 'win32') return CORE_ENV_VARS.includes(name);
  const upper = name.toUpperCase();
  return CORE_ENV_VARS.includes(upper) || WINDOWS_EXTRA_CORE_ENV_VARS.includes(upper);
}

/**
 * The environment a sandboxed command receives: `parentEnv` filtered by `policy` for `platform`.
 * Steps: inherit (`all` | `core` | `none`); unless `ignoreDefaultExcludes` (default true, as in
 * Codex) drop names matching `*KEY*`/`*SECRET*`/`*TOKEN*`; drop `exclude` matches; keep only
 * `includeOnly` matches (when non-empty); then apply `set`. Undefined values are skipped. On Windows
 * names are case-insensitive: duplicates collapse to the first spelling, and `set` replaces the value
 * of an existing variable under its existing spelling.
 */
export function applyEnvPolicy(
  parentEnv: Record<string, string | undefined>,
  policy: EnvPolicy,
  platform: Platform,
): Record<string, string> {
  if (platform !== 'win32') return applyEnvPolicyPosix(parentEnv, policy);
  // key (platform-normalised) → [spelling, value]; Map keeps insertion order.
  const env = new Map<string, [string, string]>();
  if (policy.inherit !== 'none') {
    for (const [name, value] of Object.entries(parentEnv)) {
      if (value === undefined) continue;
      if (policy.inherit === 'core' && !isCoreVar(name, platform)) continue;
      const key = nameKey(name, platform);
      if (!env.has(key)) env.set(key, [name, value]);
    }
  }

  const exclude = policy.exclude ?? [];
  const includeOnly = policy.includeOnly ?? [];
  // The attack: API keys and tokens in the caller's environment read (and exfiltrated or misused) by
  // the untrusted command. Codex leaves this filter off by default; profiles turn it on.
  const stripSecrets = !(policy.ignoreDefaultExcludes ?? CODEX_DEFAULT_ENV_POLICY.ignoreDefaultExcludes);
  for (const [key, [name]] of env) {
    const drop =
      (stripSecrets && isDefaultExcludedEnvName(name)) ||
      matchesAny(exclude, name) ||
      (includeOnly.length > 0 && !matchesAny(includeOnly, name));
    if (drop) env.delete(key);
  }

  for (const [name, value] of Object.entries(policy.set ?? {})) {
    const key = nameKey(name, platform);
    const existing = env.get(key);
    env.set(key, [existing?.[0] ?? name, value]);
  }

  const out: Record<string, string> = {};
  for (const [name, value] of env.values()) {
    // defineProperty, not assignment: a variable named `__proto__` must stay a plain entry.
    Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Names an assignment to a plain object would not simply create as its own entry (`__proto__`, or a frozen prototype's). */
function inheritedName(name: string): boolean {
  return name in Object.prototype;
}

function defineEntry(out: Record<string, string>, name: string, value: string): void {
  // defineProperty, not assignment: a variable named `__proto__` must stay a plain entry.
  if (inheritedName(name)) Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  else out[name] = value;
}

/**
 * applyEnvPolicy where names are case-sensitive (one spelling per name, so no collapsing): one pass
 * straight into the result, the same entries in the same order as the general path. It runs for
 * every plan over the whole caller environment (issue #21); process.env is read once per name
 * (Object.keys, then one read each; Object.entries asks the host twice per name).
 */
function applyEnvPolicyPosix(parentEnv: Record<string, string | undefined>, policy: EnvPolicy): Record<string, string> {
  const out: Record<string, string> = {};
  const exclude = policy.exclude ?? [];
  const includeOnly = policy.includeOnly ?? [];
  // The attack: API keys and tokens in the caller's environment read (and exfiltrated or misused) by
  // the untrusted command. Codex leaves this filter off by default; profiles turn it on.
  const stripSecrets = !(policy.ignoreDefaultExcludes ?? CODEX_DEFAULT_ENV_POLICY.ignoreDefaultExcludes);
  if (policy.inherit !== 'none') {
    const core = policy.inherit === 'core';
    for (const name of Object.keys(parentEnv)) {
      const value = parentEnv[name];
      if (value === undefined) continue;
      if (core && !CORE_ENV_VARS.includes(name)) continue;
      if (stripSecrets && isDefaultExcludedEnvName(name)) continue;
      if (exclude.length > 0 && matchesAny(exclude, name)) continue;
      if (includeOnly.length > 0 && !matchesAny(includeOnly, name)) continue;
      defineEntry(out, name, value);
    }
  }
  for (const [name, value] of Object.entries(policy.set ?? {})) defineEntry(out, name, value);
  return out;
}

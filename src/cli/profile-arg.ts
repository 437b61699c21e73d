/**
 * `--profile` values, resolved through the configuration files (src/config): a built-in name, a
 * `[profiles.NAME]` of the project or user `codex-sandbox.toml`, a Codex profile (`codex`,
 * `codex:NAME`), or a `.json`/`.toml` file. Without `--profile`, the configured `default_profile`,
 * else `workspace-write`.
 */
import { ConfigError, FALLBACK_PROFILE, UnknownProfileError, loadConfig, resolveDefaultProfile, resolveProfileName } from '../config/index.js';
import type { LoadedConfig, Origin, ResolvedProfileChoice } from '../config/index.js';
import { UsageError } from '../errors.js';
import type { Platform } from '../path-uri/index.js';
import { LegacyConversionError, ProfileError } from '../permissions/errors.js';

export { FALLBACK_PROFILE };

export { UsageError } from '../errors.js';

export interface ProfileArgOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  platform: Platform;
  trustProjectConfig: boolean;
}

export interface ProfileChoice extends ResolvedProfileChoice {
  loaded: LoadedConfig;
  /** Where the profile name itself came from: the flag, `default_profile`, or the fallback. */
  chosenBy: Origin;
}

/** Loads the configuration once and resolves the profile; every failure becomes a UsageError (exit 2). */
export function resolveProfileArg(arg: string | undefined, opts: ProfileArgOptions): ProfileChoice {
  try {
    const loaded = loadConfig({ cwd: opts.cwd, env: opts.env, trustProjectConfig: opts.trustProjectConfig });
    if (arg !== undefined) {
      const choice = resolveProfileName(arg, loaded, { cwd: opts.cwd, platform: opts.platform });
      return { ...choice, loaded, chosenBy: { kind: 'flag', flag: `--profile ${arg}` } };
    }
    const { chosenBy, ...choice } = resolveDefaultProfile(loaded, { cwd: opts.cwd, platform: opts.platform });
    return { ...choice, loaded, chosenBy };
  } catch (e) {
    if (e instanceof ConfigError || e instanceof UnknownProfileError) throw new UsageError(e.message, { cause: e });
    // Profile files that parse but do not hold a valid profile (permissions/errors.ts).
    if (e instanceof ProfileError || e instanceof LegacyConversionError) throw new UsageError(e.message, { cause: e });
    throw e;
  }
}

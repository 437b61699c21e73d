/** Errors of configuration files: every one names the file, the line and the key that is wrong. */
import { SandboxError } from '../errors.js';
import { formatKeyPath } from './key-lines.js';
import type { KeyPath } from './key-lines.js';

/**
 * A configuration file that cannot be used. The message reads
 * `codex-sandbox.toml:12: profiles.dev.network: expected "restricted" or "enabled", got "on"`.
 */
export class ConfigError extends SandboxError {
  /** The dotted key, as written in TOML (`profiles.dev.network`); `(document)` for the whole file. */
  readonly key: string;

  constructor(
    readonly file: string,
    readonly line: number,
    /** The key path, or a key already formatted for display. */
    keyPath: KeyPath | string,
    readonly detail: string,
    code?: 'InvalidConfig' | 'ProjectConfigBound',
  ) {
    const key = typeof keyPath === 'string' ? keyPath : formatKeyPath(keyPath);
    super(code ?? 'InvalidConfig', `${file}:${line}: ${key}: ${detail}`);
    this.name = 'ConfigError';
    this.key = key;
  }
}

/** Where a refused setting is written. */
export interface SettingAt {
  file: string;
  line: number;
  key: string;
}

/**
 * A setting refused because it was read from a project-level file: a sandboxed command or a cloned
 * repository can write one, so it must not grant the next run more than the caller chose. `what` it
 * would grant; `flag` the command-line way to grant it instead; `move` what to move to the user config;
 * `bound` what such a file may still do.
 */
export function projectSettingRefused(at: SettingAt, refusal: { what: string; flag: string; move?: string; bound?: string }): ConfigError {
  const bound = refusal.bound !== undefined ? `, so ${refusal.bound}` : '';
  return new ConfigError(
    at.file,
    at.line,
    at.key,
    `${refusal.what}, but this profile comes from a project-level file, which sandboxed commands or a cloned repository can write${bound}; ` +
      `move ${refusal.move ?? 'the setting'} to your user config (~/.config/codex-sandbox/config.toml), pass ${refusal.flag}, or trust the project explicitly (--trust-project-config)`,
  );
}

/** A `--profile` value that names no built-in, no configured profile and no readable file. */
export class UnknownProfileError extends SandboxError {
  constructor(
    readonly profile: string,
    message: string,
  ) {
    super('UnknownProfile', message);
    this.name = 'UnknownProfileError';
  }
}

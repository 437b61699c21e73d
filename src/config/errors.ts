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

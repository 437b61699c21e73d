/** Where a piece of a resolved profile came from, for `codex-sandbox explain`. */

export type Origin =
  /** A built-in preset (`workspace-write`, Codex's `:workspace`, ...). */
  | { kind: 'preset'; name: string }
  /** A key in a configuration or profile file. */
  | { kind: 'config'; file: string; line: number; key: string }
  /** A command-line flag (added by the CLI, e.g. `--writable-root /x`). */
  | { kind: 'flag'; flag: string };

/** A key in a configuration file. */
export type ConfigOrigin = Origin & { kind: 'config' };

/** Where a resolved profile and each of its parts came from. */
export interface ProfileOrigin {
  /** The name that was resolved (`dev`, `codex:ci`, `./p.json`). */
  name: string;
  /** `built-in`, or the file that defined the profile. */
  source: 'built-in' | string;
  /** Where the profile itself is defined. */
  defined: Origin;
  /**
   * Parallel to `profile.fileSystem.entries` when the profile is managed + restricted (index i
   * explains entry i); empty otherwise. A CLI that appends entries for flags appends here too.
   */
  entries: Origin[];
  /** Where the network setting came from. */
  network: Origin;
  /** Where the environment policy came from, when the profile carries one. */
  envPolicy?: Origin;
  /** Where `glob_scan_max_depth` came from, when a configuration key set it. */
  globScanMaxDepth?: Origin;
  /** Non-fatal findings (unknown `:special` paths, `**` globs without a scan depth, ...). */
  warnings: string[];
}

export function describeOrigin(o: Origin): string {
  switch (o.kind) {
    case 'preset':
      return `preset ${o.name}`;
    case 'config':
      return `${o.file}:${o.line} ${o.key}`;
    case 'flag':
      return `flag ${o.flag}`;
  }
}

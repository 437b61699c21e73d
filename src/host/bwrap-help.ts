/**
 * What a bubblewrap binary can do, read from its `--help` and `--version` text (pure), and the
 * shape of a probed binary. The probing itself (spawning the binary) is in bwrap-select.ts.
 */
import { SandboxError } from '../errors.js';
import type { BwrapInfo, BwrapSource } from '../contracts/index.js';

/** What the planner needs to know about a bubblewrap binary, read from its `--help`. */
export interface BwrapCapabilities {
  /** `--argv0 VALUE` (bubblewrap >= 0.9.0). Emulated by the launcher's inner stage when absent. */
  argv0: boolean;
  /** `--perms OCTAL` (bubblewrap >= 0.5.0). Required: a bwrap without it is never selected. */
  perms: boolean;
  /** `--ro-bind-fd FD DEST` (upstream >= 0.10.0; Debian backported it to its 0.8.0). */
  roBindFd: boolean;
  /** `--disable-userns` (bubblewrap >= 0.8.0). */
  disableUserns: boolean;
}

/** Every `--option` token the text mentions, as exact tokens (`--perms` never matches `--permsx`). */
export function helpOptions(helpText: string): Set<string> {
  const found = new Set<string>();
  for (const m of helpText.matchAll(/(?<=^|[\s[(,|])(--[a-z0-9][a-z0-9-]*)(?=$|[\s\]),=|])/gm)) {
    if (m[1] !== undefined) found.add(m[1]);
  }
  return found;
}

/** Whether the text is bubblewrap's help at all (every version lists `--ro-bind` and `--unshare-user`). */
export function looksLikeBwrapHelp(helpText: string): boolean {
  const opts = helpOptions(helpText);
  return opts.has('--ro-bind') && opts.has('--unshare-user');
}

export function parseBwrapHelp(helpText: string): BwrapCapabilities {
  const opts = helpOptions(helpText);
  return {
    argv0: opts.has('--argv0'),
    perms: opts.has('--perms'),
    roBindFd: opts.has('--ro-bind-fd'),
    disableUserns: opts.has('--disable-userns'),
  };
}

/** `bubblewrap 0.8.0` → `0.8.0`; undefined when the text has no bubblewrap version line. */
export function parseBwrapVersion(versionText: string): string | undefined {
  const m = /^bubblewrap\s+([0-9][0-9A-Za-z.+~-]*)\s*$/m.exec(versionText);
  return m?.[1];
}

/** What a probe learnt about one binary (kept across processes by probe-cache.ts). */
export interface CachedProbe {
  version: string | undefined;
  caps: BwrapCapabilities;
}

/** A cache of probes keyed by binary identity (probe-cache.ts `fileProbeCache`). */
export interface ProbeCacheStore {
  get(key: string): CachedProbe | undefined;
  set(key: string, value: CachedProbe): void;
}

/** A probed binary. */
export type ProbedBwrap = BwrapInfo;

export interface ProbeOptions {
  source?: BwrapSource;
  /** Digest the launcher verifies before exec (bundled binary only). */
  expectedSha256?: string | undefined;
  /** Per exec; default 2000 ms. */
  timeoutMs?: number;
  /** A persistent cache across processes (probe-cache.ts); without it only this process remembers. */
  cache?: ProbeCacheStore | undefined;
}

/** The binary could not be run or is not bubblewrap. The message names the path and what happened. */
export class BwrapProbeError extends SandboxError {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super('BwrapProbe', message);
    this.name = 'BwrapProbeError';
  }
}


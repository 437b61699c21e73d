/**
 * The thin side-effecting part: find configuration files and read them once.
 *
 * Trust decision (see docs/config.md, "Project files are not trusted"): a command running under
 * workspace-write can write `codex-sandbox.toml` in the project for the *next* run, and a cloned
 * repository can ship one (or a `.codex/config.toml`). Project-level files are still read, but a
 * profile built from them may not grant more than workspace-write does (see `checkProjectBound` in
 * resolve.ts) unless the caller passes `trustProjectConfig`. User-level files are trusted.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseCodexConfig } from './codex-config.js';
import type { CodexConfig } from './codex-config.js';
import { parseSandboxConfig } from './sandbox-config.js';
import type { SandboxConfig } from './sandbox-config.js';

export interface ConfigFiles {
  /** `codex-sandbox.toml`, nearest upward from cwd. */
  project?: string;
  /** `$XDG_CONFIG_HOME/codex-sandbox/config.toml` (default `~/.config/...`). */
  user?: string;
  /** `.codex/config.toml`, nearest upward from cwd (not the user's own `$CODEX_HOME`). */
  codexProject?: string;
  /** `$CODEX_HOME/config.toml` (default `~/.codex/config.toml`). */
  codexUser?: string;
}

export interface FindOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  home: string | undefined;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Nearest `rel` at or above `start`; stops at the filesystem root. */
function searchUpward(start: string, rel: string, skip?: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    const candidate = path.join(dir, rel);
    if (candidate !== skip && isFile(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function nonEmpty(v: string | undefined): string | undefined {
  return v !== undefined && v !== '' ? v : undefined;
}

export function findConfigFiles({ cwd, env, home }: FindOptions): ConfigFiles {
  const out: ConfigFiles = {};
  const xdg = nonEmpty(env.XDG_CONFIG_HOME) ?? (home !== undefined ? path.join(home, '.config') : undefined);
  const codexHome = nonEmpty(env.CODEX_HOME) ?? (home !== undefined ? path.join(home, '.codex') : undefined);
  const user = xdg !== undefined ? path.join(xdg, 'codex-sandbox', 'config.toml') : undefined;
  const codexUser = codexHome !== undefined ? path.join(codexHome, 'config.toml') : undefined;
  if (user !== undefined && isFile(user)) out.user = user;
  if (codexUser !== undefined && isFile(codexUser)) out.codexUser = codexUser;
  const project = searchUpward(cwd, 'codex-sandbox.toml');
  if (project !== undefined) out.project = project;
  // Walking up from a directory under $HOME meets ~/.codex/config.toml: that one is the user file.
  const codexProject = searchUpward(cwd, path.join('.codex', 'config.toml'), codexUser);
  if (codexProject !== undefined) out.codexProject = codexProject;
  return out;
}

export interface LoadedConfig {
  files: ConfigFiles;
  project?: SandboxConfig;
  user?: SandboxConfig;
  /** Codex layers, lowest precedence first: user, then project. */
  codexLayers: CodexConfig[];
  /** Files whose profiles must stay within workspace-write (project-level, untrusted). */
  untrustedFiles: Set<string>;
  home: string | undefined;
  /** Non-fatal findings while reading (ignored Codex proxy settings, ...). */
  warnings: string[];
}

export interface LoadOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  /** Default: `env.HOME` (or `USERPROFILE`). */
  home?: string;
  /** Trust project-level files in full (the caller vouches for the project). */
  trustProjectConfig?: boolean;
}

/** Finds, reads and parses every configuration file once. Throws ConfigError on the first bad file. */
export function loadConfig(opts: LoadOptions): LoadedConfig {
  const home = opts.home ?? nonEmpty(opts.env.HOME) ?? nonEmpty(opts.env.USERPROFILE);
  const files = findConfigFiles({ cwd: opts.cwd, env: opts.env, home });
  const read = (f: string): string => readFileSync(f, 'utf8');
  const loaded: LoadedConfig = { files, codexLayers: [], untrustedFiles: new Set(), home, warnings: [] };
  if (files.project !== undefined) loaded.project = parseSandboxConfig(read(files.project), files.project);
  if (files.user !== undefined) loaded.user = parseSandboxConfig(read(files.user), files.user);
  for (const f of [files.codexUser, files.codexProject]) {
    if (f === undefined) continue;
    const c = parseCodexConfig(read(f), f);
    loaded.codexLayers.push(c);
    loaded.warnings.push(...c.warnings);
  }
  if (opts.trustProjectConfig !== true) {
    for (const f of [files.project, files.codexProject]) if (f !== undefined) loaded.untrustedFiles.add(f);
  }
  return loaded;
}

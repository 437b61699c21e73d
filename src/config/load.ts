/**
 * The thin side-effecting part: find configuration files and read them once.
 *
 * Trust decision (see docs/config.md, "Project files are not trusted"): a command running under
 * workspace-write can write `codex-sandbox.toml` in the project for the *next* run, and a cloned
 * repository can ship one (or a `.codex/config.toml`). Project-level files are still read, but a
 * profile built from them may not grant more than workspace-write does (see `projectBoundRefusals`
 * in resolve.ts) unless the caller passes `trustProjectConfig`. User-level files are trusted, unless
 * they lie inside the working directory (then they are as writable as a project file). Before any
 * of this, a file that another local user could have written is not read at all (trust.ts).
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseCodexConfig } from './codex-config.js';
import type { CodexConfig } from './codex-config.js';
import { parseSandboxConfig } from './sandbox-config.js';
import type { SandboxConfig } from './sandbox-config.js';
import { isUnder } from '../util/path-within.js';
import { readIfTrusted } from './trust.js';

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

function nonEmpty(v: string | undefined): string | undefined {
  return v !== undefined && v !== '' ? v : undefined;
}

/** What was decided about one configuration file (doctor and `--json` report these). */
export interface ConfigFileDecision {
  file: string;
  role: 'project' | 'user' | 'codex-project' | 'codex-user' | 'profile-file';
  /** `trusted`: used in full; `bounded`: used, its profiles held to workspace-write; `ignored`: not read. */
  status: 'trusted' | 'bounded' | 'ignored';
  reason: string;
}

interface Found {
  files: ConfigFiles;
  texts: Map<string, string>;
  decisions: ConfigFileDecision[];
}

/** Nearest trusted `rel` at or above `start`; files refused by the ownership rule are recorded and skipped. */
function searchUpwardTrusted(start: string, rel: string, role: ConfigFileDecision['role'], out: Found, skip?: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    const candidate = path.join(dir, rel);
    if (candidate !== skip && isFile(candidate)) {
      const r = readIfTrusted(candidate);
      if (r.ok) {
        out.texts.set(candidate, r.text);
        return candidate;
      }
      out.decisions.push({ file: candidate, role, status: 'ignored', reason: r.problem });
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function userFile(file: string | undefined, role: ConfigFileDecision['role'], out: Found): string | undefined {
  if (file === undefined || !isFile(file)) return undefined;
  const r = readIfTrusted(file);
  if (r.ok) {
    out.texts.set(file, r.text);
    return file;
  }
  out.decisions.push({ file, role, status: 'ignored', reason: r.problem });
  return undefined;
}

function findTrusted({ cwd, env, home }: FindOptions): Found {
  const out: Found = { files: {}, texts: new Map(), decisions: [] };
  const xdg = nonEmpty(env.XDG_CONFIG_HOME) ?? (home !== undefined ? path.join(home, '.config') : undefined);
  const codexHome = nonEmpty(env.CODEX_HOME) ?? (home !== undefined ? path.join(home, '.codex') : undefined);
  const userPath = xdg !== undefined ? path.join(xdg, 'codex-sandbox', 'config.toml') : undefined;
  const codexUserPath = codexHome !== undefined ? path.join(codexHome, 'config.toml') : undefined;
  const user = userFile(userPath, 'user', out);
  if (user !== undefined) out.files.user = user;
  const codexUser = userFile(codexUserPath, 'codex-user', out);
  if (codexUser !== undefined) out.files.codexUser = codexUser;
  const project = searchUpwardTrusted(cwd, 'codex-sandbox.toml', 'project', out);
  if (project !== undefined) out.files.project = project;
  // Walking up from a directory under $HOME meets ~/.codex/config.toml: that one is the user file.
  const codexProject = searchUpwardTrusted(cwd, path.join('.codex', 'config.toml'), 'codex-project', out, codexUserPath);
  if (codexProject !== undefined) out.files.codexProject = codexProject;
  return out;
}

/**
 * The configuration files that will be read: the nearest trusted project files upward from cwd and
 * the user files. Files another user could have written are left out (see trust.ts); `loadConfig`
 * reports them in `decisions`.
 */
export function findConfigFiles(opts: FindOptions): ConfigFiles {
  return findTrusted(opts).files;
}

export interface LoadedConfig {
  files: ConfigFiles;
  project?: SandboxConfig;
  user?: SandboxConfig;
  /** Codex layers, lowest precedence first: user, then project (project first when it is untrusted). */
  codexLayers: CodexConfig[];
  /** Files whose profiles must stay within workspace-write (project-level, untrusted). */
  untrustedFiles: Set<string>;
  /** Every configuration file found, and whether it is trusted, bounded or ignored (and why). */
  decisions: ConfigFileDecision[];
  /** The working directory the files were found from (a `:project_roots` write is checked under it). */
  cwd: string;
  /** `--trust-project-config`: project-level files are used in full. */
  trustProjectConfig: boolean;
  home: string | undefined;
  /** Non-fatal findings while reading (ignored Codex proxy settings, ignored files, refused keys, ...). */
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

const BOUND_REASON =
  'a project-level file, which sandboxed commands or a cloned repository can write: its profiles may not grant more than workspace-write (--trust-project-config lifts this)';

/** Finds, reads and parses every configuration file once. Throws ConfigError on the first bad file. */
export function loadConfig(opts: LoadOptions): LoadedConfig {
  const home = opts.home ?? nonEmpty(opts.env.HOME) ?? nonEmpty(opts.env.USERPROFILE);
  const cwd = path.resolve(opts.cwd);
  const found = findTrusted({ cwd, env: opts.env, home });
  const { files } = found;
  const read = (f: string): string => found.texts.get(f) ?? readFileSync(f, 'utf8');
  const loaded: LoadedConfig = { files, codexLayers: [], untrustedFiles: new Set(), decisions: [], cwd, trustProjectConfig: opts.trustProjectConfig === true, home, warnings: [] };
  for (const d of found.decisions) {
    loaded.warnings.push(`ignored ${d.file}: ${d.reason}; a file another user controls could choose your sandbox (fix its owner or permissions, or remove it)`);
  }
  if (files.project !== undefined) loaded.project = parseSandboxConfig(read(files.project), files.project);
  if (files.user !== undefined) loaded.user = parseSandboxConfig(read(files.user), files.user);
  for (const f of [files.codexUser, files.codexProject]) {
    if (f === undefined) continue;
    const c = parseCodexConfig(read(f), f);
    loaded.codexLayers.push(c);
    loaded.warnings.push(...c.warnings);
  }
  const roles: Array<[string | undefined, ConfigFileDecision['role']]> = [
    [files.project, 'project'],
    [files.codexProject, 'codex-project'],
    [files.user, 'user'],
    [files.codexUser, 'codex-user'],
  ];
  for (const [f, role] of roles) {
    if (f === undefined) continue;
    // A user file inside the working directory is as writable by the command as a project file.
    const projectLevel = role === 'project' || role === 'codex-project' || isUnder(f, cwd);
    if (projectLevel && opts.trustProjectConfig !== true) {
      loaded.untrustedFiles.add(f);
      loaded.decisions.push({ file: f, role, status: 'bounded', reason: BOUND_REASON });
    } else {
      const reason = projectLevel ? 'trusted by --trust-project-config' : 'a user-level file owned by you or root';
      loaded.decisions.push({ file: f, role, status: 'trusted', reason });
    }
  }
  loaded.decisions.push(...found.decisions);
  // An untrusted project .codex/config.toml may fill in what the user's Codex config leaves unset,
  // but not override it (Codex itself skips project config layers of untrusted projects).
  const [first, second] = loaded.codexLayers;
  if (first !== undefined && second !== undefined && loaded.untrustedFiles.has(second.file) && !loaded.untrustedFiles.has(first.file)) {
    loaded.codexLayers = [second, first];
  }
  return loaded;
}

/**
 * Finding and reading environments.toml: `$CODEX_HOME/environments.toml` as Codex reads it, and the
 * project's `.codex/environments.toml` (nearest upward from the working directory).
 *
 * Trust (docs/exec-server.md, "environments.toml"): an environment decides where the command, its
 * argv and its environment go, and a `program` entry is a binary this client starts outside any
 * sandbox. A project file is data that a sandboxed command (workspace-write can write the project)
 * or a cloned repository could have written, so its environments are listed but refused when chosen,
 * and its `default` / `include_local` are ignored, unless the caller passes `trustProjectConfig`
 * (--trust-project-config). A $CODEX_HOME file inside the working directory counts as a project file
 * (as in load.ts). Before any of that, a file another local user could have written is not read at
 * all (trust.ts: git's safe.directory ownership rule, CVE-2022-24765).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { isUnder } from '../util/path-within.js';
import { ConfigError } from './errors.js';
import { environmentsFromEnv, parseEnvironmentsToml } from './environments.js';
import type { EnvironmentSpec, EnvironmentsFile } from './environments.js';
import { readIfTrusted } from './trust.js';

export const ENVIRONMENTS_FILE = 'environments.toml';

export interface LoadEnvironmentsOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  home: string | undefined;
  trustProjectConfig?: boolean;
}

export interface LoadedEnvironments {
  environments: EnvironmentSpec[];
  includeLocal: boolean;
  defaultId: string | undefined;
  /** Files read, user file first. */
  files: string[];
  /** Files ignored or settings not applied, and why. */
  warnings: string[];
  trustProjectConfig: boolean;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function read(file: string, warnings: string[], fromProject: boolean): EnvironmentsFile | undefined {
  const r = readIfTrusted(file);
  if (!r.ok) {
    warnings.push(`ignored ${file}: ${r.problem}`);
    return undefined;
  }
  return parseEnvironmentsToml(file, r.text, { fromProject });
}

function nearestProjectFile(cwd: string, skip: string | undefined): string | undefined {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, '.codex', ENVIRONMENTS_FILE);
    if (candidate !== skip && isFile(candidate)) return candidate;
    if (path.dirname(dir) === dir) return undefined;
  }
}

export function codexHomeOf(env: Record<string, string | undefined>, home: string | undefined): string | undefined {
  const v = env.CODEX_HOME;
  if (v !== undefined && v !== '') return v;
  return home !== undefined ? path.join(home, '.codex') : undefined;
}

export function loadEnvironments(opts: LoadEnvironmentsOptions): LoadedEnvironments {
  const trust = opts.trustProjectConfig === true;
  const warnings: string[] = [];
  const files: string[] = [];
  const codexHome = codexHomeOf(opts.env, opts.home);
  const userPath = codexHome !== undefined ? path.resolve(codexHome, ENVIRONMENTS_FILE) : undefined;
  let base: EnvironmentsFile;
  const userIsProject = userPath !== undefined && isUnder(userPath, path.resolve(opts.cwd));
  const user = userPath !== undefined && isFile(userPath) ? read(userPath, warnings, userIsProject) : undefined;
  if (user !== undefined && userPath !== undefined) {
    files.push(userPath);
    base = userIsProject && !trust ? { ...environmentsFromEnv(undefined), environments: user.environments } : user;
    if (userIsProject && !trust && (user.defaultGiven || !user.includeLocal)) warnings.push(`${userPath}: default and include_local not applied: the file is inside the working directory, which sandboxed commands can write (pass --trust-project-config)`);
  } else {
    // Codex: no file → the legacy CODEX_EXEC_SERVER_URL provider.
    base = environmentsFromEnv(opts.env.CODEX_EXEC_SERVER_URL);
  }
  const projectPath = nearestProjectFile(opts.cwd, userPath);
  const project = projectPath !== undefined ? read(projectPath, warnings, true) : undefined;
  if (project === undefined || projectPath === undefined) return { ...pick(base), files, warnings, trustProjectConfig: trust };
  files.push(projectPath);
  const ids = new Set(base.environments.map((e) => e.id));
  for (const e of project.environments) {
    if (ids.has(e.id)) throw new ConfigError(projectPath, 1, 'environments', `exec-server protocol error: environment id \`${e.id}\` is duplicated (also defined in ${base.environments.find((b) => b.id === e.id)?.file ?? 'CODEX_EXEC_SERVER_URL'})`);
  }
  const merged = { ...pick(base), environments: [...base.environments, ...project.environments] };
  if (trust) {
    merged.includeLocal = project.includeLocal && base.includeLocal;
    if (project.defaultGiven) merged.defaultId = project.defaultId;
  } else if (project.defaultGiven || !project.includeLocal) {
    warnings.push(`${projectPath}: default and include_local not applied: a project file is data a sandboxed command or a cloned repository can write (pass --trust-project-config)`);
  }
  return { ...merged, files, warnings, trustProjectConfig: trust };
}

function pick(f: EnvironmentsFile): Pick<LoadedEnvironments, 'environments' | 'includeLocal' | 'defaultId'> {
  return { environments: f.environments, includeLocal: f.includeLocal, defaultId: f.defaultId };
}

/**
 * The environment `id` names: `'local'` (run here) or a configured one. Unknown ids, a disabled
 * `local` and an untrusted project environment are refused with what to do (UsageError: exit 2).
 */
export function selectEnvironment(loaded: LoadedEnvironments, id: string): EnvironmentSpec | 'local' {
  if (id === 'local') {
    if (!loaded.includeLocal) throw new UsageError(`environment \`local\` is disabled (include_local = false in ${loaded.files[0] ?? 'environments.toml'})`);
    return 'local';
  }
  const spec = loaded.environments.find((e) => e.id === id);
  if (spec === undefined) {
    const known = [...(loaded.includeLocal ? ['local'] : []), ...loaded.environments.map((e) => e.id)];
    const where = loaded.files.length ? loaded.files.join(', ') : 'no environments.toml found ($CODEX_HOME/environments.toml or .codex/environments.toml)';
    throw new UsageError(`unknown environment \`${id}\`; configured: ${known.length ? known.join(', ') : '(none)'} (${where})`);
  }
  if (spec.fromProject === true && !loaded.trustProjectConfig) {
    const what = spec.transport.kind === 'stdio' ? `starts the program ${spec.transport.program} outside any sandbox` : `sends your command and its environment to ${spec.transport.url}`;
    throw new UsageError(
      `environment \`${id}\` comes from ${spec.file ?? 'a project file'}, a project-level file that sandboxed commands or a cloned repository can write; it ${what}. ` +
        'Move it to $CODEX_HOME/environments.toml, or pass --trust-project-config if you wrote it',
    );
  }
  return spec;
}

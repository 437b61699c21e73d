/**
 * `environments.toml` (Codex exec-server environment_toml.rs, reference §6.1): named exec-servers a
 * command can run on. Parsing is pure: text in, environments out, or a ConfigError naming file, line
 * and key, whose detail is Codex's message (`exec-server protocol error: …`).
 */
import path from 'node:path';
import { ConfigError } from './errors.js';
import { TomlDoc } from './toml-doc.js';
import type { TomlTable } from './toml-doc.js';

/** Codex's defaults (raised from 5 s in #21825). */
export const DEFAULT_ENVIRONMENT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_ENVIRONMENT_INITIALIZE_TIMEOUT_MS = 10_000;
export const MAX_ENVIRONMENT_ID_LENGTH = 64;
/** `local` runs here; `none` means "no environment". Neither may name a configured one. */
export const RESERVED_ENVIRONMENT_IDS = ['local', 'none'] as const;
const PREFIX = 'exec-server protocol error: ';

export type EnvironmentTransport =
  | { kind: 'websocket'; url: string; connectTimeoutMs: number; initializeTimeoutMs: number; authTokenFile?: string }
  | { kind: 'stdio'; program: string; args: string[]; env: Record<string, string>; cwd?: string; initializeTimeoutMs: number };

export interface EnvironmentSpec {
  id: string;
  transport: EnvironmentTransport;
  /** The file that defined it (undefined: from CODEX_EXEC_SERVER_URL). */
  file?: string;
  /** Defined in a project-level file (see environments-load.ts: not usable unless trusted). */
  fromProject?: boolean;
}

export interface EnvironmentsFile {
  environments: EnvironmentSpec[];
  includeLocal: boolean;
  /** The default environment id (`local` or a configured id); undefined = no default. */
  defaultId: string | undefined;
  /** `default` was written in the file (a project file's is honoured only when trusted). */
  defaultGiven: boolean;
}

const TOP_FIELDS = ['default', 'include_local', 'environments'];
const ENV_FIELDS = ['id', 'url', 'program', 'args', 'env', 'cwd', 'connect_timeout_sec', 'initialize_timeout_sec', 'auth_token_file'];

function fieldList(fields: readonly string[]): string {
  return fields.map((f) => `\`${f}\``).join(', ');
}

/** Codex's id rules, in its order. */
export function environmentIdProblem(id: string): string | undefined {
  if (id.trim() === '') return 'environment id cannot be empty';
  if (id.trim() !== id) return `environment id \`${id}\` must not contain surrounding whitespace`;
  if ((RESERVED_ENVIRONMENT_IDS as readonly string[]).includes(id.toLowerCase())) return `environment id \`${id}\` is reserved`;
  if ([...id].length > MAX_ENVIRONMENT_ID_LENGTH) return `environment id \`${id}\` cannot be longer than ${String(MAX_ENVIRONMENT_ID_LENGTH)} characters`;
  if (!/^[A-Za-z0-9_-]+$/.test(id)) return `environment id \`${id}\` must contain only ASCII letters, numbers, '-' or '_'`;
  return undefined;
}

/** A `ws://` / `wss://` URL a WebSocket client can request, trimmed; otherwise Codex's message. */
export function websocketUrlProblem(raw: string): { url: string } | { problem: string } {
  const url = raw.trim();
  if (url === '') return { problem: 'environment url cannot be empty' };
  if (!url.startsWith('ws://') && !url.startsWith('wss://')) return { problem: `environment url \`${url}\` must use ws:// or wss://` };
  try {
    const u = new URL(url);
    if (u.hostname === '') throw new Error('no host');
  } catch (e) {
    return { problem: `environment url \`${url}\` is not a valid websocket URL: ${(e as Error).message}` };
  }
  return { url };
}

class Reader {
  constructor(readonly doc: TomlDoc) {}
  fail(keyPath: string[], detail: string): never {
    throw new ConfigError(this.doc.file, this.doc.lineOf(keyPath), keyPath, PREFIX + detail);
  }
  /** serde's deny_unknown_fields. */
  known(table: TomlTable, fields: readonly string[], at: string[]): void {
    for (const k of Object.keys(table)) if (!fields.includes(k)) this.fail([...at, k], `unknown field \`${k}\`, expected one of ${fieldList(fields)}`);
  }
  str(v: unknown, at: string[]): string {
    if (typeof v !== 'string') this.fail(at, `invalid type: ${describe(v)}, expected a string`);
    return v;
  }
  seconds(v: unknown, at: string[]): number {
    if (typeof v !== 'number' && typeof v !== 'bigint') this.fail(at, `invalid type: ${describe(v)}, expected f64`);
    const n = Number(v);
    // Duration::try_from_secs_f64 refuses negative, NaN and overflowing values.
    if (!Number.isFinite(n) || n < 0 || n > 1e9) this.fail(at, `${String(at[at.length - 1])} must be a non-negative, finite number of seconds, got ${String(n)}`);
    return Math.round(n * 1000);
  }
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  if (typeof v === 'boolean') return `boolean \`${String(v)}\``;
  if (typeof v === 'number' || typeof v === 'bigint') return typeof v === 'number' && !Number.isInteger(v) ? `floating point \`${String(v)}\`` : `integer \`${String(v)}\``;
  if (Array.isArray(v)) return 'sequence';
  return 'map';
}

function isTable(v: unknown): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export interface ParseEnvironmentsOptions {
  /** Where relative stdio `cwd` values are joined (Codex: CODEX_HOME); default: the file's directory. */
  configDir?: string;
  fromProject?: boolean;
}

/** Parses and validates one environments.toml (every rule of Codex's environment_toml.rs). */
export function parseEnvironmentsToml(file: string, text: string, opts: ParseEnvironmentsOptions = {}): EnvironmentsFile {
  const r: Reader = new Reader(new TomlDoc(file, text));
  const root = r.doc.root;
  r.known(root, TOP_FIELDS, []);
  const includeLocalRaw = root.include_local;
  if (includeLocalRaw !== undefined && typeof includeLocalRaw !== 'boolean') r.fail(['include_local'], `invalid type: ${describe(includeLocalRaw)}, expected a boolean`);
  const includeLocal = typeof includeLocalRaw === 'boolean' ? includeLocalRaw : true;
  const list: unknown = root.environments ?? [];
  if (!Array.isArray(list)) r.fail(['environments'], `invalid type: ${describe(list)}, expected a sequence`);
  const configDir = opts.configDir ?? path.dirname(file);
  const seen = new Set<string>(includeLocal ? ['local'] : []);
  const environments = (list as unknown[]).map((raw: unknown, i: number): EnvironmentSpec => {
    const at = ['environments', String(i)];
    if (!isTable(raw)) r.fail(at, `invalid type: ${describe(raw)}, expected struct EnvironmentToml`);
    r.known(raw, ENV_FIELDS, at);
    if (raw.id === undefined) r.fail(at, 'missing field `id`');
    const id = r.str(raw.id, [...at, 'id']);
    const idProblem = environmentIdProblem(id);
    if (idProblem !== undefined) r.fail([...at, 'id'], idProblem);
    if (seen.has(id)) r.fail([...at, 'id'], `environment id \`${id}\` is duplicated`);
    seen.add(id);
    const spec: EnvironmentSpec = { id, transport: transportOf(r, raw, at, id, configDir), file };
    if (opts.fromProject === true) spec.fromProject = true;
    return spec;
  });
  let defaultId: string | undefined = includeLocal ? 'local' : undefined;
  const defaultGiven = root.default !== undefined;
  if (defaultGiven) {
    const d = r.str(root.default, ['default']).trim();
    if (d === '') r.fail(['default'], 'default environment id cannot be empty');
    if (d.toLowerCase() === 'none') defaultId = undefined;
    else if (d === 'local' && !includeLocal) r.fail(['default'], 'default environment `local` is not configured');
    else if (!seen.has(d)) r.fail(['default'], `default environment \`${d}\` is not configured`);
    else defaultId = d;
  }
  return { environments, includeLocal, defaultId, defaultGiven };
}

function transportOf(r: Reader, raw: TomlTable, at: string[], id: string, configDir: string): EnvironmentTransport {
  const hasUrl = raw.url !== undefined;
  const hasProgram = raw.program !== undefined;
  if (hasUrl === hasProgram) r.fail(at, `environment \`${id}\` must set exactly one of url or program`);
  const initializeTimeoutMs = raw.initialize_timeout_sec === undefined ? DEFAULT_ENVIRONMENT_INITIALIZE_TIMEOUT_MS : r.seconds(raw.initialize_timeout_sec, [...at, 'initialize_timeout_sec']);
  if (hasUrl) {
    if (raw.args !== undefined || raw.env !== undefined || raw.cwd !== undefined) r.fail(at, `environment \`${id}\` args, env, and cwd require program`);
    const checked = websocketUrlProblem(r.str(raw.url, [...at, 'url']));
    if ('problem' in checked) r.fail([...at, 'url'], checked.problem);
    const connectTimeoutMs = raw.connect_timeout_sec === undefined ? DEFAULT_ENVIRONMENT_CONNECT_TIMEOUT_MS : r.seconds(raw.connect_timeout_sec, [...at, 'connect_timeout_sec']);
    const t: EnvironmentTransport = { kind: 'websocket', url: checked.url, connectTimeoutMs, initializeTimeoutMs };
    if (raw.auth_token_file !== undefined) t.authTokenFile = path.resolve(configDir, r.str(raw.auth_token_file, [...at, 'auth_token_file']));
    return t;
  }
  if (raw.connect_timeout_sec !== undefined) r.fail(at, `environment \`${id}\` connect_timeout_sec requires url`);
  if (raw.auth_token_file !== undefined) r.fail(at, `environment \`${id}\` auth_token_file requires url`);
  const program = r.str(raw.program, [...at, 'program']).trim();
  if (program === '') r.fail([...at, 'program'], `environment \`${id}\` program cannot be empty`);
  const args = raw.args === undefined ? [] : Array.isArray(raw.args) ? raw.args.map((a: unknown, j: number) => r.str(a, [...at, 'args', String(j)])) : r.fail([...at, 'args'], `invalid type: ${describe(raw.args)}, expected a sequence`);
  const env: Record<string, string> = {};
  if (raw.env !== undefined) {
    if (!isTable(raw.env)) r.fail([...at, 'env'], `invalid type: ${describe(raw.env)}, expected a map`);
    for (const [k, v] of Object.entries(raw.env)) env[k] = r.str(v, [...at, 'env', k]);
  }
  const t: EnvironmentTransport = { kind: 'stdio', program, args, env, initializeTimeoutMs };
  if (raw.cwd !== undefined) t.cwd = path.resolve(configDir, r.str(raw.cwd, [...at, 'cwd']));
  return t;
}

/**
 * No environments.toml: Codex's legacy provider. `CODEX_EXEC_SERVER_URL` unset or empty → default
 * `local`; `none` (any case) → no environment at all; a URL → environment `remote`, the default,
 * with local not included.
 */
export function environmentsFromEnv(value: string | undefined): EnvironmentsFile {
  const v = (value ?? '').trim();
  if (v === '') return { environments: [], includeLocal: true, defaultId: 'local', defaultGiven: false };
  if (v.toLowerCase() === 'none') return { environments: [], includeLocal: false, defaultId: undefined, defaultGiven: true };
  const checked = websocketUrlProblem(v);
  if ('problem' in checked) throw new ConfigError('CODEX_EXEC_SERVER_URL', 0, '(environment variable)', PREFIX + checked.problem);
  const transport: EnvironmentTransport = { kind: 'websocket', url: checked.url, connectTimeoutMs: DEFAULT_ENVIRONMENT_CONNECT_TIMEOUT_MS, initializeTimeoutMs: DEFAULT_ENVIRONMENT_INITIALIZE_TIMEOUT_MS };
  return { environments: [{ id: 'remote', transport }], includeLocal: false, defaultId: 'remote', defaultGiven: true };
}

/** Connecting to a configured environment (environments.toml) and choosing one by id. */
import { statSync } from 'node:fs';
import os from 'node:os';
import { loadEnvironments, readIfTrusted, selectEnvironment } from '../../config/index.js';
import type { EnvironmentSpec, LoadedEnvironments } from '../../config/index.js';
import { UsageError } from '../../errors.js';
import { connectExecServer } from './client.js';
import type { ConnectExecServerOptions, ExecServerClient } from './client.js';
import { RemoteSandbox } from './remote-sandbox.js';

/**
 * Reads a bearer token file: owned by the caller or root in directories no one else can write
 * (trust.ts), and not readable by other users: the token lets its holder run commands.
 */
export function readAuthTokenFile(file: string): string {
  const r = readIfTrusted(file);
  if (!r.ok) throw new UsageError(`auth_token_file ${file}: ${r.problem}`);
  if (process.platform !== 'win32' && (statSync(r.real).mode & 0o077) !== 0) throw new UsageError(`auth_token_file ${file}: readable or writable by other users; run chmod 600 on it`);
  const token = r.text.replace(/[\r\n]+$/, '');
  if (token === '') throw new UsageError(`auth_token_file ${file} is empty`);
  return token;
}

/** Connects to one configured environment with its transport and timeouts. */
export function connectEnvironment(spec: EnvironmentSpec, options: Omit<ConnectExecServerOptions, 'connectTimeoutMs' | 'initializeTimeoutMs'> = {}): Promise<ExecServerClient> {
  const t = spec.transport;
  if (t.kind === 'websocket') {
    const authToken = t.authTokenFile !== undefined ? readAuthTokenFile(t.authTokenFile) : options.authToken;
    return connectExecServer(t.url, { ...options, connectTimeoutMs: t.connectTimeoutMs, initializeTimeoutMs: t.initializeTimeoutMs, ...(authToken !== undefined ? { authToken } : {}) });
  }
  return connectExecServer({ command: t.program, args: t.args, env: t.env, ...(t.cwd !== undefined ? { cwd: t.cwd } : {}) }, { ...options, initializeTimeoutMs: t.initializeTimeoutMs });
}

export interface EnvironmentLookup {
  /** Where the project's `.codex/environments.toml` is searched from (default process.cwd()). */
  cwd?: string;
  /** Supplies CODEX_HOME and CODEX_EXEC_SERVER_URL (default process.env). */
  env?: Record<string, string | undefined>;
  /** Use environments (and `default`) from the project's file (see environments-load.ts). */
  trustProjectConfig?: boolean;
}

export function loadEnvironmentsFor(lookup: EnvironmentLookup = {}): LoadedEnvironments {
  return loadEnvironments({ cwd: lookup.cwd ?? process.cwd(), env: lookup.env ?? process.env, home: os.homedir(), trustProjectConfig: lookup.trustProjectConfig === true });
}

/** The environment `id` of environments.toml as a RemoteSandbox (WebSocket: connected; stdio: on first use). `local` is refused: run locally instead. */
export async function openEnvironment(environment: string | EnvironmentSpec, lookup: EnvironmentLookup = {}, options: ConnectExecServerOptions = {}): Promise<RemoteSandbox> {
  const spec = typeof environment === 'string' ? selectEnvironment(loadEnvironmentsFor(lookup), environment) : environment;
  if (spec === 'local') throw new TypeError('environment `local` runs here: call createSandbox() without `environment`');
  const connect = (): Promise<ExecServerClient> => connectEnvironment(spec, options);
  // Codex: WebSocket environments connect eagerly (and get a fresh session when theirs is lost); stdio
  // ones are started on first use and never restarted.
  if (spec.transport.kind === 'stdio') return new RemoteSandbox(connect, spec.id);
  return new RemoteSandbox(await connect(), spec.id, connect);
}

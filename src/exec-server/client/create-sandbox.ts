/**
 * The package's `createSandbox`: the local Sandbox (src/sandbox.ts), or with `environment` a
 * RemoteSandbox on an exec-server of environments.toml. It lives here, above sandbox.ts, because a
 * remote sandbox needs the client (exec-server/ may import sandbox.ts, not the other way round).
 */
import { createSandbox as createLocalSandbox } from '../../sandbox.js';
import type { CreateSandboxOptions, Sandbox } from '../../sandbox.js';
import type { EnvironmentSpec } from '../../config/index.js';
import { openEnvironment } from './environment.js';
import type { EnvironmentLookup } from './environment.js';
import type { ConnectExecServerOptions } from './client.js';
import type { RemoteSandbox } from './remote-sandbox.js';

export interface CreateRemoteSandboxOptions extends CreateSandboxOptions, EnvironmentLookup {
  /** An id of environments.toml ($CODEX_HOME, or the project's when trusted), or a spec. */
  environment: string | EnvironmentSpec;
  connect?: ConnectExecServerOptions;
}

export function createSandbox(options: CreateRemoteSandboxOptions): Promise<RemoteSandbox>;
export function createSandbox(options?: CreateSandboxOptions): Promise<Sandbox>;
export async function createSandbox(options: CreateSandboxOptions | CreateRemoteSandboxOptions = {}): Promise<Sandbox | RemoteSandbox> {
  if (!('environment' in options) || options.environment === undefined) return createLocalSandbox(options);
  // The pool is the local Sandbox's; a server's processes share sessions only with its own --sessions.
  if (options.sessions !== undefined && options.sessions !== false) throw new TypeError('createSandbox: `sessions` pools local sandbox sessions; with `environment`, the exec-server runs its processes in sandbox sessions already (unless started with --no-sessions)');
  const lookup: EnvironmentLookup = {
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.env !== undefined ? { env: options.env } : {}),
    ...(options.trustProjectConfig !== undefined ? { trustProjectConfig: options.trustProjectConfig } : {}),
  };
  return openEnvironment(options.environment, lookup, options.connect ?? {});
}

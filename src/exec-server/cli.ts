/**
 * `codex-sandbox exec-server`: the bound URL is the first line on stdout (WebSocket mode); logs go
 * to stderr; SIGINT/SIGTERM stop the server, killing every process it started, and exit 0.
 */
import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { CACHE_TOOL_NAMES, compileNetworkPolicy, EMPTY_NETWORK_ACCESS, isCacheTool, NetworkRuleError, PermissionProfile, PROFILE_NAMES } from '../permissions/index.js';
import type { CacheTool, NetworkAccessPolicy, ProfileName } from '../permissions/index.js';
import { UsageError } from '../errors.js';
import { createExecServer, isLoopback, parseListenUrl } from './server.js';
import type { ExecServerOptions } from './server.js';

export interface ExecServerFlags {
  listen: string;
  authTokenFile?: string;
  concurrentRequests?: string;
  defaultProfile?: string;
  detachedSessionTtlMs?: string;
  exitedRetentionMs?: string;
  maxProcessesPerSession?: string;
  keepaliveMs?: string;
  allowDomain?: string[];
  denyDomain?: string[];
  allowHostPort?: string[];
  cache?: string[];
  git?: 'commit' | 'read-only';
  sessions?: boolean;
}

/** --allow-domain/--deny-domain/--allow-host-port → the server's allow list; a bad value is a usage error naming it. */
function networkAccessFlags(flags: ExecServerFlags): NetworkAccessPolicy | undefined {
  const allow = flags.allowDomain ?? [];
  const deny = flags.denyDomain ?? [];
  const ports = (flags.allowHostPort ?? []).map((p) => {
    if (!/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535) throw new UsageError(`--allow-host-port ${p}: expected a port number from 1 to 65535`);
    return Number(p);
  });
  if (!allow.length && !deny.length && !ports.length) return undefined;
  const policy: NetworkAccessPolicy = { ...EMPTY_NETWORK_ACCESS, allow, deny, allowHostPorts: ports };
  try {
    compileNetworkPolicy(policy);
  } catch (e) {
    if (e instanceof NetworkRuleError) throw new UsageError(`${e.message}; expected example.com, *.example.com, an IP or CIDR (10.0.0.0/8), or *, each with an optional :port`);
    throw e;
  }
  // A process/start without a `sandbox` field runs under the default profile: unsandboxed by default,
  // which would be outside the allow list (every such request would then be refused).
  if (flags.defaultProfile === undefined || flags.defaultProfile === 'danger-full-access') {
    throw new UsageError('--allow-domain/--deny-domain/--allow-host-port need --default-profile read-only or workspace-write: a process/start without a sandbox field would otherwise run unsandboxed, outside the allow list');
  }
  return policy;
}

function cacheFlags(tools: string[] | undefined): CacheTool[] | undefined {
  if (tools === undefined || tools.length === 0) return undefined;
  return tools.map((t) => {
    if (!isCacheTool(t)) throw new UsageError(`--cache ${t}: unknown cache; known caches are ${CACHE_TOOL_NAMES.join(', ')}`);
    return t;
  });
}

function positiveInt(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} ${JSON.stringify(text)}: expected a positive whole number`);
  return n;
}

/** Reads the token file; refuses one other users can read (the token is a password for running commands). */
function readTokenFile(path: string): string {
  let st;
  try {
    st = lstatSync(path);
  } catch (e) {
    throw new UsageError(`--auth-token-file ${path}: ${(e as Error).message}`);
  }
  if (!st.isFile()) throw new UsageError(`--auth-token-file ${path}: not a regular file`);
  if ((st.mode & 0o077) !== 0) throw new UsageError(`--auth-token-file ${path}: readable or writable by other users (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 on it`);
  const token = readFileSync(path, 'utf8').replace(/[\r\n]+$/, '');
  if (token.length < 16) throw new UsageError(`--auth-token-file ${path}: the token must be at least 16 characters (e.g. openssl rand -hex 32)`);
  return token;
}

export async function execServerCommand(flags: ExecServerFlags): Promise<number> {
  const target = parseListenUrl(flags.listen);
  const authToken = flags.authTokenFile !== undefined ? readTokenFile(flags.authTokenFile) : undefined;
  if (target.kind === 'stdio' && authToken !== undefined) throw new UsageError('--auth-token-file applies to a ws:// listener, not stdio');
  const concurrentRequests = positiveInt('--concurrent-requests', flags.concurrentRequests);
  const networkAccess = networkAccessFlags(flags);
  const caches = cacheFlags(flags.cache);
  const sandboxSettings: Pick<ExecServerOptions, 'networkAccess' | 'caches' | 'git'> = {
    ...(networkAccess !== undefined ? { networkAccess } : {}),
    ...(caches !== undefined ? { caches } : {}),
    ...(flags.git !== undefined ? { git: flags.git } : {}),
  };
  const server = await createExecServer({
    ...sandboxSettings,
    listen: flags.listen,
    ...(authToken !== undefined && flags.authTokenFile !== undefined ? { authToken, hiddenPaths: [...new Set([resolve(flags.authTokenFile), realpathSync(flags.authTokenFile)])] } : {}),
    ...(concurrentRequests !== undefined ? { concurrentRequests } : {}),
    sessions: flags.sessions !== false,
    ...(flags.defaultProfile !== undefined ? { defaultProfile: builtInProfile(flags.defaultProfile) } : {}),
    ...optional('detachedSessionTtlMs', positiveInt('--detached-session-ttl-ms', flags.detachedSessionTtlMs)),
    ...optional('exitedRetentionMs', positiveInt('--exited-retention-ms', flags.exitedRetentionMs)),
    ...optional('maxProcessesPerSession', positiveInt('--max-processes-per-session', flags.maxProcessesPerSession)),
    ...optional('keepaliveMs', positiveInt('--keepalive-ms', flags.keepaliveMs)),
  });
  if (target.kind === 'ws') {
    process.stdout.write(`${server.url}\n`);
    const auth = authToken !== undefined ? 'a bearer token is required (Authorization: Bearer …)' : 'no authentication (loopback only)';
    const where = isLoopback(target.host) ? 'loopback' : 'NETWORK-REACHABLE';
    process.stderr.write(`codex-sandbox exec-server: listening on ${server.url} (${where}); ${auth}\n`);
  }
  if (networkAccess !== undefined) {
    const rules = [...networkAccess.allow.map((r) => `allow ${r}`), ...networkAccess.deny.map((r) => `deny ${r}`), ...networkAccess.allowHostPorts.map((p) => `host port ${p}`)];
    process.stderr.write(`codex-sandbox exec-server: network only through the filtering proxy: ${rules.join(', ')}\n`);
  }
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void server.close().then(() => process.exit(0));
  };
  // `on`, not `once`: execa's cleanup (signal-exit, registered once an fs helper has been launched) re-raises
  // the signal when it finds itself the only listener left, and the server would die of SIGTERM before
  // closing instead of exiting 0.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await server.closed;
  return 0;
}

function builtInProfile(name: string): PermissionProfile {
  if (!(PROFILE_NAMES as readonly string[]).includes(name)) throw new UsageError(`--default-profile ${name}: expected one of ${PROFILE_NAMES.join(', ')}`);
  return PermissionProfile.named(name as ProfileName);
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Partial<Record<K, number>>);
}

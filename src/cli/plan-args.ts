/**
 * What `run` and `explain` share: their planning flags, turning those flags into a profile choice
 * plus per-command overrides, and the dry-run plan (the LaunchRequest `run` would execute).
 */
import os from 'node:os';
import { posix, win32 } from 'node:path';
import type { Origin } from '../config/index.js';
import { applyOverrides } from '../manager/overrides.js';
import type { ProfileOverrides } from '../manager/overrides.js';
import { getHostFacts } from '../host/facts.js';
import type { EnvPolicy, GitMode, HostFacts, LaunchRequest, ResourceLimits } from '../contracts/index.js';
import { limitsFromFlags } from './limit-flags.js';
import type { Platform } from '../path-uri/index.js';
import { CACHE_TOOL_NAMES, EMPTY_NETWORK_ACCESS, NetworkRuleError, cacheDirs, compileNetworkPolicy, isCacheTool } from '../permissions/index.js';
import type { NetworkAccessPolicy, PermissionProfile } from '../permissions/index.js';
import { Sandbox } from '../sandbox.js';
import type { SandboxOptions } from '../sandbox.js';
import { resolveProfileArg, UsageError } from './profile-arg.js';
import type { ProfileChoice } from './profile-arg.js';
import type { PlanFlags } from './plan-options.js';

export type { PlanFlags } from './plan-options.js';

function absolutize(p: string, cwd: string, platform: Platform): string {
  return platform === 'win32' ? win32.resolve(cwd, p) : posix.resolve(cwd, p);
}

/** Flags and configuration, resolved; nothing planned yet. */
export interface PreparedCommand {
  platform: Platform;
  cwd: string;
  choice: ProfileChoice;
  overrides: Required<Pick<ProfileOverrides, 'writableRoots' | 'denyRead'>> & Pick<ProfileOverrides, 'network'>;
  /** undefined: the library default (inherit all, secret-named variables removed). */
  envPolicy: EnvPolicy | undefined;
  envPolicyOrigin: Origin | undefined;
  /** What `:project_roots` means: the cwd plus a Codex profile's workspace roots. */
  projectRoots: string[];
  allowNestedUserns: boolean;
  /** Resource limits from --limit-* (undefined fields: the defaults). */
  limits: ResourceLimits;
  /** --allow-symlinked-root, absolute. */
  allowSymlinkedRoots: string[];
  /** --cache and the profile's `caches`: each tool's directories (also in overrides.writableRoots), by directory. */
  cacheDirs: Map<string, { tool: string; origin: Origin }>;
  git: GitMode | undefined;
  /** The network allow list (the profile's, plus --allow-domain/--deny-domain/--allow-host-port); undefined: none. */
  networkAccess: NetworkAccessPolicy | undefined;
}

/** The profile's allow list plus the flags'; a rule or port that does not parse is a usage error (exit 2). */
function networkAccessOf(flags: PlanFlags, fromProfile: NetworkAccessPolicy | undefined): NetworkAccessPolicy | undefined {
  const allow = flags.allowDomain ?? [];
  const deny = flags.denyDomain ?? [];
  const ports = (flags.allowHostPort ?? []).map((p) => {
    if (!/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535) throw new UsageError(`--allow-host-port ${p}: expected a port number from 1 to 65535`);
    return Number(p);
  });
  if (fromProfile === undefined && !allow.length && !deny.length && !ports.length) return undefined;
  const base = fromProfile ?? EMPTY_NETWORK_ACCESS;
  const policy: NetworkAccessPolicy = { ...base, allow: [...base.allow, ...allow], deny: [...base.deny, ...deny], allowHostPorts: [...base.allowHostPorts, ...ports] };
  try {
    compileNetworkPolicy(policy);
  } catch (e) {
    if (e instanceof NetworkRuleError) throw new UsageError(`${e.message}; expected example.com, *.example.com, an IP or CIDR (10.0.0.0/8), or *, each with an optional :port`);
    throw e;
  }
  return policy;
}

export function prepareCommand(flags: PlanFlags, env: Record<string, string | undefined>): PreparedCommand {
  const platform = flags.platform ?? (process.platform as Platform);
  const cwd = flags.cwd !== undefined ? absolutize(flags.cwd, process.cwd(), platform) : process.cwd();
  const choice = resolveProfileArg(flags.profile, { cwd, env, platform, trustProjectConfig: flags.trustProjectConfig === true });
  const cacheDirs = cacheDirsOf(
    [
      ...(flags.cache ?? []).map((tool) => ({ tool, origin: { kind: 'flag', flag: `--cache ${tool}` } as Origin })),
      ...(choice.caches?.tools ?? []).map((tool) => ({ tool, origin: choice.caches?.origin as Origin })),
    ],
    env,
    platform,
  );
  const overrides = {
    writableRoots: [...flags.writableRoot.map((p) => absolutize(p, cwd, platform)), ...[...cacheDirs.keys()].filter((d) => !flags.writableRoot.includes(d))],
    network: flags.network === undefined ? undefined : flags.network ? ('enabled' as const) : ('restricted' as const),
    denyRead: flags.denyRead.map((p) => absolutize(p, cwd, platform)),
  };
  let envPolicy = choice.envPolicy;
  let envPolicyOrigin = choice.origin.envPolicy;
  if (flags.envInherit !== undefined) {
    envPolicy = { ...(envPolicy ?? {}), inherit: flags.envInherit };
    envPolicyOrigin = { kind: 'flag', flag: `--env-inherit ${flags.envInherit}` };
  }
  const projectRoots = [cwd, ...(choice.workspaceRoots ?? []).map((r) => absolutize(r, cwd, platform))];
  // The caller's flags win over the profile's `[limits]` (which, from an untrusted project file, may only lower them).
  const limits = { ...(choice.limits ?? {}), ...limitsFromFlags(flags) };
  // Absolute against the process's cwd (not --cwd): the link may be part of --cwd itself.
  const allowSymlinkedRoots = (flags.allowSymlinkedRoot ?? []).map((p) => absolutize(p, process.cwd(), platform));
  const flagRules = (flags.allowDomain?.length ?? 0) + (flags.denyDomain?.length ?? 0) + (flags.allowHostPort?.length ?? 0) > 0;
  if (flags.network === false && flagRules) throw new UsageError('--no-network and an allow list (--allow-domain/--deny-domain/--allow-host-port) conflict; give only one');
  // --no-network: no network at all, whatever allow list the profile has.
  const networkAccess = flags.network === false ? undefined : networkAccessOf(flags, choice.networkAccess);
  if (networkAccess !== undefined && flags.network === true) throw new UsageError('--network (unfiltered) and an allow list (--allow-domain/--deny-domain/--allow-host-port or the profile\'s) conflict; give only one');
  return { platform, cwd, choice, overrides, envPolicy, envPolicyOrigin, projectRoots, limits, allowNestedUserns: flags.allowNestedUserns === true || choice.allowNestedUserns === true, allowSymlinkedRoots, networkAccess, cacheDirs, git: flags.git ?? choice.git };
}

/** Cache tools (--cache, then the profile's `caches`) → their directories under $HOME (usage error for an unknown tool). */
function cacheDirsOf(tools: ReadonlyArray<{ tool: string; origin: Origin }>, env: Record<string, string | undefined>, platform: Platform): Map<string, { tool: string; origin: Origin }> {
  const out = new Map<string, { tool: string; origin: Origin }>();
  if (!tools.length) return out;
  const home = env['HOME'] !== undefined && env['HOME'] !== '' ? env['HOME'] : os.homedir();
  const join = platform === 'win32' ? win32.join : posix.join;
  for (const { tool, origin } of tools) {
    if (!isCacheTool(tool)) throw new UsageError(`--cache ${tool}: unknown cache; known caches are ${CACHE_TOOL_NAMES.join(', ')} (give any other directory with --writable-root)`);
    for (const d of cacheDirs([tool], home, join)) if (!out.has(d)) out.set(d, { tool, origin });
  }
  return out;
}

/** The profile after the per-command flags, with an origin for each filesystem entry (parallel arrays). */
export interface EffectiveProfile {
  profile: PermissionProfile;
  entryOrigins: Origin[];
  networkOrigin: Origin;
}

/** What explain shows: applyOverrides says where each entry came from; this names it for a human. */
export function effectiveProfile(prep: PreparedCommand): EffectiveProfile {
  const { choice, overrides } = prep;
  const { profile, entrySources } = applyOverrides(choice.profile, overrides, prep.platform);
  // A profile's origin lists one entry per filesystem entry; when it does not, each is "defined at".
  const fromProfile = entrySources.filter((s) => s.from === 'profile').length;
  const parallel = choice.origin.entries.length === fromProfile;
  const entryOrigins = entrySources.map((s): Origin => {
    switch (s.from) {
      case 'profile':
        return (parallel ? choice.origin.entries[s.index] : undefined) ?? choice.origin.defined;
      case 'unrestricted-profile':
        return choice.origin.defined;
      case 'writable-root': {
        return prep.cacheDirs.get(s.path)?.origin ?? { kind: 'flag', flag: `--writable-root ${s.path}` };
      }
      case 'deny-read':
        return { kind: 'flag', flag: `--deny-read ${s.path}` };
    }
  });
  const networkOrigin: Origin = overrides.network !== undefined ? { kind: 'flag', flag: overrides.network === 'enabled' ? '--network' : '--no-network' } : choice.origin.network;
  return { profile, entryOrigins, networkOrigin };
}

/** Facts for planning on another OS (`--platform X`): the host's filesystem view, no probes. */
export function factsFor(platform: Platform, host: HostFacts): HostFacts {
  if (platform === host.platform) return host;
  return { platform, arch: host.arch, tmpdir: undefined, home: undefined, fs: host.fs };
}

/** The sandbox options `run`, `--dry-run` and `explain` plan with (`Sandbox.plan`, as the library does). */
export function sandboxOptionsOf(prep: PreparedCommand, env: Record<string, string | undefined>): SandboxOptions {
  return {
    cwd: prep.cwd,
    writableRoots: prep.overrides.writableRoots,
    denyRead: prep.overrides.denyRead,
    ...(prep.overrides.network !== undefined ? { network: prep.overrides.network } : {}),
    projectRoots: prep.projectRoots,
    env,
    ...(prep.envPolicy !== undefined ? { envPolicy: prep.envPolicy } : {}),
    allowNestedUserns: prep.allowNestedUserns,
    limits: prep.limits,
    allowSymlinkedRoots: prep.allowSymlinkedRoots,
    ...(prep.git !== undefined ? { git: prep.git } : {}),
    ...(prep.networkAccess !== undefined ? { networkAccess: prep.networkAccess } : {}),
  };
}

/** A sandbox for planning (and, on this host, running) a command of the CLI; execa is never loaded. */
export function cliSandbox(prep: PreparedCommand, env: Record<string, string | undefined>): Sandbox {
  return new Sandbox(factsFor(prep.platform, getHostFacts({ env, cwd: prep.cwd })), env);
}

/** The LaunchRequest `run` would execute for this command (pure planning; nothing runs). */
export function planCommand(sandbox: Sandbox, command: readonly string[], prep: PreparedCommand, env: Record<string, string | undefined>, proxySocket?: SandboxOptions['networkProxySocket']): LaunchRequest {
  return sandbox.plan(command, prep.choice.profile, { ...sandboxOptionsOf(prep, env), ...(proxySocket !== undefined ? { networkProxySocket: proxySocket } : {}) });
}

export function checkPlatformFlag(flags: PlanFlags, plannedOnly: boolean, flagName: string): void {
  if (flags.platform !== undefined && flags.platform !== process.platform && !plannedOnly) {
    throw new UsageError(`--platform ${flags.platform} can only be used with ${flagName} on this ${process.platform} host`);
  }
}

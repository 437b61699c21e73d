/**
 * What `run` and `explain` share: their planning flags, turning those flags into a profile choice
 * plus per-command overrides, and the dry-run plan (the LaunchRequest `run` would execute).
 */
import { posix, win32 } from 'node:path';
import type { Origin } from '../config/index.js';
import { applyOverrides } from '../manager/overrides.js';
import type { ProfileOverrides } from '../manager/overrides.js';
import { SandboxManager } from '../manager/transform.js';
import type { EnvPolicy, HostFacts, LaunchRequest, ResourceLimits } from '../contracts/index.js';
import { limitsFromFlags } from './limit-flags.js';
import type { Platform } from '../path-uri/index.js';
import type { PermissionProfile } from '../permissions/index.js';
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
}

export function prepareCommand(flags: PlanFlags, env: Record<string, string | undefined>): PreparedCommand {
  const platform = flags.platform ?? (process.platform as Platform);
  const cwd = flags.cwd !== undefined ? absolutize(flags.cwd, process.cwd(), platform) : process.cwd();
  const choice = resolveProfileArg(flags.profile, { cwd, env, platform, trustProjectConfig: flags.trustProjectConfig === true });
  const overrides = {
    writableRoots: flags.writableRoot.map((p) => absolutize(p, cwd, platform)),
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
  return { platform, cwd, choice, overrides, envPolicy, envPolicyOrigin, projectRoots, limits, allowNestedUserns: flags.allowNestedUserns === true || choice.allowNestedUserns === true, allowSymlinkedRoots };
}

/** The profile after the per-command flags, with an origin for each filesystem entry (parallel arrays). */
export interface EffectiveProfile {
  profile: PermissionProfile;
  entryOrigins: Origin[];
  networkOrigin: Origin;
}

export function effectiveProfile(prep: PreparedCommand): EffectiveProfile {
  const { choice, overrides } = prep;
  const profile = applyOverrides(choice.profile, overrides, prep.platform);
  const flagOrigins: Origin[] = [
    ...overrides.writableRoots.map((p): Origin => ({ kind: 'flag', flag: `--writable-root ${p}` })),
    ...overrides.denyRead.map((p): Origin => ({ kind: 'flag', flag: `--deny-read ${p}` })),
  ];
  const count = profile.type === 'managed' && profile.fileSystem.type === 'restricted' ? profile.fileSystem.entries.length : 0;
  const baseCount = Math.max(0, count - (count > 0 ? flagOrigins.length : 0));
  // applyOverrides appends flag entries after the profile's own; when it had to turn an
  // unrestricted filesystem into `:root` write plus holes, that first entry comes from the profile.
  const base = choice.origin.entries.length === baseCount ? choice.origin.entries : Array.from({ length: baseCount }, () => choice.origin.defined);
  const entryOrigins = count > 0 ? [...base, ...flagOrigins] : [];
  const networkOrigin: Origin = overrides.network !== undefined ? { kind: 'flag', flag: overrides.network === 'enabled' ? '--network' : '--no-network' } : choice.origin.network;
  return { profile, entryOrigins, networkOrigin };
}

/** Facts for planning on another OS (`--platform X`): the host's filesystem view, no probes. */
export function factsFor(platform: Platform, host: HostFacts): HostFacts {
  if (platform === host.platform) return host;
  return { platform, arch: host.arch, tmpdir: undefined, home: undefined, fs: host.fs };
}

/** The LaunchRequest `run` would execute for this command (pure planning; nothing runs). */
export function planCommand(command: readonly string[], prep: PreparedCommand, effective: EffectiveProfile, facts: HostFacts, env: Record<string, string | undefined>): LaunchRequest {
  return SandboxManager.transform({
    command,
    cwd: prep.cwd,
    profile: effective.profile,
    projectRoots: prep.projectRoots,
    env,
    ...(prep.envPolicy !== undefined ? { envPolicy: prep.envPolicy } : {}),
    facts,
    allowNestedUserns: prep.allowNestedUserns,
    limits: prep.limits,
    allowSymlinkedRoots: prep.allowSymlinkedRoots,
  });
}

export function checkPlatformFlag(flags: PlanFlags, plannedOnly: boolean, flagName: string): void {
  if (flags.platform !== undefined && flags.platform !== process.platform && !plannedOnly) {
    throw new UsageError(`--platform ${flags.platform} can only be used with ${flagName} on this ${process.platform} host`);
  }
}

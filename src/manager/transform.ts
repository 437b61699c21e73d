/**
 * SandboxManager.transform: command + cwd + profile + host facts → LaunchRequest. Pure: the only
 * view of the host is `facts` (its FsInspector included). Cwd URIs are converted here, once.
 */
import { posix, win32 } from 'node:path';
import { applyEnvPolicy } from '../env/index.js';
import { PathUri, PathUriError } from '../path-uri/index.js';
import type { Platform } from '../path-uri/index.js';
import { ResolveError, applyAdditionalPermissions, resolvePermissions } from '../permissions/index.js';
import type { ResolvedPermissions } from '../permissions/resolved.js';
import type { AdditionalPermissionProfile, PermissionProfile } from '../permissions/types.js';
import { planDarwin } from '../platforms/darwin/plan.js';
import { planLinux } from '../platforms/linux/plan.js';
import { planWindows } from '../platforms/win32/plan.js';
import { bytesToPathString } from '../util/surrogate-escape.js';
import { PlanError } from '../contracts/index.js';
import { memoizeFsInspector } from './fs-memo.js';
import { resolveLimits } from '../contracts/index.js';
import type { ArgvItem, EnvPolicy, GitMode, HostFacts, LaunchRequest, NetworkProxyRoute, PlanInput, Planner, ResourceLimits } from '../contracts/index.js';

export interface TransformRequest {
  /** argv; command[0] is the program (looked up on the sandbox's PATH). */
  command: readonly ArgvItem[];
  /** Working directory: a PathUri (converted once, here) or a native absolute path. */
  cwd: PathUri | string | Buffer;
  profile: PermissionProfile;
  additionalPermissions?: AdditionalPermissionProfile;
  /** Roots that `:project_roots` means (default: the cwd). */
  projectRoots?: ReadonlyArray<PathUri | string>;
  /** The caller's environment, before the env policy. */
  env: Readonly<Record<string, string | undefined>>;
  /** Default: inherit all, with the default secret excludes. */
  envPolicy?: EnvPolicy;
  facts: HostFacts;
  /** Let the command create nested user namespaces (default false). */
  allowNestedUserns?: boolean;
  /** Resource limits (default: DEFAULT_PIDS_LIMIT processes, no memory or CPU limit). */
  limits?: ResourceLimits;
  /** Symlinks in the path of a writable root or the cwd that the caller made and accepts (`--allow-symlinked-root`). */
  allowSymlinkedRoots?: readonly string[];
  /** How an existing `.git` under a writable root is protected (default `commit`). */
  git?: GitMode;
  /** Route the network through the filtering proxy (an allow list): the profile's network becomes proxy-only. */
  networkProxy?: NetworkProxyRoute;
  /** Internal (sandbox.session): plan the session supervisor (PlanInput.sessionSupervisor). */
  sessionSupervisor?: boolean;
}

/** codex-sandbox's default: inherit everything except names that look like secrets (Codex keeps them). */
export const DEFAULT_ENV_POLICY: EnvPolicy = { inherit: 'all', ignoreDefaultExcludes: false };

const PLANNERS: Record<Platform, Planner> = { linux: planLinux, darwin: planDarwin, win32: planWindows };

/** Converts a cwd or project root to a native absolute path string for the target platform. */
export function nativePathFor(value: PathUri | string | Buffer, platform: Platform, what: string): string {
  if (PathUri.isPathUri(value)) {
    let native: string | Buffer;
    try {
      native = value.toAbsPath({ platform });
    } catch (e) {
      const why = e instanceof PathUriError ? e.message : String(e);
      throw new PlanError('InvalidCwd', `${what} URI \`${value.toString()}\` is not valid on this host (${platform}): ${why}`);
    }
    return typeof native === 'string' ? native : bytesToPathString(native);
  }
  const text = typeof value === 'string' ? value : bytesToPathString(value);
  const abs = platform === 'win32' ? win32.isAbsolute(text) && /^([A-Za-z]:|\\\\)/.test(text) : posix.isAbsolute(text);
  if (!abs) throw new PlanError('InvalidCwd', `${what} ${JSON.stringify(text)} is not an absolute ${platform} path`);
  return platform === 'win32' ? win32.normalize(text) : posix.normalize(text);
}

/** Whether a resolved profile needs the platform sandbox at all (Codex's `Auto` preference: codex-rs/sandboxing/src/manager.rs `should_require_platform_sandbox`). */
export function needsPlatformSandbox(p: ResolvedPermissions): boolean {
  if (p.enforcement === 'disabled') return false;
  if (p.network === 'restricted') return true;
  return p.fileSystem.kind === 'restricted' && !p.fileSystem.fullDiskWrite;
}

export const SandboxManager = {
  transform(req: TransformRequest): LaunchRequest {
    const facts: HostFacts = { ...req.facts, fs: memoizeFsInspector(req.facts.fs) };
    const platform = facts.platform;
    // A string would be read as an array of its characters ('ls' → 'l' 's'): JavaScript callers
    // coming from execa('ls') or spawn('ls') make this mistake.
    if (!Array.isArray(req.command)) {
      throw new TypeError(`the command must be an argv array such as ['npm', 'test'], not ${typeof req.command === 'string' ? `the string ${JSON.stringify(req.command)}` : typeof req.command}`);
    }
    if (!req.command.length) throw new PlanError('EmptyCommand', 'no command to run');
    const cwd = nativePathFor(req.cwd, platform, 'command cwd');
    const limits = resolveLimits(req.limits);
    const projectRoots = (req.projectRoots ?? [cwd]).map((r) => nativePathFor(r, platform, 'project root'));
    const profile = req.additionalPermissions ? applyAdditionalPermissions(req.profile, req.additionalPermissions) : req.profile;
    let permissions: ResolvedPermissions;
    try {
      permissions = resolvePermissions(profile, { cwd, projectRoots, platform, tmpdir: facts.tmpdir, fs: facts.fs, home: facts.home });
    } catch (e) {
      if (e instanceof ResolveError) throw new PlanError('ResolveFailed', e.message);
      throw e;
    }
    const proxy = req.networkProxy;
    if (proxy) {
      if (permissions.enforcement === 'disabled') {
        throw new PlanError('ProxyUnsupported', 'a network allow list cannot be enforced without a sandbox (this profile disables it); use a sandboxed profile such as workspace-write');
      }
      if (platform === 'win32') {
        throw new PlanError('ProxyUnsupported', 'network allow lists are not enforced on Windows (the restricted-token sandbox cannot limit a process to one loopback port); run without --allow-domain (network off), or with network enabled (unfiltered)');
      }
      // The command's only way out is the proxy: its own network namespace, whatever the profile said.
      permissions = { ...permissions, network: 'restricted' };
    }
    const env = applyEnvPolicy(req.env, { ...DEFAULT_ENV_POLICY, ...req.envPolicy }, platform);
    // Tools inside read this to know they have no network (Codex sets it even when unsandboxed).
    if (permissions.network === 'restricted' && !proxy) env.CODEX_SANDBOX_NETWORK_DISABLED = '1';

    if (!needsPlatformSandbox(permissions)) {
      const [program, ...argv] = req.command as [ArgvItem, ...ArgvItem[]];
      return {
        kind: 'none',
        program,
        argv,
        env,
        cwd,
        native: { platform: 'none' },
        permissions,
        enforcement: ['nothing is enforced: this profile runs the command directly, without a sandbox (no resource limits either)'],
      };
    }
    const allowSymlinkedRoots = req.allowSymlinkedRoots?.map((p) => nativePathFor(p, platform, 'allowed symlink'));
    const input: PlanInput = {
      command: [...req.command],
      cwd,
      permissions,
      env,
      facts,
      limits,
      allowNestedUserns: req.allowNestedUserns === true,
      allowSymlinkedRoots,
      git: req.git ?? 'commit',
      ...(proxy ? { networkProxy: proxy } : {}),
      ...(req.sessionSupervisor === true ? { sessionSupervisor: true } : {}),
    };
    return PLANNERS[platform](input);
  },
};

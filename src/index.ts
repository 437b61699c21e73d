/**
 * codex-sandbox: the public library surface — create a sandbox, plan or spawn a command under a
 * profile, and the types of what those return. The permission model's advanced helpers (wire
 * parse/serialise, legacy SandboxPolicy conversion, overlays, resolution) are in
 * `codex-sandbox/permissions` (src/permissions/public.ts), configuration files in `codex-sandbox/config`
 * (src/config/public.ts); everything else is internal.
 */
export { VERSION } from './version.js';

export { Sandbox, SandboxSession, SessionCommandError, SessionPool } from './sandbox.js';
// createSandbox({ environment }) runs on an exec-server, so it lives above sandbox.ts (exec-server/client/create-sandbox.ts).
export { createSandbox } from './exec-server/client/index.js';
export type {
  CreateSandboxOptions,
  ExecaLaunch,
  InheritedSandboxProcess,
  NamedProfile,
  PooledSpawnOptions,
  ProfileInput,
  SandboxOptions,
  SandboxProcessExtras,
  SandboxSubprocess,
  SessionOptions,
  SessionPoolOptions,
  SessionResult,
  SessionSpawnOptions,
  SessionSubprocess,
  SpawnOptions,
} from './sandbox.js';
export type { CommandChannel } from './session/command.js';
export type { SessionDefaults, SupervisorProcess } from './session/session.js';
export type { LaunchOptions } from './launch/options.js';
export type { ProxyDenial, ProxyProtocol, ProxySession } from './launch/proxy/session.js';
export type { NetworkAccessPolicy } from './permissions/index.js';
export { NetworkRuleError } from './permissions/index.js';
export { createExecServer } from './exec-server/index.js';
export { cleanupWindowsSandboxState } from './launch/windows-cleanup.js';
export type { WindowsCleanupReport } from './launch/windows-cleanup.js';
export type { ExecServer, ExecServerOptions } from './exec-server/index.js';
export {
  connectExecServer,
  connectEnvironment,
  ExecServerClient,
  ExecServerDisconnectedError,
  ExecServerRequestError,
  ExecServerTimeoutError,
  loadEnvironmentsFor,
  openEnvironment,
  RemoteProcess,
  RemoteSandbox,
  RemoteSubprocess,
} from './exec-server/client/index.js';
export type {
  ConnectExecServerOptions,
  CreateRemoteSandboxOptions,
  EnvironmentInfo,
  EnvironmentLookup,
  ExecEnvPolicy,
  ExecParams,
  ExecServerTarget,
  FsMetadata,
  FsMethods,
  FsPathParams,
  FsWalkOptions,
  ReadResult,
  ProcessCalls,
  ProcessEvent,
  RemoteProcessResult,
  RemoteRunResult,
  RemoteSpawnOptions,
  StartResult,
  WriteStatus,
} from './exec-server/client/index.js';
export type { EnvironmentSpec, EnvironmentTransport, LoadedEnvironments } from './config/index.js';

export { PlanError } from './contracts/index.js';
export { SandboxError, SandboxSetupError } from './errors.js';
export type { PathUriErrorCode, PlanErrorCode, SandboxErrorCode, WindowsLaunchErrorCode } from './errors.js';
export type {
  ArgvItem,
  BwrapInfo,
  BwrapSource,
  CgroupParent,
  CgroupPlan,
  DarwinFacts,
  DarwinNativePlan,
  EnvPolicy,
  GitMode,
  GitProtection,
  HostFacts,
  LaunchBase,
  LaunchKind,
  LaunchRequest,
  LimitFacts,
  LimitHit,
  LimitMechanism,
  LimitPlan,
  LimitPlanEntry,
  LinuxBwrapLaunch,
  LinuxFacts,
  LinuxNativePlan,
  PlaceholderSources,
  ProcMaskPaths,
  LinuxSeccompLaunch,
  MacosSeatbeltLaunch,
  NetworkRefusal,
  NoneNativePlan,
  Refusal,
  ResourceLimits,
  UnsandboxedLaunch,
  WindowsDenyWritePath,
  WindowsFacts,
  WindowsNativePlan,
  WindowsTokenLaunch,
  WindowsTokenPlan,
  WindowsWritableRoot,
  WriteRefusal,
} from './contracts/index.js';

export { PathUri, PathUriError } from './path-uri/index.js';
export type { PathConvention, Platform } from './path-uri/index.js';

export { PermissionProfile, PROFILE_NAMES, ProfileError } from './permissions/index.js';
export type { AdditionalPermissionProfile, CacheTool, ProfileName, WorkspaceWriteOptions } from './permissions/index.js';

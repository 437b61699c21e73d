/** codex-sandbox: the public library surface. */
export { VERSION } from './version.js';

export { createSandbox, Sandbox } from './sandbox.js';
export { createExecServer } from './exec-server/index.js';
export type { ExecServer, ExecServerOptions } from './exec-server/index.js';
export type { CreateSandboxOptions, NamedProfile, ProfileInput, SandboxSubprocess, SpawnOptions } from './sandbox.js';

export { SandboxManager, DEFAULT_ENV_POLICY } from './manager/transform.js';
export type { TransformRequest } from './manager/transform.js';
export { PlanError } from './contracts/index.js';
export { SandboxError, SandboxSetupError } from './errors.js';
export type { PathUriErrorCode, PlanErrorCode, SandboxErrorCode, WindowsLaunchErrorCode } from './errors.js';
export type {
  ArgvItem,
  BwrapInfo,
  DarwinNativePlan,
  EnvPolicy,
  HostFacts,
  LaunchKind,
  LaunchRequest,
  LinuxFacts,
  LinuxNativePlan,
  NoneNativePlan,
  PlanInput,
  Planner,
  WindowsNativePlan,
} from './contracts/index.js';

export { PathUri, PathUriError, BAD_PATH_URI_PREFIX } from './path-uri/index.js';
export type { PathConvention, Platform } from './path-uri/index.js';

export * from './permissions/index.js';

export { getHostFacts } from './host/facts.js';
export { loadConfig, resolveProfileName, resolveDefaultProfile, listProfiles, ConfigError, ProjectBoundError, UnknownProfileError } from './config/index.js';

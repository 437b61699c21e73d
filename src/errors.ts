/**
 * Errors as data: every error the library throws on purpose is a `SandboxError` whose `code` is one
 * of a closed set, so a caller (and the CLI) tells them apart with `instanceof` or `code`, never by
 * matching a name or a message. This module imports nothing, so every layer can use it.
 */

/** A plan that cannot be made as asked (the sandbox would be weaker than the profile); PlanError. */
export type PlanErrorCode =
  | 'BadGlob'
  | 'EmptyCommand'
  | 'ExternalFilesystem'
  | 'GlobTooBroad'
  | 'GlobTooDeep'
  | 'InvalidCwd'
  | 'InvalidLimit'
  | 'InvalidPath'
  | 'NoBwrap'
  | 'NoLinuxFacts'
  | 'ProxyUnsupported'
  | 'RelativePath'
  | 'ResolveFailed'
  | 'RootChanged'
  | 'SymlinkedRoot'
  | 'UnboundedGlob'
  | 'WindowsArgvNotRepresentable'
  | 'WindowsCwdTooLong'
  | 'WindowsEnvNotRepresentable'
  | 'WindowsDenyRead'
  | 'WindowsFullDiskWrite'
  | 'WindowsPathNotRepresentable'
  | 'WindowsReopenedWritableRoot'
  | 'WindowsRestrictedReads'
  | 'WindowsRootThroughPlantedLink'
  | 'WindowsUnsupportedProfile'
  | 'WritableSymlink'
  /** A writable root inside codex-sandbox's own installation (build/, dist/, node_modules/, ...). */
  | 'WritableRootInPackage'
  | 'Wsl1'
  // Windows: the program to run (resolved by the planner) and its command line.
  | 'ProgramNotFound'
  | 'ProgramIsBatchFile'
  /** An argument (or the script path) a .bat/.cmd program cannot be given safely through cmd.exe (usage error). */
  | 'BatchArgumentUnsafe'
  | 'CommandLineTooLong';

/** A path or file URI that cannot be used; PathUriError. */
export type PathUriErrorCode =
  | 'InvalidUri'
  | 'UnsupportedScheme'
  | 'InvalidFileUriPath'
  | 'CredentialsNotAllowed'
  | 'PortNotAllowed'
  | 'QueryNotAllowed'
  | 'FragmentNotAllowed'
  | 'NotAbsolute'
  | 'NotNative'
  | 'JoinError';

/** The Windows launch could not be prepared; WindowsLaunchError. */
export type WindowsLaunchErrorCode = 'E2BIG' | 'EARGV' | 'EBATCH' | 'ENATIVE' | 'ENOENT' | 'EPLAN' | 'EPLATFORM';

/** Every code a SandboxError can carry. */
export type SandboxErrorCode =
  | PlanErrorCode
  | PathUriErrorCode
  | WindowsLaunchErrorCode
  /** NetworkRuleError: a network allow/deny rule that does not parse. */
  | 'InvalidNetworkRule'
  /** ProfileError: a permission profile that does not parse. */
  | 'InvalidProfile'
  /** LegacyConversionError: a profile the legacy SandboxPolicy cannot express. */
  | 'NotLegacyExpressible'
  /** ResolveError: a profile that cannot be resolved here without widening it. */
  | 'Unresolvable'
  /** ConfigError: a configuration file that cannot be used. */
  | 'InvalidConfig'
  /** ProjectBoundError: a project-level profile that would grant more than workspace-write. */
  | 'ProjectConfigBound'
  /** UnknownProfileError: a --profile that names nothing known. */
  | 'UnknownProfile'
  /** GlobPatternError: a glob that cannot be compiled. */
  | 'InvalidGlob'
  /** GlobExpansionError: a glob that cannot be expanded without scanning too much. */
  | 'GlobNotExpandable'
  /** UsageError: a CLI usage mistake. */
  | 'Usage'
  /** BundledBwrapError: the bundled bubblewrap cannot be used. */
  | 'BundledBwrap'
  /** BwrapProbeError: a bubblewrap binary could not be run or is not bubblewrap. */
  | 'BwrapProbe'
  /** LimitSetupError: the sandbox's cgroup could not be created or set. */
  | 'LimitSetup'
  /** SandboxSetupError: the launcher reported that the sandbox could not be set up (nothing ran). */
  | 'SetupFailed';

export class SandboxError extends Error {
  constructor(
    readonly code: SandboxErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'SandboxError';
  }
}

/**
 * The launcher reported that the sandbox could not be set up, so the command never started (exit
 * 125 from the launcher, but distinct from a command that itself exits 125). `step` is what failed
 * (e.g. `--pin: opening the writable root`, `bubblewrap`), `path` the file it concerned (or ''),
 * `errno` the system error number (0 when the failure was not a system call's).
 */
export class SandboxSetupError extends SandboxError {
  declare readonly code: 'SetupFailed';

  constructor(
    readonly step: string,
    readonly path: string,
    readonly errno: number,
    /** The launcher's description, e.g. `chdir /x: No such file or directory`. */
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super('SetupFailed', `could not set up the sandbox: ${detail}`, options);
    this.name = 'SandboxSetupError';
  }
}

/** A problem with what the user typed or configured (a flag, a file): the CLI prints it and exits 2. */
export class UsageError extends SandboxError {
  constructor(message: string, options?: ErrorOptions) {
    super('Usage', message, options);
    this.name = 'UsageError';
  }
}

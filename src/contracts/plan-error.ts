/**
 * Why a plan could not be made, one code each. Closed: a caller may switch on `code`, and a new
 * refusal gets a new code here.
 */
export type PlanErrorCode =
  // The request itself (usage errors and what the caller passed).
  | 'EmptyCommand'
  | 'InvalidCwd'
  | 'InvalidLimit'
  | 'InvalidPath'
  | 'RelativePath'
  | 'ResolveFailed'
  // The host cannot run the sandbox.
  | 'NoLinuxFacts'
  | 'NoBwrap'
  | 'Wsl1'
  // The filesystem would let the sandbox escape the plan (fail closed).
  | 'WritableSymlink'
  | 'SymlinkedRoot'
  | 'RootChanged'
  | 'UnboundedGlob'
  | 'BadGlob'
  | 'GlobTooBroad'
  | 'GlobTooDeep'
  // macOS.
  | 'ExternalFilesystem'
  // Windows.
  | 'WindowsUnsupportedProfile'
  | 'WindowsFullDiskWrite'
  | 'WindowsRestrictedReads'
  | 'WindowsDenyRead'
  | 'WindowsReopenedWritableRoot'
  | 'WindowsRootThroughPlantedLink'
  | 'WindowsPathNotRepresentable'
  | 'WindowsArgvNotRepresentable'
  | 'WindowsCwdTooLong'
  | 'WindowsEnvNotRepresentable'
  | 'ProgramNotFound'
  | 'ProgramIsBatchFile'
  | 'CommandLineTooLong';

/** The sandbox could not be set up as the profile asks (CLI exit code 125). Never falls back to unsandboxed. */
export class PlanError extends Error {
  constructor(
    readonly code: PlanErrorCode,
    message: string,
    /** The request itself is wrong (a usage error: CLI exit 2), not the host. */
    readonly usage = false,
  ) {
    super(message);
    this.name = 'PlanError';
  }
}

/** The sandbox could not be set up as the profile asks (CLI exit code 125). Never falls back to unsandboxed. */
export class PlanError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The request itself is wrong (a usage error: CLI exit 2), not the host. */
    readonly usage = false,
  ) {
    super(message);
    this.name = 'PlanError';
  }
}

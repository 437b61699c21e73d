/**
 * Why a plan could not be made: PlanError, with one code per refusal (the closed union lives in
 * src/errors.ts with every other SandboxError code; a new refusal gets a new code there).
 */
import { SandboxError } from '../errors.js';
import type { PlanErrorCode } from '../errors.js';

export type { PlanErrorCode } from '../errors.js';

/** The sandbox could not be set up as the profile asks (CLI exit code 125). Never falls back to unsandboxed. */
export class PlanError extends SandboxError {
  declare readonly code: PlanErrorCode;

  constructor(
    code: PlanErrorCode,
    message: string,
    /** The request itself is wrong (a usage error: CLI exit 2), not the host. */
    readonly usage = false,
  ) {
    super(code, message);
    this.name = 'PlanError';
  }
}

/** Typed errors for PathUri (after Codex `PathUriParseError`). Every message names the offending text. */

import { SandboxError } from '../errors.js';
import type { PathUriErrorCode } from '../errors.js';

export type { PathUriErrorCode };

export class PathUriError extends SandboxError {
  declare readonly code: PathUriErrorCode;

  constructor(code: PathUriErrorCode, message: string) {
    super(code, message);
    this.name = 'PathUriError';
  }
}

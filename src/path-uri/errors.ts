/** Typed errors for PathUri (after Codex `PathUriParseError`). Every message names the offending text. */

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

export class PathUriError extends Error {
  constructor(
    readonly code: PathUriErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PathUriError';
  }
}

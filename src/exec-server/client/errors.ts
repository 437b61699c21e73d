/** Errors the exec-server client raises; each names the server (URL or stdio program) involved. */

/**
 * The server answered a request with a JSON-RPC error (`code` is Codex's: -32600, -32602, …).
 * `message` names the method (and context); `serverMessage` is the error's text exactly as the server sent it.
 */
export class ExecServerRequestError extends Error {
  override readonly name = 'ExecServerRequestError';
  readonly serverMessage: string;
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
    readonly data?: unknown,
    serverMessage?: string,
  ) {
    super(message);
    this.serverMessage = serverMessage ?? message;
  }
}

/** The connection is gone and the session could not be resumed: every call and process of this client fails with it. */
export class ExecServerDisconnectedError extends Error {
  override readonly name = 'ExecServerDisconnectedError';
}

/** A request got no answer in time (initialize, or a per-call timeout). */
export class ExecServerTimeoutError extends Error {
  override readonly name = 'ExecServerTimeoutError';
}

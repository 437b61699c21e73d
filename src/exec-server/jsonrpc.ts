/**
 * Codex's JSON-RPC dialect (exec-server-protocol/src/rpc.rs): no `"jsonrpc":"2.0"` member is
 * written and an incoming one is ignored; ids are integers or strings, echoed verbatim.
 */

export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;
export const NOT_FOUND = -32004;
export const SESSION_ALREADY_ATTACHED = -32010;

export type RequestId = number | string;

/** An error answered to one request: `{"id":…,"error":{"code","message","data"?}}`. */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export const invalidRequest = (message: string): RpcError => new RpcError(INVALID_REQUEST, message);
export const invalidParams = (message: string): RpcError => new RpcError(INVALID_PARAMS, message);
export const internalError = (message: string, data?: unknown): RpcError => new RpcError(INTERNAL_ERROR, message, data);

export type IncomingMessage =
  | { kind: 'request'; id: RequestId; method: string; params: unknown }
  | { kind: 'notification'; method: string; params: unknown }
  | { kind: 'response'; id: RequestId }
  | { kind: 'malformed'; reason: string };

function isId(v: unknown): v is RequestId {
  return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'string';
}

/** Classifies a decoded message as Codex does: method+id → request, method → notification, result/error → response. */
export function classify(value: unknown): IncomingMessage {
  const untagged = 'data did not match any variant of untagged enum JSONRPCMessage';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'malformed', reason: 'expected a JSON-RPC object' };
  const obj = value as Record<string, unknown>;
  if (typeof obj.method === 'string') {
    if ('id' in obj) {
      if (!isId(obj.id)) return { kind: 'malformed', reason: 'data did not match any variant of untagged enum RequestId' };
      return { kind: 'request', id: obj.id, method: obj.method, params: obj.params };
    }
    return { kind: 'notification', method: obj.method, params: obj.params };
  }
  if (('result' in obj || 'error' in obj) && isId(obj.id)) return { kind: 'response', id: obj.id };
  return { kind: 'malformed', reason: untagged };
}

export function resultMessage(id: RequestId, result: unknown): object {
  return { id, result };
}

export function errorMessage(id: RequestId, err: RpcError): object {
  const error: { code: number; message: string; data?: unknown } = { code: err.code, message: err.message };
  if (err.data !== undefined) error.data = err.data;
  return { id, error };
}

export function notificationMessage(method: string, params: unknown): object {
  return { method, params };
}

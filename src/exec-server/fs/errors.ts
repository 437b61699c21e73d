/**
 * Filesystem failures with Codex's codes and texts (exec-server server/file_system_handler.rs
 * `map_fs_error`): NotFound → -32004, InvalidInput or PermissionDenied → -32600, anything else
 * (EROFS included) → -32603; an OS error's message is Rust's `io::Error` text, e.g.
 * `No such file or directory (os error 2)`.
 */
import { getSystemErrorMap } from 'node:util';

export const FS_NOT_FOUND = -32004;
export const FS_INVALID = -32600;
export const FS_INTERNAL = -32603;

/** A filesystem failure as it goes on the wire (and through the sandboxed helper's stdout). */
export class FsFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export const invalidInput = (message: string): FsFailure => new FsFailure(FS_INVALID, message);
export const notFound = (message: string): FsFailure => new FsFailure(FS_NOT_FOUND, message);
export const fsInternal = (message: string): FsFailure => new FsFailure(FS_INTERNAL, message);

const NOT_FOUND_CODES = new Set(['ENOENT']);
// Rust's ErrorKind::PermissionDenied is EACCES and EPERM; InvalidInput is EINVAL.
const INVALID_CODES = new Set(['EACCES', 'EPERM', 'EINVAL']);

let errnoMap: Map<number, [string, string]> | undefined;

/** strerror-like text for a libuv error (`no such file or directory` → `No such file or directory`). */
function osText(errno: number): string {
  errnoMap ??= getSystemErrorMap();
  const text = errnoMap.get(errno)?.[1] ?? `Unknown error ${-errno}`;
  return `${text.charAt(0).toUpperCase()}${text.slice(1)} (os error ${-errno})`;
}

/** Any thrown value → FsFailure (OS errors by errno class, others -32603 with their message). */
export function toFsFailure(e: unknown): FsFailure {
  if (e instanceof FsFailure) return e;
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.errno === 'number' && typeof err.code === 'string') {
    const message = osText(err.errno);
    if (NOT_FOUND_CODES.has(err.code)) return notFound(message);
    if (INVALID_CODES.has(err.code)) return invalidInput(message);
    return fsInternal(message);
  }
  return fsInternal(e instanceof Error ? e.message : String(e));
}

/** An OS error for an errno name (`ENOENT`) raised by our own checks, with the OS text. */
export function osError(code: 'ENOENT' | 'ENOTDIR' | 'ELOOP' | 'EISDIR' | 'EEXIST'): FsFailure {
  errnoMap ??= getSystemErrorMap();
  for (const [errno, [name]] of errnoMap) if (name === code) return toFsFailure(Object.assign(new Error(code), { errno, code }));
  return fsInternal(code);
}

/**
 * The fs helper's wire: JSON lines on its stdin/stdout, one request per line, answered in any order
 * by id (Codex fs_helper.rs sends one `{operation, params}` per helper process; this helper serves a
 * session's requests for one sandbox until its stdin closes, so one launch is paid once).
 */
import type { FsRequest } from './requests.js';

export interface HelperRequest {
  id: number;
  request: FsRequest;
}

export type HelperResponse =
  | { id: number; status: 'ok'; payload: { operation: string; response: object } }
  | { id: number; status: 'error'; payload: { code: number; message: string } };

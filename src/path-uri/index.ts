/**
 * PathUri: lossless `file:` URIs for absolute paths (Codex's `PathUri`, codex-rs/utils/path-uri/src/lib.rs).
 * Public surface; the implementation lives in the sibling modules.
 */
export type { Platform, PathConvention } from './convention.js';
export { conventionOf } from './convention.js';
export type { PathUriErrorCode } from './errors.js';
export { PathUriError } from './errors.js';
export { BAD_PATH_URI_PREFIX } from './fallback.js';
export { PathUri } from './path-uri.js';

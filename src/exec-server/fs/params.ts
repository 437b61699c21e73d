/**
 * Decoding of the fs/* params (Codex exec-server-protocol protocol.rs, camelCase, serde rules via
 * Fields) and of their `sandbox` context (FileSystemSandboxContext) with the fs helper's error codes.
 */
import { PathUri } from '../../path-uri/index.js';
import type { Platform } from '../../path-uri/index.js';
import { hasFullDiskWriteAccess } from '../../permissions/index.js';
import type { PermissionProfile } from '../../permissions/index.js';
import { invalidParams, invalidRequest } from '../jsonrpc.js';
import { decodeByteChunk, Fields } from '../params.js';
import { decodeContextProfile, parseNativeUri } from '../start-params.js';
import type { FsRequest, WalkOptions } from './requests.js';
import { MAX_HANDLE_ID_BYTES, MAX_READ_BLOCK_BYTES, MAX_WALK_DEPTH, MAX_WALK_DIRECTORIES, MAX_WALK_ENTRIES } from './requests.js';

const platform = process.platform as Platform;

export interface FsSandbox {
  profile: PermissionProfile;
  projectRoots: PathUri[];
  cwd: PathUri | undefined;
  /** Same key ⇒ same sandbox: requests with equal contexts share one helper. */
  key: string;
}

export interface DecodedFsCall {
  request: FsRequest;
  /** Present only when the context restricts (Codex `should_run_in_sandbox`); else the call runs in-process. */
  sandbox: FsSandbox | undefined;
}

/**
 * A `file:` PathUri native to this host. Not a URI (e.g. a bare `/tmp/x`) → -32602 as serde;
 * a URI of another host (`file://server/share/x` on Linux) → -32600 InvalidInput (Codex
 * direct_file_system_rejects_non_native_uri_as_invalid_input).
 */
function pathField(f: Fields, name: string): string {
  const text = f.string(name);
  parseNativeUri(text, platform, (detail) => invalidRequest(detail));
  return text;
}

function nativeContextUri(text: string, what: string): PathUri {
  // Codex fs_sandbox.rs: a non-native helper cwd or root is -32600, with no fallback to another cwd.
  return parseNativeUri(text, platform, (detail) => invalidRequest(`${what}: ${detail}`));
}

function isCwdDependent(profile: PermissionProfile): boolean {
  if (profile.type !== 'managed' || profile.fileSystem.type !== 'restricted') return false;
  return profile.fileSystem.entries.some(
    (e) => (e.path.type === 'special' && e.path.value.kind === 'project_roots') || (e.path.type === 'glob_pattern' && !e.path.pattern.startsWith('/')),
  );
}

/** Codex `should_run_in_sandbox`: a managed, restricted filesystem without full-disk write. */
function restricts(profile: PermissionProfile): boolean {
  if (profile.type !== 'managed' || profile.fileSystem.type !== 'restricted') return false;
  return !hasFullDiskWriteAccess({ kind: 'restricted', entries: profile.fileSystem.entries }, platform);
}

function decodeSandbox(raw: unknown): FsSandbox | undefined {
  if (raw === undefined) return undefined;
  const { f, permissions, profile } = decodeContextProfile(raw, nativeEntryPaths);
  // danger-full-access / external / unrestricted contexts are accepted and run directly (Codex
  // file_system_handler.rs no_platform_sandbox_policies_do_not_require_configured_sandbox_helper).
  if (!restricts(profile)) return undefined;
  const cwdText = f.optString('cwd');
  const cwd = cwdText === undefined ? undefined : nativeContextUri(cwdText, 'file system sandbox cwd is not native to this exec-server host');
  const rootTexts = f.optStringArray('workspaceRoots') ?? [];
  const projectRoots = rootTexts.map((r) => nativeContextUri(r, 'file system sandbox workspace root is not native to this exec-server host'));
  if (cwd === undefined && isCwdDependent(profile)) throw invalidRequest('file system sandbox context with dynamic permissions requires cwd');
  const key = JSON.stringify([permissions, cwdText ?? null, rootTexts]);
  return { profile, projectRoots, cwd, key };
}

/**
 * Codex's wire carries `path` entries of the embedded profile as PathUri text (`file:///work`); the
 * permission parser takes native paths. Converted here; a URI of another host is refused.
 */
function nativeEntryPaths(permissions: unknown): unknown {
  const fsPerms = (permissions as { file_system?: { entries?: unknown } } | null)?.file_system;
  if (!fsPerms || !Array.isArray(fsPerms.entries)) return permissions;
  const entries = fsPerms.entries.map((e: unknown) => {
    const path = (e as { path?: { type?: unknown; path?: unknown } } | null)?.path;
    if (path?.type !== 'path' || typeof path.path !== 'string' || !path.path.startsWith('file:')) return e;
    let native: string;
    try {
      native = PathUri.parse(path.path).toAbsPathString({ platform });
    } catch (err) {
      throw invalidParams(`invalid sandbox permission path URI: ${err instanceof Error ? err.message : String(err)}`);
    }
    return { ...(e as object), path: { ...path, path: native } };
  });
  return { ...(permissions as object), file_system: { ...fsPerms, entries } };
}

function follow(f: Fields): boolean {
  return f.optBool('followSymlinks') ?? true;
}

function walkOptions(f: Fields): WalkOptions {
  const o = Fields.of(f.rawRequired('options'), 'WalkOptions');
  const maxDepth = o.uint('maxDepth', 'usize');
  const maxDirectories = o.uint('maxDirectories', 'usize');
  const maxEntries = o.uint('maxEntries', 'usize');
  const followDirectorySymlinks = o.bool('followDirectorySymlinks');
  const pruneHiddenDirectories = o.optBool('pruneHiddenDirectories') ?? false;
  if (maxDirectories === 0 || maxEntries === 0) throw invalidRequest('filesystem walk limits must be greater than zero');
  if (maxDepth > MAX_WALK_DEPTH || maxDirectories > MAX_WALK_DIRECTORIES || maxEntries > MAX_WALK_ENTRIES) {
    throw invalidRequest(`filesystem walk limits exceed maximums: depth=${MAX_WALK_DEPTH}, directories=${MAX_WALK_DIRECTORIES}, entries=${MAX_WALK_ENTRIES}`);
  }
  return { maxDepth, maxDirectories, maxEntries, followDirectorySymlinks, pruneHiddenDirectories };
}

export function handleIdField(f: Fields): string {
  const handleId = f.string('handleId');
  if (Buffer.byteLength(handleId) > MAX_HANDLE_ID_BYTES) throw invalidRequest(`file read handle ID must not exceed ${MAX_HANDLE_ID_BYTES} bytes`);
  return handleId;
}

/** Decodes one fs/* call (not fs/readBlock or fs/close, which carry no path). */
export function decodeFsCall(method: string, params: unknown): DecodedFsCall {
  const f = Fields.of(params, 'FileSystemParams');
  let request: FsRequest;
  switch (method) {
    case 'fs/readFile':
      request = { operation: method, path: pathField(f, 'path'), followSymlinks: follow(f) };
      break;
    case 'fs/writeFile': {
      const path = pathField(f, 'path');
      const dataBase64 = f.string('dataBase64');
      try {
        decodeByteChunk(dataBase64);
      } catch (e) {
        throw invalidRequest(`fs/writeFile requires valid base64 dataBase64: ${e instanceof Error ? e.message : String(e)}`);
      }
      request = { operation: method, path, dataBase64, followSymlinks: follow(f) };
      break;
    }
    case 'fs/createDirectory':
      request = { operation: method, path: pathField(f, 'path'), recursive: f.optBool('recursive') ?? true, followSymlinks: follow(f) };
      break;
    case 'fs/getMetadata':
      request = { operation: method, path: pathField(f, 'path'), followSymlinks: follow(f) };
      break;
    case 'fs/canonicalize':
    case 'fs/readDirectory':
      request = { operation: method, path: pathField(f, 'path') };
      break;
    case 'fs/walk':
      request = { operation: method, path: pathField(f, 'path'), options: walkOptions(f) };
      break;
    case 'fs/remove':
      request = { operation: method, path: pathField(f, 'path'), recursive: f.optBool('recursive') ?? true, force: f.optBool('force') ?? true, followSymlinks: follow(f) };
      break;
    case 'fs/copy':
      request = { operation: method, sourcePath: pathField(f, 'sourcePath'), destinationPath: pathField(f, 'destinationPath'), recursive: f.bool('recursive') };
      break;
    case 'fs/open':
      request = { operation: method, handleId: handleIdField(f), path: pathField(f, 'path') };
      break;
    default:
      throw invalidRequest(`not a filesystem method: ${method}`);
  }
  return { request, sandbox: decodeSandbox(f.optRaw('sandbox')) };
}

export function decodeReadBlock(params: unknown): { handleId: string; offset: number; len: number } {
  const f = Fields.of(params, 'FsReadBlockParams');
  const handleId = f.string('handleId');
  const offset = f.uint('offset');
  const len = f.uint('len', 'usize');
  if (len < 1 || len > MAX_READ_BLOCK_BYTES) throw invalidRequest(`file read block length must be between 1 and ${MAX_READ_BLOCK_BYTES}`);
  return { handleId, offset, len };
}

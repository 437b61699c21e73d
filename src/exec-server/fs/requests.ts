/**
 * Filesystem requests after decoding: what the in-process runner and the sandboxed helper both take
 * (paths stay PathUri text; each side converts them to native paths itself, as Codex's helper does).
 */
export interface WalkOptions {
  maxDepth: number;
  maxDirectories: number;
  maxEntries: number;
  followDirectorySymlinks: boolean;
  pruneHiddenDirectories: boolean;
}

export type FsRequest =
  | { operation: 'fs/readFile'; path: string; followSymlinks: boolean }
  | { operation: 'fs/writeFile'; path: string; dataBase64: string; followSymlinks: boolean }
  | { operation: 'fs/createDirectory'; path: string; recursive: boolean; followSymlinks: boolean }
  | { operation: 'fs/getMetadata'; path: string; followSymlinks: boolean }
  | { operation: 'fs/canonicalize'; path: string }
  | { operation: 'fs/readDirectory'; path: string }
  | { operation: 'fs/walk'; path: string; options: WalkOptions }
  | { operation: 'fs/remove'; path: string; recursive: boolean; force: boolean; followSymlinks: boolean }
  | { operation: 'fs/copy'; sourcePath: string; destinationPath: string; recursive: boolean }
  | { operation: 'fs/open'; handleId: string; path: string }
  | { operation: 'fs/readBlock'; handleId: string; offset: number; len: number }
  | { operation: 'fs/close'; handleId: string };

export type FsOperation = FsRequest['operation'];

/** Codex file-system/src/lib.rs limits. */
export const MAX_READ_FILE_BYTES = 512 * 1024 * 1024;
export const MAX_READ_DIRECTORY_ENTRIES = 50_000;
export const MAX_READ_BLOCK_BYTES = 1024 * 1024;
export const MAX_OPEN_READS_PER_CONNECTION = 128;
export const MAX_HANDLE_ID_BYTES = 32;
export const MAX_WALK_DEPTH = 64;
export const MAX_WALK_DIRECTORIES = 10_000;
export const MAX_WALK_ENTRIES = 50_000;
export const WALK_RESPONSE_BUDGET_BYTES = 4 * 1024 * 1024;
export const WALK_ITEM_OVERHEAD_BYTES = 64;

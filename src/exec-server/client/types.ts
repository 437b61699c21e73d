/** Wire shapes of the exec-server methods the client calls (reference §3; camelCase as on the wire). */

export interface EnvironmentInfo {
  shell?: { name: string; path: string };
  cwd?: string | null;
  platformOs?: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface ExecEnvPolicy {
  inherit: 'all' | 'core' | 'none';
  ignoreDefaultExcludes?: boolean;
  exclude?: string[];
  set?: Record<string, string>;
  includeOnly?: string[];
}

/** `process/start` params (Codex ExecParams). */
export interface ExecParams {
  processId: string;
  argv: string[];
  /** A `file:` URI native to the server's host. */
  cwd: string;
  env: Record<string, string>;
  envPolicy?: ExecEnvPolicy;
  tty: boolean;
  pipeStdin?: boolean;
  arg0?: string;
  /** Codex FileSystemSandboxContext: `{permissions, workspaceRoots?, cwd?, …}`. */
  sandbox?: { permissions: unknown; workspaceRoots?: string[]; cwd?: string; windowsSandboxLevel?: string };
}

export interface StartResult {
  processId: string;
  sandboxType?: 'none' | 'macosSeatbelt' | 'linuxSeccomp' | 'windowsRestrictedToken';
}

export interface ReadResult {
  chunks: Array<{ seq: number; stream: 'stdout' | 'stderr' | 'pty'; chunk: string }>;
  nextSeq: number;
  exited: boolean;
  exitCode: number | null;
  closed: boolean;
  failure: string | null;
  sandboxDenied?: boolean;
}

export type WriteStatus = 'accepted' | 'unknownProcess' | 'stdinClosed' | 'starting';

/** Params every fs/* method shares (reference §3.9): a PathUri, symlink following, an optional sandbox. */
export interface FsPathParams {
  path: string;
  followSymlinks?: boolean;
  sandbox?: unknown;
}

export interface FsMetadata {
  isDirectory: boolean;
  isFile: boolean;
  isSymlink: boolean;
  size: number;
  createdAtMs: number;
  modifiedAtMs: number;
}

export interface FsWalkOptions {
  maxDepth: number;
  maxDirectories: number;
  maxEntries: number;
  followDirectorySymlinks: boolean;
  pruneHiddenDirectories?: boolean;
}


/** The fs/* methods (reference §3.9–3.11; served by src/exec-server/fs/). */
export interface FsMethods {
  fsReadFile(params: FsPathParams): Promise<{ dataBase64: string }>;
  fsWriteFile(params: FsPathParams & { dataBase64: string }): Promise<Record<string, never>>;
  fsCreateDirectory(params: FsPathParams & { recursive?: boolean }): Promise<Record<string, never>>;
  fsGetMetadata(params: FsPathParams): Promise<FsMetadata>;
  fsCanonicalize(params: { path: string; sandbox?: unknown }): Promise<{ path: string }>;
  fsReadDirectory(params: { path: string; sandbox?: unknown }): Promise<{ entries: Array<{ fileName: string; isDirectory: boolean; isFile: boolean }> }>;
  fsWalk(params: { path: string; options: FsWalkOptions; sandbox?: unknown }): Promise<{ entries: Array<{ path: string; kind: 'directory' | 'file' }>; errors: Array<{ path: string; message: string }>; truncated: boolean }>;
  fsRemove(params: FsPathParams & { recursive?: boolean; force?: boolean }): Promise<Record<string, never>>;
  fsCopy(params: { sourcePath: string; destinationPath: string; recursive: boolean; sandbox?: unknown }): Promise<Record<string, never>>;
  fsOpen(params: { handleId: string; path: string; sandbox?: unknown }): Promise<{ handleId: string }>;
  fsReadBlock(params: { handleId: string; offset: number; len: number }): Promise<{ chunk: string; eof: boolean }>;
  fsClose(params: { handleId: string }): Promise<Record<string, never>>;
}

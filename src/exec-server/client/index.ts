/** The exec-server client: connect to a server, run processes on it, or use it as a Sandbox. */
export { connectExecServer, ExecServerClient, SESSION_RECOVERY_TIMEOUT_MS } from './client.js';
export type { ConnectExecServerOptions, ExecServerTarget } from './client.js';
export { ExecServerDisconnectedError, ExecServerRequestError, ExecServerTimeoutError } from './errors.js';
export { RemoteProcess } from './remote-process.js';
export type { ProcessCalls, RemoteProcessResult } from './remote-process.js';
export type { ProcessEvent } from './reorder.js';
export { RemoteSandbox, RemoteSubprocess } from './remote-sandbox.js';
export type { RemoteRunResult, RemoteSpawnOptions } from './remote-sandbox.js';
export { connectEnvironment, loadEnvironmentsFor, openEnvironment, readAuthTokenFile } from './environment.js';
export type { EnvironmentLookup } from './environment.js';
export { createSandbox } from './create-sandbox.js';
export type { CreateRemoteSandboxOptions } from './create-sandbox.js';
export type { EnvironmentInfo, ExecEnvPolicy, ExecParams, FsMetadata, FsMethods, FsPathParams, FsWalkOptions, ReadResult, StartResult, WriteStatus } from './types.js';

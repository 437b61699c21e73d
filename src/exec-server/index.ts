/** The exec-server's public surface. */
export { createExecServer } from './server.js';
export type { ExecServer, ExecServerOptions } from './server.js';

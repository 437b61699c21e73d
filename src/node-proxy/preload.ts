/**
 * The preload the sandbox adds to NODE_OPTIONS (`--require …/dist/node-proxy/preload.cjs`) under a
 * network allow list: Node's built-in fetch (which before v24.5/v22.21 ignores HTTP(S)_PROXY) then
 * goes through the filtering proxy. It does nothing without proxy variables and never throws: a
 * failing preload would stop every Node program in the sandbox.
 */
import { installFetchProxy } from './connect.js';

try {
  installFetchProxy(globalThis, process.env, process.version);
} catch {
  // Without the proxy dispatcher fetch fails closed; the program itself must still start.
}

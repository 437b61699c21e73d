/**
 * node:crypto, loaded on first use: it pulls in about 20 internal modules, and a plain
 * `codex-sandbox run` usually never needs it (issue #21: the CLI's start-up). Callers get the same
 * module as a static import would give them; nothing about a digest or a random name changes.
 */
import type * as Crypto from 'node:crypto';
import { createRequire } from 'node:module';

const lazyRequire = createRequire(import.meta.url);

/** The node:crypto module (required on the first call, cached by Node afterwards). */
export function nodeCrypto(): typeof Crypto {
  return lazyRequire('node:crypto') as typeof Crypto;
}

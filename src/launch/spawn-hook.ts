/**
 * Runs execa with its child_process.spawn served by the addon's spawnPidfd (native-child.ts) for the
 * duration of one synchronous execa() call. execa 9 has no option for a custom spawn function and
 * imports `spawn` from node:child_process; module.syncBuiltinESMExports() is Node's documented way to
 * make such an ESM import see a changed builtin export. execa calls spawn synchronously inside
 * execa(), and the original is put back before execa() returns, so no other caller ever sees the
 * replacement. Everything else (streams, pipe(), timeouts, kill, errors, the result's shape) is
 * execa's own; options the addon does not handle go to the real child_process.spawn.
 */
import type * as ChildProcessModule from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { loadNative } from '../native.js';
import type { PidfdSpawner } from '../native.js';
import { spawnViaPidfd } from './native-child.js';

/**
 * The addon's spawner when this process may use it: Linux builds that export it, unless
 * CODEX_SANDBOX_SPAWN=node asks for node:child_process (to compare, or to rule this path out).
 */
export function pidfdSpawner(): PidfdSpawner | undefined {
  if (process.platform !== 'linux' || process.env.CODEX_SANDBOX_SPAWN === 'node') return undefined;
  const addon = loadNative();
  const { spawnPidfd, killPidfd, refPidfd, stdioSocketPair } = addon;
  if (!spawnPidfd || !killPidfd || !refPidfd || !stdioSocketPair) return undefined;
  return { spawnPidfd, killPidfd, refPidfd, stdioSocketPair };
}

// The builtin's own exports object (the one `require` and the ESM named exports are synced from), not
// an ESM namespace or an interop copy that a bundler may make of it.
const childProcess = createRequire(import.meta.url)('node:child_process') as typeof ChildProcessModule;

type Spawn = typeof childProcess.spawn;

/** Calls run() (an execa() call) with child_process.spawn served by the addon where it can. */
export function withPidfdSpawn<T>(spawner: PidfdSpawner, run: () => T): T {
  const original: Spawn = childProcess.spawn;
  const replacement = (file: string, args?: readonly string[] | SpawnOptions, options?: SpawnOptions): ChildProcess => {
    const argv = Array.isArray(args) ? (args as readonly string[]) : [];
    const opts = (Array.isArray(args) ? options : (args as SpawnOptions | undefined)) ?? {};
    return spawnViaPidfd(spawner, file, argv, opts) ?? original(file, argv, opts);
  };
  childProcess.spawn = replacement as Spawn;
  syncBuiltinESMExports();
  try {
    return run();
  } finally {
    childProcess.spawn = original;
    syncBuiltinESMExports();
  }
}

/**
 * Runs execa with its child_process.spawn served by the addon's spawnPidfd (native-child.ts) for one
 * synchronous execa() call. execa 9 has no option for a custom spawn function and imports `spawn`
 * from node:child_process; module.syncBuiltinESMExports() is Node's documented way to make such an
 * ESM import see a changed builtin export. Everything else (streams, pipe(), timeouts, kill, errors,
 * the result's shape) is execa's own; options the addon does not handle go to the real
 * child_process.spawn.
 *
 * The replacement is installed once, on the first Linux launch, not swapped in and out around every
 * execa() call: each syncBuiltinESMExports() re-copies the exports of every loaded builtin, which cost
 * more than the rest of the spawn. What this means for the caller's process:
 * - `child_process.spawn` (and every ESM import of it) is from then on a wrapper named `spawn`, not
 *   Node's own function object. Unless a launch has armed it, it forwards its receiver and arguments
 *   to the function it replaced and returns (or throws) exactly what that does: other callers see
 *   Node's behaviour, errors and ChildProcess objects unchanged.
 * - It is armed only synchronously inside withPidfdSpawn, and disarmed by the first call it serves
 *   and in a finally: at most one spawn, the one execa() makes, goes to the addon.
 * - Someone replacing child_process.spawn after us (a mock, another hook) wins: the wrapper is then no
 *   longer what execa sees, and each launch falls back to swapping its replacement in and out as before.
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
// an ESM namespace or an interop copy that a bundler may make of it. Required on first use: the CLI's
// `run` bundles this module but never needs node:child_process (issue #21: a dozen modules per command).
const lazyRequire = createRequire(import.meta.url);
const nodeChildProcess = (): typeof ChildProcessModule => lazyRequire('node:child_process') as typeof ChildProcessModule;

type Spawn = typeof ChildProcessModule.spawn;

/** child_process.spawn's (file, args?, options?) as the addon path reads them; undefined: not ours to serve. */
function viaPidfd(spawner: PidfdSpawner, file: unknown, args: unknown, options: unknown): ChildProcess | undefined {
  if (typeof file !== 'string') return undefined;
  const argv = Array.isArray(args) ? (args as readonly string[]) : [];
  const opts = ((Array.isArray(args) ? options : args) ?? {}) as SpawnOptions;
  return spawnViaPidfd(spawner, file, argv, opts);
}

/** The spawner for the one call execa() is about to make (see above); undefined otherwise. */
let armed: PidfdSpawner | undefined;
/** Node's spawn (or whatever child_process.spawn was) when the wrapper was installed. */
let wrapped: Spawn | undefined;
/** The installed wrapper; undefined until the first Linux launch. */
let wrapper: Spawn | undefined;

function install(): boolean {
  const childProcess = nodeChildProcess();
  if (wrapper) return childProcess.spawn === wrapper;
  const previous = childProcess.spawn;
  // A plain function named spawn (its arity set to Node's below), so `this` is forwarded as given.
  const replacement = function spawn(this: unknown, ...args: unknown[]): ChildProcess {
    const spawner = armed;
    armed = undefined;
    if (!spawner) return Reflect.apply(previous, this, args) as ChildProcess;
    return viaPidfd(spawner, args[0], args[1], args[2]) ?? (Reflect.apply(previous, this, args) as ChildProcess);
  };
  Object.defineProperty(replacement, 'length', { value: previous.length });
  wrapped = previous;
  wrapper = replacement as unknown as Spawn;
  childProcess.spawn = wrapper;
  syncBuiltinESMExports();
  return true;
}

/** Calls run() (an execa() call) with child_process.spawn served by the addon where it can. */
export function withPidfdSpawn<T>(spawner: PidfdSpawner, run: () => T): T {
  if (install()) {
    armed = spawner;
    try {
      return run();
    } finally {
      armed = undefined;
    }
  }
  return withSwappedSpawn(spawner, run);
}

/** The per-call swap, for when child_process.spawn was replaced after the wrapper was installed. */
function withSwappedSpawn<T>(spawner: PidfdSpawner, run: () => T): T {
  const childProcess = nodeChildProcess();
  const original: Spawn = childProcess.spawn;
  const replacement = (...args: unknown[]): ChildProcess => viaPidfd(spawner, args[0], args[1], args[2]) ?? (Reflect.apply(original, undefined, args) as ChildProcess);
  childProcess.spawn = replacement as Spawn;
  syncBuiltinESMExports();
  try {
    return run();
  } finally {
    childProcess.spawn = original;
    syncBuiltinESMExports();
  }
}

/** Test hook: the wrapper installed by the first launch (undefined before), and the function it forwards to. */
export function installedSpawnWrapper(): { wrapper: Spawn | undefined; wrapped: Spawn | undefined } {
  return { wrapper, wrapped };
}

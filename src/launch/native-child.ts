/**
 * A ChildProcess started by the addon's spawnPidfd (native/linux/spawn.cc: clone(CLONE_VM | CLONE_VFORK), so
 * Node is not fork()ed per command; the exit comes from a pidfd) with the parts of node:child_process's ChildProcess
 * that execa and callers use: pid, stdin/stdout/stderr/stdio sockets, kill/ref/unref, exitCode,
 * signalCode, killed, and the 'spawn', 'exit' and 'close' events in Node's order.
 * `spawnViaPidfd` answers undefined for anything it does not do (other stdio kinds, shell, uid, ...):
 * the caller then uses child_process.spawn, so no option changes meaning.
 */
import { EventEmitter } from 'node:events';
import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as NetModule from 'node:net';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import type { PidfdSpawner } from '../native.js';

// node:net on the first 'pipe' slot only: `codex-sandbox run` on Linux has none (spawn-inherit.ts) and
// loading it is a fifth of that command's Node work (issue #21).
const lazyRequire = createRequire(import.meta.url);

const spawnedHere = new WeakSet<object>();

/** True when this subprocess (or the ChildProcess under an execa subprocess) was started by spawnPidfd. */
export function startedByPidfd(subprocess: object): boolean {
  return spawnedHere.has(subprocess);
}

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);

function signalNumber(sig: NodeJS.Signals | number | undefined): number {
  if (sig === undefined) return constants.signals.SIGTERM;
  if (typeof sig === 'number' && (sig === 0 || SIGNAL_NAMES.has(sig))) return sig;
  if (typeof sig === 'string' && Object.prototype.hasOwnProperty.call(constants.signals, sig)) {
    return constants.signals[sig as keyof typeof constants.signals];
  }
  // Node's own error for kill() with a bad signal (internal/util convertToValidSignal).
  throw Object.assign(new TypeError(`Unknown signal: ${String(sig)}`), { code: 'ERR_UNKNOWN_SIGNAL' });
}

type Slot = { kind: 'pipe' } | { kind: 'fd'; fd: number };

/** Each stdio item as a pipe or an fd to hand over; undefined for a kind only node:child_process does. */
function slots(stdio: SpawnOptions['stdio']): Slot[] | undefined {
  const items: unknown[] = Array.isArray(stdio) ? stdio : [stdio ?? 'pipe', stdio ?? 'pipe', stdio ?? 'pipe'];
  const out: Slot[] = [];
  for (const [i, item] of items.entries()) {
    if (item === 'pipe' || item === 'overlapped' || ((item === null || item === undefined) && i < 3)) out.push({ kind: 'pipe' });
    else if (item === 'ignore' || item === null || item === undefined) out.push({ kind: 'fd', fd: -1 });
    else if (item === 'inherit') out.push({ kind: 'fd', fd: i });
    else if (typeof item === 'number' && Number.isInteger(item) && item >= 0) out.push({ kind: 'fd', fd: item });
    else return undefined;
  }
  return out;
}

function envPairs(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out.push(`${name}=${value}`);
  return out;
}

class PidfdChildProcess extends EventEmitter {
  pid: number | undefined;
  stdin: Socket | null = null;
  stdout: Socket | null = null;
  stderr: Socket | null = null;
  stdio: Array<Socket | null> = [];
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  killed = false;
  readonly connected = false;
  readonly channel = undefined;
  readonly spawnfile: string;
  readonly spawnargs: string[];
  #handle: object | undefined;
  #closesNeeded = 1;
  #closesGot = 0;

  constructor(
    private readonly addon: PidfdSpawner,
    file: string,
    argv: string[],
  ) {
    super();
    this.spawnfile = file;
    this.spawnargs = argv;
  }

  start(env: string[], cwd: string, fdPlan: Slot[], setsid: boolean): boolean {
    const parentEnds: Array<number | undefined> = [];
    const childFds: number[] = [];
    const childEnds: number[] = [];
    try {
      for (const slot of fdPlan) {
        if (slot.kind === 'fd') {
          parentEnds.push(undefined);
          childFds.push(slot.fd);
        } else {
          const [parent, child] = this.addon.stdioSocketPair();
          parentEnds.push(parent);
          childEnds.push(child);
          childFds.push(child);
        }
      }
      const { pid, handle } = this.addon.spawnPidfd(this.spawnfile, this.spawnargs, env, cwd, childFds, setsid, (code, signal, error) =>
        this.#onExit(code, signal, error),
      );
      this.pid = pid;
      this.#handle = handle;
    } catch {
      for (const fd of [...parentEnds, ...childEnds]) if (fd !== undefined) closeSync(fd);
      return false;
    } finally {
      if (this.#handle) for (const fd of childEnds) closeSync(fd);
    }
    // As node:child_process does (lib/internal/child_process.js createSocket(pipe, i > 0)).
    this.stdio = parentEnds.map((fd, i) => {
      if (fd === undefined) return null;
      const socket = new (lazyRequire('node:net') as typeof NetModule).Socket({ fd, readable: i > 0 });
      if (i > 0) {
        this.#closesNeeded++;
        socket.on('close', () => this.#maybeClose());
      }
      return socket;
    });
    this.stdin = this.stdio[0] ?? null;
    this.stdout = this.stdio[1] ?? null;
    this.stderr = this.stdio[2] ?? null;
    process.nextTick(() => this.emit('spawn'));
    return true;
  }

  kill(sig?: NodeJS.Signals | number): boolean {
    const n = signalNumber(sig);
    if (!this.#handle || !this.addon.killPidfd(this.#handle, n)) return false;
    this.killed = true;
    return true;
  }

  ref(): void {
    if (this.#handle) this.addon.refPidfd(this.#handle, true);
  }

  unref(): void {
    if (this.#handle) this.addon.refPidfd(this.#handle, false);
  }

  #onExit(code: number | null, signal: number | null, error: string | null): void {
    this.#handle = undefined;
    if (error !== null) {
      this.emit('error', new Error(`${this.spawnfile}: ${error}`));
      return;
    }
    if (signal !== null) this.signalCode = SIGNAL_NAMES.get(signal) ?? null;
    else this.exitCode = code;
    // Node's order (ChildProcess onexit): stdin destroyed, 'exit', then unread output flushed.
    this.stdin?.destroy();
    this.emit('exit', this.exitCode, this.signalCode);
    process.nextTick(() => {
      for (const stream of this.stdio) {
        if (stream && stream.readable && stream.listenerCount('data') === 0 && stream.listenerCount('readable') === 0) stream.resume();
      }
    });
    this.#maybeClose();
  }

  #maybeClose(): void {
    this.#closesGot++;
    if (this.#closesGot === this.#closesNeeded) this.emit('close', this.exitCode, this.signalCode);
  }
}

/**
 * child_process.spawn(file, args, options) through the addon, or undefined when these options need
 * node:child_process (a shell, another user, argv0, IPC or stream stdio) or the addon could not start
 * the program (the caller's child_process.spawn then reports the error exactly as Node does).
 */
export function spawnViaPidfd(addon: PidfdSpawner, file: string, args: readonly string[], options: SpawnOptions): ChildProcess | undefined {
  if (options.shell || options.uid !== undefined || options.gid !== undefined || (options.argv0 !== undefined && options.argv0 !== file)) return undefined;
  const plan = slots(options.stdio);
  if (!plan) return undefined;
  const cwd = options.cwd === undefined ? process.cwd() : typeof options.cwd === 'string' ? options.cwd : fileURLToPath(options.cwd);
  const child = new PidfdChildProcess(addon, file, [file, ...args]);
  if (!child.start(envPairs(options.env ?? process.env), cwd, plan, options.detached === true)) return undefined;
  spawnedHere.add(child);
  return child as unknown as ChildProcess;
}

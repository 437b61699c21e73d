/**
 * Runs a LaunchRequest with the caller's own stdin/stdout/stderr (the CLI's `run`). No execa: the CLI
 * needs none of its stream handling, and skipping it saves its start-up cost on every command. On
 * Linux the launcher is started by the addon's clone(CLONE_VM | CLONE_VFORK) + pidfd spawner
 * (native-child.ts), as sandbox.spawn does: node:child_process forks the whole Node process, about a
 * tenth of `codex-sandbox run`'s CPU (issue #21). Anything that spawner does not do goes to
 * node:child_process.
 */
import type * as ChildProcessModule from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { closeSync, readSync, writeSync } from 'node:fs';
import type { LaunchRequest } from '../contracts/index.js';
import type { SandboxSetupError } from '../errors.js';
import { loadedNative } from '../native.js';
import { spawnViaPidfd } from './native-child.js';
import { prepareProcess } from './prepare.js';
import { containInProcessGroup } from './process-group.js';
import { REFUSAL_SCAN_BYTES } from './refusals.js';
import { readSetupStatus, takeSetupStatus } from './setup-status.js';
import { pidfdSpawner } from './spawn-hook.js';

// node:child_process only for the fallback: loading it is a dozen internal modules on every command,
// and the addon's spawner starts the launcher without it (issue #21).
const lazyRequire = createRequire(import.meta.url);
const nodeSpawn = (file: string, args: readonly string[], options: SpawnOptions): ChildProcess =>
  (lazyRequire('node:child_process') as typeof ChildProcessModule).spawn(file, args, options);

/**
 * How long after the launcher's exit the relay waits for the command's stderr to end. It ends at once
 * when the sandbox had its own pid namespace (bwrap: every process dies with it); a background process
 * of an unnamespaced launch that keeps stderr open delays the caller this long. Not shorter: on a busy
 * machine the last chunk can be read well after the exit is seen.
 */
const STDERR_DRAIN_MS = 2000;

export interface InheritedLaunch {
  child: ChildProcess;
  /** Settles once the launcher exited (or, without the addon's socket pairs, the command started): the set-up failure it reported, if any. */
  setupStatus: Promise<SandboxSetupError | undefined>;
  /**
   * With `relayStderr`: settles after the launcher exited and its stderr ended (or STDERR_DRAIN_MS
   * later): the last REFUSAL_SCAN_BYTES of it. Otherwise undefined.
   */
  stderrTail: Promise<string | undefined>;
}

/**
 * `relayStderr`: the command's stderr goes through a pipe this process copies to its own stderr, keeping
 * the end of it for the refusal report (src/launch/refusals.ts); otherwise it is inherited as is.
 * `ttyFd`: the command's stdin, stdout and stderr are this fd instead (the slave of the CLI's pty
 * relay, src/cli/pty-relay.ts); `relayStderr` is then ignored.
 */
export function spawnInherit(req: LaunchRequest, opts: { detached: boolean; relayStderr?: boolean; ttyFd?: number }): InheritedLaunch {
  const spec = prepareProcess(req);
  const tty = opts.ttyFd;
  const relay = opts.relayStderr === true && tty === undefined;
  const spawner = pidfdSpawner();
  // Linux: the stderr relay and the status fd are socket pairs read with plain read(2)s, never a
  // net.Socket: node:net and the streams stack are a fifth of the Node work of `codex-sandbox run`
  // (issue #21). The addon's spawner and fd watch exist together (the same build).
  const io = spawner ? fdIo() : undefined;
  const errPair = relay && io ? io.stdioSocketPair(true) : undefined;
  const statusPair = spec.statusFd !== undefined && io ? io.stdioSocketPair(true) : undefined;
  const owned = [...(errPair ?? []), ...(statusPair ?? [])];
  const stdio: Array<'inherit' | 'pipe' | number> = tty !== undefined ? [tty, tty, tty] : ['inherit', 'inherit', errPair ? errPair[1] : relay ? 'pipe' : 'inherit'];
  if (spec.payload) stdio.push('pipe');
  if (spec.statusFd !== undefined) stdio.push(statusPair ? statusPair[1] : 'pipe');
  // macOS: the command (sandbox-exec execs it) leads its own process group and is signalled as a group (process-group.ts).
  const grouped = req.kind === 'macos-seatbelt';
  const options: SpawnOptions = { cwd: spec.cwd, env: spec.env, detached: grouped || opts.detached, stdio };
  let child: ChildProcess;
  let stderrTail: Promise<string | undefined>;
  try {
    const relayed = errPair && io ? watchStderr(io, errPair[0]) : undefined;
    try {
      child = (spawner && spawnViaPidfd(spawner, spec.file, spec.args, options)) ?? nodeSpawn(spec.file, spec.args, options);
    } catch (e) {
      relayed?.stop();
      throw e;
    }
    stderrTail = relayed ? relayed.tail(child) : relay ? relayAndKeepTail(child) : Promise.resolve(undefined);
  } catch (e) {
    for (const fd of owned) closeSync(fd);
    throw e;
  }
  // The launcher has its own copies of the child ends now (or never started: 'error' follows).
  if (errPair) closeSync(errPair[1]);
  if (statusPair) closeSync(statusPair[1]);
  if (grouped) containInProcessGroup(child, { forceKillAfterDelay: false });
  if (spec.payload) {
    const pipe = child.stdio[3];
    if (pipe && 'end' in pipe) {
      // The launcher may fail before reading; an EPIPE here is reported through its exit status.
      pipe.on('error', () => undefined);
      pipe.end(Buffer.from(spec.payload));
    }
  }
  const setupStatus = statusPair ? statusAtExit(child, statusPair[0]) : readSetupStatus(spec.statusFd !== undefined ? (child.stdio[spec.statusFd] as Readable | null) : null);
  return { child, setupStatus, stderrTail };
}

/** The addon's fd exports the Linux path uses (the addon is loaded: pidfdSpawner loaded it). */
interface FdIo {
  stdioSocketPair(nonblockingParent?: boolean): [number, number];
  watchReadable(fd: number, onReadable: (errno: number) => void): object;
  unwatchReadable(handle: object): void;
  refWatch(handle: object, ref: boolean): void;
}

function fdIo(): FdIo | undefined {
  const addon = loadedNative();
  if (!addon) return undefined;
  const { stdioSocketPair, watchReadable, unwatchReadable, refWatch } = addon;
  if (!stdioSocketPair || !watchReadable || !unwatchReadable || !refWatch) return undefined;
  return { stdioSocketPair, watchReadable, unwatchReadable, refWatch };
}

/**
 * The status record, read from the caller's non-blocking end once the launcher exited (then every
 * record is in the socket; setup-status.ts takeSetupStatus), or once it could not be started.
 */
function statusAtExit(child: ChildProcess, fd: number): Promise<SandboxSetupError | undefined> {
  return new Promise((resolve) => {
    let done = false;
    const take = (exitCode: number | undefined): void => {
      if (done) return;
      done = true;
      resolve(takeSetupStatus(fd, exitCode));
    };
    child.once('exit', (code) => take(code ?? undefined));
    child.once('error', () => {
      if (child.pid === undefined) take(undefined);
    });
  });
}

/** Reads per readable event at most this many times (64 KiB each), so a chatty command cannot starve Node's loop. */
const READS_PER_EVENT = 16;

/**
 * The command's stderr from the caller's (non-blocking) end of its socket pair, copied to this
 * process's fd 2 as it comes, the last REFUSAL_SCAN_BYTES kept: relayAndKeepTail without a net.Socket.
 */
function watchStderr(io: FdIo, fd: number): { stop(): void; tail(child: ChildProcess): Promise<string | undefined> } {
  let chunks: Buffer[] = [];
  let kept = 0;
  let open = true;
  let toStderr = true;
  let ended: () => void = () => undefined;
  const end = new Promise<void>((resolve) => (ended = resolve));
  const buf = Buffer.allocUnsafe(64 * 1024);
  const stop = (): void => {
    if (!open) return;
    open = false;
    io.unwatchReadable(watch);
    closeSync(fd);
    ended();
  };
  const onReadable = (errno: number): void => {
    if (errno !== 0) return stop();
    for (let i = 0; i < READS_PER_EVENT && open; i++) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') stop();
        return;
      }
      if (n === 0) return stop();
      const chunk = Buffer.from(buf.subarray(0, n));
      // A reader of our stderr that went away must not crash the CLI: the rest is still read (the
      // command does not block) and kept for the refusal report.
      if (toStderr) toStderr = writeAllToStderr(chunk);
      chunks.push(chunk);
      kept += n;
      if (kept > 2 * REFUSAL_SCAN_BYTES) {
        const all = Buffer.concat(chunks);
        chunks = [all.subarray(all.length - REFUSAL_SCAN_BYTES)];
        kept = REFUSAL_SCAN_BYTES;
      }
    }
  };
  const watch = io.watchReadable(fd, onReadable);
  const tail = (child: ChildProcess): Promise<string | undefined> =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    }).then(async () => {
      // As relayAndKeepTail: a background process of the command may hold the socket open. Usually
      // its end was read in the same turn of the loop as the exit: then no timer is made at all.
      if (open) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([end, new Promise<void>((resolve) => (timer = setTimeout(() => setImmediate(resolve), STDERR_DRAIN_MS)))]);
        clearTimeout(timer);
      }
      if (open) io.refWatch(watch, false);
      const all = Buffer.concat(chunks);
      return all.subarray(Math.max(0, all.length - REFUSAL_SCAN_BYTES)).toString('utf8');
    });
  return { stop, tail };
}

/** A one-element view to sleep on with Atomics.wait while fd 2 is full. */
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of chunk to fd 2, as Node's process.stderr does for a file, pipe or terminal on Linux
 * (synchronously); waits out EAGAIN on a non-blocking fd 2. False once fd 2 cannot be written (EPIPE...).
 */
function writeAllToStderr(chunk: Buffer): boolean {
  for (let off = 0; off < chunk.length; ) {
    try {
      off += writeSync(2, chunk, off, chunk.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return false;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
  return true;
}

let stderrErrorsIgnored = false;

function relayAndKeepTail(child: ChildProcess): Promise<string | undefined> {
  const stream = child.stderr as Socket | null;
  if (!stream) return Promise.resolve(undefined);
  let chunks: Buffer[] = [];
  let kept = 0;
  // A reader of our stderr that went away must not crash the CLI (the command sees EPIPE as before).
  if (!stderrErrorsIgnored) process.stderr.on('error', () => undefined);
  stderrErrorsIgnored = true;
  stream.pipe(process.stderr, { end: false });
  stream.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    kept += chunk.length;
    if (kept > 2 * REFUSAL_SCAN_BYTES) {
      const all = Buffer.concat(chunks);
      chunks = [all.subarray(all.length - REFUSAL_SCAN_BYTES)];
      kept = REFUSAL_SCAN_BYTES;
    }
  });
  const ended = new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  return exited.then(async () => {
    // A background process of the command may hold the pipe open: stop waiting (and let this process
    // exit) after a moment; the relay goes on while this process lives.
    let timer: NodeJS.Timeout | undefined;
    // setImmediate: a timer that expired while the loop was blocked runs before that iteration's poll
    // phase reads the pipe; the check phase comes after it (Node's event-loop phases).
    await Promise.race([ended, new Promise<void>((resolve) => (timer = setTimeout(() => setImmediate(resolve), STDERR_DRAIN_MS)))]);
    clearTimeout(timer);
    stream.unref();
    const all = Buffer.concat(chunks);
    return all.subarray(Math.max(0, all.length - REFUSAL_SCAN_BYTES)).toString('utf8');
  });
}

/**
 * Process-tree containment where no launcher supervises the command (macOS: sandbox-exec applies the
 * policy and execs the command, so the child's pid is the command's). The command is started as the
 * leader of a process group of its own (spawn `detached`: setsid(2), as bwrap --new-session does on
 * Linux); every signal meant for it goes to the whole group, and once it exits whatever it left
 * behind in the group is SIGKILLed, as the Linux sandbox's pid namespace ends with its first process.
 * Without this, Ctrl-C, a timeout or `interrupt()` reached only `sh` of `sh -c 'a | b'` and the
 * pipeline, or a `sleep 1000 &` started by the command, outlived the run (kill(2): a negative pid
 * signals the process group).
 *
 * Limit, said in the docs: a descendant that calls setsid(2) itself leaves the group (Seatbelt has no
 * process-tree primitive; Linux's pid namespace has no such hole).
 */

/** What is needed of a started process: node's ChildProcess and execa's subprocess both have it. */
export interface GroupLeader {
  readonly pid?: number | undefined;
  kill(...args: never[]): boolean;
  once(event: 'exit', listener: () => void): unknown;
}

export interface GroupKillOptions {
  /** The signal of a bare `kill()` (execa's killSignal; default SIGTERM). */
  killSignal?: NodeJS.Signals | number | undefined;
  /** After `kill(killSignal)`, SIGKILL the group this much later if it is still there (execa's forceKillAfterDelay); false: never. */
  forceKillAfterDelay?: number | boolean | undefined;
}

/** kill(-pgid, signal); false when the group no longer exists (or never did). */
export function signalProcessGroup(pgid: number | undefined, signal: NodeJS.Signals | number): boolean {
  if (pgid === undefined || pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes `proc.kill(...)` signal the process group `proc` leads, and kills the group's leftovers when
 * `proc` exits. `proc` must have been spawned `detached` (it is then its group's leader); otherwise
 * there is no group of that id and `kill` behaves as before. Returns `proc`.
 */
export function containInProcessGroup<P extends GroupLeader>(proc: P, opts: GroupKillOptions = {}): P {
  const pgid = proc.pid;
  if (pgid === undefined) return proc;
  const killSignal = opts.killSignal ?? 'SIGTERM';
  const forceDelay = opts.forceKillAfterDelay === false ? undefined : typeof opts.forceKillAfterDelay === 'number' ? opts.forceKillAfterDelay : 5000;
  const own = (proc.kill as (signal?: NodeJS.Signals | number, error?: Error) => boolean).bind(proc);
  let exited = false;
  let forceTimer: NodeJS.Timeout | undefined;
  proc.once('exit', () => {
    exited = true;
    if (forceTimer !== undefined) clearTimeout(forceTimer);
    // The command is gone: nothing it started may outlive it (stopped members included).
    signalProcessGroup(pgid, 'SIGKILL');
  });
  const groupKill = (signalOrError?: NodeJS.Signals | number | Error, error?: Error): boolean => {
    const isError = signalOrError instanceof Error;
    const signal = isError || signalOrError === undefined ? killSignal : signalOrError;
    const err = isError ? signalOrError : error;
    if (exited || signal === 0 || !signalProcessGroup(pgid, signal)) return own(signal, err);
    // execa: `kill(error)` makes the result fail with that error; signal 0 sends nothing more.
    if (err !== undefined) own(0, err);
    if (signal === killSignal && forceDelay !== undefined && forceTimer === undefined) {
      forceTimer = setTimeout(() => signalProcessGroup(pgid, 'SIGKILL'), forceDelay);
      forceTimer.unref();
    }
    return true;
  };
  Reflect.defineProperty(proc, 'kill', { value: groupKill, configurable: true, writable: true, enumerable: false });
  return proc;
}

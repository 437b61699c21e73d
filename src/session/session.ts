/**
 * A sandbox session: one sandbox set up once (launcher, bwrap, inner stage) around the supervisor
 * `codex-sandbox-session` (native/session), which then starts each command in it. The supervisor is
 * the sandboxed program of an ordinary launch, so commands get exactly that launch's confinement.
 */
import type { Readable, Writable } from 'node:stream';
import type { ArgvItem, LaunchRequest } from '../contracts/index.js';
import { argvItemBytes, argvItemText, pathStringToBytes } from '../util/surrogate-escape.js';
import { SessionCommand } from './command.js';
import type { CommandChannel, SessionSpawnOptions, SessionSubprocess } from './command.js';
import { FrameDecoder, FrameType, START_STDIN_NULL, encodeFrame, encodeStartFrame, encodeStrings } from './protocol.js';
import type { Frame } from './protocol.js';

/** What a session needs of the launched supervisor (an execa subprocess from `Sandbox.launch`). */
export interface SupervisorProcess extends PromiseLike<unknown> {
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  kill(signal?: NodeJS.Signals): boolean;
}

export interface SessionOptions {
  /** Close the session after this many milliseconds without a running command. */
  idleTimeout?: number;
  /**
   * `namespaces` (default): each command in pid, IPC and mount namespaces of its own.
   * `none`: commands started directly by the supervisor, in sessions and process groups of their own only —
   * faster, but they share the session's pid and IPC namespaces (docs/sessions.md says what that loses).
   */
  isolation?: 'namespaces' | 'none';
}

/** Where the supervisor's commands start and with what environment, as planned for the session. */
export interface SessionDefaults {
  cwd: string;
  env: Record<string, string>;
  /** Runs once the supervisor has exited (e.g. the network proxy's close). */
  onEnd?: () => void;
}

const STDERR_TAIL = 4096;

/** NAME=VALUE as bytes: surrogate-escaped strings carry non-UTF-8 bytes (util/surrogate-escape.ts), sent as those bytes. */
function envBytes(name: string, value: string): Buffer {
  return pathStringToBytes(`${name}=${value}`);
}

export class SandboxSession implements AsyncDisposable {
  private readonly commands = new Map<number, SessionCommand>();
  private nextId = 1;
  private closed = false;
  private endReason: string | undefined;
  private endCause: unknown;
  private fatal: string | undefined;
  private stderrTail = '';
  private idleTimer: NodeJS.Timeout | undefined;
  private defaultEnv: { entries: Map<string, Buffer>; section: Buffer } | undefined;
  private corked = false;
  /** What every command of this session sends through (one object, not closures per command). */
  private readonly channel: CommandChannel = {
    sendStdin: (i: number, c: Buffer): void => this.send(FrameType.stdin, i, c),
    sendSignal: (i: number, s: number): void => this.sendSignal(i, s),
    setPaused: (i: number, paused: boolean): void => this.send(paused ? FrameType.pause : FrameType.resume, i),
  };
  /** Settles once the supervisor has exited. */
  readonly ended: Promise<void>;

  constructor(
    private readonly supervisor: SupervisorProcess,
    /** The plan the supervisor runs under (what a fresh sandbox of the same options would get). */
    readonly launchRequest: LaunchRequest,
    private readonly defaults: SessionDefaults,
    private readonly options: SessionOptions = {},
  ) {
    const decoder = new FrameDecoder();
    supervisor.stdout?.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) this.onFrame(frame);
    });
    supervisor.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    // The pipe to a supervisor that died is broken: the end is reported through `ended`.
    supervisor.stdin?.on('error', () => undefined);
    this.ended = new Promise<void>((resolve) => {
      supervisor.then(
        (r) => {
          this.onEnd(r, undefined);
          resolve();
        },
        (e: unknown) => {
          this.onEnd(undefined, e);
          resolve();
        },
      );
    });
    this.armIdle();
  }

  /** Starts a command in the session; same result shape as `sandbox.spawn` (see SessionSubprocess). */
  spawn(command: readonly ArgvItem[], options: SessionSpawnOptions = {}): SessionSubprocess {
    if (this.closed) throw new Error(`session.spawn: the session is closed${this.endReason ? ` (${this.endReason})` : ''}: start a new one with sandbox.session()`);
    if (command.length === 0) throw new TypeError('session.spawn: the command is empty');
    const id = this.nextId++;
    // stdin: 'ignore' without input: /dev/null from the supervisor, as sandbox.spawn's; no pipe, no EOF frame.
    const nullStdin = options.stdin === 'ignore' && options.input === undefined;
    const start = encodeStartFrame(id, encodeStrings(command.map(argvItemBytes)), this.encodeEnv(options.env), pathStringToBytes(options.cwd ?? this.defaults.cwd), nullStdin ? START_STDIN_NULL : 0);
    const name = command.map(argvItemText).join(' ');
    const cmd = new SessionCommand(id, name, this.channel, options);
    this.commands.set(id, cmd);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.write(start);
    cmd.begin(nullStdin);
    return cmd.subprocess;
  }

  /**
   * The command's environment as START sends it: the session's defaults, then `extra` replacing or
   * adding variables (`{ ...defaults, ...extra }`). The defaults, fixed at the session's start, are
   * encoded once: re-encoding every variable for every command was most of a session command's Node CPU.
   */
  private encodeEnv(extra: Record<string, string> | undefined): Buffer {
    if (!this.defaultEnv) {
      const entries = new Map<string, Buffer>();
      for (const [k, v] of Object.entries(this.defaults.env)) entries.set(k, envBytes(k, v));
      this.defaultEnv = { entries, section: encodeStrings([...entries.values()]) };
    }
    if (extra === undefined) return this.defaultEnv.section;
    const added = Object.entries(extra);
    if (added.length === 0) return this.defaultEnv.section;
    const merged = new Map(this.defaultEnv.entries);
    for (const [k, v] of added) merged.set(k, envBytes(k, v));
    return encodeStrings([...merged.values()]);
  }

  /** Number of commands still running. */
  get running(): number {
    return this.commands.size;
  }

  /** Ends the session: every running command's process group is killed, then the sandbox exits. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.endReason ??= 'closed by session.close()';
      this.supervisor.stdin?.end();
      const force = setTimeout(() => this.supervisor.kill('SIGKILL'), 5000);
      force.unref();
      await this.ended;
      clearTimeout(force);
    }
    await this.ended;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private send(type: number, id: number, payload?: Buffer): void {
    this.write(encodeFrame(type, id, payload));
  }

  private write(frame: Buffer): void {
    const stdin = this.supervisor.stdin;
    if (!stdin?.writable) return;
    // Frames sent in the same tick (many spawns at once, a START and its stdin EOF) go out in one
    // writev instead of a write(2) each: corked until the tick ends.
    if (!this.corked) {
      this.corked = true;
      stdin.cork();
      process.nextTick(() => {
        this.corked = false;
        stdin.uncork();
      });
    }
    stdin.write(frame);
  }

  private sendSignal(id: number, signal: number): void {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32LE(signal, 0);
    this.send(FrameType.signal, id, b);
  }

  private armIdle(): void {
    const ms = this.options.idleTimeout;
    if (ms === undefined || this.closed || this.commands.size > 0) return;
    this.idleTimer = setTimeout(() => {
      this.endReason = `idle for ${ms} ms (idleTimeout)`;
      void this.close();
    }, ms);
    this.idleTimer.unref();
  }

  private onFrame(f: Frame): void {
    if (f.type === FrameType.fatal) {
      this.fatal = f.payload.toString('utf8');
      return;
    }
    const cmd = this.commands.get(f.id);
    if (!cmd) return;
    switch (f.type) {
      case FrameType.started:
        cmd.pid = f.payload.readUInt32LE(0);
        return;
      case FrameType.stdout:
        cmd.output(1, f.payload);
        return;
      case FrameType.stderr:
        cmd.output(2, f.payload);
        return;
      case FrameType.exit:
        this.forget(f.id);
        if (f.payload.readUInt8(0) === 1) cmd.exited(undefined, f.payload.readUInt32LE(1));
        else cmd.exited(f.payload.readUInt32LE(1), undefined);
        return;
      case FrameType.failed:
        this.forget(f.id);
        cmd.failedToStart(f.payload.readUInt32LE(0), f.payload.subarray(4).toString('utf8'));
        return;
      default:
    }
  }

  private forget(id: number): void {
    this.commands.delete(id);
    this.armIdle();
  }

  private onEnd(result: unknown, error: unknown): void {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const r = (error ?? result) as { exitCode?: number; signal?: string } | undefined;
    const how = r?.signal ? `killed by ${r.signal}` : r?.exitCode !== undefined ? `exit code ${r.exitCode}` : 'ended';
    const detail = this.fatal ?? (error instanceof Error && !('exitCode' in error) ? error.message : this.stderrTail.trim());
    const reason =
      this.endReason ?? `the session's supervisor ${how}${detail ? `: ${detail}` : ''}`;
    this.endReason = reason;
    this.endCause = error;
    for (const cmd of this.commands.values()) {
      cmd.aborted(`the session ended while this command was running (${reason}); its result is unknown — start a new session`, this.endCause);
    }
    this.commands.clear();
    this.defaults.onEnd?.();
  }
}

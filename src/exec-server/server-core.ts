/**
 * What every connection of one server shares: the session registry, the process methods and the
 * environment info.
 */
import type { Platform } from '../path-uri/index.js';
import { environmentInfo } from './environment-info.js';
import type { HelperOptions } from './fs/helper-pool.js';
import { internalError, invalidRequest } from './jsonrpc.js';
import { ManagedProcess, EXITED_PROCESS_RETENTION_MS } from './managed-process.js';
import type { ReadResult, WriteStatus } from './managed-process.js';
import { Fields } from './params.js';
import { RETAINED_OUTPUT_BYTES_PER_PROCESS, RETAINED_OUTPUT_CHUNKS_PER_PROCESS } from './process-output.js';
import { SessionRegistry } from './session.js';
import type { Session, SessionLimits } from './session.js';
import { ProcessSpawner } from './spawner.js';
import type { SpawnerOptions } from './spawner.js';
import { decodeStartParams } from './start-params.js';

export interface CoreOptions extends SpawnerOptions {
  limits: SessionLimits;
  exitedRetentionMs?: number;
  log: (line: string) => void;
}

class ProcessMethods {
  constructor(
    private readonly spawner: ProcessSpawner,
    private readonly platform: Platform,
    private readonly exitedRetentionMs: number,
  ) {}

  private find(session: Session, processId: string): ManagedProcess {
    const p = session.processes.get(processId);
    if (!p) throw invalidRequest(`unknown process id ${processId}`);
    return p;
  }

  async start(session: Session, params: unknown): Promise<object> {
    const p = decodeStartParams(params, this.platform);
    session.checkCanStart(p.processId);
    const planned = this.spawner.plan(p);
    const proc = new ManagedProcess(
      {
        processId: p.processId,
        tty: p.tty,
        pipeStdin: p.pipeStdin,
        sandboxType: planned.sandboxType,
        maxRetainedBytes: RETAINED_OUTPUT_BYTES_PER_PROCESS,
        maxRetainedChunks: RETAINED_OUTPUT_CHUNKS_PER_PROCESS,
        exitedRetentionMs: this.exitedRetentionMs,
        signalGroup: this.spawner.signalGroup(planned.direct),
        ...(p.tty ? { resizePty: this.spawner.resizePty() } : {}),
      },
      session,
    );
    session.processes.set(p.processId, proc);
    try {
      await this.spawner.start(p, proc, planned, () => session.sandboxSessions());
    } catch (e) {
      if (session.processes.get(p.processId) === proc) session.processes.delete(p.processId);
      throw e;
    }
    if (proc.cancelled) {
      // process/terminate arrived while it was starting (Codex: the start fails, the slot is freed).
      proc.dispose();
      if (session.processes.get(p.processId) === proc) session.processes.delete(p.processId);
      throw invalidRequest(`process ${p.processId} start was cancelled`);
    }
    // Notifications wait until the start's response is on the wire (it is sent after this
    // returns, in a microtask; setImmediate runs after those), so a client sees the result first.
    setImmediate(() => proc.releaseNotifications());
    return { processId: p.processId, sandboxType: planned.sandboxType };
  }

  async read(session: Session, params: unknown, abort: AbortSignal): Promise<ReadResult> {
    const f = Fields.of(params, 'ReadParams');
    const processId = f.string('processId');
    const afterSeq = f.optUint('afterSeq') ?? 0;
    const maxBytes = f.optUint('maxBytes', 'usize');
    const waitMs = f.optUint('waitMs') ?? 0;
    const p = this.find(session, processId);
    if (p.starting) throw invalidRequest(`process id ${processId} is starting`);
    return p.read(afterSeq, maxBytes, waitMs, abort);
  }

  async write(session: Session, processId: string, data: Buffer, writeId: string): Promise<WriteStatus> {
    const p = session.processes.get(processId);
    if (!p) return 'unknownProcess';
    try {
      return await p.write(data, writeId);
    } catch {
      throw internalError('failed to write to process stdin');
    }
  }

  interrupt(session: Session, processId: string): void {
    session.processes.get(processId)?.interrupt();
  }

  terminate(session: Session, processId: string): boolean {
    return session.processes.get(processId)?.terminate() ?? false;
  }

  resize(session: Session, processId: string, rows: number, cols: number): void {
    const p = this.find(session, processId);
    if (!p.hasPty) throw invalidRequest(`process ${processId} has no terminal (it was started without tty)`);
    p.resize(rows, cols);
  }

  async closeStdin(session: Session, processId: string): Promise<void> {
    await this.find(session, processId).closeStdin();
  }
}

export class ServerCore {
  readonly sessions: SessionRegistry;
  readonly processes: ProcessMethods;
  readonly log: (line: string) => void;
  /** What a connection's fs helpers are started with (the server's Sandbox, env and hidden paths). */
  readonly fsOptions: HelperOptions;
  private readonly env: Record<string, string | undefined>;

  constructor(options: CoreOptions) {
    this.sessions = new SessionRegistry(options.limits);
    this.processes = new ProcessMethods(new ProcessSpawner(options), options.sandbox.facts.platform, options.exitedRetentionMs ?? EXITED_PROCESS_RETENTION_MS);
    this.log = options.log;
    this.env = options.serverEnv;
    const { caches, git } = options.sandboxOptions ?? {};
    this.fsOptions = {
      sandbox: options.sandbox,
      serverEnv: options.serverEnv,
      ...(options.hiddenPaths ? { hiddenPaths: options.hiddenPaths } : {}),
      sandboxOptions: { ...(caches !== undefined ? { caches } : {}), ...(git !== undefined ? { git } : {}) },
      ...(options.sessions === true ? { sessions: true } : {}),
    };
  }

  environmentInfo(): object {
    return environmentInfo(this.env);
  }

  shutdown(): void {
    this.sessions.shutdown();
  }
}

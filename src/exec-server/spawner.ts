/**
 * Plans and starts a `process/start` through the project's Sandbox: `sandbox.plan` (which runs
 * SandboxManager.transform: cwd PathUri checked native, profile resolved, platform planner), then
 * the exec-server's additions (pty, arg0), then `sandbox.launch` — the same start `sandbox.spawn` does.
 */
import { closeSync, existsSync } from 'node:fs';
import { PlanError } from '../contracts/index.js';
import { needsPlatformSandbox } from '../manager/transform.js';
import type { EnvPolicy, LaunchRequest } from '../contracts/index.js';
import { loadNative } from '../native.js';
import type { NativeAddon } from '../native.js';
import type { ProfileInput, Sandbox, SandboxOptions, SandboxSubprocess, SessionPool, SessionSubprocess, SpawnOptions } from '../sandbox.js';
import { internalError, invalidParams } from './jsonrpc.js';
import { sandboxTypeOf, withInnerOptions, withSetsidCtty } from './launch-tweaks.js';
import type { SandboxType } from './launch-tweaks.js';
import type { ManagedProcess, StartedCommand } from './managed-process.js';
import { NON_INHERITABLE_ENV } from './start-params.js';
import type { StartParams } from './start-params.js';

/** Codex's PTY size (no resize in Codex; `process/resize` is this server's extension). */
export const PTY_ROWS = 24;
export const PTY_COLS = 80;

export interface SpawnerOptions {
  sandbox: Sandbox;
  /** Profile for a `process/start` without a `sandbox` field (Codex runs those unsandboxed). */
  defaultProfile: ProfileInput;
  /** The server's own environment (what an `envPolicy` filters). */
  serverEnv: Record<string, string | undefined>;
  /** Paths no process with a `sandbox` field may read (the bearer-token file). */
  hiddenPaths?: readonly string[];
  /** The server's own sandbox settings for every process: its allow list and proxy, caches, git. */
  sandboxOptions?: Pick<SpawnOptions, 'networkAccess' | 'networkProxySocket' | 'caches' | 'git'>;
  /**
   * Run processes in sandbox sessions (Linux, `--sessions`): one per client session and plan. A tty
   * or arg0 process, and one that is not bwrap-sandboxed, keeps its own launch.
   */
  sessions?: boolean;
}

interface Planned {
  req: LaunchRequest;
  sandboxType: SandboxType;
  /** The plan runs the command directly (no launcher supervising a process group). */
  direct: boolean;
  /** With `sessions`: what the command's sandbox session is planned from. */
  session?: { profile: ProfileInput; options: SandboxOptions };
}

const SETSID_CANDIDATES = ['/usr/bin/setsid', '/bin/setsid'];

export class ProcessSpawner {
  private addon: NativeAddon | undefined;

  constructor(private readonly options: SpawnerOptions) {}

  private native(): NativeAddon {
    this.addon ??= loadNative();
    return this.addon;
  }

  /** The command's environment: exactly `env`, or the server's filtered by `envPolicy` then `env` on top (Codex). */
  private envOptions(p: StartParams): Pick<SpawnOptions, 'env' | 'envPolicy'> {
    if (p.envPolicy === undefined) return { env: p.env, envPolicy: { inherit: 'all', ignoreDefaultExcludes: true } };
    const policy: EnvPolicy = {
      ...p.envPolicy,
      exclude: [...(p.envPolicy.exclude ?? []), ...NON_INHERITABLE_ENV],
      set: { ...(p.envPolicy.set ?? {}), ...p.env },
    };
    return { env: this.options.serverEnv, envPolicy: policy };
  }

  plan(p: StartParams): Planned {
    const { sandbox } = this.options;
    const profile = p.sandbox?.profile ?? this.options.defaultProfile;
    let req: LaunchRequest;
    const options: SandboxOptions = {
      cwd: p.cwd,
      ...this.options.sandboxOptions,
      ...this.envOptions(p),
      ...(p.sandbox ? { projectRoots: p.sandbox.projectRoots } : {}),
      // A sandboxed command that could read the token could connect back (if its profile allows
      // network) and start unsandboxed processes: the token file is unreadable in every sandbox.
      ...(p.sandbox && this.options.hiddenPaths?.length ? { denyRead: this.options.hiddenPaths } : {}),
    };
    try {
      req = sandbox.plan(p.argv, profile, options);
    } catch (e) {
      if (e instanceof PlanError && e.code === 'InvalidCwd') {
        const detail = e.message.includes('): ') ? e.message.slice(e.message.indexOf('): ') + 3) : e.message;
        // Codex's reason is the first clause (`'<uri>' is invalid on 'linux'`); ours adds advice after it.
        const why = /^'.*' is invalid on '[a-z0-9]+'/.exec(detail)?.[0] ?? detail;
        throw invalidParams(`cwd URI \`${p.cwd.toString()}\` is not valid on this exec-server host: ${why}`);
      }
      throw invalidParams(`failed to prepare process sandbox: ${e instanceof Error ? e.message : String(e)}`);
    }
    // A request that carries a sandbox requires a platform sandbox (Codex
    // process_sandbox.rs::prepare_exec_request, preference Require): never run it unconfined.
    if (p.sandbox && req.kind === 'none' && (needsPlatformSandbox(req.permissions) || !this.hostCanSandbox())) {
      throw invalidParams('sandbox intent cannot be enforced on this executor');
    }
    const direct = req.kind === 'none';
    if (req.kind === 'linux-bwrap') {
      const linux = sandbox.facts.linux;
      const extra = [...(p.tty ? ['--ctty'] : []), ...(p.arg0 !== undefined ? ['--argv0', p.arg0] : [])];
      if (linux) req = withInnerOptions(req, linux.launcherPath, extra);
    } else if (p.arg0 !== undefined) {
      throw invalidParams('arg0 is only supported for processes in a Linux bubblewrap sandbox on this exec-server');
    }
    if (direct && p.tty) {
      if (sandbox.facts.platform !== 'linux') throw invalidParams('tty is only supported on Linux by this exec-server');
      const setsid = SETSID_CANDIDATES.find((c) => existsSync(c));
      if (setsid === undefined) throw internalError('tty for an unsandboxed process needs util-linux setsid(1), which is not installed');
      req = withSetsidCtty(req, setsid);
    }
    if (p.tty && sandbox.facts.platform !== 'linux') throw invalidParams('tty is only supported on Linux by this exec-server');
    // A session starts commands with posix_spawn: no terminal of their own and no argv[0] override yet.
    const inSession = this.options.sessions === true && req.kind === 'linux-bwrap' && !p.tty && p.arg0 === undefined;
    return { req, sandboxType: sandboxTypeOf(req), direct, ...(inSession ? { session: { profile, options } } : {}) };
  }

  private hostCanSandbox(): boolean {
    const facts = this.options.sandbox.facts;
    if (facts.platform === 'linux') return facts.linux?.bwrap !== undefined;
    return true;
  }

  /** Starts the planned process and wires it to `proc`; resolves once it has spawned. */
  async start(p: StartParams, proc: ManagedProcess, planned: Planned, pool: () => SessionPool): Promise<void> {
    if (planned.session) {
      let cmd: SessionSubprocess;
      try {
        // The process's own plan decides its session: same plan, same sandbox (the pool re-plans).
        cmd = this.options.sandbox.spawnInPool(pool(), p.argv, planned.session.profile, planned.session.options, { stdin: p.pipeStdin ? 'pipe' : 'ignore', reject: false, encoding: 'buffer', buffer: false });
      } catch (e) {
        throw internalError(e instanceof Error ? e.message : String(e));
      }
      proc.attach(startedSessionCommand(cmd), undefined);
      return;
    }
    let pty: { master: number; slave: number } | undefined;
    if (p.tty) {
      const open = this.native().openPty;
      if (!open) throw internalError('this build of the addon has no openPty (rebuild the native addon)');
      pty = open(PTY_ROWS, PTY_COLS);
    }
    // execa takes a file descriptor number for a standard stream at run time; its types only list it for some positions.
    const stdio = (pty ? [pty.slave, pty.slave, pty.slave] : [p.pipeStdin ? 'pipe' : 'ignore', 'pipe', 'pipe']) as unknown as SpawnOptions['stdio'];
    let sub: SandboxSubprocess;
    try {
      // A direct (unsupervised) command gets its own session and process group (setsid via
      // detached), so interrupt and terminate reach its children as a terminal's signals would.
      sub = this.options.sandbox.launch(planned.req, { stdio, detached: planned.direct && !p.tty, reject: false, buffer: false, cleanup: false });
    } catch (e) {
      if (pty) {
        closeSync(pty.master);
        closeSync(pty.slave);
      }
      throw internalError(e instanceof Error ? e.message : String(e));
    }
    void sub.then(
      () => undefined,
      () => undefined,
    );
    try {
      await new Promise<void>((resolve, reject) => {
        sub.once('spawn', () => resolve());
        sub.once('error', reject);
      });
    } catch (e) {
      if (pty) closeSync(pty.master);
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') throw internalError('No such file or directory (os error 2)', { kind: 'spawnNotFound' });
      throw internalError(err.message);
    } finally {
      // The child has its own copy of the slave; ours would keep the pty open after it exits.
      if (pty) closeSync(pty.slave);
    }
    // (Not returned: the subprocess is a thenable, and an async function would wait for its end.)
    proc.attach(sub, pty?.master);
  }

  /** Group signals: the launcher forwards SIGINT to the command's group; a direct command leads its own group. */
  signalGroup(direct: boolean): (sub: StartedCommand, signal: 'SIGINT' | 'SIGKILL') => void {
    return (sub, signal) => {
      const pid = sub.pid;
      if (pid === undefined) return;
      try {
        if (direct) process.kill(-pid, signal);
        else sub.kill(signal);
      } catch {
        try {
          sub.kill(signal);
        } catch {
          // already gone
        }
      }
    };
  }

  resizePty(): ((fd: number, rows: number, cols: number) => void) | undefined {
    const set = this.native().setPtySize;
    return set ? (fd, rows, cols) => set(fd, rows, cols) : undefined;
  }
}

/**
 * A session command in the shape ManagedProcess drives. Its exit is the command's: a signal as
 * 128+N by ManagedProcess, and a session that ended under it (its result is unknown) as -1.
 */
function startedSessionCommand(cmd: SessionSubprocess): StartedCommand {
  // Started with `buffer: false`: the exec-server keeps its own bounded history
  // (maxRetainedBytesPerSession), and a command that prints without end must not grow the server's
  // memory without end through a second, unbounded copy in the result.
  const exited = cmd.then(
    (r) => ({ code: r.exitCode ?? null, signal: r.signal ?? null }),
    () => ({ code: null, signal: null }),
  );
  return {
    get pid(): number | undefined {
      return cmd.pid;
    },
    stdin: cmd.stdin,
    stdout: cmd.stdout,
    stderr: cmd.stderr,
    kill: (signal?: NodeJS.Signals): boolean => cmd.kill(signal),
    once: (_event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): void => {
      void exited.then((e) => listener(e.code, e.signal));
    },
  };
}

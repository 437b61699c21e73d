/**
 * "Raw bwrap": bubblewrap spawned straight from Node with exactly the bwrap argv the planner produced,
 * the fds it names supplied by the bench instead of the native launcher. This is the floor the
 * library is measured against: everything above it is the launcher plus the library's own work.
 */
import { closeSync, constants, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StdioOptions } from 'node:child_process';
import type { LaunchRequest } from '../src/contracts/index.js';
import { execa } from 'execa';
import type { Options } from 'execa';
import { spawnAndWait } from './spawn-wait.js';

export interface BwrapInvocation {
  bwrapPath: string;
  /** bwrap's options, up to (not including) the `--` before the sandboxed program. */
  bwrapArgs: string[];
  /** What bwrap runs with the inner stage kept: `[launcher, '--inner', '--', ...command]`. */
  innerArgv: string[];
  /** The user's command alone (what runs when the inner stage is replaced). */
  command: string[];
  /** fd bwrap reads the seccomp program from (`--seccomp FD`), if any. */
  seccompFd: number | undefined;
  /** fd bwrap writes its info JSON to (`--info-fd FD`), if any. */
  infoFd: number | undefined;
  /** fds bwrap reads `--ro-bind-data` contents from (the launcher opens /dev/null for each). */
  dataFds: number[];
  /** `--bind-fd FD PATH` pairs: the launcher opens each writable root (pinned) at FD. */
  bindFds: Array<{ fd: number; path: string }>;
  /** fd the inner stage reports its start on (`--inner --started-fd FD`), if any. */
  startedFd: number | undefined;
  /** The launcher's seccomp rule set (`--seccomp MODE:FD`), if any. */
  seccompMode: 'base' | 'restricted' | undefined;
}

function textArgv(req: LaunchRequest): string[] {
  return req.argv.map((a, i) => {
    if (typeof a !== 'string') throw new TypeError(`argv[${i}] is raw bytes; the bench plans only UTF-8 commands`);
    return a;
  });
}

function fdAfter(args: readonly string[], flag: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < args.length - 1; i += 1) {
    if (args[i] === flag) out.push(Number(args[i + 1]));
  }
  return out;
}

/**
 * Splits a Linux LaunchRequest (`launcher [opts] -- bwrap [bwrap args] -- launcher --inner -- cmd…`)
 * into the bwrap invocation. Throws when the plan does not have that shape.
 */
export function extractBwrapInvocation(req: LaunchRequest): BwrapInvocation {
  if (req.kind !== 'linux-bwrap' || req.native.platform !== 'linux') {
    throw new Error(`the plan is ${req.kind}, not linux-bwrap: raw bwrap needs bubblewrap on a Linux host`);
  }
  const argv = textArgv(req);
  const launcher = typeof req.program === 'string' ? req.program : '';
  const start = argv.indexOf('--');
  const bwrapPath = argv[start + 1];
  if (start < 0 || bwrapPath === undefined) throw new Error('the launcher argv has no `-- BWRAP` part');
  // The argv is the plan's one source of truth: the inner stage is there when bwrap runs the launcher's `--inner`.
  let end = -1;
  for (let j = start + 2; j < argv.length; j += 1) {
    if (argv[j] === '--' && argv[j + 1] === launcher && argv[j + 2] === '--inner') {
      end = j;
      break;
    }
  }
  const innerStage = end >= 0;
  if (!innerStage) end = argv.indexOf('--', start + 2);
  if (end < 0) throw new Error('the bwrap argv has no `--` before the sandboxed program');
  const bwrapArgs = argv.slice(start + 2, end);
  const innerArgv = argv.slice(end + 1);
  let command = innerArgv;
  if (innerStage) {
    const sep = innerArgv.indexOf('--');
    if (sep < 0) throw new Error('the inner stage argv has no `--` before the command');
    command = innerArgv.slice(sep + 1);
  }
  const seccomp = fdAfter(bwrapArgs, '--seccomp');
  const info = fdAfter(bwrapArgs, '--info-fd');
  return {
    bwrapPath,
    bwrapArgs,
    innerArgv,
    command,
    seccompFd: seccomp[0],
    infoFd: info[0],
    dataFds: fdAfter(bwrapArgs, '--ro-bind-data'),
    bindFds: bwrapArgs.flatMap((a, i) => (a === '--bind-fd' ? [{ fd: Number(bwrapArgs[i + 1]), path: bwrapArgs[i + 2] ?? '' }] : [])),
    startedFd: fdAfter(innerArgv.slice(0, Math.max(0, innerArgv.indexOf('--'))), '--started-fd')[0],
    seccompMode: launcherSeccompMode(argv.slice(0, start)),
  };
}

/** `--seccomp restricted+userns:3` among the launcher's own options → `restricted`. */
function launcherSeccompMode(launcherArgs: readonly string[]): 'base' | 'restricted' | undefined {
  const i = launcherArgs.indexOf('--seccomp');
  const mode = i < 0 ? undefined : launcherArgs[i + 1]?.split(':')[0]?.replace(/\+userns$/, '');
  return mode === 'base' || mode === 'restricted' ? mode : undefined;
}

/** The placeholders the launcher registers (`--synthetic PATH` among its own options, before bwrap's `--`). */
export function launcherSyntheticTargets(req: LaunchRequest): string[] {
  const argv = req.argv.map((a) => (typeof a === 'string' ? a : ''));
  const own = argv.slice(0, Math.max(0, argv.indexOf('--')));
  return own.flatMap((a, i) => (a === '--synthetic' && own[i + 1] !== undefined ? [own[i + 1] as string] : []));
}

/**
 * Spawns one invocation. `keepInner`: run the launcher's inner stage as the plan does (true), or the
 * command directly in its place (false). `bpfPath`: a file holding the seccomp program, opened anew
 * for each run because bwrap reads it to EOF.
 */
export interface RawBwrapRunner {
  run(): Promise<void>;
  close(): void;
}

export function rawBwrapRunner(
  inv: BwrapInvocation,
  opts: {
    bpf: Buffer | undefined;
    workDir: string;
    cwd: string;
    env: NodeJS.ProcessEnv;
    keepInner: boolean;
    timeoutMs: number;
    /** `execa`: the naive launcher of issue #21 (execa + bwrap with the same argv, no launcher). Default node:child_process. */
    via?: 'spawn' | 'execa';
    /** Another bwrap binary with the same argv (the bundled one against the system one). */
    bwrapPath?: string;
  },
): RawBwrapRunner {
  if (inv.seccompFd !== undefined && opts.bpf === undefined) {
    throw new Error('the plan passes --seccomp but no BPF program was supplied');
  }
  const bpfPath = join(opts.workDir, 'filter.bpf');
  const bwrapPath = opts.bwrapPath ?? inv.bwrapPath;
  if (opts.bpf !== undefined) writeFileSync(bpfPath, opts.bpf);
  const devNull = openSync('/dev/null', 'r');
  // The launcher's pinned writable roots: opened once here (bwrap closes only its own copy). A
  // `--bind-fd` onto a path that does not exist is a staged new repository (`--fresh-git`): the
  // launcher binds a private staging directory there, so the bench supplies an empty one of its own,
  // and removes the mount point bwrap creates after each sequential run so that the library's next
  // plan sees the workspace as before.
  const stagedMountPoints = inv.bindFds.filter((b) => !existsSync(b.path)).map((b) => b.path);
  const pinned = new Map(
    inv.bindFds.map((b) => [b.fd, openSync(existsSync(b.path) ? b.path : mkdtempSync(join(opts.workDir, 'stage-')), constants.O_RDONLY | constants.O_DIRECTORY)]),
  );
  const removeMountPoints = (): void => {
    for (const p of stagedMountPoints) rmSync(p, { recursive: true, force: true });
  };
  const maxFd = Math.max(2, inv.seccompFd ?? 0, inv.infoFd ?? 0, inv.startedFd ?? 0, ...inv.dataFds, ...pinned.keys());
  const args = [...inv.bwrapArgs, '--', ...(opts.keepInner ? inv.innerArgv : inv.command)];
  return {
    run: async () => {
      const bpfFd = inv.seccompFd !== undefined ? openSync(bpfPath, 'r') : undefined;
      try {
        const stdio: StdioOptions = ['ignore', 'pipe', 'pipe'];
        for (let fd = 3; fd <= maxFd; fd += 1) {
          if (fd === inv.seccompFd) stdio.push(bpfFd as number);
          else if (fd === inv.infoFd) stdio.push('pipe');
          // The inner stage writes one byte here, as it does to the launcher's pipe.
          else if (fd === inv.startedFd && opts.keepInner) stdio.push('pipe');
          else if (inv.dataFds.includes(fd)) stdio.push(devNull);
          else if (pinned.has(fd)) stdio.push(pinned.get(fd) as number);
          else stdio.push('ignore');
        }
        if (opts.via === 'execa') {
          const sub = execa(bwrapPath, args, { cwd: opts.cwd, env: opts.env, extendEnv: false, stdio: stdio as unknown as Options['stdio'], timeout: opts.timeoutMs, reject: false });
          // bwrap writes its info JSON, the inner stage its start byte: drain both so no pipe fills.
          for (const fd of [inv.infoFd, opts.keepInner ? inv.startedFd : undefined]) {
            const pipe = fd !== undefined ? sub.stdio[fd] : undefined;
            if (pipe && 'resume' in pipe) pipe.resume();
          }
          const r = await sub;
          if (r.exitCode !== 0) throw new Error(`naive launcher (execa ${bwrapPath}): ${r.shortMessage ?? `exit ${String(r.exitCode)}`}`);
          return;
        }
        await spawnAndWait(bwrapPath, args, {
          cwd: opts.cwd,
          env: opts.env,
          stdio,
          timeoutMs: opts.timeoutMs,
          onSpawn: (child) => {
            // bwrap writes its info JSON here; drain it so a full pipe never blocks it.
            const info = inv.infoFd !== undefined ? child.stdio[inv.infoFd] : undefined;
            if (info && 'resume' in info) info.resume();
            const started = inv.startedFd !== undefined && opts.keepInner ? child.stdio[inv.startedFd] : undefined;
            if (started && 'resume' in started) started.resume();
          },
        });
      } finally {
        if (bpfFd !== undefined) closeSync(bpfFd);
        // Concurrent runs (the naive launcher's throughput) may still use the mount point: removed at close().
        if (opts.via !== 'execa') removeMountPoints();
      }
    },
    close: () => {
      removeMountPoints();
      closeSync(devNull);
      for (const fd of pinned.values()) closeSync(fd);
    },
  };
}

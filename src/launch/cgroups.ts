/**
 * The side-effect end of resource limits: creates the sandbox's cgroups before the launch (the
 * launcher joins them through --cgroup-procs before it execs bwrap), reads which limit was hit after
 * the launcher exited, and removes the cgroups.
 */
import { SandboxError } from '../errors.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatBytes } from '../contracts/index.js';
import type { CgroupPlan, LaunchRequest, LimitHit, LimitPlan } from '../contracts/index.js';

/**
 * 4 bytes from the kernel's CSPRNG (random(4): reads of up to 256 bytes from /dev/urandom are never
 * short), hex. The same source as crypto.randomBytes, without loading node:crypto's ~20 modules on
 * every `codex-sandbox run` that has a limit (issue #21).
 */
function randomHex4(): string {
  const buf = Buffer.alloc(4);
  const fd = fs.openSync('/dev/urandom', 'r');
  try {
    if (fs.readSync(fd, buf, 0, 4, null) !== 4) throw new LimitSetupError('short read from /dev/urandom; check the host');
  } finally {
    fs.closeSync(fd);
  }
  return buf.toString('hex');
}

export class LimitSetupError extends SandboxError {
  constructor(message: string) {
    super('LimitSetup', message);
    this.name = 'LimitSetupError';
  }
}

export interface LimitSession {
  /** Launcher options that go first (one `--cgroup-procs FILE` per cgroup). */
  launcherArgs: string[];
  /** After the launcher exited: which limit the run ran into (reads the cgroups' event counters). */
  finish(exit: { exitCode: number | null; signal: NodeJS.Signals | null }): LimitHit | undefined;
  /** Removes the cgroups (ending anything still in one); resolves when done or given up. */
  cleanup(): Promise<void>;
}

const NAME_PREFIX = 'codex-sandbox-';
const STALE_AFTER_MS = 60_000;
let counter = 0;
const swept = new Set<string>();

function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code !== undefined ? `${err.code} (${err.message})` : String(e);
}

function readOr(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** `key N` lines of a cgroup events file. */
function counterIn(text: string | undefined, key: string): number {
  if (text === undefined) return 0;
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes empty cgroups left by callers that died before cleaning up (SIGKILL); once per parent and process. */
function sweepStale(parent: string): void {
  if (swept.has(parent)) return;
  swept.add(parent);
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    const m = /^codex-sandbox-(\d+)-/.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    const dir = path.join(parent, name);
    try {
      // Old enough that no caller in another pid namespace can be between creating and joining it.
      if (now - fs.statSync(dir).mtimeMs < STALE_AFTER_MS) continue;
      fs.rmdirSync(dir); // fails (EBUSY) while a process is still in it
    } catch {
      // still in use, or not ours to remove
    }
  }
}

function createCgroup(c: CgroupPlan): string {
  sweepStale(c.parent);
  const dir = path.join(c.parent, `${NAME_PREFIX}${process.pid}-${++counter}-${randomHex4()}`);
  try {
    fs.mkdirSync(dir, { mode: 0o755 });
  } catch (e) {
    throw new LimitSetupError(`could not create the sandbox's cgroup ${dir}: ${errnoText(e)}; run \`codex-sandbox doctor\` (limits), or lift the limit`);
  }
  try {
    for (const s of c.settings) {
      const file = path.join(dir, s.file);
      try {
        fs.writeFileSync(file, s.value);
      } catch (e) {
        if (s.ifPresent === true && (e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw new LimitSetupError(`could not set ${s.file} = ${s.value} in the sandbox's cgroup ${dir}: ${errnoText(e)}`);
      }
    }
  } catch (e) {
    removeNow(dir);
    throw e;
  }
  return dir;
}

function removeNow(dir: string): boolean {
  try {
    fs.rmdirSync(dir);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** SIGKILLs what is left in a cgroup (direct mode has no pid namespace to end the tree with the command). */
function killRemaining(dir: string, version: 'v1' | 'v2'): void {
  if (version === 'v2') {
    try {
      fs.writeFileSync(path.join(dir, 'cgroup.kill'), '1');
      return;
    } catch {
      // cgroup.kill needs Linux 5.14; fall back to the pids
    }
  }
  for (const line of (readOr(path.join(dir, 'cgroup.procs')) ?? '').split('\n')) {
    const pid = Number(line);
    if (Number.isSafeInteger(pid) && pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

const SIGXCPU = os.constants.signals.SIGXCPU;

export function startLimitSession(plan: LimitPlan | undefined): LimitSession {
  const created: Array<{ dir: string; plan: CgroupPlan }> = [];
  try {
    for (const c of plan?.cgroups ?? []) created.push({ dir: createCgroup(c), plan: c });
  } catch (e) {
    for (const c of created) removeNow(c.dir);
    throw e;
  }
  const dirOf = (controller: 'pids' | 'memory'): { dir: string; plan: CgroupPlan } | undefined => created.find((c) => c.plan.controllers.includes(controller));
  return {
    launcherArgs: created.flatMap((c) => ['--cgroup-procs', path.join(c.dir, 'cgroup.procs')]),
    finish(exit): LimitHit | undefined {
      const mem = dirOf('memory');
      if (mem !== undefined && plan?.memory !== undefined) {
        const kills =
          mem.plan.version === 'v2'
            ? counterIn(readOr(path.join(mem.dir, 'memory.events')), 'oom_kill')
            : counterIn(readOr(path.join(mem.dir, 'memory.oom_control')), 'oom_kill');
        if (kills > 0) {
          const v = plan.memory.value;
          return { limit: 'memory', value: v, killed: true, message: `the command was killed: memory limit ${formatBytes(v)} reached` };
        }
      }
      // bwrap reports a command killed by a signal as 128+N (so does the launcher); direct mode as the signal.
      if (plan?.cpu !== undefined && (exit.signal === 'SIGXCPU' || exit.exitCode === 128 + SIGXCPU)) {
        const v = plan.cpu.value;
        return { limit: 'cpu', value: v, killed: true, message: `the command was killed: CPU time limit ${v} s reached (SIGXCPU)` };
      }
      const pids = dirOf('pids');
      if (pids !== undefined && plan?.pids !== undefined) {
        const refused = counterIn(readOr(path.join(pids.dir, 'pids.events')), 'max');
        if (refused > 0) {
          const v = plan.pids.value;
          return { limit: 'pids', value: v, killed: false, message: `process limit ${v} reached: ${refused} process creation${refused === 1 ? ' was' : 's were'} refused (EAGAIN)` };
        }
      }
      return undefined;
    },
    async cleanup(): Promise<void> {
      for (const c of created) {
        for (let attempt = 0; attempt < 50 && !removeNow(c.dir); attempt++) {
          if (attempt === 0 || attempt === 10) killRemaining(c.dir, c.plan.version);
          await new Promise((r) => setTimeout(r, attempt < 10 ? 2 : 20));
        }
      }
    },
  };
}

/** The request with the session's launcher options in front (the launcher reads options up to `--`). */
export function withLimitArgs(req: LaunchRequest, session: LimitSession): LaunchRequest {
  return session.launcherArgs.length === 0 ? req : { ...req, argv: [...session.launcherArgs, ...req.argv] };
}

/** The limit plan of a request (Linux launches only). */
export function limitPlanOf(req: LaunchRequest): LimitPlan | undefined {
  return req.native.platform === 'linux' ? req.native.limits : undefined;
}

/**
 * The Linux resource-limit plan (pure): for each limit, the mechanism that holds on this host
 * (facts.linux.limits), the cgroups the launch creates, and the launcher's rlimit options.
 */
import { formatBytes } from '../../contracts/index.js';
import type { CgroupParent, CgroupPlan, LimitFacts, LimitPlan, LimitPlanEntry, ResolvedLimits } from '../../contracts/index.js';

/**
 * Processes of a bwrap sandbox beside the command's own: bwrap itself and its pid-namespace init
 * (both in the cgroup; only the init is in the sandbox's user namespace, where RLIMIT_NPROC counts).
 */
const BWRAP_CGROUP_OVERHEAD = 2;
const BWRAP_USERNS_OVERHEAD = 1;

export interface LimitArgs {
  plan: LimitPlan;
  /** Options for the launcher's inner stage (bwrap mode) or its direct mode. */
  rlimitArgs: string[];
}

function cgroupMechanism(c: CgroupParent): 'cgroup-v1' | 'cgroup-v2' {
  return c.version === 'v2' ? 'cgroup-v2' : 'cgroup-v1';
}

export function planLimits(limits: ResolvedLimits, facts: LimitFacts | undefined, mode: 'bwrap' | 'direct'): LimitArgs {
  const rlimitArgs: string[] = [];
  const cgroups: CgroupPlan[] = [];
  const cgroupFor = (parent: CgroupParent): CgroupPlan => {
    let c = cgroups.find((g) => g.parent === parent.dir);
    if (c === undefined) {
      c = { version: parent.version, parent: parent.dir, controllers: [], settings: [] };
      cgroups.push(c);
    }
    return c;
  };
  const noCgroup = facts?.cgroupProblem ?? 'cgroups were not probed';

  let pids: LimitPlanEntry | undefined;
  if (limits.pids !== undefined) {
    const n = limits.pids;
    if (facts?.pidsCgroup !== undefined) {
      const c = cgroupFor(facts.pidsCgroup);
      c.controllers.push('pids');
      // pids.max counts every task of the cgroup (threads too), the sandbox's own bwrap processes included.
      c.settings.push({ file: 'pids.max', value: String(n + (mode === 'bwrap' ? BWRAP_CGROUP_OVERHEAD : 0)) });
      pids = { value: n, mechanism: cgroupMechanism(facts.pidsCgroup), note: `at most ${n} processes/threads in the whole sandbox (cgroup ${facts.pidsCgroup.version} pids.max under ${facts.pidsCgroup.dir}); more fail with EAGAIN and the run reports the limit` };
    } else if (mode === 'bwrap' && facts?.nprocInUserns === true) {
      rlimitArgs.push('--rlimit-nproc', String(n + BWRAP_USERNS_OVERHEAD));
      pids = { value: n, mechanism: 'rlimit', note: `at most ${n} processes/threads (RLIMIT_NPROC inside the sandbox's user namespace, which counts only the sandbox's processes); more fail with EAGAIN, but a hit is not reported (${noCgroup})` };
    } else {
      const why = mode === 'direct' ? 'this mode has no user namespace, where RLIMIT_NPROC would count all of the caller\'s processes' : (facts?.nprocProblem ?? 'RLIMIT_NPROC was not probed');
      pids = { value: n, mechanism: 'none', note: `${n} processes is NOT enforced: ${noCgroup}, and ${why}` };
    }
  }

  let memory: LimitPlanEntry | undefined;
  if (limits.memoryBytes !== undefined) {
    const n = limits.memoryBytes;
    const text = formatBytes(n);
    if (facts?.memoryCgroup !== undefined) {
      const c = cgroupFor(facts.memoryCgroup);
      c.controllers.push('memory');
      if (c.version === 'v2') {
        c.settings.push({ file: 'memory.max', value: String(n) }, { file: 'memory.swap.max', value: '0', ifPresent: true });
      } else {
        // memsw (RAM + swap) must not be below the RAM limit, so it is written second.
        c.settings.push({ file: 'memory.limit_in_bytes', value: String(n) }, { file: 'memory.memsw.limit_in_bytes', value: String(n), ifPresent: true });
      }
      memory = { value: n, mechanism: cgroupMechanism(facts.memoryCgroup), note: `${text} for the whole sandbox, swap included (cgroup ${facts.memoryCgroup.version} under ${facts.memoryCgroup.dir}); the kernel OOM-kills inside the sandbox and the run reports the limit` };
    } else {
      rlimitArgs.push('--rlimit-data', String(n));
      memory = { value: n, mechanism: 'rlimit', note: `${text} per process only (RLIMIT_DATA: heap and private writable mappings); an allocation beyond it fails with ENOMEM instead of a kill, the sandbox as a whole is NOT bounded, and a hit is not reported (${noCgroup})` };
    }
  }

  let cpu: LimitPlanEntry | undefined;
  if (limits.cpuSeconds !== undefined) {
    const n = limits.cpuSeconds;
    rlimitArgs.push('--rlimit-cpu', String(n));
    cpu = { value: n, mechanism: 'rlimit', note: `${n} s of CPU per process (RLIMIT_CPU): SIGXCPU, then SIGKILL a second later; each new process starts its own count, so a tree of processes can use more in total` };
  }
  return { plan: { pids, memory, cpu, cgroups }, rlimitArgs };
}

/** The enforcement lines for explain / --dry-run. */
export function limitEnforcementLines(plan: LimitPlan): string[] {
  const lines: string[] = [];
  lines.push(plan.pids ? `processes: ${plan.pids.note}` : 'processes: no limit (lifted by the caller)');
  lines.push(plan.memory ? `memory: ${plan.memory.note}` : 'memory: no limit');
  lines.push(plan.cpu ? `cpu time: ${plan.cpu.note}` : 'cpu time: no limit');
  return lines;
}

/** planLimits: which mechanism each limit gets from the host facts, and what the launcher is told. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PIDS_LIMIT, formatBytes, parseSize, resolveLimits } from '../../../src/contracts/index.js';
import type { LimitFacts } from '../../../src/contracts/index.js';
import { planLimits } from '../../../src/platforms/linux/limits.js';

const V1: LimitFacts = {
  pidsCgroup: { version: 'v1', dir: '/sys/fs/cgroup/pids' },
  memoryCgroup: { version: 'v1', dir: '/sys/fs/cgroup/memory/x' },
  cgroupProblem: undefined,
  nprocInUserns: false,
  nprocProblem: 'the caller is root (uid 0), which the kernel exempts from RLIMIT_NPROC',
};
const NONE_USER: LimitFacts = { pidsCgroup: undefined, memoryCgroup: undefined, cgroupProblem: 'no writable cgroup', nprocInUserns: true, nprocProblem: undefined };
const NONE_ROOT: LimitFacts = { ...NONE_USER, nprocInUserns: false, nprocProblem: 'the caller is root (uid 0), which the kernel exempts from RLIMIT_NPROC' };

describe('planLimits', () => {
  it('cgroups: pids.max counts bwrap and its init too; memory with swap; CPU by rlimit in the inner stage', () => {
    const { plan, rlimitArgs } = planLimits({ pids: 20, memoryBytes: 64 << 20, cpuSeconds: 5 }, V1, 'bwrap');
    expect(plan.cgroups).toEqual([
      { version: 'v1', parent: '/sys/fs/cgroup/pids', controllers: ['pids'], settings: [{ file: 'pids.max', value: '22' }] },
      {
        version: 'v1',
        parent: '/sys/fs/cgroup/memory/x',
        controllers: ['memory'],
        settings: [
          { file: 'memory.limit_in_bytes', value: String(64 << 20) },
          { file: 'memory.memsw.limit_in_bytes', value: String(64 << 20), ifPresent: true },
        ],
      },
    ]);
    expect(rlimitArgs).toEqual(['--rlimit-cpu', '5']);
    expect(plan.pids?.mechanism).toBe('cgroup-v1');
    expect(plan.memory?.mechanism).toBe('cgroup-v1');
  });

  it('cgroup v2 in one delegated parent: one cgroup with both controllers, swap off', () => {
    const dir = '/sys/fs/cgroup/user.slice/app.slice';
    const v2: LimitFacts = { ...V1, pidsCgroup: { version: 'v2', dir }, memoryCgroup: { version: 'v2', dir } };
    const { plan } = planLimits({ pids: 100, memoryBytes: 1 << 30, cpuSeconds: undefined }, v2, 'direct');
    expect(plan.cgroups).toEqual([
      {
        version: 'v2',
        parent: dir,
        controllers: ['pids', 'memory'],
        settings: [
          { file: 'pids.max', value: '100' },
          { file: 'memory.max', value: String(1 << 30) },
          { file: 'memory.swap.max', value: '0', ifPresent: true },
        ],
      },
    ]);
  });

  it('no cgroup, unprivileged: RLIMIT_NPROC in the sandbox\'s user namespace (plus bwrap\'s init), RLIMIT_DATA per process', () => {
    const { plan, rlimitArgs } = planLimits({ pids: 20, memoryBytes: 64 << 20, cpuSeconds: undefined }, NONE_USER, 'bwrap');
    expect(plan.cgroups).toEqual([]);
    expect(rlimitArgs).toEqual(['--rlimit-nproc', '21', '--rlimit-data', String(64 << 20)]);
    expect(plan.pids?.note).toMatch(/not reported/);
    expect(plan.memory?.note).toMatch(/per process only.*NOT bounded/);
  });

  it('no cgroup, root: the process limit is not enforced, and the plan says why', () => {
    const { plan, rlimitArgs } = planLimits({ pids: DEFAULT_PIDS_LIMIT, memoryBytes: undefined, cpuSeconds: undefined }, NONE_ROOT, 'bwrap');
    expect(rlimitArgs).toEqual([]);
    expect(plan.pids?.mechanism).toBe('none');
    expect(plan.pids?.note).toMatch(/NOT enforced.*uid 0/);
  });

  it('direct mode never uses RLIMIT_NPROC (it would count every process of the caller)', () => {
    const { plan, rlimitArgs } = planLimits({ pids: 50, memoryBytes: undefined, cpuSeconds: undefined }, NONE_USER, 'direct');
    expect(rlimitArgs).toEqual([]);
    expect(plan.pids?.mechanism).toBe('none');
  });
});

describe('limit values', () => {
  it('defaults: 1024 processes, no memory or CPU limit; unlimited lifts the default', () => {
    expect(resolveLimits(undefined)).toEqual({ pids: DEFAULT_PIDS_LIMIT, memoryBytes: undefined, cpuSeconds: undefined });
    expect(resolveLimits({ pids: 'unlimited' }).pids).toBeUndefined();
  });

  it.each([{ pids: 0 }, { pids: -1 }, { pids: 1.5 }, { memoryBytes: 0 }, { cpuSeconds: Number.NaN }])('library limits %j are refused', (l) => {
    expect(() => resolveLimits(l)).toThrow(/is not a positive integer/);
  });

  it('sizes use binary units', () => {
    expect(parseSize('64M')).toBe(64 * 1024 * 1024);
    expect(parseSize('2G')).toBe(2 * 1024 ** 3);
    expect(parseSize('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('512k')).toBe(512 * 1024);
    expect(parseSize('1048576')).toBe(1048576);
    for (const bad of ['2X', '-5M', '0', '', 'M', '1e9']) expect(parseSize(bad)).toBeUndefined();
    expect(formatBytes(64 * 1024 * 1024)).toBe('64 MiB');
    expect(formatBytes(1000)).toBe('1000 bytes');
  });
});

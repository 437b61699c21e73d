/**
 * The cgroup / rlimit probe over fake /proc files: a delegated cgroup v2 subtree (systemd user
 * session), writable v1 hierarchies (root on a hybrid host), nothing usable, and the RLIMIT_NPROC
 * conditions (uid 0 is exempt; per-namespace counting needs Linux 5.14). Fakes only because the
 * hierarchies a test can reach here are the host's own (the real ones are exercised by
 * test/integration/linux/limits.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { CgroupHost } from '../../../src/host/cgroups.js';
import { probeLimitFacts } from '../../../src/host/cgroups.js';

function host(files: Record<string, string>, writable: string[], uid = 1000, kernelRelease = '6.8.0'): CgroupHost {
  return { readText: (p) => files[p], writable: (p) => writable.includes(p), uid, kernelRelease };
}

const V2_MOUNTINFO = '30 22 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n';
const USER_SVC = '/user.slice/user-1000.slice/user@1000.service/app.slice';
const V1_MOUNTINFO = [
  '34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');

describe('probeLimitFacts', () => {
  it('cgroup v2: a delegated parent (writable, pids and memory for its children) holds the sandboxes next to our own cgroup', () => {
    const f = probeLimitFacts(
      host(
        {
          '/proc/self/cgroup': `0::${USER_SVC}/term.scope\n`,
          '/proc/self/mountinfo': V2_MOUNTINFO,
          [`/sys/fs/cgroup${USER_SVC}/cgroup.subtree_control`]: 'cpu memory pids\n',
        },
        [`/sys/fs/cgroup${USER_SVC}`, `/sys/fs/cgroup${USER_SVC}/cgroup.procs`],
      ),
    );
    expect(f.pidsCgroup).toEqual({ version: 'v2', dir: `/sys/fs/cgroup${USER_SVC}` });
    expect(f.memoryCgroup).toEqual({ version: 'v2', dir: `/sys/fs/cgroup${USER_SVC}` });
    expect(f.cgroupProblem).toBeUndefined();
    expect(f.nprocInUserns).toBe(true);
  });

  it('cgroup v2 without delegation (parent not writable, or controller not enabled for children) is not used', () => {
    const files = {
      '/proc/self/cgroup': `0::${USER_SVC}/term.scope\n`,
      '/proc/self/mountinfo': V2_MOUNTINFO,
      [`/sys/fs/cgroup${USER_SVC}/cgroup.subtree_control`]: 'cpu memory\n',
    };
    const notWritable = probeLimitFacts(host(files, []));
    expect(notWritable.pidsCgroup).toBeUndefined();
    expect(notWritable.memoryCgroup).toBeUndefined();
    expect(notWritable.cgroupProblem).toMatch(/no writable cgroup for pids and memory/);
    const noPids = probeLimitFacts(host(files, [`/sys/fs/cgroup${USER_SVC}`, `/sys/fs/cgroup${USER_SVC}/cgroup.procs`]));
    expect(noPids.pidsCgroup).toBeUndefined();
    expect(noPids.memoryCgroup?.version).toBe('v2');
  });

  it('cgroup v1: children go under this process\'s own cgroup of each writable hierarchy', () => {
    const f = probeLimitFacts(
      host(
        {
          '/proc/self/cgroup': '8:pids:/\n4:memory:/process_api/abc\n0::/\n',
          '/proc/self/mountinfo': V1_MOUNTINFO,
          '/sys/fs/cgroup/pids/cgroup.procs': '1\n',
          '/sys/fs/cgroup/memory/process_api/abc/cgroup.procs': '1\n',
        },
        ['/sys/fs/cgroup/pids', '/sys/fs/cgroup/memory/process_api/abc'],
        0,
      ),
    );
    expect(f.pidsCgroup).toEqual({ version: 'v1', dir: '/sys/fs/cgroup/pids' });
    expect(f.memoryCgroup).toEqual({ version: 'v1', dir: '/sys/fs/cgroup/memory/process_api/abc' });
    expect(f.nprocInUserns).toBe(false);
    expect(f.nprocProblem).toMatch(/root \(uid 0\).*exempts/);
  });

  it('cgroup v1: a host that can tell a readable cgroup.procs never reads it (it lists every pid of the cgroup)', () => {
    const read: string[] = [];
    const files: Record<string, string> = { '/proc/self/cgroup': '8:pids:/\n4:memory:/process_api/abc\n0::/\n', '/proc/self/mountinfo': V1_MOUNTINFO };
    const readableProcs = ['/sys/fs/cgroup/pids/cgroup.procs'];
    const f = probeLimitFacts({
      ...host(files, ['/sys/fs/cgroup/pids', '/sys/fs/cgroup/memory/process_api/abc'], 0),
      readText: (p) => {
        read.push(p);
        return files[p];
      },
      readable: (p) => readableProcs.includes(p),
    });
    expect(f.pidsCgroup).toEqual({ version: 'v1', dir: '/sys/fs/cgroup/pids' });
    // Not readable: not used, although its directory is writable.
    expect(f.memoryCgroup).toBeUndefined();
    expect(read.filter((p) => p.endsWith('/cgroup.procs'))).toEqual([]);
  });

  it('an unprivileged caller on an old kernel has neither cgroups nor a per-namespace RLIMIT_NPROC', () => {
    const f = probeLimitFacts(host({ '/proc/self/cgroup': '0::/user.slice\n', '/proc/self/mountinfo': V2_MOUNTINFO }, [], 1000, '5.10.0-28-amd64'));
    expect(f.pidsCgroup).toBeUndefined();
    expect(f.nprocInUserns).toBe(false);
    expect(f.nprocProblem).toMatch(/5\.10\.0.*needs Linux 5\.14/);
  });
});

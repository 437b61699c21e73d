#!/usr/bin/env python3
# Usage: python3 scripts/bench-registry.py N K ROUNDS LAUNCHER [LAUNCHER...]   (interleaved; ratios vs the first)
# Registry cost harness: N fake live launchers (an OFD/POSIX lock on byte <pid> of the lock file, held
# by this process) with K records each in table-2, then time real launcher runs against that registry.
import fcntl, os, subprocess, sys, time, statistics, tempfile, shutil
N = int(sys.argv[1]); K = int(sys.argv[2]); rounds = int(sys.argv[3]); launchers = sys.argv[4:]
root = tempfile.mkdtemp(prefix='csbx-reg-bench-', dir='/var/tmp')
work = os.path.join(root, 'work'); os.mkdir(work)
def setup(reg):
    os.mkdir(reg, 0o700)
    fd = os.open(os.path.join(reg, 'lock'), os.O_RDWR | os.O_CREAT, 0o600)
    data = b''
    for i in range(N):
        pid = 3000000 + 2 * i  # not adjacent: locks of one owner on adjacent bytes would merge
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, pid, os.SEEK_SET)
        for k in range(K):
            data += b'L%d\0e\0/var/tmp/none-%d-%d\0' % (pid, i, k)
    with open(os.path.join(reg, 'table-2'), 'wb') as f: f.write(data)
    return fd
regs = {}
for j, l in enumerate(launchers):
    reg = os.path.join(root, 'reg%d' % j); regs[l] = (reg, setup(reg))
target = os.path.join(work, 'missing')
def run(l):
    reg = regs[l][0]
    args = [l, '--bwrap', '--devnull', '7', '--registry', reg, '--synthetic', target, '--', '/usr/bin/bwrap',
            '--ro-bind', '/', '/', '--dev', '/dev', '--unshare-user', '--unshare-pid', '--bind', work, work,
            '--ro-bind-data', '7', target, '--', '/bin/true']
    t0 = time.perf_counter()
    r = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, pass_fds=(), )
    dt = (time.perf_counter() - t0) * 1000
    if r.returncode != 0: raise SystemExit('%s: %d %s' % (l, r.returncode, r.stderr[:300]))
    return dt
times = {l: [] for l in launchers}
for l in launchers: run(l)
for i in range(rounds):
    order = launchers if i % 2 == 0 else list(reversed(launchers))
    for l in order: times[l].append(run(l))
base = statistics.median(times[launchers[0]])
for l in launchers:
    m = statistics.median(times[l])
    paired = sorted(a / b for a, b in zip(times[l], times[launchers[0]]))
    print('%-70s N=%d K=%d median %.2f ms ratio %.3f (paired p10-p90 %.3f-%.3f, n=%d)' % (l, N, K, m, m / base, paired[len(paired)//10], paired[(len(paired)*9)//10], len(paired)))
shutil.rmtree(root)

#!/usr/bin/env python3
# Usage: python3 scripts/bench-registry.py N K ROUNDS [--dir BASE] [--bwrap PATH|--no-bwrap] FORMAT:LAUNCHER [FORMAT:LAUNCHER...]
#   FORMAT is 2 (table-2, main before format 3) or 3 (launchers-3/ + paths-3/, native/launcher/registry.cc).
# Registry cost harness: for each launcher, one registry with no live launcher and one with N fake live
# launchers holding K records each (targets of their own, not the measured one), in that launcher's
# format; then times real launcher runs against both, interleaved, and prints each launcher's ratio
# N-live / none. Live records: format 2, an OFD/POSIX lock on byte <pid> of `lock` held by this process
# (fake pids); format 3, flock(LOCK_EX) on each record file, held open by this process.
# --no-bwrap: the launcher execs /bin/true in place of bwrap, so only the launcher and its registry
# work are timed (the most sensitive measure); default: /usr/bin/bwrap running /bin/true.
# --dir BASE: where the registries are made (default /var/tmp; /dev/shm for tmpfs, like /run/user/<uid>).
import fcntl, hashlib, os, subprocess, sys, time, statistics, tempfile, shutil
N = int(sys.argv[1]); K = int(sys.argv[2]); rounds = int(sys.argv[3]); rest = sys.argv[4:]
bwrap = '/usr/bin/bwrap'
base = '/var/tmp'
if rest and rest[0] == '--dir': base = rest[1]; rest = rest[2:]
if rest and rest[0] == '--no-bwrap': bwrap = None; rest = rest[1:]
elif rest and rest[0] == '--bwrap': bwrap = rest[1]; rest = rest[2:]
launchers = [(int(x.split(':', 1)[0]), x.split(':', 1)[1]) for x in rest]
root = tempfile.mkdtemp(prefix='csbx-reg-bench-', dir=base)
work = os.path.join(root, 'work'); os.mkdir(work)
held = []
def setup(reg, fmt, n):
    os.mkdir(reg, 0o700)
    fd = os.open(os.path.join(reg, 'lock'), os.O_RDWR | os.O_CREAT, 0o600); held.append(fd)
    if fmt == 2:
        data = b''
        for i in range(n):
            pid = 3000000 + 2 * i  # not adjacent: locks of one owner on adjacent bytes would merge
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, pid, os.SEEK_SET)
            for k in range(K): data += b'L%d\0e\0/var/tmp/none-%d-%d\0' % (pid, i, k)
        if data:
            with open(os.path.join(reg, 'table-2'), 'wb') as f: f.write(data)
        return
    launch_dir = os.path.join(reg, 'launchers-3'); paths = os.path.join(reg, 'paths-3')
    os.mkdir(launch_dir, 0o700); os.mkdir(paths, 0o700)
    for i in range(n):
        name = '%d.%d' % (3000000 + i, i); f = os.path.join(launch_dir, name)
        targets = [b'/var/tmp/none-%d-%d' % (i, k) for k in range(K)]
        rfd = os.open(f, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600); held.append(rfd)
        fcntl.flock(rfd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(rfd, b''.join(t + b'\0' for t in targets))
        for t in targets:
            d = os.path.join(paths, hashlib.sha256(t).hexdigest()); os.mkdir(d, 0o700)  # no sticky bit: existed
            os.link(f, os.path.join(d, name))
import resource
resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
cases = []
for j, (fmt, l) in enumerate(launchers):
    for n in (0, N):
        reg = os.path.join(root, 'reg%d-%d' % (j, n)); setup(reg, fmt, n); cases.append((fmt, l, n, reg))
target = os.path.join(work, 'missing')
def run(case):
    fmt, l, n, reg = case
    if bwrap is None:
        args = [l, '--bwrap', '--registry', reg, '--synthetic', target, '--', '/bin/true']
    else:
        args = [l, '--bwrap', '--devnull', '7', '--registry', reg, '--synthetic', target, '--', bwrap,
                '--ro-bind', '/', '/', '--dev', '/dev', '--unshare-user', '--unshare-pid', '--bind', work, work,
                '--ro-bind-data', '7', target, '--', '/bin/true']
    # posix_spawn + wait4: the wall time, and the CPU time (user + system) of the launcher and every
    # process it waited for (bwrap, the command): steadier than wall time on a loaded machine.
    devnull = os.open(os.devnull, os.O_RDWR)
    t0 = time.perf_counter()
    pid = os.posix_spawn(l, args, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1)])
    _, status, ru = os.wait4(pid, 0)
    dt = (time.perf_counter() - t0) * 1000
    os.close(devnull)
    if status != 0: raise SystemExit('%s: wait status %d (run it by hand to see its message)' % (l, status))
    return dt, (ru.ru_utime + ru.ru_stime) * 1000
times = {c: [] for c in cases}
for c in cases: run(c)
for i in range(rounds):
    for c in (cases if i % 2 == 0 else list(reversed(cases))): times[c].append(run(c))
print('load average %s, registries under %s' % (open('/proc/loadavg').read().split()[:3], base))
for fmt, l, n, reg in cases:
    if n == 0: continue
    live = times[(fmt, l, n, reg)]; none = times[(fmt, l, 0, reg.replace('-%d' % n, '-0'))]
    for what, k in (('wall', 0), ('cpu', 1)):
        a = [x[k] for x in live]; b = [x[k] for x in none]
        paired = sorted(x / y for x, y in zip(a, b) if y > 0)
        print('format %d %-45s N=%d K=%d %-4s: none %.2f ms, live %.2f ms, ratio %.3f (paired p10-p90 %.3f-%.3f, n=%d)%s' % (
            fmt, l, N, K, what, statistics.median(b), statistics.median(a), statistics.median(a) / statistics.median(b),
            paired[len(paired)//10], paired[(len(paired)*9)//10], len(paired), '' if bwrap else ' [no bwrap]'))
shutil.rmtree(root)

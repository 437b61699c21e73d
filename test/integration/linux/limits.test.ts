/**
 * Real resource limits (#15): a fork bomb under the default limits, a memory hog, a process cap and
 * a CPU-time cap, each run for real in bubblewrap. As root this host enforces them with cgroups
 * (v1 here; v2 where delegated); as an unprivileged user without a delegated cgroup, with rlimits in
 * the sandbox's user namespace (processes, CPU) and per-process RLIMIT_DATA (memory) — the tests
 * assert what holds for the mechanism the plan chose, and that it is the one doctor/explain name.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_PIDS_LIMIT } from '../../../src/contracts/index.js';
import { launcherPath } from '../../../src/native.js';
import type { LimitPlan } from '../../../src/contracts/index.js';
import { Scratch as CliScratch, requireBuilt } from '../../cli/helpers.js';
import { PY, isLinux, sandbox, scratch } from './helpers.js';
import type { Scratch } from './helpers.js';

async function limitPlan(limits: Parameters<Awaited<ReturnType<typeof sandbox>>['plan']>[2] = {}): Promise<LimitPlan> {
  const sb = await sandbox();
  const req = sb.plan(['/bin/true'], 'workspace-write', { cwd: '/', ...limits });
  if (req.native.platform !== 'linux' || req.native.limits === undefined) throw new Error('no Linux limit plan');
  return req.native.limits;
}

/** Latency of starting /bin/true on the host, in ms. */
function hostLatency(): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn('/bin/true', { stdio: 'ignore' });
    p.once('error', reject);
    p.once('exit', () => resolve(performance.now() - t0));
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** Python: fork children that sleep until the first fork fails; prints how many processes existed (itself included). */
const FORK_UNTIL_REFUSED = `
import os, sys, time, errno
n, kids = 1, []
for _ in range(int(sys.argv[1])):
    try:
        pid = os.fork()
    except OSError as e:
        print("created=%d errno=%s" % (n, errno.errorcode[e.errno]), flush=True); break
    if pid == 0:
        time.sleep(10); os._exit(0)
    kids.append(pid); n += 1
else:
    print("created=%d no-failure" % n, flush=True)
for k in kids: os.kill(k, 9)
for k in kids: os.waitpid(k, 0)
`;

/**
 * A fork bomb that cannot take the host down even with no limit at all: a tree of dash subshells,
 * each forking 4 more down to depth 6 (1365 processes at most), every one then blocked on a FIFO
 * nobody writes; the driver (python, so it needs no fork to keep going) ends the sandbox once the
 * tree stops growing (40 s at most, and the test's timeout kills it too), and the pid namespace
 * takes every blocked process with it. Each process logs "s" when it starts and "e" when a refused
 * fork ends it, so the log's running balance is how many existed at once.
 */
const BOMB = `
node() {
  echo s >> "$LOG"
  trap 'echo e >> "$LOG"' EXIT
  if [ "$1" -lt 6 ]; then
    for i in 1 2 3 4; do node $(($1 + 1)) & done
  fi
  trap - EXIT
  read x < "$FIFO"
}
node 1
`;
const BOMB_DRIVER = `
import os, time
log = os.environ["LOG"]
if os.fork() == 0:
    os.execv("/bin/sh", ["sh", "bomb.sh"])
prev, stable, t0 = -1, 0, time.time()
while time.time() - t0 < 40 and stable < 4:
    time.sleep(0.5)
    n = os.path.getsize(log)
    stable = stable + 1 if n == prev else 0
    prev = n
`;

function maxConcurrent(log: string): { max: number; started: number } {
  let cur = 0;
  let max = 0;
  let started = 0;
  for (const line of log.split('\n')) {
    if (line === 's') {
      cur++;
      started++;
    } else if (line === 'e') cur--;
    max = Math.max(max, cur);
  }
  return { max, started };
}

describe.skipIf(!isLinux)('linux sandbox: resource limits (real processes)', () => {
  let s: Scratch;
  beforeEach(() => {
    s = scratch('csbx-limits-');
  });
  afterEach(() => s.cleanup());

  it(`a fork bomb under the default limits (${DEFAULT_PIDS_LIMIT} processes) stops at the limit and the host stays responsive`, async () => {
    const plan = await limitPlan();
    expect(plan.pids?.value).toBe(DEFAULT_PIDS_LIMIT);
    // Root without a cgroup has no way to bound processes (the kernel exempts uid 0 from RLIMIT_NPROC).
    if (plan.pids?.mechanism === 'none') throw new Error(`no process limit on this host: ${plan.pids.note}`);
    writeFileSync(join(s.ws, 'bomb.sh'), BOMB);
    const log = join(s.ws, 'log');
    writeFileSync(log, '');
    const fifo = join(s.ws, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const baseline: number[] = [];
    for (let i = 0; i < 10; i++) baseline.push(await hostLatency());

    const sb = await sandbox();
    const sub = sb.spawn([PY, '-c', BOMB_DRIVER], 'workspace-write', { cwd: s.ws, reject: false, stdin: 'ignore', timeout: 90_000, env: { ...process.env, LOG: log, FIFO: fifo } });
    const during: number[] = [];
    let finished = false;
    void sub.finally(() => {
      finished = true;
    });
    const t0 = performance.now();
    while (!finished && performance.now() - t0 < 45_000) {
      during.push(await hostLatency());
      await new Promise((r) => setTimeout(r, 50));
    }
    const r = await sub;
    const hit = await sub.limitHit;
    const { max, started } = maxConcurrent(readFileSync(log, 'utf8'));
    const report = `max concurrent ${max}, started ${started}, exit ${String(r.exitCode)}, latency baseline median ${median(baseline).toFixed(1)} ms, during median ${median(during).toFixed(1)} ms max ${Math.max(...during).toFixed(1)} ms (${during.length} samples), ${plan.pids?.note ?? ''}`;
    console.log(`fork bomb: ${report}`);
    // The bomb really pressed against the limit, and never got past it.
    expect(max, report).toBeGreaterThan(DEFAULT_PIDS_LIMIT * 0.8);
    expect(max, report).toBeLessThanOrEqual(DEFAULT_PIDS_LIMIT);
    // The host kept starting processes promptly while the bomb ran.
    expect(during.length, report).toBeGreaterThan(5);
    expect(median(during), report).toBeLessThan(Math.max(250, 20 * median(baseline)));
    expect(Math.max(...during), report).toBeLessThan(10_000);
    if (plan.pids?.mechanism === 'rlimit') {
      // RLIMIT_NPROC refuses the forks but leaves no counter to read: not reported (doctor says so).
      expect(hit).toBeUndefined();
    } else {
      expect(hit?.limit, report).toBe('pids');
      expect(hit?.message).toMatch(new RegExp(`process limit ${DEFAULT_PIDS_LIMIT} reached`));
    }
  }, 120_000);

  it('limits.pids 20: the 21st concurrent process fails with EAGAIN, and the run says which limit', async () => {
    const sb = await sandbox();
    const sub = sb.spawn([PY, '-c', FORK_UNTIL_REFUSED, '40'], 'workspace-write', { cwd: s.ws, reject: false, stdin: 'ignore', limits: { pids: 20 } });
    const r = await sub;
    expect(String(r.stdout).trim(), String(r.stderr)).toBe('created=20 errno=EAGAIN');
    const hit = await sub.limitHit;
    const mechanism = sub.launchRequest.native.platform === 'linux' ? sub.launchRequest.native.limits?.pids?.mechanism : undefined;
    if (mechanism === 'rlimit') expect(hit).toBeUndefined();
    else expect(hit).toEqual({ limit: 'pids', value: 20, killed: false, message: 'process limit 20 reached: 1 process creation was refused (EAGAIN)' });
  }, 60_000);

  it('without a limit (pids: unlimited) the same program creates all 41 processes', async () => {
    const sb = await sandbox();
    const sub = sb.spawn([PY, '-c', FORK_UNTIL_REFUSED, '40'], 'workspace-write', { cwd: s.ws, reject: false, stdin: 'ignore', limits: { pids: 'unlimited' } });
    const r = await sub;
    expect(String(r.stdout).trim()).toBe('created=41 no-failure');
    expect(await sub.limitHit).toBeUndefined();
  }, 60_000);

  it('limits.cpuSeconds 1: a busy loop is killed by SIGXCPU after about a second and reported', async () => {
    const sb = await sandbox();
    const t0 = performance.now();
    const sub = sb.spawn(['/bin/sh', '-c', 'while :; do :; done'], 'workspace-write', { cwd: s.ws, reject: false, stdin: 'ignore', timeout: 30_000, limits: { cpuSeconds: 1 } });
    const r = await sub;
    const elapsed = performance.now() - t0;
    expect(r.exitCode).toBe(128 + 24);
    expect(elapsed).toBeLessThan(10_000);
    expect(await sub.limitHit).toEqual({ limit: 'cpu', value: 1, killed: true, message: 'the command was killed: CPU time limit 1 s reached (SIGXCPU)' });
  }, 60_000);

  it('limits.cpuSeconds also holds without bubblewrap (danger-full-access, no network: the launcher runs the command itself)', async () => {
    const sb = await sandbox();
    const sub = sb.spawn(['/bin/sh', '-c', 'while :; do :; done'], 'danger-full-access', { cwd: s.ws, network: false, reject: false, stdin: 'ignore', timeout: 30_000, limits: { cpuSeconds: 1 } });
    const r = await sub;
    expect(sub.launchRequest.kind).toBe('linux-seccomp');
    expect(r.signal).toBe('SIGXCPU');
    expect((await sub.limitHit)?.limit).toBe('cpu');
  }, 60_000);

  it('a sandbox\'s cgroups are removed after it exits', async () => {
    const plan = await limitPlan({ limits: { memoryBytes: 64 * 1024 * 1024 } });
    if (plan.cgroups.length === 0) {
      // Nothing to remove: this caller has no writable cgroup (the rlimit path).
      expect(plan.pids?.mechanism).not.toMatch(/^cgroup/);
      return;
    }
    const sb = await sandbox();
    const sub = sb.spawn(['/bin/cat', '/proc/self/cgroup'], 'workspace-write', { cwd: s.ws, reject: false, stdin: 'ignore', limits: { memoryBytes: 64 * 1024 * 1024 } });
    const r = await sub;
    await sub.limitHit;
    const names = [...String(r.stdout).matchAll(/codex-sandbox-[0-9a-f-]+/g)].map((m) => m[0]);
    // The command ran in a fresh cgroup of each hierarchy the plan named...
    expect(names.length, String(r.stdout)).toBe(plan.cgroups.length);
    // ...and none is left behind.
    for (const c of plan.cgroups) for (const n of names) expect(existsSync(join(c.parent, n))).toBe(false);
  }, 60_000);
});

describe.skipIf(!isLinux)('linux CLI: resource limit flags (real processes)', () => {
  let w: CliScratch;
  beforeAll(() => requireBuilt());
  beforeEach(() => {
    w = new CliScratch();
  });
  afterEach(() => w.dispose());

  // 512 MiB at most, every page written: bounded even if the limit is missing.
  const HOG = "b = []\nfor i in range(64): b.append(b'\\x01' * (8 << 20))\nprint('survived', flush=True)";

  it('a memory hog under --limit-memory 64M is stopped, and a cgroup kill is reported in one line', async () => {
    const plan = await limitPlan({ limits: { memoryBytes: 64 * 1024 * 1024 } });
    const r = w.cli(['run', '--limit-memory', '64M', '--', PY, '-c', HOG]);
    expect(r.status, r.report).not.toBe(0);
    expect(r.stdout, r.report).not.toContain('survived');
    if (plan.memory?.mechanism === 'rlimit') {
      // Per-process RLIMIT_DATA: the allocation fails instead (no kill, nothing to report).
      expect(r.stderr, r.report).toMatch(/MemoryError/);
    } else {
      expect(r.status, r.report).toBe(137);
      expect(r.stderr, r.report).toContain('codex-sandbox: the command was killed: memory limit 64 MiB reached');
    }
  }, 60_000);

  it.each([
    ['--limit-memory', '2X'],
    ['--limit-memory', '-5M'],
    ['--limit-memory', '0'],
    ['--limit-pids', '0'],
    ['--limit-pids', '-1'],
    ['--limit-pids', '1.5'],
    ['--limit-cpu-seconds', '0'],
    ['--limit-cpu-seconds', 'ten'],
  ])('%s %s is a usage error (exit 2) naming the flag and the value', (flag, value) => {
    const r = w.cli(['run', `${flag}=${value}`, '--', '/bin/true']);
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toContain(`${flag} ${JSON.stringify(value)}`);
  });

  it('a project codex-sandbox.toml may lower limits ([profiles.NAME.limits]); the 21st process then fails for real', () => {
    w.write('home/proj/codex-sandbox.toml', 'default_profile = "small"\n[profiles.small]\nextends = "workspace-write"\n[profiles.small.limits]\npids = 20\nmemory = "64M"\ncpu_seconds = 30\n');
    const e = w.cli(['explain', '--', '/bin/true']);
    expect(e.status, e.report).toBe(0);
    expect(e.stdout).toMatch(/processes: .*\b20 processes/);
    expect(e.stdout).toMatch(/memory: 64 MiB/);
    expect(e.stdout).toMatch(/cpu time: 30 s/);
    const r = w.cli(['run', '--', PY, '-c', FORK_UNTIL_REFUSED, '40']);
    expect(r.stdout.trim(), r.report).toBe('created=20 errno=EAGAIN');
    // The caller's flag wins over the file.
    const f = w.cli(['run', '--limit-pids', '30', '--', PY, '-c', FORK_UNTIL_REFUSED, '40']);
    expect(f.stdout.trim(), f.report).toBe('created=30 errno=EAGAIN');
  }, 60_000);

  it('cgroups left by a caller that died (SIGKILL) are swept by the next run once they are a minute old', async () => {
    const plan = await limitPlan();
    if (plan.cgroups.length === 0) {
      // Nothing to sweep: this caller creates no cgroups (the rlimit path).
      expect(plan.pids?.mechanism).not.toMatch(/^cgroup/);
      return;
    }
    const parent = plan.cgroups[0]!.parent;
    // 4000000 is above any pid_max default (4194304 is the ceiling; 32768 here): never a live process.
    const stale = join(parent, 'codex-sandbox-4000000-1-stale');
    const fresh = join(parent, 'codex-sandbox-4000000-2-fresh');
    const live = join(parent, `codex-sandbox-${process.pid}-999-live`);
    for (const d of [stale, fresh, live]) mkdirSync(d);
    try {
      execFileSync('touch', ['-d', '2 hours ago', stale, live]);
      const r = w.cli(['run', '--', '/bin/true']);
      expect(r.status, r.report).toBe(0);
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(fresh)).toBe(true); // may be a caller in another pid namespace between mkdir and join
      expect(existsSync(live)).toBe(true); // its caller is alive
    } finally {
      for (const d of [stale, fresh, live]) if (existsSync(d)) rmdirSync(d);
    }
  });

  it.each([['5000'], ['"unlimited"']])('an untrusted project file cannot raise the process limit (pids = %s): exit 2 naming the key', (value) => {
    w.write('home/proj/codex-sandbox.toml', `default_profile = "big"\n[profiles.big]\nextends = "workspace-write"\n[profiles.big.limits]\npids = ${value}\n`);
    const r = w.cli(['run', '--', PY, '-c', FORK_UNTIL_REFUSED, '1200']);
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toMatch(/codex-sandbox\.toml:5: profiles\.big\.limits\.pids: it raises the process limit/);
    expect(r.stdout).toBe('');
    // Trusted explicitly, it applies.
    const t = w.cli(['explain', '--trust-project-config', '--', '/bin/true']);
    expect(t.status, t.report).toBe(0);
    expect(t.stdout).toMatch(value === '5000' ? /processes: .*5000/ : /processes: no limit/);
  });

  it('explain lists each limit and the mechanism that holds it', () => {
    const r = w.cli(['explain', '--limit-memory', '1G', '--limit-pids', '300', '--limit-cpu-seconds', '60', '--', '/bin/true']);
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).toMatch(/processes: .*300/);
    expect(r.stdout).toMatch(/memory: .*1 GiB/);
    expect(r.stdout).toMatch(/cpu time: 60 s of CPU per process \(RLIMIT_CPU\)/);
  });
});


describe.skipIf(!isLinux)('launcher: limit options fail closed (exit 125 naming what is wrong)', () => {
  const launch = (args: string[]): { status: number | null; stderr: string } => {
    const r = spawnSync(launcherPath(), args, { encoding: 'utf8' });
    return { status: r.status, stderr: r.stderr };
  };

  it('a cgroup that cannot be joined stops the launch before the command runs', () => {
    const r = launch(['--cgroup-procs', '/nonexistent/codex-sandbox-x/cgroup.procs', '--', '/bin/echo', 'ran']);
    expect(r.status).toBe(125);
    expect(r.stderr).toContain("codex-sandbox: opening the sandbox's cgroup /nonexistent/codex-sandbox-x/cgroup.procs: No such file or directory");
  });

  it.each([['--rlimit-nproc', '0'], ['--rlimit-cpu', '-1'], ['--rlimit-data', '12x']])('%s %s is refused', (opt, value) => {
    const r = launch([opt, value, '--', '/bin/true']);
    expect(r.status).toBe(125);
    expect(r.stderr).toContain(`${opt}: invalid value '${value}'`);
  });

  it('direct mode applies the rlimits before exec', () => {
    const r = spawnSync(launcherPath(), ['--rlimit-cpu', '7', '--rlimit-data', String(512 << 20), '--', '/bin/sh', '-c', 'ulimit -t; ulimit -d'], { encoding: 'utf8' });
    expect(r.stdout).toBe(`7\n${(512 << 20) / 1024}\n`);
  });
});

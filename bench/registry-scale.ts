/**
 * Issue #21: launch cost against the number of live sandboxes registered in the launcher's placeholder
 * registry (0–1,000). Each count gets its own registry directory, filled with N live launchers'
 * format-3 records (native/launcher/registry.cc): a record file per launcher listing three targets,
 * hard-linked into each target's directory, held live by flock(LOCK_EX) from one Python process that
 * keeps every record file open (a record is live exactly while its lock is held; the name's pid plays
 * no part). Two shapes: the N sandboxes work elsewhere (their targets are not ours), or they share
 * this launch's own targets (N live entries in each of its target directories). The measured launch
 * is the real workspace-write plan's launcher argv for `/bin/true`, its `--registry` pointed at that
 * directory; counts run interleaved, round by round. The same Python process starts each launch
 * (posix_spawn + wait4), so besides the wall time it reports the CPU time of the launcher and
 * everything it waited for (bwrap, the command): the steadier figure on a loaded machine.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { LaunchRequest } from '../src/contracts/index.js';
import { spawnAndWait } from './spawn-wait.js';
import { ratio, summarise, type Ratio, type Summary } from './stats.js';

export interface RegistryScaleRow {
  /** Live launchers registered. */
  live: number;
  /** Whether they share this launch's targets (else they use targets of their own). */
  shared: boolean;
  /** Wall time of one launch. */
  ms: Summary;
  /** CPU time (user + system) of the launcher and every process it waited for. */
  cpuMs: Summary;
  /** Wall time over the same shape with no live launcher, paired per round. */
  overNone: Ratio | undefined;
  /** CPU time over no live launcher, paired per round (the target's figure). */
  cpuOverNone: Ratio | undefined;
}

/** Creates N live records per registry and holds their locks until stdin closes. */
const HOLDER = String.raw`
import fcntl, hashlib, json, os, resource, sys, time
spec = json.loads(sys.argv[1])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held = []
for reg in spec:
    launchers = os.path.join(reg['dir'], 'launchers-3'); paths = os.path.join(reg['dir'], 'paths-3')
    os.makedirs(launchers, 0o700, exist_ok=True); os.makedirs(paths, 0o700, exist_ok=True)
    for i in range(reg['live']):
        name = '%d.%d' % (3000000 + i, i)
        targets = ['%s/live-%d/%s' % (reg['elsewhere'], i, t) for t in ('.git', '.codex', '.agents')] + reg['shared']
        f = os.path.join(launchers, name)
        fd = os.open(f, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, b''.join(t.encode() + b'\0' for t in targets))
        held.append(fd)
        for t in targets:
            d = os.path.join(paths, hashlib.sha256(t.encode()).hexdigest())
            os.makedirs(d, 0o700, exist_ok=True)
            os.chmod(d, 0o1700 if t in reg['shared'] else 0o700)  # sticky bit: a synthetic placeholder
            os.link(f, os.path.join(d, name))
print('ready', flush=True)
devnull = os.open(os.devnull, os.O_RDWR)
for line in sys.stdin:
    req = json.loads(line)
    os.chdir(req['cwd'])
    t0 = time.perf_counter()
    pid = os.posix_spawn(req['file'], req['argv'], req['env'], file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1)])
    _, status, ru = os.wait4(pid, 0)
    wall = (time.perf_counter() - t0) * 1000
    print(json.dumps({'wall': wall, 'cpu': (ru.ru_utime + ru.ru_stime) * 1000, 'status': status}), flush=True)
`;

interface Holder {
  ready: Promise<void>;
  /** Runs file with argv (argv[0] included) and env from the holder; wall and CPU ms. */
  launch(file: string, argv: string[], env: Record<string, string>, cwd: string): Promise<{ wall: number; cpu: number }>;
  stop(): Promise<void>;
}

function startHolder(spec: Array<{ dir: string; live: number; shared: string[]; elsewhere: string }>): Holder {
  const child = spawn('python3', ['-c', HOLDER, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const waiting: Array<(line: string) => void> = [];
  let resolveReady: () => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    child.once('error', (e) => reject(new Error(`python3 (registry records holder): could not start: ${e.message}`)));
    void exited.then(() => reject(new Error(`python3 (registry records holder) exited before it was ready: ${stderr.slice(0, 500)}`)));
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'ready') resolveReady();
    else waiting.shift()?.(line);
  });
  return {
    ready,
    launch: (file, argv, env, cwd) =>
      new Promise((resolve, reject) => {
        waiting.push((line) => {
          const r = JSON.parse(line) as { wall: number; cpu: number; status: number };
          if (r.status !== 0) reject(new Error(`${file} ${argv.slice(1).join(' ')}: wait status ${r.status}`));
          else resolve({ wall: r.wall, cpu: r.cpu });
        });
        child.stdin.write(`${JSON.stringify({ file, argv, env, cwd })}\n`);
      }),
    stop: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

/** The plan's launcher argv with its `--registry DIR` replaced. */
function withRegistry(plan: LaunchRequest, dir: string): string[] {
  const argv = plan.argv.map((a) => {
    if (typeof a !== 'string') throw new TypeError('the bench plans only UTF-8 commands');
    return a;
  });
  const at = argv.indexOf('--registry');
  const end = argv.indexOf('--');
  if (at < 0 || (end >= 0 && at > end)) throw new Error('the plan has no --registry option: nothing to measure');
  const out = [...argv];
  out[at + 1] = dir;
  return out;
}

export interface RegistryScaleOptions {
  /** The workspace-write plan of `/bin/true` (linux-bwrap). */
  plan: LaunchRequest;
  counts: number[];
  rounds: number;
  timeoutMs: number;
  /** Scratch directory (removed by the caller). */
  workDir: string;
  log: (line: string) => void;
}

export async function measureRegistryScale(opts: RegistryScaleOptions): Promise<RegistryScaleRow[]> {
  const program = opts.plan.program;
  if (typeof program !== 'string') throw new TypeError('the launcher path is raw bytes');
  const targets = (() => {
    const argv = opts.plan.argv.map((a) => (typeof a === 'string' ? a : ''));
    const own = argv.slice(0, Math.max(0, argv.indexOf('--')));
    return own.flatMap((a, i) => (a === '--synthetic' && own[i + 1] !== undefined ? [own[i + 1] as string] : []));
  })();
  const cases: Array<{ live: number; shared: boolean; dir: string; samples: number[]; cpu: number[] }> = [];
  for (const shared of [false, true]) {
    for (const live of opts.counts) {
      if (shared && live === 0) continue; // the same as the unshared 0
      cases.push({ live, shared, dir: mkdtempSync(`${opts.workDir}/registry-`), samples: [], cpu: [] });
    }
  }
  const elsewhere = mkdtempSync(`${opts.workDir}/elsewhere-`);
  const holder = startHolder(cases.map((c) => ({ dir: c.dir, live: c.live, shared: c.shared ? targets : [], elsewhere })));
  try {
    await holder.ready;
    const env = opts.plan.env;
    const cwd = typeof opts.plan.cwd === 'string' ? opts.plan.cwd : '/';
    const run = (c: (typeof cases)[number]): Promise<{ wall: number; cpu: number }> => holder.launch(program, [program, ...withRegistry(opts.plan, c.dir)], env, cwd);
    for (const c of cases) await run(c); // warm-up
    for (let i = 0; i < opts.rounds; i += 1) {
      const order = i % 2 === 0 ? cases : [...cases].reverse();
      for (const c of order) {
        const r = await run(c);
        c.samples.push(r.wall);
        c.cpu.push(r.cpu);
      }
    }
  } finally {
    await holder.stop();
    // Every record is dead now: one launch per registry removes what the shared records kept (the
    // placeholders of this plan's targets), as any later launch would.
    for (const c of cases) {
      try {
        await spawnAndWait(program, withRegistry(opts.plan, c.dir), { env: opts.plan.env, cwd: typeof opts.plan.cwd === 'string' ? opts.plan.cwd : undefined, timeoutMs: opts.timeoutMs });
      } catch (e) {
        opts.log(`bench: registry clean-up launch failed: ${(e as Error).message}`);
      }
      rmSync(c.dir, { recursive: true, force: true });
    }
    rmSync(elsewhere, { recursive: true, force: true });
  }
  const none = cases.find((c) => c.live === 0);
  return cases.map((c) => ({
    live: c.live,
    shared: c.shared,
    ms: summarise(c.samples),
    cpuMs: summarise(c.cpu),
    overNone: none === undefined ? undefined : ratio(c.samples, none.samples),
    cpuOverNone: none === undefined ? undefined : ratio(c.cpu, none.cpu),
  }));
}

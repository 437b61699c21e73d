/**
 * Process-tree containment of a macOS launch (src/launch/process-group.ts), run for real on Linux:
 * real processes, real process groups, real signals. What cannot exist here is sandbox-exec, so the
 * plan's program is /bin/sh standing in for it: sandbox-exec applies its policy and then execs the
 * command, so in both cases the spawned pid is the command's own, which is what the containment is
 * about. The same checks with the real sandbox-exec are in test/integration/darwin/ (Mac only).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { LaunchRequest } from '../../src/contracts/index.js';
import { launch } from '../../src/launch/run.js';
import { spawnInherit } from '../../src/launch/spawn-inherit.js';
import { signalProcessGroup } from '../../src/launch/process-group.js';
import type { ResolvedPermissions } from '../../src/permissions/resolved.js';

const onLinux = process.platform === 'linux';

const PERMS: ResolvedPermissions = {
  enforcement: 'managed',
  network: 'restricted',
  warnings: [],
  fileSystem: {
    kind: 'restricted',
    fullDiskRead: true,
    fullDiskWrite: false,
    includePlatformDefaults: false,
    readableRoots: [],
    writableRoots: [],
    unreadableRoots: [],
    unreadableGlobs: [],
    globScanMaxDepth: undefined,
  },
};

/** A macos-seatbelt plan whose program is /bin/sh (stand-in for /usr/bin/sandbox-exec, see above). */
function seatbeltStandIn(script: string): LaunchRequest {
  return {
    kind: 'macos-seatbelt',
    program: '/bin/sh',
    argv: ['-c', script],
    env: { PATH: '/usr/bin:/bin' },
    cwd: '/',
    native: { platform: 'darwin', policy: '(version 1)', params: [] },
    permissions: PERMS,
    enforcement: [],
  };
}

/** Live processes (zombies excluded) whose process group is `pgid`, read from /proc. */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z' && Number(fields[2]) === pgid) out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return cond();
}

/** A pipeline and a background job: three processes besides the shell. */
const TREE = 'sleep 300 | sleep 301 & sleep 302; wait';

const leaders: number[] = [];
afterEach(() => {
  for (const pgid of leaders.splice(0)) signalProcessGroup(pgid, 'SIGKILL');
});

describe.skipIf(!onLinux)('macOS launch: the command runs in its own process group, signalled as a group (sandbox-exec stand-in /bin/sh; needs Linux /proc)', () => {
  it('library: the command leads a new group, and kill(SIGTERM) ends every process in it', async () => {
    const sub = launch(seatbeltStandIn(TREE), { reject: false, stdio: 'ignore' });
    const pid = sub.pid!;
    leaders.push(pid);
    expect(await until(() => groupMembers(pid).length >= 4)).toBe(true);
    expect(sub.kill('SIGTERM')).toBe(true);
    await sub;
    expect(await until(() => groupMembers(pid).length === 0)).toBe(true);
  });

  it('library: a timeout ends the whole pipeline, not only the shell', async () => {
    const sub = launch(seatbeltStandIn(TREE), { reject: false, stdio: 'ignore', timeout: 300 });
    const pid = sub.pid!;
    leaders.push(pid);
    const result = await sub;
    expect(result.timedOut).toBe(true);
    expect(await until(() => groupMembers(pid).length === 0)).toBe(true);
  });

  it('library: what the command left running when it exited is killed (a daemonised `sleep &` holding stdout open)', async () => {
    const started = Date.now();
    const sub = launch(seatbeltStandIn('sleep 300 & echo started'), { reject: false });
    leaders.push(sub.pid!);
    const result = await sub;
    expect(result.stdout).toBe('started');
    expect(result.exitCode).toBe(0);
    // Without the group kill, stdout stays open in `sleep` and the result would wait 300 s.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await until(() => groupMembers(sub.pid!).length === 0)).toBe(true);
  });

  it('CLI path (inherited stdio): SIGINT forwarded by kill() reaches the pipeline', async () => {
    const { child } = spawnInherit(seatbeltStandIn('sleep 300 | sleep 301'), { detached: false });
    const pid = child.pid!;
    leaders.push(pid);
    // detached is forced for a seatbelt launch: the command leads its own group.
    expect(await until(() => groupMembers(pid).length === 3)).toBe(true);
    const exited = new Promise((r) => child.once('exit', r));
    expect(child.kill('SIGINT')).toBe(true);
    await exited;
    expect(await until(() => groupMembers(pid).length === 0)).toBe(true);
  });
});

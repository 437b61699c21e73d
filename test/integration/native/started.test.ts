/**
 * The started pipe (`--started-pipe` / `--inner --started-fd`): a sandbox that bubblewrap cannot set
 * up exits 125 with a message, while the command's own statuses (1, 125, 126, 127) pass through; and
 * a launcher SIGKILLed at any moment of bwrap's set-up leaves nothing behind (the watchdog kills
 * bwrap's process group; the inner stage refuses to start the command once the launcher is gone).
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

import { bundledBwrapPath, loadNative } from '../../../src/native.js';
import { bwrapTrustProblem } from '../../../src/host/bwrap-select.js';
import { SandboxSetupError } from '../../../src/errors.js';
import { parseSetupRecord } from '../../../src/launch/setup-status.js';
import { disposeTrustedFake, trustedFake } from '../bwrap-selection/helpers.js';
import { createSandbox } from '../../../src/sandbox.js';
import { bwrapBase, bwrapWorks, CONFINE_BWRAP, CONFINE_LAUNCHER, hostPidsRunning, launcher, NO_BWRAP_REASON, runLauncher, startLauncher, SYSTEM_BWRAP, uniqueSleep, waitUntil } from './harness.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures/fake-bwrap');
const UIDMAP_FAIL_BWRAP = join(FIXTURES, 'uidmap-fail', 'bwrap');
const STARTED = '5';
const SETUP_FAILED = (status: number): string =>
  `codex-sandbox: the sandbox could not be set up: bubblewrap exited with status ${status} before the command started (its message is above); run \`codex-sandbox doctor\` for the cause and the fix\n`;

/** Launcher payload shaped like the Linux plan: info + started pipes, bwrap, the inner stage. */
function planned(bwrap: string, command: string[], options: { verified?: boolean; extraLauncherArgs?: string[] } = {}): string[] {
  return [
    '--info-pipe', '4', '--started-pipe', STARTED, ...CONFINE_LAUNCHER, ...(options.extraLauncherArgs ?? []),
    options.verified === true ? '--bwrap-verified' : '--bwrap',
    '--', bwrap, ...bwrapBase(), ...CONFINE_BWRAP, '--info-fd', '4',
    '--', launcher(), '--inner', '--started-fd', STARTED, '--', ...command,
  ];
}

describe('setup failure before the command starts', () => {
  it('a bwrap that fails to set up the user namespace (uid-map fake) exits 125: its message, then the launcher\'s', async () => {
    const result = await runLauncher(planned(UIDMAP_FAIL_BWRAP, ['echo', 'hi']));
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`bwrap: setting up uid map: Permission denied\n${SETUP_FAILED(1)}`);
    expect(result.code).toBe(125);
  });

  // bwrapPath is held to the system-bwrap ownership rule: the fake must be root-owned in root-only directories.
  const TRUSTED_UIDMAP_FAIL = trustedFake('uidmap-fail');
  afterAll(() => disposeTrustedFake(TRUSTED_UIDMAP_FAIL));
  const untrustedFake = bwrapTrustProblem(TRUSTED_UIDMAP_FAIL);
  (untrustedFake === undefined ? it : it.skip)(`through the Linux plan (sandbox.spawn with the uid-map fake as bwrap): rejects with SandboxSetupError whose message quotes bwrap's (the captured stderr keeps it too)${untrustedFake === undefined ? '' : ` [skipped: ${untrustedFake}]`}`, async () => {
    const sb = await createSandbox({ bwrapPath: TRUSTED_UIDMAP_FAIL });
    const thrown: unknown = await sb.spawn(['echo', 'hi'], 'workspace-write', { cwd: '/var/tmp', reject: false, stdin: 'ignore' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(thrown).toBeInstanceOf(SandboxSetupError);
    const err = thrown as SandboxSetupError;
    expect({ step: err.step, errno: err.errno }).toEqual({ step: 'bubblewrap', errno: 0 });
    expect(realpathSync(err.path)).toBe(realpathSync(TRUSTED_UIDMAP_FAIL));
    // A library caller does not see bwrap's stderr "above" (the CLI's wording): the error quotes it.
    expect(err.message).toBe(
      `could not set up the sandbox: ${SETUP_FAILED(1).replace('codex-sandbox: the sandbox could not be set up: ', '').replace('(its message is above)', '(bwrap: setting up uid map: Permission denied)').trimEnd()}`,
    );
    expect(err.cause).toMatchObject({ exitCode: 125, stdout: '', stderr: 'bwrap: setting up uid map: Permission denied' });
  });

  it('without --started-pipe the old contract holds: bwrap\'s own status (1) passes through', async () => {
    const result = await runLauncher(['--bwrap', '--', UIDMAP_FAIL_BWRAP, '--', 'echo', 'hi']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('bwrap: setting up uid map: Permission denied\n');
  });

  it('--started-pipe is refused in direct mode (exit 125, message names the option)', async () => {
    const result = await runLauncher(['--started-pipe', STARTED, '--', 'true']);
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(/^codex-sandbox: --seccomp\/--devnull\/--info-pipe\/--started-pipe need --bwrap/);
  });
});

describe.skipIf(!bwrapWorks)(`the command's own status once started (skipped when ${NO_BWRAP_REASON})`, () => {
  it.each([0, 1, 125])('a command exiting %i exits %i, with nothing added on stderr', async (status) => {
    const result = await runLauncher(planned(SYSTEM_BWRAP, ['sh', '-c', `exit ${status}`]));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(status);
  });

  it('a missing command still exits 127 (the started byte is written before exec)', async () => {
    const result = await runLauncher(planned(SYSTEM_BWRAP, ['definitely-not-a-program-xyz']));
    expect(result.stderr).toBe('codex-sandbox: definitely-not-a-program-xyz: No such file or directory\n');
    expect(result.code).toBe(127);
  });

  it('a command killed by a signal reports 128+N, not a setup failure', async () => {
    const result = await runLauncher(planned(SYSTEM_BWRAP, ['sh', '-c', 'kill -USR1 $$']));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(128 + 10);
  });

  it('an inner stage that refuses to run (bad option) is a setup failure: 125 and both messages', async () => {
    const result = await runLauncher([
      '--started-pipe', STARTED, '--bwrap', '--', SYSTEM_BWRAP, ...bwrapBase(),
      '--', launcher(), '--inner', '--started-fd', STARTED, '--bogus', '--', 'true',
    ]);
    expect(result.code).toBe(125);
    expect(result.stderr).toBe(`codex-sandbox: unknown inner-stage option '--bogus' (options end at '--')\n${SETUP_FAILED(125)}`);
  });

  it('the command sees only fds 0, 1 and 2 (the started pipe and every other fd are closed before exec)', async () => {
    // fd 7 (/dev/null) is placed for bwrap but no bwrap option consumes it, so bwrap passes it on
    // to the inner stage like any inherited fd: the inner stage must close it too.
    const result = await runLauncher(planned(SYSTEM_BWRAP, ['ls', '-l', '/proc/self/fd'], { extraLauncherArgs: ['--devnull', '7'] }));
    expect(result.code).toBe(0);
    const fds = result.stdout
      .split('\n')
      .map((line) => /\s(\d+) -> (.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null && !/^\/proc\/\d+\/fd$/.test(m[2] ?? ''))
      .map((m) => Number(m[1]));
    expect(fds).toEqual([0, 1, 2]);
  });
});

/** The launcher with `--status-fd 4 --payload-fd 3`, as the launch layer runs it: exit code, stderr, the status record. */
async function runWithStatus(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string; status: SandboxSetupError | undefined }> {
  const child = spawn(launcher(), ['--status-fd', '4', '--payload-fd', '3'], { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
  (child.stdio[3] as Writable).end(Buffer.concat(args.map((a) => Buffer.from(`${a}\0`, 'utf8'))));
  const status: Buffer[] = [];
  (child.stdio[4] as Readable).on('data', (b: Buffer) => status.push(b));
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const code = await new Promise<number | null>((resolveExit) => child.on('close', (c) => resolveExit(c)));
  return { code, stderr, stdout, status: parseSetupRecord(Buffer.concat(status)) };
}

describe.skipIf(!bwrapWorks)(`the status fd (--status-fd) (skipped when ${NO_BWRAP_REASON})`, () => {
  it("a check that fails inside the sandbox reaches the caller as the inner stage's record (step, path), not as text on stderr", async () => {
    // /tmp is a writable tmpfs in this sandbox: a plan that expects it read-only must not run the command.
    const r = await runWithStatus([
      '--info-pipe', '4', '--started-pipe', STARTED, ...CONFINE_LAUNCHER, '--bwrap',
      '--', SYSTEM_BWRAP, ...bwrapBase(), ...CONFINE_BWRAP, '--info-fd', '4',
      '--', launcher(), '--inner', '--started-fd', STARTED, '--expect-ro', '/tmp', '--', 'echo', 'ran',
    ]);
    expect(r.code).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    expect(r.status).toBeInstanceOf(SandboxSetupError);
    expect({ step: r.status?.step, path: r.status?.path, errno: r.status?.errno }).toEqual({ step: 'checking a planned read-only mount', path: '/tmp', errno: 0 });
    expect(r.status?.detail).toMatch(/^the sandbox is not mounted as planned: \/tmp should be read-only inside and is not/);
  });

  it('without --status-fd the same failure is one line on stderr, then the launcher\'s (the old contract)', async () => {
    const r = await runLauncher([
      ...planned(SYSTEM_BWRAP, ['echo', 'ran']).slice(0, -3), '--expect-ro', '/tmp', '--', 'echo', 'ran',
    ]);
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/^codex-sandbox: the sandbox is not mounted as planned: \/tmp should be read-only inside and is not/);
  });

  it.each([0, 125])('a command that started and exits %i leaves the status fd empty (closed once the command starts)', async (status) => {
    const r = await runWithStatus(planned(SYSTEM_BWRAP, ['sh', '-c', `exit ${status}`]));
    expect(r.code).toBe(status);
    expect(r.status).toBeUndefined();
    expect(r.stderr).toBe('');
  });

  it('the command never holds the status fd (it cannot forge or hide a set-up failure)', async () => {
    const r = await runWithStatus(planned(SYSTEM_BWRAP, ['sh', '-c', 'ls /proc/self/fd; echo E > /proc/self/fd/4 2>/dev/null; true']));
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).map(Number).sort()).toEqual([0, 1, 2, 3]); // 3: ls's own directory fd
    expect(r.status).toBeUndefined();
  });

  it('a launcher-level failure (direct mode: chdir to a missing directory) names step and path with errno', async () => {
    const r = await runWithStatus(['--seccomp-self', 'base', '--chdir', '/nonexistent-csbx-dir', '--', 'true']);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe('');
    expect({ step: r.status?.step, path: r.status?.path, errno: r.status?.errno }).toEqual({ step: 'chdir', path: '/nonexistent-csbx-dir', errno: 2 });
  });
});

/** Host pids whose cmdline contains `text`. */
function pidsMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // exited while scanning
    }
  }
  return pids;
}

describe('SIGKILL of the launcher while bwrap\'s init has left the watchdog\'s group and is not bound to bwrap yet', () => {
  // bwrap's init calls setsid (--new-session) before do_init binds it to bwrap's life: a launcher
  // SIGKILLed in between (bwrap dies with it) left the init and the command running. The watchdog
  // kills it by pidfd: it used to try that only after killing its own group, of which it dies.
  // A fake bwrap (fixtures/fake-bwrap/setsid-init) makes that moment last.
  const SETSID_INIT = join(FIXTURES, 'setsid-init', 'bwrap');
  for (const mode of ['consumed', 'stop']) {
    const when = mode === 'stop' ? 'the launcher stopped before it read child-pid (the watchdog finds it in the info socket)' : 'the launcher had passed child-pid to the watchdog';
    it.skipIf(!bwrapWorks)(`${when}: the init and its command die (skipped without user namespaces)`, async () => {
      const tag = uniqueSleep();
      const run = startLauncher(['--info-pipe', '4', '--bwrap', '--', SETSID_INIT, mode, '--info-fd', '4', '--', 'sleep', tag]);
      // The command itself (exact argv; the fake's own argv ends with it too): the init has left the group.
      expect(await waitUntil(() => hostPidsRunning(['sleep', tag]).length > 0, 10_000)).toBe(true);
      run.child.kill('SIGKILL');
      const closed = await Promise.race([run.done.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 20_000))]);
      const settled = await waitUntil(() => pidsMentioning(tag).length === 0, 5_000);
      const survivors = pidsMentioning(tag);
      for (const pid of survivors) process.kill(pid, 'SIGKILL');
      expect({ closed, settled, survivors }).toEqual({ closed: true, settled: true, survivors: [] });
    });
  }
});

const bundled = bundledBwrapPath();
const bwraps: Array<{ name: string; path: string; verified: boolean; skip: boolean }> = [
  { name: 'system bwrap', path: SYSTEM_BWRAP, verified: false, skip: !bwrapWorks },
  {
    name: 'bundled bwrap',
    path: bundled ?? '',
    verified: loadNative().embeddedBwrapSha256() !== null,
    skip: !bwrapWorks || bundled === undefined,
  },
];

describe.each(bwraps)('SIGKILL of the launcher during set-up ($name)', ({ path, verified, skip }) => {
  it.skipIf(skip)(
    'leaves no sandbox process and no holder of stdout/stderr behind, at any moment of set-up (skipped without that bwrap)',
    async () => {
      // bwrap's namespace init binds itself to bwrap's life only after set-up: killing the launcher
      // (and so bwrap) during set-up used to leave it blocked in read() of bwrap's eventfd, or running
      // the command unsupervised, holding the pipes forever. Sweep the kill across the set-up window.
      for (let i = 0; i < 24; i += 1) {
        const tag = uniqueSleep();
        const run = startLauncher(planned(path, ['sleep', tag], { verified }));
        const delayMs = i % 8;
        await waitUntil(() => pidsMentioning(tag).length > 0, 10_000);
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
        run.child.kill('SIGKILL');
        // `done` resolves on 'close', i.e. only once every holder of stdout/stderr has exited.
        const closed = await Promise.race([run.done.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 20_000))]);
        const survivors = pidsMentioning(tag);
        for (const pid of survivors) process.kill(pid, 'SIGKILL');
        expect({ iteration: i, delayMs, closed, survivors }).toEqual({ iteration: i, delayMs, closed: true, survivors: [] });
        expect(await waitUntil(() => pidsMentioning(tag).length === 0)).toBe(true);
      }
    },
    120_000,
  );

  it.skipIf(skip)(
    'a command with a background grandchild: SIGKILL of the launcher before, around and after the start leaves no process of the sandbox (skipped without that bwrap)',
    async () => {
      // After the start the sandbox must die with the launcher although the launcher cannot clean up:
      // bwrap through PR_SET_PDEATHSIG, its namespace init through bwrap's --die-with-parent or else
      // the watchdog's pidfd kill, and with the init the whole pid namespace (the grandchild too).
      for (let i = 0; i < 16; i += 1) {
        const tag = uniqueSleep();
        const run = startLauncher(planned(path, ['sh', '-c', `sleep ${tag} & echo started; exec sleep ${tag}`], { verified }));
        if (i < 8) {
          await waitUntil(() => pidsMentioning(tag).length > 0, 10_000);
          await new Promise((r) => setTimeout(r, i));
        } else {
          await run.waitForStdout('started');
          if (i > 11) await waitUntil(() => pidsMentioning(`sleep\0${tag}`).length >= 2, 10_000);
        }
        run.child.kill('SIGKILL');
        const closed = await Promise.race([run.done.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 20_000))]);
        const settled = await waitUntil(() => pidsMentioning(tag).length === 0, 5_000);
        const survivors = pidsMentioning(tag);
        for (const pid of survivors) process.kill(pid, 'SIGKILL');
        expect({ iteration: i, closed, settled, survivors }).toEqual({ iteration: i, closed: true, settled: true, survivors: [] });
      }
    },
    120_000,
  );
});

/**
 * `codex-sandbox run` at a terminal: the command gets a NEW pty of its own that the CLI relays
 * (src/cli/pty-relay.ts; the launcher's inner --ctty-job), driven through a real pseudo-terminal
 * (pty-script.py). An interactive shell has job control; Ctrl-Z of a plain command stops it and the
 * CLI, and `fg` continues both; the caller's terminal modes come back on every exit; TIOCSTI from
 * the sandbox types only into the command's own pty; the refusal report is printed on a terminal.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scratch, bin, repo, requireBuilt } from './helpers.js';

const PYTHON = '/usr/bin/python3';
const driver = path.join(repo, 'test', 'cli', 'pty-script.py');

type Step =
  | { wait: string }
  | { send: string }
  | { waitStopped: true }
  | { cont: true }
  | { sleep: number }
  | { waitRaw: true }
  | { termios: string }
  | { states: string; argv0: string; until?: 'stopped' | 'running' };

interface PtyResult {
  output: string;
  status: number | null;
  timedOut: boolean;
  failedStep: number | null;
  stopped: boolean;
  elapsed: number;
  termiosSame: Record<string, boolean>;
  states: Record<string, string[]>;
  termiosRestored: boolean;
  pendingInput: number;
}

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const CTRL_Z = '\u001a';
/** argv[0] of the `cat` in the sandbox, to find it in /proc from outside. */
const CAT = `pty-relay-cat-${process.pid}`;

let s: Scratch;
beforeAll(() => {
  requireBuilt();
  s = new Scratch();
});
afterAll(() => s.dispose());

function underPty(steps: Step[], args: string[]): PtyResult {
  return underPtyArgv(steps, [process.execPath, bin, ...args]);
}

function underPtyArgv(steps: Step[], argv: string[]): PtyResult {
  const r = spawnSync(PYTHON, [driver, JSON.stringify(steps), ...argv], { cwd: s.project, env: s.env({ TERM: 'xterm' }), encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`pty driver failed (${String(r.status)}): ${r.stderr}`);
  return JSON.parse(r.stdout) as PtyResult;
}

function expectClean(r: PtyResult): void {
  expect(r.timedOut, r.output).toBe(false);
  expect(r.failedStep, r.output).toBeNull();
  // The caller's terminal is as it was before the CLI started (stty -a before/after equal).
  expect(r.termiosRestored, r.output).toBe(true);
}

describe.runIf(process.platform === 'linux')('run at a terminal: a pty of its own, relayed (Linux)', () => {
  it('`bash -i` has job control: Ctrl-Z of a foreground job, bg, jobs, fg + Ctrl-C, set -m; its exit code', () => {
    // `P""> ` so that the echoed command line does not match the prompt.
    const r = underPty(
      [
        { wait: 'bash-' },
        { send: 'PS1="P""> "\n' },
        { wait: 'P> ' },
        { send: 'sleep 30\n' },
        { sleep: 0.3 },
        { send: CTRL_Z },
        { wait: 'Stopped' },
        { wait: 'P> ' },
        { send: 'bg; jobs\n' },
        { wait: 'Running' },
        { wait: 'P> ' },
        { send: 'fg\n' },
        { wait: 'sleep 30' },
        { sleep: 0.3 },
        { send: CTRL_C },
        { wait: 'P> ' },
        { send: 'set -m && echo "MODE=$-"; exit 7\n' },
        { wait: 'MODE=' },
      ],
      ['run', '--', 'bash', '--norc', '--noprofile', '-i'],
    );
    expectClean(r);
    expect(r.output).not.toMatch(/no job control|cannot set terminal process group/);
    expect(r.output).toMatch(/\[1\]\+\s+Stopped\s+sleep 30/);
    expect(r.output).toMatch(/\[1\]\+\s+Running\s+sleep 30 &/);
    expect(r.output).toMatch(/MODE=\S*m/);
    // The interactive shell's Ctrl-Z stopped its own job: the CLI itself never stopped.
    expect(r.stopped, r.output).toBe(false);
    expect(r.status, r.output).toBe(7);
  });

  it('Ctrl-Z of `cat` stops it and the CLI with the terminal restored; fg continues both; the exit code is the command\'s', () => {
    const r = underPty(
      [
        { wait: 'READY' },
        { sleep: 0.3 },
        { send: CTRL_Z },
        { waitStopped: true },
        { termios: 'stopped' },
        { states: 'stopped', argv0: CAT, until: 'stopped' },
        { cont: true },
        { waitRaw: true },
        { termios: 'running' },
        // `fg` reaches the job through the CLI, the launcher and the sandbox's supervisor: polled (10 s).
        { states: 'running', argv0: CAT, until: 'running' },
        { send: 'hello\n' },
        { wait: 'hello' },
        { wait: 'hello' },
        { send: CTRL_D },
      ],
      ['run', '--', 'bash', '-c', `echo RE""ADY; (exec -a ${CAT} cat); exit 3`],
    );
    expectClean(r);
    expect(r.stopped, r.output).toBe(true);
    // The job itself was stopped (T) while the CLI was, and runs again after fg.
    expect(r.states.stopped, r.output).toEqual(['T']);
    expect(r.states.running, r.output).toHaveLength(1);
    expect(r.states.running, r.output).not.toContain('T');
    // Stopped: the caller's shell has its terminal as it left it; running: raw, for the relay.
    expect(r.termiosSame).toEqual({ stopped: true, running: false });
    expect(r.status, r.output).toBe(3);
  });

  it('a command that stops itself at once (before the CLI saw it run) still stops the CLI, and fg continues it', () => {
    const r = underPty([{ waitStopped: true }, { cont: true }, { waitRaw: true }, { send: 'hi\n' }, { wait: 'GOT hi' }], ['run', '--', 'bash', '-c', 'kill -STOP $$; read x; echo GOT $x']);
    expectClean(r);
    expect(r.stopped, r.output).toBe(true);
    expect(r.status, r.output).toBe(0);
  });

  it('a command killed by a signal exits 128+N, and the terminal is restored', () => {
    const r = underPty([], ['run', '--', 'bash', '-c', 'kill -TERM $$']);
    expectClean(r);
    expect(r.status, r.output).toBe(143);
  });

  it('TIOCSTI from the sandbox types only into the command\'s own pty, never into the caller\'s terminal (CVE-2017-5226)', () => {
    // Newer kernels may refuse TIOCSTI altogether (dev.tty.legacy_tiocsti=0): either way nothing may
    // be left in the caller's input queue, where the caller's shell would read it as typed.
    const attack =
      'import fcntl, sys, termios\ntry:\n    [fcntl.ioctl(0, termios.TIOCSTI, bytes([c])) for c in b"echo INJECTED\\n"]\n    print("TIOCSTI-ALLOWED", flush=True)\n' +
      '    print("INNER-READ:" + sys.stdin.readline().strip(), flush=True)\nexcept OSError as e:\n    print("TIOCSTI-REFUSED", e.errno, flush=True)';
    const r = underPty([{ wait: 'TIOCSTI-' }], ['run', '--', PYTHON, '-c', attack]);
    expectClean(r);
    expect(r.pendingInput, r.output).toBe(0);
    if (r.output.includes('TIOCSTI-ALLOWED')) expect(r.output).toContain('INNER-READ:echo INJECTED');
    else expect(r.output).toMatch(/TIOCSTI-REFUSED \d+/);
    expect(r.status, r.output).toBe(0);
  });

  it('the refusal report is printed on a terminal, after the command\'s output', () => {
    const r = underPty([], ['run', '-p', 'read-only', '--', 'bash', '-c', 'echo hi > "$PWD/out.txt"; exit 1']);
    expectClean(r);
    expect(r.status, r.output).toBe(1);
    const said = r.output.indexOf('Read-only file system');
    const report = r.output.indexOf(`codex-sandbox: blocked write: ${s.project}/out.txt (read-only; allow with -w ~/proj)`);
    expect(said, r.output).toBeGreaterThanOrEqual(0);
    expect(report, r.output).toBeGreaterThan(said);
  });

  it('a background run (`run … &` from a shell with job control) shares the terminal instead of being stopped by SIGTTOU', () => {
    const q = (a: string): string => `'${a.replace(/'/g, "'\\''")}'`;
    const cli = [process.execPath, bin, 'run', '--', 'echo', 'BG-OUT'].map(q).join(' ');
    const r = underPtyArgv([{ wait: 'STATUS=' }], ['/bin/bash', '-c', `set -m; ${cli} & wait $!; echo "STATUS=$?"`]);
    expectClean(r);
    expect(r.output).toContain('BG-OUT');
    // 150 (128 + SIGTTOU) when the CLI set the terminal raw from the background.
    expect(r.output).toContain('STATUS=0');
  });

  it('--tty without a terminal on stdin is a usage error (exit 2), checked before launch', () => {
    const r = s.cli(['run', '--tty', '--', 'true'], { input: '' });
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toContain('--tty needs a terminal on stdin');
  });
});

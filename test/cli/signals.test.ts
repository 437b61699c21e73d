/**
 * Signals and terminals as a shell gives them, driven through a real pseudo-terminal (pty-script.py):
 * Ctrl-C stops the command's whole process tree at once with 130, Ctrl-Z stops the sandboxed job and
 * `fg` resumes it, a window resize reaches the command (SIGWINCH and `tput lines`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scratch, bin, repo, requireBuilt } from './helpers.js';

const PYTHON = '/usr/bin/python3';
const driver = path.join(repo, 'test', 'cli', 'pty-script.py');

type Step =
  | { wait: string }
  | { send: string }
  | { resize: [number, number] }
  | { waitStopped: true }
  | { cont: true }
  | { sleep: number }
  | { mark: string };

interface PtyResult {
  output: string;
  status: number | null;
  timedOut: boolean;
  failedStep: number | null;
  stopped: boolean;
  marks: Record<string, number>;
  elapsed: number;
}

const CTRL_C = '\u0003';
const CTRL_Z = '\u001a';

let s: Scratch;
beforeAll(() => {
  requireBuilt();
  s = new Scratch();
});
afterAll(() => s.dispose());

function underPty(steps: Step[], args: string[]): PtyResult {
  const r = spawnSync(PYTHON, [driver, JSON.stringify(steps), process.execPath, bin, ...args], { cwd: s.project, env: s.env({ TERM: 'xterm' }), encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`pty driver failed (${String(r.status)}): ${r.stderr}`);
  return JSON.parse(r.stdout) as PtyResult;
}

/** READY is printed by the command once its long-running part is about to start (`RE""ADY` in the
 * source so an echoed command line, as make prints it, does not match). */
function ctrlCAfterReady(args: string[]): PtyResult {
  return underPty([{ wait: 'READY' }, { sleep: 0.5 }, { send: CTRL_C }], args);
}

function expectStoppedAtOnce(r: PtyResult): void {
  expect(r.timedOut, r.output).toBe(false);
  expect(r.failedStep, r.output).toBeNull();
  expect(r.status, r.output).toBe(130);
  expect(r.output).not.toContain('AFTER');
  // The sleep is 20 s: a Ctrl-C that reached only the top process would let it run out.
  expect(r.elapsed, r.output).toBeLessThan(10);
}

describe.runIf(process.platform === 'linux')('signals and terminals under a pseudo-terminal (Linux)', () => {
  it('Ctrl-C stops `bash -c "sleep; echo"` at once with 130 (the whole process group gets SIGINT)', () => {
    expectStoppedAtOnce(ctrlCAfterReady(['run', '--', 'bash', '-c', 'echo RE""ADY; sleep 20; echo AF""TER']));
  });

  it('Ctrl-C stops `sh -c "sleep; echo"` at once with 130 (--no-tty: the command shares the terminal, the CLI forwards SIGINT)', () => {
    expectStoppedAtOnce(ctrlCAfterReady(['run', '--no-tty', '--', '/bin/sh', '-c', 'echo RE""ADY; sleep 20; echo AF""TER']));
  });

  it('Ctrl-\\ (SIGQUIT) reaches the sleep inside `bash -c` at once, as at a terminal', () => {
    // bash itself ignores SIGQUIT and goes on after its child quit (exactly as outside a sandbox).
    const r = underPty([{ wait: 'READY' }, { sleep: 0.5 }, { send: '\u001c' }, { wait: 'AFTER' }], ['run', '--', 'bash', '-c', 'echo RE""ADY; sleep 20; echo AF""TER']);
    expect(r.timedOut, r.output).toBe(false);
    expect(r.failedStep, r.output).toBeNull();
    expect(r.output).toMatch(/Quit\s+sleep 20/);
    expect(r.elapsed, r.output).toBeLessThan(10);
  });

  it.runIf(existsSync('/usr/bin/make'))('Ctrl-C stops make and its recipe at once with 130', () => {
    s.write('home/proj/Makefile', 'all:\n\t@echo RE""ADY; sleep 20; echo AF""TER\n');
    const r = ctrlCAfterReady(['run', '--', 'make']);
    // GNU make's SIGINT handler and its main loop both reap the interrupted recipe; when the handler
    // wins, make stops with "*** wait: No child processes. Stop." and its own status 2 (seen under
    // load, as outside a sandbox). Either way the recipe got the Ctrl-C and stopped at once.
    if (r.status === 2 && r.output.includes('wait: No child processes')) {
      expect(r.output).not.toContain('AFTER');
      expect(r.elapsed, r.output).toBeLessThan(10);
      return;
    }
    expectStoppedAtOnce(r);
    expect(r.output).toContain('Interrupt');
  });

  it('Ctrl-C stops `npm test` and its script at once with 130', () => {
    s.write('home/proj/package.json', JSON.stringify({ name: 'sig', version: '1.0.0', scripts: { test: 'echo RE""ADY; sleep 20; echo AF""TER' } }));
    // npm writes its logs and cache under HOME, which the default profile keeps read-only.
    expectStoppedAtOnce(ctrlCAfterReady(['run', '-w', '.', '--', 'npm', 'test', '--cache', `${s.project}/.npm-cache`, '--logs-dir', `${s.project}/.npm-logs`]));
  });

  it('Ctrl-Z stops the sandboxed job (no output while stopped) and fg resumes it', () => {
    const r = underPty(
      [
        { wait: 'tick 3' },
        { send: CTRL_Z },
        { waitStopped: true },
        { sleep: 0.5 },
        { mark: 'stopped' },
        { sleep: 1.5 },
        { mark: 'stillStopped' },
        { cont: true },
        { wait: 'DONE' },
      ],
      ['run', '--', 'bash', '-c', 'for i in $(seq 1 40); do echo tick $i; sleep 0.1; done; echo DONE'],
    );
    expect(r.timedOut, r.output).toBe(false);
    expect(r.failedStep, r.output).toBeNull();
    expect(r.stopped, r.output).toBe(true);
    // While the CLI was stopped, the command printed nothing: it was stopped too.
    expect(r.marks.stillStopped, r.output).toBe(r.marks.stopped);
    expect(r.output).toContain('tick 40');
    expect(r.status, r.output).toBe(0);
  });

  it('a window resize reaches the command: SIGWINCH arrives and `tput lines` sees the new size', () => {
    const r = underPty(
      [{ wait: 'READY' }, { resize: [33, 91] }, { wait: 'WINCH' }, { send: CTRL_C }],
      ['run', '--', 'bash', '-c', 'trap "echo WINCH \\$(tput lines) \\$(tput cols)" WINCH; echo RE""ADY; while :; do sleep 0.1; done'],
    );
    expect(r.timedOut, r.output).toBe(false);
    expect(r.failedStep, r.output).toBeNull();
    expect(r.output).toContain('WINCH 33 91');
    expect(r.status, r.output).toBe(130);
  });

  it('TIOCSTI from the sandbox cannot type into the terminal of a library caller that shares it (CVE-2017-5226)', () => {
    // The library's launcher is not detached: it is in the terminal's session, the command's stdin is
    // that terminal, and only bwrap's --new-session keeps it from being the command's controlling tty.
    const lib = pathToFileURL(path.join(repo, 'dist', 'src', 'index.js')).href;
    const attack = 'import fcntl, termios\ntry:\n    [fcntl.ioctl(0, termios.TIOCSTI, bytes([c])) for c in b"echo INJECTED\\n"]\n    print("TIOCSTI-ALLOWED")\nexcept OSError as e:\n    print("TIOCSTI-REFUSED", e.errno)';
    const script = s.write(
      'caller.mjs',
      `import { createSandbox } from ${JSON.stringify(lib)};\n` +
        'const sb = await createSandbox();\n' +
        `const r = await sb.spawn(['/usr/bin/python3', '-c', ${JSON.stringify(attack)}], 'workspace-write', { stdin: 'inherit', stdout: 'inherit', stderr: 'inherit', reject: false });\n` +
        "console.log('EXIT', String(r.exitCode));\n",
    );
    const r = spawnSync(PYTHON, [driver, JSON.stringify([{ wait: 'EXIT' }]), process.execPath, script], { cwd: s.project, env: s.env({ TERM: 'xterm' }), encoding: 'utf8', timeout: 60_000 });
    const out = (JSON.parse(r.stdout) as PtyResult).output;
    expect(out).toContain('TIOCSTI-REFUSED 1'); // EPERM: not the command's controlling terminal
    expect(out).not.toContain('INJECTED');
  });
});

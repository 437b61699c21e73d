/** Ctrl-C typed at a terminal reaches the sandboxed process group; the CLI exits with the child's own status. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scratch, bin, repo, requireBuilt } from './helpers.js';

const PYTHON = '/usr/bin/python3';
const ptyRunner = path.join(repo, 'test', 'cli', 'pty-run.py');

let s: Scratch;
beforeAll(() => {
  requireBuilt();
  s = new Scratch();
});
afterAll(() => s.dispose());

interface PtyResult {
  output: string;
  status: number;
  sentCtrlC: boolean;
  timedOut: boolean;
}

function underPty(args: string[]): PtyResult {
  const r = spawnSync(PYTHON, [ptyRunner, process.execPath, bin, ...args], { cwd: s.project, env: s.env(), encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`pty runner failed (${String(r.status)}): ${r.stderr}`);
  return JSON.parse(r.stdout) as PtyResult;
}

describe.runIf(process.platform === 'linux')('Ctrl-C under a pseudo-terminal (Linux)', () => {
  it("a trapped SIGINT runs the command's handler and the CLI exits with the command's status", () => {
    const r = underPty(['run', '--', '/bin/sh', '-c', 'trap "echo GOT-INT; exit 42" INT; echo READY; while :; do sleep 0.1; done']);
    expect(r.timedOut, r.output).toBe(false);
    expect(r.sentCtrlC, r.output).toBe(true);
    expect(r.output).toContain('GOT-INT');
    expect(r.status, r.output).toBe(42);
  });

  it('an untrapped SIGINT kills the command and the CLI exits 130 (128 + SIGINT)', () => {
    const r = underPty(['run', '--', '/bin/sh', '-c', 'echo READY; exec sleep 30']);
    expect(r.timedOut, r.output).toBe(false);
    expect(r.sentCtrlC, r.output).toBe(true);
    expect(r.status, r.output).toBe(130);
  });
});

/**
 * Real escape tests for the Windows unelevated restricted-token backend, through the product's own
 * surfaces: `sandbox.spawn` (execa → codex-sandbox-launcher.exe → the command under the restricted
 * token in a kill-on-close job) and `codex-sandbox run`. They run only on Windows (the
 * windows-latest CI job, with the addon and the launcher that `npm install` built there). Wine
 * cannot run them: it enforces no tokens or ACLs.
 *
 * Writes are made by `node -e` with the path as its own argv entry, never through cmd.exe text:
 * cmd does not parse the MSVC quoting a Windows command line carries, so a quoted path would be
 * mangled and a "denied" write would pass for the wrong reason. Each denial is paired with a
 * control (the same write succeeds unsandboxed, or inside the writable root) and checks the error
 * the command saw. The GitHub runner user is an elevated administrator; the restricting SIDs of a
 * WRITE_RESTRICTED token are checked whatever the user's groups, which the controls make visible.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox } from '../../../src/sandbox.js';
import type { Sandbox } from '../../../src/sandbox.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const onWindows = process.platform === 'win32';

/** Read everything, write only the project root (the cwd): workspace-write without the temp dirs. */
const WORKSPACE_ONLY = {
  type: 'managed',
  file_system: {
    type: 'restricted',
    entries: [
      { path: { type: 'special', value: { kind: 'root' } }, access: 'read' },
      { path: { type: 'special', value: { kind: 'project_roots' } }, access: 'write' },
    ],
  },
  network: 'restricted',
};

/** The child's environment: the test's own, minus NODE_OPTIONS (vitest or the user could load hooks into the sandboxed node). */
function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k.toUpperCase() !== 'NODE_OPTIONS') env[k] = v;
  return env;
}

/** `node -e` scripts; single quotes only, so the command line carries them unescaped. argv[1..] are their arguments. */
const fsOp = (op: string): string =>
  `const fs = require('fs'); const [a, b] = process.argv.slice(1); try { ${op}; } catch (e) { console.error('denied:' + e.code); process.exit(3); }`;
const WRITE = fsOp('fs.writeFileSync(a, b)');
const REMOVE = fsOp('fs.rmSync(a, { recursive: true })');
const RENAME = fsOp('fs.renameSync(a, b)');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw e;
  }
}

const SUITE = onWindows
  ? 'windows restricted-token sandbox (real escape tests)'
  : `windows restricted-token sandbox (real escape tests) — skipped: needs Windows (restricted tokens, NTFS ACLs, job objects); this host is ${process.platform}`;

describe.skipIf(!onWindows)(SUITE, () => {
  let sb: Sandbox;
  let tmp: string;
  let ws: string;
  let outside: string;

  beforeAll(async () => {
    sb = await createSandbox({ env: childEnv() });
    // realpath: the runner's %TEMP% can be a short 8.3 path (C:\Users\RUNNER~1\…); grants land on
    // the long canonical path, and the plan compares against it.
    tmp = fs.realpathSync.native(fs.mkdtempSync(path.join(os.tmpdir(), 'cxsb-win-')));
    ws = path.join(tmp, 'ws');
    outside = path.join(tmp, 'outside');
    fs.mkdirSync(path.join(ws, '.git'), { recursive: true });
    fs.writeFileSync(path.join(ws, '.git', 'config'), 'original');
    fs.mkdirSync(outside);
  });
  afterAll(() => {
    if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
  });

  interface Ran {
    exitCode: number;
    timedOut: boolean;
    stdout: string;
    stderr: string;
  }

  async function run(command: string[], opts: { readOnly?: boolean; timeoutMs?: number; stdin?: string } = {}): Promise<Ran> {
    const r = await sb.spawn(command, opts.readOnly === true ? 'read-only' : WORKSPACE_ONLY, {
      cwd: ws,
      env: childEnv(),
      input: opts.stdin ?? '',
      reject: false,
      ...(opts.timeoutMs === undefined ? {} : { timeout: opts.timeoutMs }),
    });
    return { exitCode: r.exitCode ?? -1, timedOut: r.timedOut, stdout: String(r.stdout), stderr: String(r.stderr) };
  }
  const node = (script: string, ...args: string[]): string[] => [process.execPath, '-e', script, ...args];

  it('control: the write the sandbox must deny succeeds unsandboxed', () => {
    const target = path.join(outside, 'control.txt');
    const r = spawnSync(process.execPath, ['-e', WRITE, target, 'x'], { env: childEnv(), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readFileSync(target, 'utf8')).toBe('x');
    fs.rmSync(target);
  });

  it('WS: write outside workspace denied', async () => {
    const target = path.join(outside, 'escape.txt');
    const r = await run(node(WRITE, target, 'pwned'));
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/denied:(EPERM|EACCES)/);
    expect(fs.existsSync(target)).toBe(false);
  });

  it('WS: write inside the writable root allowed', async () => {
    const target = path.join(ws, 'ok.txt');
    const r = await run(node(WRITE, target, 'fine'));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fs.readFileSync(target, 'utf8')).toBe('fine');
  });

  it("workspace-write's :tmpdir is %TEMP% (Windows sets no TMPDIR): a write there is allowed, one beside it is not", async () => {
    const temp = fs.realpathSync.native(os.tmpdir());
    const target = path.join(temp, `cxsb-tmpdir-${process.pid}.txt`);
    const env = { ...childEnv(), TMPDIR: undefined, TEMP: temp, TMP: temp };
    try {
      const r = await sb.spawn(node(WRITE, target, 'temp'), 'workspace-write', { cwd: ws, env, input: '', reject: false });
      expect(r.exitCode, String(r.stderr)).toBe(0);
      expect(fs.readFileSync(target, 'utf8')).toBe('temp');
      // The control: the parent of %TEMP% is not a writable root.
      const beside = path.join(path.dirname(temp), `cxsb-beside-${process.pid}.txt`);
      const d = await sb.spawn(node(WRITE, beside, 'x'), 'workspace-write', { cwd: ws, env, input: '', reject: false });
      expect(d.exitCode, String(d.stderr)).toBe(3);
      expect(fs.existsSync(beside)).toBe(false);
    } finally {
      fs.rmSync(target, { force: true });
    }
  });

  it('WS: a junction planted by one run cannot become the next run\'s writable cwd (refused before launch)', async () => {
    // Run 1, sandboxed in ws: `mklink /J` needs no privilege, and ws is writable.
    const link = path.join(ws, 'pkg');
    const plant = await run(node(`require('fs').symlinkSync(process.argv[1], process.argv[2], 'junction')`, outside, link));
    expect(plant.exitCode, plant.stderr).toBe(0);
    // Run 2, started in ws\pkg (workspace-write: the cwd is the writable root): the grant would land on `outside`.
    let refused: unknown;
    try {
      await sb.spawn(node(WRITE, 'x.txt', 'pwned'), WORKSPACE_ONLY, { cwd: link, env: childEnv(), reject: false });
    } catch (e) {
      refused = e;
    }
    expect(String(refused)).toMatch(/goes through the junction or symlink/);
    expect(fs.existsSync(path.join(outside, 'x.txt'))).toBe(false);
    fs.rmSync(link);
  });

  it('RO: write in CWD denied (read-only token, no writable roots)', async () => {
    const target = path.join(ws, 'ro.txt');
    const r = await run(node(WRITE, target, 'pwned'), { readOnly: true });
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/denied:(EPERM|EACCES)/);
    expect(fs.existsSync(target)).toBe(false);
  });

  it('WS: protected metadata (.git) write, delete and rename denied', async () => {
    const git = path.join(ws, '.git');
    const cfg = path.join(git, 'config');
    const w = await run(node(WRITE, cfg, 'pwned'));
    expect(w.exitCode, w.stderr).toBe(3);
    expect(fs.readFileSync(cfg, 'utf8')).toBe('original');
    const d = await run(node(REMOVE, git));
    expect(d.exitCode, d.stderr).toBe(3);
    expect(fs.existsSync(cfg)).toBe(true);
    const m = await run(node(RENAME, git, path.join(ws, 'moved')));
    expect(m.exitCode, m.stderr).toBe(3);
    expect(fs.readFileSync(cfg, 'utf8')).toBe('original');
  });

  it('WS: first-time .codex creation denied (created empty and write-protected before launch)', async () => {
    const target = path.join(ws, '.codex', 'config.toml');
    const r = await run(node(WRITE, target, 'x'));
    expect(r.exitCode, r.stderr).toBe(3);
    expect(fs.existsSync(target)).toBe(false);
  });

  it('WS: DACL rewrite of a caller-owned directory outside denied (owner rights do not reach the restricted token)', async () => {
    const icacls = path.join(process.env.SystemRoot ?? 'C:\\Windows', 'System32', 'icacls.exe');
    // Control: unsandboxed, the owner may rewrite the DACL of a directory like `outside`.
    const ctl = path.join(tmp, 'icacls-control');
    fs.mkdirSync(ctl);
    const c = spawnSync(icacls, [ctl, '/grant', '*S-1-1-0:(OI)(CI)F'], { encoding: 'utf8' });
    expect(c.status, c.stdout + c.stderr).toBe(0);
    const r = await run([icacls, outside, '/grant', '*S-1-1-0:(OI)(CI)F']);
    // icacls ran and was refused: an ordinary error status, not an NTSTATUS from a start-up crash
    // (0xC0000142 would also be "not 0" and prove nothing).
    expect(r.exitCode, r.stdout + r.stderr).not.toBe(0);
    expect(r.exitCode, r.stdout + r.stderr).toBeLessThan(0x10000);
    const target = path.join(outside, 'after-icacls.txt');
    const w = await run(node(WRITE, target, 'pwned'));
    expect(w.exitCode, w.stderr).toBe(3);
    expect(fs.existsSync(target)).toBe(false);
  });

  it('cmd.exe runs: exit codes come back unchanged, stdout is a Node stream', async () => {
    expect((await run(['cmd.exe', '/d', '/s', '/c', 'exit 42'])).exitCode).toBe(42);
    const r = await run(['cmd.exe', '/d', '/s', '/c', 'echo hello-sandbox']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('hello-sandbox');
  });

  it('stdin is wired to the command', async () => {
    const r = await run(node("process.stdin.pipe(process.stdout)"), { stdin: 'fed-through-stdin' });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('fed-through-stdin');
  });

  it('WS: timeout kills the whole tree — killing the launcher ends a detached grandchild (kill-on-close job)', async () => {
    const pidFile = path.join(ws, 'grandchild.pid');
    const late = path.join(ws, 'late.txt');
    const grand = "const fs = require('fs'); fs.writeFileSync(process.argv[1], String(process.pid)); setTimeout(() => fs.writeFileSync(process.argv[2], 'late'), 60000);";
    const parent = `const cp = require('child_process'); cp.spawn(process.execPath, ['-e', ${JSON.stringify(grand)}, process.argv[1], process.argv[2]], { detached: true, stdio: 'ignore' }).unref(); setInterval(() => {}, 1000);`;
    const r = await run(node(parent, pidFile, late), { timeoutMs: 8000 });
    expect(r.timedOut).toBe(true);
    expect(fs.existsSync(pidFile), 'the grandchild never started, so this test proves nothing').toBe(true);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    // The job closes with the killed launcher; the kernel then ends its processes (not instantly).
    for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    expect(isAlive(pid)).toBe(false);
    expect(fs.existsSync(late)).toBe(false);
  }, 60_000);

  it('WS: a background grandchild does not outlive a command that exits on its own', async () => {
    const pidFile = path.join(ws, 'bg.pid');
    const grand = "require('fs').writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000);";
    const parent = `const cp = require('child_process'); cp.spawn(process.execPath, ['-e', ${JSON.stringify(grand)}, process.argv[1]], { detached: true, stdio: 'ignore' }).unref(); setTimeout(() => process.exit(5), 2000);`;
    const r = await run(node(parent, pidFile));
    expect(r.exitCode, r.stderr).toBe(5);
    expect(fs.existsSync(pidFile), 'the grandchild never started, so this test proves nothing').toBe(true);
    expect(isAlive(Number(fs.readFileSync(pidFile, 'utf8')))).toBe(false);
  }, 60_000);

  it('codex-sandbox run: the command runs sandboxed, its exit code comes back, a missing program is 127', () => {
    const cli = path.join(ROOT, 'dist', 'cli', 'main.js');
    // The preset would also open $TMPDIR when the shell sets it, and `outside` lives under the temp dir.
    const profile = path.join(tmp, 'workspace-only.json');
    fs.writeFileSync(profile, JSON.stringify(WORKSPACE_ONLY));
    const target = path.join(outside, 'cli-escape.txt');
    const denied = spawnSync(process.execPath, [cli, 'run', '--profile', profile, '-C', ws, '--', process.execPath, '-e', WRITE, target, 'pwned'], { env: childEnv(), encoding: 'utf8' });
    expect(denied.status, denied.stderr).toBe(3);
    expect(fs.existsSync(target)).toBe(false);
    const code = spawnSync(process.execPath, [cli, 'run', '-C', ws, '--', 'cmd.exe', '/d', '/s', '/c', 'exit 42'], { env: childEnv(), encoding: 'utf8' });
    expect(code.status, code.stderr).toBe(42);
    const missing = spawnSync(process.execPath, [cli, 'run', '-C', ws, '--', 'no-such-program-xyz'], { env: childEnv(), encoding: 'utf8' });
    expect(missing.status, missing.stderr).toBe(127);
    expect(missing.stderr).toContain('no-such-program-xyz');
  }, 60_000);
});

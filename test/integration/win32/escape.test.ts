/**
 * Real escape tests for the Windows unelevated restricted-token backend. They run only on Windows
 * (the windows-latest CI job) with the addon built there (node-gyp, InitWin under _WIN32) or the
 * mingw cross build in build/win32-x64. Wine cannot run them: it enforces no tokens or ACLs.
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
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostFacts } from '../../../src/manager/types.js';
import type { FsEntryKind, FsInspector } from '../../../src/permissions/fs-facts.js';
import type { ResolvedPermissions } from '../../../src/permissions/resolved.js';
import { launchWindows, TIMEOUT_EXIT_CODE, type WindowsNativeBinding } from '../../../src/platforms/win32/launch.js';
import { planWindows } from '../../../src/platforms/win32/plan.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const onWindows = process.platform === 'win32';

function loadBinding(): WindowsNativeBinding {
  const require = createRequire(import.meta.url);
  for (const p of ['build/Release/codex_sandbox.node', 'build/win32-x64/codex_sandbox.node']) {
    const full = path.join(ROOT, p);
    if (!fs.existsSync(full)) continue;
    const m = require(full) as Partial<WindowsNativeBinding>;
    if (typeof m.winSpawn === 'function') return m as WindowsNativeBinding;
  }
  throw new Error('no Windows addon with winSpawn found: build it (npm run build:native on Windows, or scripts/build-win.sh)');
}

/** A real FsInspector over the Windows filesystem (the parts the planner uses). */
const realFs: FsInspector = {
  kind(p): FsEntryKind {
    try {
      const st = fs.lstatSync(p);
      return st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
    } catch {
      return 'missing';
    }
  },
  realpath(p) {
    try {
      return fs.realpathSync.native(p);
    } catch {
      return undefined;
    }
  },
  readlink: () => undefined,
  readSmallFile: () => undefined,
  isEmptyDir: () => undefined,
  fileSize: () => undefined,
  scanGlob: () => ({ matches: [], truncated: false, visited: 0 }),
};

function permissions(ws: string | undefined): ResolvedPermissions {
  return {
    enforcement: 'managed',
    fileSystem: {
      kind: 'restricted',
      fullDiskRead: true,
      fullDiskWrite: false,
      includePlatformDefaults: false,
      readableRoots: [],
      writableRoots:
        ws === undefined ? [] : [{ root: ws, readOnlySubpaths: [path.join(ws, '.git')], protectedMetadataNames: ['.git', '.agents', '.codex'] }],
      unreadableRoots: [],
      unreadableGlobs: [],
      globScanMaxDepth: undefined,
    },
    network: 'restricted',
    warnings: [],
  };
}

async function collect(r: Readable | null): Promise<string> {
  if (r === null) return '';
  let s = '';
  for await (const chunk of r) s += String(chunk);
  return s;
}

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

describe.skipIf(!onWindows)('windows restricted-token sandbox (real escape tests; Windows only — skipped elsewhere)', () => {
  let binding: WindowsNativeBinding;
  let tmp: string;
  let ws: string;
  let outside: string;

  beforeAll(() => {
    binding = loadBinding();
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
    const facts: HostFacts = { platform: 'win32', arch: 'x64', tmpdir: undefined, home: os.homedir(), fs: realFs };
    const req = planWindows({ command, cwd: ws, permissions: permissions(opts.readOnly === true ? undefined : ws), env: childEnv(), facts });
    const child = await launchWindows(req, binding, opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs });
    child.stdin?.end(opts.stdin ?? '');
    const [stdout, stderr, exit] = await Promise.all([collect(child.stdout), collect(child.stderr), child.exited]);
    return { exitCode: exit.exitCode, timedOut: exit.timedOut, stdout, stderr };
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
    const r = await run([icacls, outside, '/grant', '*S-1-1-0:(OI)(CI)F']);
    expect(r.exitCode, r.stdout + r.stderr).not.toBe(0);
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

  it('WS: timeout kills the whole tree — a detached grandchild is gone when exited settles', async () => {
    const pidFile = path.join(ws, 'grandchild.pid');
    const late = path.join(ws, 'late.txt');
    const grand = "const fs = require('fs'); fs.writeFileSync(process.argv[1], String(process.pid)); setTimeout(() => fs.writeFileSync(process.argv[2], 'late'), 60000);";
    const parent = `const cp = require('child_process'); cp.spawn(process.execPath, ['-e', ${JSON.stringify(grand)}, process.argv[1], process.argv[2]], { detached: true, stdio: 'ignore' }).unref(); setInterval(() => {}, 1000);`;
    const r = await run(node(parent, pidFile, late), { timeoutMs: 8000 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBe(TIMEOUT_EXIT_CODE);
    expect(fs.existsSync(pidFile), 'the grandchild never started, so this test proves nothing').toBe(true);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(isAlive(pid)).toBe(false);
    expect(fs.existsSync(late)).toBe(false);
  }, 60_000);
});

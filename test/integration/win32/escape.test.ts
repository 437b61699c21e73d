/**
 * Real escape tests for the Windows unelevated restricted-token backend. They run only on Windows
 * (the windows-latest CI job) with the addon built there (node-gyp, InitWin under _WIN32) or the
 * mingw cross build in build/win32-x64. Wine cannot run them: it enforces no tokens or ACLs.
 */
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

function permissions(ws: string): ResolvedPermissions {
  return {
    enforcement: 'managed',
    fileSystem: {
      kind: 'restricted',
      fullDiskRead: true,
      fullDiskWrite: false,
      includePlatformDefaults: false,
      readableRoots: [],
      writableRoots: [{ root: ws, readOnlySubpaths: [path.join(ws, '.git')], protectedMetadataNames: ['.git', '.agents', '.codex'] }],
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

describe.skipIf(!onWindows)('windows restricted-token sandbox (real escape tests; Windows only)', () => {
  let binding: WindowsNativeBinding;
  let tmp: string;
  let ws: string;
  let outside: string;

  beforeAll(() => {
    binding = loadBinding();
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

  async function run(script: string, timeoutMs?: number): Promise<{ exitCode: number; timedOut: boolean; stdout: string; stderr: string }> {
    const facts: HostFacts = { platform: 'win32', arch: 'x64', tmpdir: undefined, home: os.homedir(), fs: realFs };
    const req = planWindows({ command: ['cmd.exe', '/d', '/s', '/c', script], cwd: ws, permissions: permissions(ws), env: { ...process.env } as Record<string, string>, facts });
    const child = await launchWindows(req, binding, timeoutMs === undefined ? {} : { timeoutMs });
    child.stdin?.end();
    const [stdout, stderr, exit] = await Promise.all([collect(child.stdout), collect(child.stderr), child.exited]);
    return { exitCode: exit.exitCode, timedOut: exit.timedOut, stdout, stderr };
  }

  it('WS: write outside workspace denied', async () => {
    const target = path.join(outside, 'escape.txt');
    const r = await run(`echo pwned> "${target}"`);
    expect(r.exitCode).not.toBe(0);
    expect(fs.existsSync(target)).toBe(false);
  });

  it('WS: write inside the writable root allowed', async () => {
    const target = path.join(ws, 'ok.txt');
    const r = await run(`echo fine> "${target}"`);
    expect(r.exitCode).toBe(0);
    expect(fs.readFileSync(target, 'utf8').trim()).toBe('fine');
  });

  it('WS: protected metadata (.git) write and delete denied', async () => {
    const cfg = path.join(ws, '.git', 'config');
    await run(`echo pwned> "${cfg}"`);
    expect(fs.readFileSync(cfg, 'utf8')).toBe('original');
    await run(`rmdir /s /q "${path.join(ws, '.git')}"`);
    expect(fs.existsSync(cfg)).toBe(true);
    await run(`move "${path.join(ws, '.git')}" "${path.join(ws, 'moved')}"`);
    expect(fs.existsSync(cfg)).toBe(true);
  });

  it('WS: first-time .codex creation denied (created empty and write-protected before launch)', async () => {
    const target = path.join(ws, '.codex', 'config.toml');
    await run(`echo x> "${target}"`);
    expect(fs.existsSync(target)).toBe(false);
  });

  it('exit codes come back unchanged, stdout is wired to a Node stream', async () => {
    expect((await run('exit 42')).exitCode).toBe(42);
    const r = await run('echo hello-sandbox');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe('hello-sandbox');
  });

  it('WS: post-timeout tree killed — a descendant never gets to write', async () => {
    const late = path.join(ws, 'late.txt');
    const r = await run(`ping -n 4 127.0.0.1 >NUL & echo late> "${late}"`, 300);
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBe(TIMEOUT_EXIT_CODE);
    // Give a surviving process (there must be none) the time it would need to write.
    await new Promise((res) => setTimeout(res, 5000));
    expect(fs.existsSync(late)).toBe(false);
  }, 30_000);
});

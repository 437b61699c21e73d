/**
 * Real Seatbelt escape tests: the planner's argv is run by /usr/bin/sandbox-exec on a Mac, against
 * real files and a real loopback server. Elsewhere the suite is skipped (its name says why).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FsEntryKind, FsInspector } from '../../../src/permissions/fs-facts.js';
import type { ResolvedPermissions, WritableRoot } from '../../../src/permissions/resolved.js';
import { planDarwin } from '../../../src/platforms/darwin/plan.js';

const onMac = process.platform === 'darwin' && existsSync('/usr/bin/sandbox-exec');

/** A real FsInspector over the host filesystem (enough for the planner). */
const realFs: FsInspector = {
  kind(p): FsEntryKind {
    try {
      const st = lstatSync(p);
      return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other';
    } catch {
      return 'missing';
    }
  },
  realpath(p) {
    try {
      return realpathSync(p);
    } catch {
      return undefined;
    }
  },
  readlink(p) {
    try {
      return readlinkSync(p);
    } catch {
      return undefined;
    }
  },
  readSmallFile: () => undefined,
  isEmptyDir: () => undefined,
  fileSize: () => undefined,
  scanGlob: () => ({ matches: [], truncated: false, visited: 0 }),
};

function perms(writable: WritableRoot[], network: 'restricted' | 'enabled'): ResolvedPermissions {
  return {
    enforcement: 'managed',
    network,
    warnings: [],
    fileSystem: {
      kind: 'restricted',
      fullDiskRead: true,
      fullDiskWrite: false,
      includePlatformDefaults: false,
      readableRoots: [],
      writableRoots: writable,
      unreadableRoots: [],
      unreadableGlobs: [],
      globScanMaxDepth: undefined,
    },
  };
}

function run(p: ResolvedPermissions, cwd: string, script: string): { status: number | null; stderr: string; stdout: string } {
  const req = planDarwin({
    command: ['/bin/sh', '-c', script],
    cwd,
    permissions: p,
    env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', HOME: process.env.HOME ?? '/' },
    facts: { platform: 'darwin', arch: process.arch, tmpdir: undefined, home: process.env.HOME, fs: realFs },
  });
  const argv = req.argv.map((a) => (typeof a === 'string' ? a : Buffer.from(a.bytes, 'base64').toString()));
  const r = spawnSync(req.program as string, argv, { cwd, env: req.env, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe.skipIf(!onMac)('Seatbelt escape tests (needs macOS sandbox-exec; skipped on other OSes)', () => {
  let base: string;
  let work: string;
  let outside: string;
  let server: Server;
  let port: number;
  let workspace: () => ResolvedPermissions;

  beforeAll(async () => {
    base = realpathSync(mkdtempSync(join(tmpdir(), 'cs-darwin-')));
    work = join(base, 'work');
    outside = join(base, 'outside');
    mkdirSync(join(work, '.git'), { recursive: true });
    writeFileSync(join(work, '.git', 'config'), 'original\n');
    mkdirSync(outside);
    workspace = () => perms([{ root: work, readOnlySubpaths: [join(work, '.git')], protectedMetadataNames: ['.git', '.codex', '.agents'] }], 'restricted');
    server = createServer((s) => s.end('pong\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  });

  afterAll(() => {
    server?.close();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('write outside the writable roots is denied', () => {
    const r = run(workspace(), work, `echo x > '${outside}/escape.txt'`);
    expect(r.status).not.toBe(0);
    expect(existsSync(join(outside, 'escape.txt'))).toBe(false);
  });

  it('write inside a writable root is allowed', () => {
    const r = run(workspace(), work, `echo ok > '${work}/inside.txt'`);
    expect(r.status).toBe(0);
    expect(readFileSync(join(work, 'inside.txt'), 'utf8')).toBe('ok\n');
  });

  it('.git inside a writable root cannot be written, renamed or removed', () => {
    const r = run(workspace(), work, `echo evil > .git/config; echo x > .git/new; mv .git .git-moved; rm -rf .git; true`);
    expect(r.status).toBe(0);
    expect(readFileSync(join(work, '.git', 'config'), 'utf8')).toBe('original\n');
    expect(existsSync(join(work, '.git', 'new'))).toBe(false);
    expect(existsSync(join(work, '.git-moved'))).toBe(false);
  });

  it('first-time creation of .codex is denied', () => {
    const r = run(workspace(), work, `mkdir .codex`);
    expect(r.status).not.toBe(0);
    expect(existsSync(join(work, '.codex'))).toBe(false);
  });

  it('the writable root itself cannot be renamed away', () => {
    const r = run(workspace(), work, `mv '${work}' '${work}-moved'`);
    expect(r.status).not.toBe(0);
    expect(existsSync(work)).toBe(true);
  });

  it('network denied: a loopback connect fails', () => {
    const r = run(workspace(), work, `/usr/bin/nc -w 2 127.0.0.1 ${port} </dev/null`);
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toContain('pong');
  });

  it('network enabled: a loopback connect succeeds', () => {
    const p = { ...workspace(), network: 'enabled' as const };
    const r = run(p, work, `/usr/bin/nc -w 2 127.0.0.1 ${port} </dev/null`);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('pong');
  });

  it('exit codes of the command are preserved', () => {
    expect(run(workspace(), work, 'exit 0').status).toBe(0);
    expect(run(workspace(), work, 'exit 7').status).toBe(7);
    expect(run(workspace(), work, 'exit 130').status).toBe(130);
  });

  it('the command sees CODEX_SANDBOX=seatbelt and CODEX_SANDBOX_NETWORK_DISABLED=1', () => {
    const r = run(workspace(), work, 'echo "$CODEX_SANDBOX $CODEX_SANDBOX_NETWORK_DISABLED"');
    expect(r.stdout.trim()).toBe('seatbelt 1');
  });

  it('a writable root whose name holds quotes, parentheses and a newline works as data', () => {
    const odd = join(base, 'odd"dir (x)\nline');
    mkdirSync(odd);
    const p = perms([{ root: odd, readOnlySubpaths: [], protectedMetadataNames: ['.git'] }], 'restricted');
    const r = run(p, odd, `echo ok > f && echo no > '${outside}/f2'; true`);
    expect(r.status).toBe(0);
    expect(readFileSync(join(odd, 'f'), 'utf8')).toBe('ok\n');
    expect(existsSync(join(outside, 'f2'))).toBe(false);
  });
});

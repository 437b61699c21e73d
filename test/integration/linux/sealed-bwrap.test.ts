/**
 * The bundled bwrap as a sealed memfd copy, checked once per process (src/launch/sealed-bwrap.ts) and
 * executed by every launcher given `--sealed-bwrap-fd` instead of hashing the file on disk each time
 * (native/launcher/exec_program.cc take_sealed_bwrap_fd). Real launcher, real bwrap, real files:
 * - the launcher refuses an fd that is not sealed, and never runs it (a writable file could be
 *   changed after the caller checked it);
 * - the addon's copy cannot be changed through its fd or a reopened /proc/self/fd path;
 * - a tampered bwrap on disk gets no sealed copy (the launcher then refuses the file itself), and a
 *   copy whose fd some code closed is made again (its number may be another file's by then);
 * - sandbox.spawn passes the copy, and no process of the launched tree (launcher, watchdog, bwrap,
 *   the command) keeps it open.
 */
import { spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledBwrapPath, launcherPath, loadNative } from '../../../src/native.js';
import { normaliseEmbeddedDigest } from '../../../src/host/bundled-bwrap.js';
import { sealedBwrapFd } from '../../../src/launch/sealed-bwrap.js';
import { isLinux, sandbox } from './helpers.js';

function findNative(): { launcher: string; bundled: string; digest: string } | string {
  if (!isLinux) return 'Linux only';
  try {
    const digest = normaliseEmbeddedDigest(loadNative().embeddedBwrapSha256());
    const bundled = bundledBwrapPath();
    if (bundled === undefined) return 'the native build has no bundled bwrap (development build)';
    if (digest === undefined) return 'development build: no compiled-in bwrap digest, nothing is hashed or sealed';
    if (!loadNative().sealedBundledBwrap) return 'the addon has no sealedBundledBwrap (an old build: npm run build:native)';
    return { launcher: launcherPath(), bundled, digest };
  } catch (e) {
    return `native build unavailable: ${(e as Error).message}`;
  }
}

const found = findNative();
const native = typeof found === 'string' ? undefined : found;
const why = typeof found === 'string' ? found : '';
const root = fs.mkdtempSync('/var/tmp/csbx-sealed-bwrap-');
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Every process below pid (children first found through /proc/PID/task/PID/children). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift() as number;
    let children: string;
    try {
      children = fs.readFileSync(`/proc/${p}/task/${p}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const c of children.split(' ').filter(Boolean).map(Number)) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** The targets of a process's open fds (those still readable: it may have exited meanwhile). */
function fdTargets(pid: number): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names) {
    try {
      out.push(fs.readlinkSync(`/proc/${pid}/fd/${n}`));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/** The launcher run directly with `fd` as its fd 3 (the place the option names), a bare environment. */
function runLauncherWithFd3(args: string[], fd: number): SpawnSyncReturns<string> {
  return spawnSync(native?.launcher ?? '', args, { encoding: 'utf8', timeout: 20_000, env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe', fd] });
}

const comm = (pid: number): string => {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

describe.skipIf(native === undefined)(`the bundled bwrap as a sealed copy${why ? ` [skipped: ${why}]` : ''}`, () => {
  // Opt-in (src/launch/sealed-bwrap.ts says why); read at each launch.
  const before = process.env.CODEX_SANDBOX_SEALED_BWRAP;
  beforeAll(() => {
    process.env.CODEX_SANDBOX_SEALED_BWRAP = '1';
  });
  afterAll(() => {
    if (before === undefined) delete process.env.CODEX_SANDBOX_SEALED_BWRAP;
    else process.env.CODEX_SANDBOX_SEALED_BWRAP = before;
  });

  it('the launcher refuses a --sealed-bwrap-fd that is a plain (writable) file, exit 125, and never executes it', () => {
    // An ELF that would leave a mark if the launcher executed it as bwrap (argv: [bwrap, MARK]).
    const dir = fs.mkdtempSync(path.join(root, 'fake-'));
    const fake = path.join(dir, 'fake-bwrap');
    fs.copyFileSync('/usr/bin/touch', fake);
    fs.chmodSync(fake, 0o755);
    const mark = path.join(dir, 'fake-ran');
    const fd = fs.openSync(fake, 'r');
    try {
      const r = runLauncherWithFd3(['--sealed-bwrap-fd', '3', '--bwrap-verified', '--', native?.bundled ?? '', mark], fd);
      expect(r.stderr).toContain('--sealed-bwrap-fd');
      expect(r.status).toBe(125);
    } finally {
      fs.closeSync(fd);
    }
    expect(fs.existsSync(mark)).toBe(false);
  });

  it('the launcher refuses --sealed-bwrap-fd without --bwrap-verified (it is only ever a copy of the bundled bwrap)', () => {
    const fd = loadNative().sealedBundledBwrap?.(native?.bundled ?? '') as number;
    try {
      const r = runLauncherWithFd3(['--sealed-bwrap-fd', '3', '--bwrap', '--', '/usr/bin/true'], fd);
      expect(r.stderr).toContain('--sealed-bwrap-fd needs --bwrap-verified');
      expect(r.status).toBe(125);
    } finally {
      fs.closeSync(fd);
    }
  });

  it("the addon's sealed copy holds the file's bytes and cannot be written, truncated or extended, not even reopened through /proc/self/fd", () => {
    const fd = loadNative().sealedBundledBwrap?.(native?.bundled ?? '') as number;
    try {
      expect(fs.readFileSync(`/proc/self/fd/${fd}`).equals(fs.readFileSync(native?.bundled ?? ''))).toBe(true);
      expect(() => fs.writeSync(fd, 'x', 0)).toThrow(/EPERM/);
      expect(() => fs.ftruncateSync(fd, 0)).toThrow(/EPERM/);
      expect(() => fs.ftruncateSync(fd, 1 << 24)).toThrow(/EPERM/);
      let reopened: number | undefined;
      try {
        reopened = fs.openSync(`/proc/self/fd/${fd}`, 'r+');
        const again = reopened;
        expect(() => fs.writeSync(again, 'x', 0)).toThrow(/EPERM/);
      } catch (e) {
        // Opening for writing may itself be refused; either way nothing was written.
        if (reopened === undefined) expect(String(e)).toMatch(/EPERM|EACCES/);
        else throw e;
      } finally {
        if (reopened !== undefined) fs.closeSync(reopened);
      }
      expect(fs.readFileSync(`/proc/self/fd/${fd}`).equals(fs.readFileSync(native?.bundled ?? ''))).toBe(true);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('a tampered bwrap gets no sealed copy (the launcher then hashes and refuses the file); an intact one does', () => {
    const dir = fs.mkdtempSync(path.join(root, 'copies-'));
    const intact = path.join(dir, 'intact');
    const tampered = path.join(dir, 'tampered');
    fs.copyFileSync(native?.bundled ?? '', intact);
    const bytes = fs.readFileSync(native?.bundled ?? '');
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    fs.writeFileSync(tampered, bytes);
    expect(sealedBwrapFd(tampered)).toBeUndefined();
    const fd = sealedBwrapFd(intact);
    expect(typeof fd).toBe('number');
    expect(fs.readlinkSync(`/proc/self/fd/${String(fd)}`)).toContain('memfd:bwrap');
    expect(sealedBwrapFd(intact)).toBe(fd);
    // Some code of this process closes the fd (its number free for any other file): a new copy, never the stale number's file.
    fs.closeSync(fd as number);
    const again = sealedBwrapFd(intact);
    expect(fs.readlinkSync(`/proc/self/fd/${String(again)}`)).toContain('memfd:bwrap');
  });

  it('sandbox.spawn hands the launcher the sealed copy, and no process of the launched tree keeps it open', async () => {
    const sb = await sandbox();
    const ws = fs.mkdtempSync(path.join(root, 'ws-'));
    const sub = sb.spawn(['/bin/sleep', '60'], 'workspace-write', { cwd: ws });
    const done = sub.catch(() => undefined);
    try {
      const launcher = sub.pid as number;
      // Only the bundled bwrap is copied (the integration-system pass runs the system one, by path),
      // and not where a memfd could not run it (sealed-bwrap.ts memfdBwrapWouldFail).
      const bundled = sb.facts.linux?.bwrap?.source === 'bundled' && sealedBwrapFd(native?.bundled ?? '') !== undefined;
      expect(fs.readFileSync(`/proc/${launcher}/cmdline`, 'utf8').split('\0').includes('--sealed-bwrap-fd')).toBe(bundled);
      // Wait (generously) until the command itself runs: then bwrap has started from the copy.
      const deadline = Date.now() + 30_000;
      let tree: number[] = [];
      while (Date.now() < deadline) {
        tree = descendants(launcher);
        if (tree.some((p) => comm(p) === 'sleep')) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(tree.map(comm)).toContain('sleep');
      const holders = [launcher, ...tree].filter((p) => fdTargets(p).some((t) => t.includes('memfd:bwrap')));
      expect(holders.map((p) => `${p} ${comm(p)}`)).toEqual([]);
    } finally {
      sub.kill('SIGKILL');
      await done;
    }
  });
});

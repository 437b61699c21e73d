/**
 * Real bubblewrap: a hostile command that runs again and again (or next to another sandbox) must not
 * change how a later sandbox is mounted. Each test performs the attack for real.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxSetupError } from '../../../src/errors.js';
import { getHostFacts } from '../../../src/host/facts.js';
import { launch } from '../../../src/launch/run.js';
import { bundledBwrapPath, loadNative } from '../../../src/native.js';
import { Sandbox } from '../../../src/sandbox.js';
import { PY, isLinux, run, sandbox, scratch, settle, sh } from './helpers.js';
import type { Scratch } from './helpers.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cliBin = join(repo, 'dist', 'cli', 'main.js');

describe.skipIf(!isLinux)('linux sandbox: across runs (real bwrap)', () => {
  let s: Scratch;
  beforeEach(() => {
    s = scratch('csbx-xrun-');
    mkdirSync(join(s.ws, 'pkg'));
  });
  afterEach(() => s.cleanup());

  describe('mounts bind what was planned', () => {
    it('a directory replaced by a symlink in run 1 is refused as the cwd or a writable root of run 2 (error names the link and the resolved path)', async () => {
      // Run 1: the hostile command swaps its subdirectory for a link to a place it may not write.
      const r1 = await sh(`rm -rf pkg && ln -s ${s.outside} pkg`, 'workspace-write', { cwd: s.ws });
      expect(r1.exitCode).toBe(0);
      const link = join(s.ws, 'pkg');
      const resolved = realpathSync(s.outside);
      // Run 2 given the link as its cwd (workspace-write makes the cwd writable) or as a root.
      const asCwd = sh('echo pwn > planted', 'workspace-write', { cwd: link });
      await expect(asCwd).rejects.toThrow(new RegExp(`symlink ${link} \\(→ ${resolved}\\).*use the resolved path ${resolved}`));
      await expect(asCwd).rejects.toMatchObject({ name: 'PlanError', usage: true });
      await expect(sh('echo pwn > pkg/planted', 'read-only', { cwd: s.ws, writableRoots: [link] })).rejects.toThrow(/--allow-symlinked-root/);
      expect(readdirSync(s.outside)).toEqual([]);
    });

    it('a symlink the caller names with allowSymlinkedRoots is accepted (bound at its resolved path)', async () => {
      symlinkSync(s.outside, join(s.ws, 'mylink'));
      const link = join(s.ws, 'mylink');
      const r = await sh('echo ok > made', 'workspace-write', { cwd: link, allowSymlinkedRoots: [link] });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(readFileSync(join(s.outside, 'made'), 'utf8')).toBe('ok\n');
    });

    it.skipIf(!existsSync(cliBin))('CLI: a planted symlink in --cwd is a usage error (exit 2) naming the link; --allow-symlinked-root accepts it', () => {
      symlinkSync(s.outside, join(s.ws, 'pkg2'));
      const link = join(s.ws, 'pkg2');
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: s.base };
      const refused = spawnSync(process.execPath, [cliBin, 'run', '--cwd', link, '--', '/bin/sh', '-c', 'echo pwn > x'], { cwd: s.ws, env, encoding: 'utf8' });
      expect(refused.status, refused.stderr).toBe(2);
      expect(refused.stderr).toContain(`symlink ${link}`);
      const allowed = spawnSync(process.execPath, [cliBin, 'run', '--cwd', link, '--allow-symlinked-root', link, '--', '/bin/sh', '-c', 'echo ok > x'], { cwd: s.ws, env, encoding: 'utf8' });
      expect(allowed.status, allowed.stderr).toBe(0);
      expect(readFileSync(join(s.outside, 'x'), 'utf8')).toBe('ok\n');
    });

    it('the inner stage refuses to start the command when a planned mount is not where the plan put it (writable root redirected, protection not read-only)', async () => {
      const launcher = (await sandbox()).facts.linux?.launcherPath ?? '';
      const pkg = join(s.ws, 'pkg');
      symlinkSync(pkg, join(s.ws, 'alias'));
      const { dev, ino } = statSync(pkg, { bigint: true });
      const inner = (flags: string): string => `${launcher} --inner ${flags} -- /bin/true; echo "status $?"`;
      const script = [
        inner(`--expect-rw ${dev}:${ino} ${pkg} --expect-ro /usr`), // as planned
        inner(`--expect-ro ${pkg}`), // a protection that is writable
        inner(`--expect-rw ${dev}:${ino} ${join(s.ws, 'alias')}`), // reached through a symlink
        inner(`--expect-rw ${dev}:${ino + 1n} ${pkg}`), // another directory
        inner(`--expect-rw ${dev}:${ino} /usr`), // read-only where a writable root was planned
      ].join('; ');
      const r = await sh(script, 'workspace-write', { cwd: s.ws });
      expect(r.stdout).toBe('status 0\nstatus 125\nstatus 125\nstatus 125\nstatus 125\n');
      expect(r.stderr).toContain(`${pkg} should be read-only inside and is not`);
      expect(r.stderr).toContain('cannot be reached without following a symlink');
      expect(r.stderr).toContain('is another directory');
    });

    it('racer: a concurrent sandbox swapping a writable root for a symlink between planning and mounting never gets a write through the link', async () => {
      const pkg = join(s.ws, 'pkg');
      mkdirSync(join(pkg, '.git'));
      writeFileSync(join(pkg, '.git', 'config'), '[core]\n');
      // The racer is itself a sandboxed command (workspace-write on ws): it flips ws/pkg between the
      // real directory and a link to `outside` as fast as it can.
      const racerCode = [
        'import os, time',
        `pkg = ${JSON.stringify(pkg)}; aside = pkg + ".real"; out = ${JSON.stringify(s.outside)}`,
        'end = time.time() + 60',
        'while time.time() < end and not os.path.exists(out + "/../stop"):',
        '    os.rename(pkg, aside); os.symlink(out, pkg)',
        '    time.sleep(0.0005)',
        '    os.unlink(pkg); os.rename(aside, pkg)',
        '    time.sleep(0.0005)',
      ].join('\n');
      const sb = await sandbox();
      const racer = sb.spawn([PY, '-c', racerCode], 'workspace-write', { cwd: s.ws, reject: false, stdin: 'ignore' });
      let started = 0;
      let refused = 0;
      let wrote = 0;
      try {
        // Give the racer time to start flipping.
        await new Promise((r) => setTimeout(r, 300));
        const attempts = Array.from({ length: 80 }, (_, i) => i);
        for (let i = 0; i < attempts.length; i += 4) {
          await Promise.all(
            attempts.slice(i, i + 4).map(async (n) => {
              try {
                // The victim writes its file, and tries the protected .git both where it should be and
                // where a redirected bind would have put the writable root.
                const script = `echo ${n} > ${pkg}/m-${n}; echo pwn >> ${pkg}/.git/config; echo pwn >> ${s.outside}/.git/config; true`;
                // Through sessions: a session of its own per attempt, so each attempt races the set-up again.
                const r = await run(['/bin/sh', '-c', script], 'read-only', { cwd: s.base, writableRoots: [pkg] }, { freshSession: true });
                started += 1;
                if (r.exitCode === 0) wrote += 1;
              } catch (e) {
                // The launcher ran and found the root swapped (its pin): started, and refused there.
                // (A session's set-up failure ends its command with the launcher's error as the cause.)
                if (e instanceof SandboxSetupError || (e instanceof Error && e.cause instanceof SandboxSetupError)) started += 1;
                else refused += 1; // planning saw the link: refused before anything ran
              }
            }),
          );
        }
      } finally {
        writeFileSync(join(s.base, 'stop'), '');
        await racer;
      }
      // Nothing ever landed outside; the attempts were real (some planned and started).
      const counts = `started ${started}, wrote ${wrote}, refused ${refused}`;
      expect(readdirSync(s.outside), counts).toEqual([]);
      expect(readFileSync(join(pkg, '.git', 'config'), 'utf8'), counts).toBe('[core]\n');
      expect(started).toBeGreaterThan(0);
    }, 120_000);
  });

  describe('protections survive renames', () => {
    const profileWithLockedFile = (ws: string): Record<string, unknown> => ({
      type: 'managed',
      file_system: {
        type: 'restricted',
        entries: [
          { path: { type: 'special', value: { kind: 'root' } }, access: 'read' },
          { path: { type: 'path', path: ws }, access: 'write' },
          { path: { type: 'path', path: join(ws, 'conf', 'locked.toml') }, access: 'read' },
        ],
      },
      network: 'restricted',
    });

    it('a read-only carve-out (conf/locked.toml) cannot be replaced by renaming its directory, in this run or the next', async () => {
      mkdirSync(join(s.ws, 'conf'));
      writeFileSync(join(s.ws, 'conf', 'locked.toml'), 'safe = true\n');
      writeFileSync(join(s.ws, 'conf', 'other.toml'), 'x\n');
      const attack = await sh('mv conf conf2 && mkdir conf && echo pwn > conf/locked.toml', profileWithLockedFile(s.ws), { cwd: s.ws });
      expect(attack.exitCode, attack.stderr).not.toBe(0);
      expect(attack.stderr).toMatch(/busy/i);
      expect(readFileSync(join(s.ws, 'conf', 'locked.toml'), 'utf8')).toBe('safe = true\n');
      const rm = await sh('rm -rf conf; echo pwn > conf/locked.toml', profileWithLockedFile(s.ws), { cwd: s.ws });
      expect(rm.exitCode).not.toBe(0);
      expect(readFileSync(join(s.ws, 'conf', 'locked.toml'), 'utf8')).toBe('safe = true\n');
      // Run 2: still in place and still read-only; the rest of conf stays writable.
      const r2 = await sh('echo pwn > conf/locked.toml; echo y > conf/new.toml && cat conf/new.toml', profileWithLockedFile(s.ws), { cwd: s.ws });
      expect(r2.stdout).toBe('y\n');
      expect(readFileSync(join(s.ws, 'conf', 'locked.toml'), 'utf8')).toBe('safe = true\n');
    });

    it('a --deny-read file that does not exist yet stays unreadable when the host creates it while the command runs', async () => {
      // A missing denied path under a writable root gets an empty unreadable placeholder: whatever the user's
      // tools write there during the run (a .env, a key) lands under the mask, never in the sandbox's view.
      const denyRead = [join(s.ws, 'late.env')];
      const script = 'touch ready; i=0; while [ ! -e go ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done; cat late.env; echo end';
      const running = sh(script, 'workspace-write', { cwd: s.ws, denyRead });
      const ready = join(s.ws, 'ready');
      for (let i = 0; i < 500 && !existsSync(ready); i += 1) await new Promise((r) => setTimeout(r, 10));
      // Written in place (a replace by rename over the mask is not what this checks). As a user without root
      // the placeholder's mode (000) refuses the write itself, which leaks nothing either.
      let wrote = true;
      try {
        writeFileSync(join(s.ws, 'late.env'), 'TOPSECRET\n');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EACCES' || process.getuid?.() === 0) throw e;
        wrote = false;
      }
      writeFileSync(join(s.ws, 'go'), '');
      const r = await running;
      expect(r.stdout, r.stderr).toContain('end');
      expect(r.stdout).not.toContain('TOPSECRET');
      if (wrote) {
        // The user's file outlives the placeholder it was written into.
        await settle();
        expect(readFileSync(join(s.ws, 'late.env'), 'utf8')).toBe('TOPSECRET\n');
      }
    });

    it('a --deny-read path whose parent the command tries to rename in run 1 stays unreadable in run 2', async () => {
      mkdirSync(join(s.ws, 'sec'));
      writeFileSync(join(s.ws, 'sec', 'key'), 'TOPSECRET\n');
      const denyRead = [join(s.ws, 'sec', 'key')];
      const r1 = await sh('mv sec sec2; mkdir -p a/b && mv sec a/b/; cat sec/key sec2/key a/b/sec/key', 'workspace-write', { cwd: s.ws, denyRead });
      expect(r1.stdout).not.toContain('TOPSECRET');
      expect(existsSync(join(s.ws, 'sec', 'key'))).toBe(true);
      const r2 = await sh('cat sec/key sec2/key a/b/sec/key', 'workspace-write', { cwd: s.ws, denyRead });
      expect(r2.stdout).not.toContain('TOPSECRET');
    });

    it('protected metadata (.git) cannot be swapped by renaming it away and recreating it', async () => {
      mkdirSync(join(s.ws, '.git'));
      writeFileSync(join(s.ws, '.git', 'config'), '[core]\n');
      const r = await sh('mv .git g2 && mkdir .git && echo "[core] hooksPath=/x" > .git/config', 'workspace-write', { cwd: s.ws });
      expect(r.exitCode).not.toBe(0);
      expect(readFileSync(join(s.ws, '.git', 'config'), 'utf8')).toBe('[core]\n');
    });
  });

  describe('deny globs: depth and DIR/**', () => {
    it('--deny-read DIR/** launches and hides DIR and everything under it (also files created later)', async () => {
      mkdirSync(join(s.ws, 'secrets', 'sub'), { recursive: true });
      writeFileSync(join(s.ws, 'secrets', 'a'), 'TOPSECRET-a\n');
      writeFileSync(join(s.ws, 'secrets', 'sub', 'b'), 'TOPSECRET-b\n');
      const denyRead = [`${s.ws}/secrets/**`];
      const r = await sh('cat secrets/a secrets/sub/b; ls secrets; echo new > secrets/c; echo done', 'workspace-write', { cwd: s.ws, denyRead });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).not.toContain('TOPSECRET');
      expect(r.stdout).toContain('done');
      expect(existsSync(join(s.ws, 'secrets', 'c'))).toBe(false);
    });

    it('a deny glob whose tree is deeper than glob_scan_max_depth fails closed, naming the limit and the directory (a file moved deeper in run 1 does not escape in run 2)', async () => {
      writeFileSync(join(s.ws, 'a.key'), 'TOPSECRET\n');
      // Run 1 (a profile without the glob) buries the file below the scan limit.
      const r1 = await sh('mkdir -p d1/d2/d3/d4 && mv a.key d1/d2/d3/d4/a.key', 'workspace-write', { cwd: s.ws });
      expect(r1.exitCode, r1.stderr).toBe(0);
      const profile = {
        type: 'managed',
        file_system: {
          type: 'restricted',
          glob_scan_max_depth: 3,
          entries: [
            { path: { type: 'special', value: { kind: 'root' } }, access: 'read' },
            { path: { type: 'path', path: s.ws }, access: 'write' },
            { path: { type: 'glob_pattern', pattern: `${s.ws}/**/*.key` }, access: 'deny' },
          ],
        },
        network: 'restricted',
      };
      await expect(sh('cat d1/d2/d3/d4/a.key', profile, { cwd: s.ws })).rejects.toThrow(
        new RegExp(`${join(s.ws, 'd1/d2/d3')} is at the scan limit \\(glob_scan_max_depth = 3\\)`),
      );
    });
  });

  describe('registry and shared directories', () => {
    it('the placeholder registry is not visible inside (it lists other workspaces and their timing)', async () => {
      const reg = (await sandbox()).facts.linux?.syntheticRegistry ?? '';
      expect(reg).not.toBe('');
      // This run registers placeholders for its own ws (no .git/.codex/.agents there), so the
      // registry on the host names ws while it runs (launchers-3/<launcher>).
      const r = await sh(`ls -A ${reg}; ls ${reg}/launchers-3; touch ${reg}/planted-by-sandbox; echo end`, 'workspace-write', { cwd: s.ws });
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe('end\n');
      expect(r.stderr).toMatch(/Permission denied/);
    });

    it.skipIf(process.getuid?.() !== 0 || !existsSync(cliBin))(
      "another user's symlink planted as .git in a shared sticky writable root (like `ln -s x /tmp/.git`) does not stop the caller's runs, and the caller cannot replace it (root runs this as csbx-test; as csbx-test alone no second user can plant it)",
      () => {
        if (spawnSync('id', ['-u', 'csbx-test']).status !== 0) spawnSync('useradd', ['--create-home', '--shell', '/bin/sh', 'csbx-test']);
        const shared = join(s.base, 'shared');
        mkdirSync(shared);
        spawnSync('chmod', ['a+rx', s.base]);
        spawnSync('chmod', ['1777', shared]);
        symlinkSync('x', join(shared, '.git')); // owned by root: "another user" for csbx-test
        const script = `echo ok > ${shared}/mine && rm -f ${shared}/.git; mkdir ${shared}/.git; ls -ld ${shared}/.git`;
        const r = spawnSync('su', ['csbx-test', '-s', '/bin/sh', '-c', `cd /var/tmp && ${JSON.stringify(process.execPath)} ${cliBin} run -p read-only -w ${shared} -- /bin/sh -c ${JSON.stringify(script)}`], { encoding: 'utf8' });
        expect(r.stderr).not.toMatch(/symlink/);
        expect(readFileSync(join(shared, 'mine'), 'utf8')).toBe('ok\n');
        expect(r.stdout).toMatch(/^l/); // still the planted link: the caller could not replace it
      },
    );
  });

  describe("the package's own files", () => {
    it('the package root is in the host facts (canonical)', () => {
      expect(getHostFacts().linux?.packageRoot).toBe(realpathSync(repo));
    });

    it('installed under a writable root (node_modules/codex-sandbox in the project), the launcher, the addon, the bundled bwrap and dist/ cannot be modified, moved or replaced', async () => {
      // The install layout, simulated: the package's files copied into the project's node_modules.
      const pkg = join(s.ws, 'node_modules', 'codex-sandbox');
      mkdirSync(join(pkg, 'build'), { recursive: true });
      cpSync(join(repo, 'package.json'), join(pkg, 'package.json'));
      cpSync(join(repo, 'dist'), join(pkg, 'dist'), { recursive: true });
      cpSync(join(repo, 'build', 'Release'), join(pkg, 'build', 'Release'), { recursive: true, filter: (src) => !src.includes('obj.target') });
      const launcher = join(pkg, 'build', 'Release', 'codex-sandbox-launcher');
      const facts = getHostFacts({
        native: { loadNative, launcherPath: () => launcher, bundledBwrapPath, packageRoot: () => pkg },
      });
      expect(facts.linux?.packageRoot).toBe(realpathSync(pkg));
      const sb = new Sandbox(facts, process.env, launch);
      const before = readFileSync(launcher);
      const jsFile = join(pkg, 'dist', 'src', 'index.js');
      const jsBefore = readFileSync(jsFile, 'utf8');
      const attack = [
        'echo pwn > node_modules/codex-sandbox/build/Release/codex-sandbox-launcher',
        'echo pwn >> node_modules/codex-sandbox/dist/src/index.js',
        'rm -f node_modules/codex-sandbox/build/Release/codex_sandbox.node',
        'mv node_modules/codex-sandbox node_modules/old',
        'mv node_modules nm2',
        'mv node_modules/codex-sandbox/dist node_modules/codex-sandbox/d2',
        'echo fine > ok.txt',
      ].join('; ');
      const r = await sb.spawn(['/bin/sh', '-c', attack], 'workspace-write', { cwd: s.ws, reject: false, stdin: 'ignore' });
      expect(r.exitCode).toBe(0);
      expect(readFileSync(join(s.ws, 'ok.txt'), 'utf8')).toBe('fine\n');
      expect(readFileSync(launcher).equals(before)).toBe(true);
      expect(readFileSync(jsFile, 'utf8')).toBe(jsBefore);
      expect(existsSync(join(pkg, 'build', 'Release', 'codex_sandbox.node'))).toBe(true);
      expect(existsSync(join(s.ws, 'nm2'))).toBe(false);
      expect(existsSync(join(pkg, 'd2'))).toBe(false);
    });

    it('a writable root that IS the package (working on codex-sandbox itself) or lies inside it: build/, dist/, node_modules/ and package.json cannot be modified, moved or replaced; a root inside build/ is refused', async () => {
      // The checkout layout, simulated: the project is the package.
      const pkg = join(s.ws, 'checkout');
      mkdirSync(join(pkg, 'build'), { recursive: true });
      mkdirSync(join(pkg, 'node_modules', 'dep'), { recursive: true });
      mkdirSync(join(pkg, 'src'));
      writeFileSync(join(pkg, 'node_modules', 'dep', 'index.js'), 'ok\n');
      cpSync(join(repo, 'package.json'), join(pkg, 'package.json'));
      cpSync(join(repo, 'dist'), join(pkg, 'dist'), { recursive: true });
      cpSync(join(repo, 'build', 'Release'), join(pkg, 'build', 'Release'), { recursive: true, filter: (src) => !src.includes('obj.target') });
      const launcher = join(pkg, 'build', 'Release', 'codex-sandbox-launcher');
      const supervisor = join(pkg, 'build', 'Release', 'codex-sandbox-session');
      const facts = getHostFacts({
        native: { loadNative, launcherPath: () => launcher, bundledBwrapPath, packageRoot: () => pkg },
      });
      const sb = new Sandbox(facts, process.env, launch);
      const before = readFileSync(launcher);
      const supBefore = readFileSync(supervisor);
      const pkgJson = readFileSync(join(pkg, 'package.json'), 'utf8');
      const attack = [
        'echo pwn > build/Release/codex-sandbox-launcher',
        'echo pwn >> build/Release/codex-sandbox-session',
        'echo pwn > node_modules/dep/index.js',
        'echo pwn > package.json',
        'mv build b2',
        'mv dist d2',
        'echo fine > src/ok.txt',
      ].join('; ');
      const r = await sb.spawn(['/bin/sh', '-c', attack], 'workspace-write', { cwd: pkg, reject: false, stdin: 'ignore' });
      expect(r.exitCode).toBe(0);
      expect(readFileSync(join(pkg, 'src', 'ok.txt'), 'utf8')).toBe('fine\n');
      expect(readFileSync(launcher).equals(before)).toBe(true);
      expect(readFileSync(supervisor).equals(supBefore)).toBe(true);
      expect(readFileSync(join(pkg, 'node_modules', 'dep', 'index.js'), 'utf8')).toBe('ok\n');
      expect(readFileSync(join(pkg, 'package.json'), 'utf8')).toBe(pkgJson);
      expect(existsSync(join(pkg, 'b2'))).toBe(false);
      expect(existsSync(join(pkg, 'd2'))).toBe(false);
      // A writable root inside build/ would leave nothing to protect it with: refused before launch.
      await expect((async () => sb.spawn(['/bin/true'], 'read-only', { cwd: pkg, writableRoots: [join(pkg, 'build', 'Release')], reject: false }))()).rejects.toThrow(/part of codex-sandbox's own installation/);
      // The same root while a wider writable root (the cwd, as `run` from /tmp) holds the whole package: the
      // package's read-only carve-out would be mounted under the nested root, reopening dist/ — refused too,
      // and nothing was written. (Before the check covered nested roots, this run wrote dist/x and exited 0.)
      const dist = join(pkg, 'dist');
      await expect((async () => sb.spawn(['/bin/sh', '-c', `echo pwn > ${dist}/x`], 'workspace-write', { cwd: s.ws, writableRoots: [dist], reject: false, stdin: 'ignore' }))()).rejects.toThrow(/part of codex-sandbox's own installation/);
      expect(existsSync(join(dist, 'x'))).toBe(false);
    });
  });
});

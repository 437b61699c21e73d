/**
 * Shared set-up for the bwrap-selection integration tests: fake bwrap programs copied into temp
 * dirs, the real system bwrap, and a real bundled bwrap built by vendor/bubblewrap/build.sh.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { bwrapTrustProblem } from '../../../src/host/bwrap-select.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const FAKES = path.join(REPO, 'test/fixtures/fake-bwrap');
export const SYSTEM_BWRAP = '/usr/bin/bwrap';

export function tempDir(prefix: string): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

export const isRoot = process.getuid?.() === 0;

/** Every directory from `dir` up to `/` is root-owned and not writable by group or others. */
function rootOnlyChain(dir: string): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    const st = fs.statSync(d);
    if (st.uid !== 0 || (st.mode & 0o022) !== 0) return false;
    if (d === path.dirname(d)) return true;
  }
}

/**
 * A temp dir that the system-bwrap ownership rule (probe.ts `bwrapTrustProblem`) accepts when the
 * tests run as root: under the checkout's build/ when every directory above it is root-only, else
 * under /run (a checkout under /tmp sits in a directory writable by all). As another user no such
 * directory can be made, so it is an ordinary temp dir and the tests that put fakes on PATH pass their
 * own `trust` (see select.test.ts).
 */
export function trustedDir(prefix: string): string {
  if (!isRoot) return tempDir(prefix);
  let base = path.join(REPO, 'build', 'test-tmp');
  fs.mkdirSync(base, { recursive: true, mode: 0o755 });
  if (!rootOnlyChain(fs.realpathSync(base))) {
    base = '/run/codex-sandbox-test';
    fs.mkdirSync(base, { recursive: true, mode: 0o755 });
    fs.chmodSync(base, 0o755);
  }
  return fs.realpathSync(fs.mkdtempSync(path.join(base, prefix)));
}

/** Copy fixture `name` (a directory holding `bwrap`) to `<root>/<as>/bwrap`, executable; returns the dir. */
export function placeFake(root: string, name: string, as = name): string {
  const dir = path.join(root, as);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(FAKES, name, 'bwrap'), path.join(dir, 'bwrap'));
  fs.chmodSync(path.join(dir, 'bwrap'), 0o755);
  return dir;
}

/**
 * The fake bwrap of fixture `name`, at a path the system-bwrap ownership rule accepts: the fixture itself
 * when the checkout qualifies, else a copy in trustedDir() (a checkout under /tmp does not: /tmp is
 * world-writable). For an unprivileged caller no such path exists; callers skip with the rule's reason.
 */
export function trustedFake(name: string): string {
  const original = fs.realpathSync(path.join(FAKES, name, 'bwrap'));
  if (bwrapTrustProblem(original) === undefined) return original;
  return path.join(placeFake(trustedDir(`csbx-${name}-`), name), 'bwrap');
}

/** Removes the copy trustedFake() made, if it made one (never the fixture itself). */
export function disposeTrustedFake(bwrap: string): void {
  if (bwrap.startsWith(fs.realpathSync(FAKES) + path.sep)) return;
  fs.rmSync(path.dirname(path.dirname(bwrap)), { recursive: true, force: true });
}

/** Copy a real binary to `<root>/<as>/bwrap`; returns the dir. */
export function placeBinary(root: string, binary: string, as: string): string {
  const dir = path.join(root, as);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(binary, path.join(dir, 'bwrap'));
  fs.chmodSync(path.join(dir, 'bwrap'), 0o755);
  return dir;
}

/** Whether the system bwrap can run a sandbox here at all (else real-run tests skip). */
export function systemBwrapWorks(): boolean {
  if (!fs.existsSync(SYSTEM_BWRAP)) return false;
  return runSandboxed(SYSTEM_BWRAP, ['/bin/true']).status === 0;
}

export interface BundledBuild {
  dir: string;
  bwrap: string;
  sha256: string;
}

/**
 * Build (or take from build.sh's cache) the bundled bwrap into a fresh temp dir. Undefined, with
 * the reason, when build.sh made a development build (sources unreachable, tools missing).
 */
export function buildBundled(): { build: BundledBuild | undefined; reason: string } {
  const dir = tempDir('bundled-bwrap-');
  const r = spawnSync('bash', [path.join(REPO, 'vendor/bubblewrap/build.sh'), dir], { encoding: 'utf8', timeout: 110_000 });
  if (r.status !== 0) return { build: undefined, reason: `vendor/bubblewrap/build.sh failed: ${r.stderr}` };
  const bwrap = path.join(dir, 'bwrap');
  if (!fs.existsSync(bwrap)) return { build: undefined, reason: `build.sh made a development build: ${r.stderr.trim()}` };
  return { build: { dir, bwrap, sha256: fs.readFileSync(path.join(dir, 'bwrap.sha256'), 'utf8').trim() }, reason: '' };
}

/** Run `cmd` in a real sandbox through `bwrap` (read-only root, fresh /dev and /proc, every namespace unshared). */
export function runSandboxed(bwrap: string, cmd: string[], extra: string[] = [], env: Record<string, string> = {}) {
  return spawnSync(
    bwrap,
    ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-all', '--die-with-parent', ...extra, '--', ...cmd],
    { encoding: 'utf8', timeout: 20_000, env: { PATH: '/usr/bin:/bin', ...env } },
  );
}

export function sha256(file: string): string {
  return execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0] ?? '';
}

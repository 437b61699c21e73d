/**
 * "bwrap exists but cannot create namespaces": find out why and say how to fix it.
 *
 * `readUsernsSettings` reads the kernel knobs through an injectable reader (tests fake /proc),
 * `probeUserns` runs `bwrap --unshare-user --unshare-net --ro-bind / / /bin/true` once, and the
 * pure `diagnoseUserns` combines the two. Failure markers follow Codex (codex-rs/sandboxing/src/bwrap.rs,
 * the system-bwrap warning): only the
 * listed stderr texts count as a namespace failure; spawn errors and timeouts count as "ok" so an
 * unrelated problem never masquerades as a userns diagnosis.
 */
import type * as ChildProcessModule from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

// node:child_process on first use: `run` usually finds its answers in the probe cache and never spawns a
// probe, and loading the module is a dozen internal modules on every command (issue #21).
const lazyRequire = createRequire(import.meta.url);
const spawnSync: typeof ChildProcessModule.spawnSync = ((...args: Parameters<typeof ChildProcessModule.spawnSync>) =>
  (lazyRequire('node:child_process') as typeof ChildProcessModule).spawnSync(...args)) as typeof ChildProcessModule.spawnSync;

export type UsernsCause = 'apparmor' | 'max_user_namespaces' | 'unprivileged_userns_clone' | 'container' | 'wsl1' | 'unknown';

export interface UsernsDiagnosis {
  ok: boolean;
  cause?: UsernsCause;
  /** What was observed. */
  detail: string;
  /** What to do, with the exact command where there is one ('' when ok). */
  fix: string;
}

/** Reads a file's text, or undefined when it does not exist / cannot be read. */
export type ProcReader = (absPath: string) => string | undefined;

/** A reader over the real filesystem, optionally below `root` (tests point it at a fake tree). */
export function procReaderAt(root = '/'): ProcReader {
  return (absPath) => {
    try {
      return fs.readFileSync(path.join(root, absPath), 'utf8');
    } catch {
      return undefined;
    }
  };
}

export interface KernelUsernsSettings {
  /** kernel.apparmor_restrict_unprivileged_userns (Ubuntu >= 23.10), undefined when absent. */
  apparmorRestrict: number | undefined;
  /** user.max_user_namespaces. */
  maxUserNamespaces: number | undefined;
  /** kernel.unprivileged_userns_clone (Debian/Ubuntu kernel patch), undefined when absent. */
  unprivilegedUsernsClone: number | undefined;
  /** /proc/version text. */
  procVersion: string | undefined;
  wsl1: boolean;
  /** Signs that we run inside a container (each a short human-readable reason). */
  containerHints: string[];
}

function readInt(read: ProcReader, p: string): number | undefined {
  const t = read(p);
  if (t === undefined) return undefined;
  const n = Number.parseInt(t.trim(), 10);
  return Number.isNaN(n) ? undefined : n;
}

/**
 * WSL1 from /proc/version: a `WSL<N>` marker decides (N == 1); otherwise `Microsoft` without
 * `microsoft-standard` (WSL2 kernels say `microsoft-standard-WSL2`).
 */
export function isWsl1(procVersion: string): boolean {
  const marker = /wsl(\d+)/i.exec(procVersion);
  if (marker?.[1] !== undefined) return marker[1] === '1';
  const lower = procVersion.toLowerCase();
  return lower.includes('microsoft') && !lower.includes('microsoft-standard');
}

const FULL_UID_MAP = /^\s*0\s+0\s+4294967295\s*$/;

export function readUsernsSettings(
  read: ProcReader = procReaderAt('/'),
  env: Record<string, string | undefined> = process.env,
): KernelUsernsSettings {
  const procVersion = read('/proc/version');
  const hints: string[] = [];
  if (read('/.dockerenv') !== undefined) hints.push('/.dockerenv exists (Docker)');
  if (read('/run/.containerenv') !== undefined) hints.push('/run/.containerenv exists (Podman)');
  const container = env['container'];
  if (container !== undefined && container !== '') hints.push(`$container=${container}`);
  const cgroup = read('/proc/1/cgroup');
  const cg = cgroup !== undefined ? /(docker|kubepods|containerd|libpod|lxc)/.exec(cgroup) : null;
  if (cg?.[1] !== undefined) hints.push(`/proc/1/cgroup mentions ${cg[1]}`);
  const uidMap = read('/proc/self/uid_map');
  if (uidMap !== undefined && uidMap.trim() !== '' && !FULL_UID_MAP.test(uidMap.trim())) {
    hints.push(`already inside a user namespace (/proc/self/uid_map: ${uidMap.trim().split('\n')[0]})`);
  }
  return {
    apparmorRestrict: readInt(read, '/proc/sys/kernel/apparmor_restrict_unprivileged_userns'),
    maxUserNamespaces: readInt(read, '/proc/sys/user/max_user_namespaces'),
    unprivilegedUsernsClone: readInt(read, '/proc/sys/kernel/unprivileged_userns_clone'),
    procVersion,
    wsl1: procVersion !== undefined && isWsl1(procVersion),
    containerHints: hints,
  };
}

/** stderr texts that mean "could not set up the namespaces" (Codex's list, then broader variants); first match wins. */
export const USERNS_FAILURE_MARKERS: readonly string[] = [
  'setting up uid map: Permission denied',
  'loopback: Failed RTM_NEWADDR',
  'loopback: Failed RTM_NEWLINK',
  'No permissions to create a new namespace',
  // EINVAL (no userns in the kernel), ENOSPC (max_user_namespaces / nesting depth), other errno.
  'Creating new namespace failed',
  // The same step failing with another errno (e.g. EPERM in a container).
  'setting up uid map:',
];

/** The first failure marker found in bwrap's stderr, or undefined. */
export function classifyUsernsStderr(stderr: string): string | undefined {
  return USERNS_FAILURE_MARKERS.find((m) => stderr.includes(m));
}

export interface UsernsProbeResult {
  bwrapPath: string;
  /** A failure marker was found in stderr. */
  failed: boolean;
  marker: string | undefined;
  /** First line of stderr that carried the marker (or the first stderr line). */
  message: string | undefined;
  status: number | null;
  /** Spawn error or timeout (counted as not failed, per Codex). */
  error: string | undefined;
}

/**
 * Run `<bwrap> --unshare-user --unshare-net --ro-bind / / /bin/true` (timeout 2 s) and look for a
 * namespace failure. Costs one short sandbox start; call it on demand (doctor, or after a launch
 * failed), not on every command.
 */
export function probeUserns(bwrapPath: string, opts: { timeoutMs?: number } = {}): UsernsProbeResult {
  const timeoutMs = opts.timeoutMs ?? 2000;
  // stderr goes to a file, not a pipe: a descendant that keeps a pipe open would make spawnSync
  // wait for it; with a file we return as soon as bwrap itself exits.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codex-sandbox-userns-'));
  const errPath = path.join(dir, 'stderr');
  const errFd = fs.openSync(errPath, 'w+', 0o600);
  let r: ReturnType<typeof spawnSync>;
  let stderr: string;
  try {
    r = spawnSync(bwrapPath, ['--unshare-user', '--unshare-net', '--ro-bind', '/', '/', '/bin/true'], {
      stdio: ['ignore', 'ignore', errFd],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
    });
    const buf = Buffer.alloc(64 * 1024);
    const n = fs.readSync(errFd, buf, 0, buf.length, 0);
    stderr = buf.subarray(0, n).toString('utf8');
  } finally {
    fs.closeSync(errFd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const marker = classifyUsernsStderr(stderr);
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  const message = (marker !== undefined ? lines.find((l) => l.includes(marker)) : undefined) ?? lines[0];
  let error: string | undefined;
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    error = code === 'ETIMEDOUT' ? `timed out after ${timeoutMs} ms` : r.error.message;
  }
  return { bwrapPath, failed: marker !== undefined, marker, message, status: r.status, error };
}

const PERSIST = (setting: string): string =>
  `to keep it after reboot: echo '${setting}' | sudo tee /etc/sysctl.d/60-codex-sandbox-userns.conf`;

function apparmorFix(bwrapPath: string | undefined): string {
  const target = bwrapPath ?? '/usr/bin/bwrap';
  return [
    'either allow unprivileged user namespaces: `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`',
    `(${PERSIST('kernel.apparmor_restrict_unprivileged_userns=0')});`,
    `or keep the restriction and give this bwrap an AppArmor profile that allows them: write`,
    `/etc/apparmor.d/codex-sandbox-bwrap containing`,
    `\`abi <abi/4.0>, include <tunables/global> profile codex-sandbox-bwrap ${target} flags=(unconfined) { userns, }\``,
    'then run `sudo apparmor_parser -r /etc/apparmor.d/codex-sandbox-bwrap`;',
    'or use the distribution bwrap (`sudo apt-get install bubblewrap`), which Ubuntu already exempts.',
  ].join(' ');
}

export interface DiagnoseInput {
  settings: KernelUsernsSettings;
  /** Result of `probeUserns`; without it the diagnosis relies on the kernel settings alone. */
  probe?: UsernsProbeResult | undefined;
}

/** Combine kernel settings and (optionally) a probe into a diagnosis with a fix. Pure. */
export function diagnoseUserns(input: DiagnoseInput): UsernsDiagnosis {
  const { settings: s, probe } = input;
  if (s.wsl1) {
    return {
      ok: false,
      cause: 'wsl1',
      detail: `running under WSL1 (/proc/version: ${(s.procVersion ?? '').trim()}), which has no user namespaces`,
      fix: 'convert the distribution to WSL2: in Windows run `wsl --set-version <distro> 2` (list them with `wsl -l -v`)',
    };
  }
  if (s.maxUserNamespaces === 0) {
    return {
      ok: false,
      cause: 'max_user_namespaces',
      detail: `user.max_user_namespaces is 0${probe?.message !== undefined ? ` (bwrap: ${probe.message})` : ''}`,
      fix: `sudo sysctl -w user.max_user_namespaces=15000 (${PERSIST('user.max_user_namespaces=15000')})`,
    };
  }
  if (s.unprivilegedUsernsClone === 0) {
    return {
      ok: false,
      cause: 'unprivileged_userns_clone',
      detail: `kernel.unprivileged_userns_clone is 0${probe?.message !== undefined ? ` (bwrap: ${probe.message})` : ''}`,
      fix: `sudo sysctl -w kernel.unprivileged_userns_clone=1 (${PERSIST('kernel.unprivileged_userns_clone=1')})`,
    };
  }
  if (probe === undefined || !probe.failed) {
    const detail =
      probe === undefined
        ? 'kernel settings allow user namespaces (not probed)'
        : probe.error !== undefined
          ? `probe of ${probe.bwrapPath} did not complete (${probe.error}); not treated as a namespace failure`
          : `${probe.bwrapPath} created a user and network namespace`;
    const note = probe === undefined && s.apparmorRestrict === 1
      ? '; kernel.apparmor_restrict_unprivileged_userns=1: only binaries with an AppArmor userns profile (such as /usr/bin/bwrap on Ubuntu) can create them'
      : '';
    return { ok: true, detail: detail + note, fix: '' };
  }
  const seen = `${probe.bwrapPath} failed: ${probe.message ?? probe.marker ?? ''}`;
  if (s.apparmorRestrict === 1) {
    return {
      ok: false,
      cause: 'apparmor',
      detail: `${seen}; kernel.apparmor_restrict_unprivileged_userns=1 (AppArmor denies unprivileged user namespaces to binaries without a profile)`,
      fix: apparmorFix(probe.bwrapPath),
    };
  }
  if (s.containerHints.length > 0) {
    return {
      ok: false,
      cause: 'container',
      detail: `${seen}; running in a container (${s.containerHints.join(', ')}) that does not allow nested user namespaces`,
      fix:
        'run the container with user namespaces allowed — Docker/Podman: `--security-opt seccomp=unconfined --security-opt apparmor=unconfined` ' +
        '(or a seccomp profile that permits unshare/clone with CLONE_NEWUSER); Kubernetes: a pod securityContext with ' +
        '`seccompProfile: {type: Unconfined}` and `appArmorProfile: {type: Unconfined}` — or run codex-sandbox on the host',
    };
  }
  return {
    ok: false,
    cause: 'unknown',
    detail: seen,
    fix:
      `run \`${probe.bwrapPath} --unshare-user --unshare-net --ro-bind / / /bin/true\` to see the full error; check ` +
      '`sysctl user.max_user_namespaces kernel.apparmor_restrict_unprivileged_userns` and any LSM (SELinux, AppArmor) denials in `journalctl -k`',
  };
}

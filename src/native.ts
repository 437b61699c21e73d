/**
 * Typed loader for the native layer: the N-API addon (`codex_sandbox.node`) and the programs built
 * next to it (`codex-sandbox-launcher`, the bundled `bwrap`). Found through node-gyp-build from the
 * package root (build/Release first, then prebuilds/<platform>-<arch>/).
 *
 * Planners never import this module: they get these facts through HostFacts.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The addon's exports. On Linux every member exists (loadNative checks); builds for other
 * platforms export only `addonVersion` plus their own functions, so callers gate on the platform.
 */
export interface NativeAddon {
  addonVersion(): string;
  /** The BPF program (seccomp_export_bpf) the launcher installs for this mode. */
  seccompFilter(mode: 'base' | 'restricted'): Buffer;
  /** Landlock ABI version of the running kernel; 0 when unavailable. Never throws. */
  landlockAbi(): number;
  /** The bundled bwrap digest compiled into the build; null for a development build. */
  embeddedBwrapSha256(): string | null;
  /** A new pseudo-terminal pair (both fds O_CLOEXEC) sized rows × cols; Linux builds only (exec-server `tty`). */
  openPty?(rows: number, cols: number): { master: number; slave: number; path: string };
  /** TIOCSWINSZ on a pty master (the kernel sends SIGWINCH to its foreground group). */
  setPtySize?(masterFd: number, rows: number, cols: number): void;
  /** Whose is a pty's foreground: its session leader's (`stopped`: a `--ctty-job` job stopped), another group's, or no session; Linux builds only. */
  ptyJobState?(masterFd: number): 'stopped' | 'running' | 'none';
  /** True when fd is the controlling terminal and this process's group its foreground group; Linux builds only. */
  inForeground?(fd: number): boolean;
  /** clone(CLONE_VM | CLONE_VFORK | CLONE_PIDFD) + pidfd (native/linux/spawn.cc; src/launch/native-child.ts); Linux builds only. */
  spawnPidfd?: PidfdSpawner['spawnPidfd'];
  killPidfd?: PidfdSpawner['killPidfd'];
  refPidfd?: PidfdSpawner['refPidfd'];
  stdioSocketPair?: PidfdSpawner['stdioSocketPair'];
  /** isatty(3) (native/linux/fd_watch.cc): the CLI asks without loading node:tty (and node:net with it); Linux builds only. */
  isTerminal?(fd: number): boolean;
  /** Calls onReadable(0) while fd is readable or its peer closed (level-triggered; errno if polling fails) until unwatchReadable; Linux builds only. */
  watchReadable?(fd: number, onReadable: (errno: number) => void): object;
  unwatchReadable?(handle: object): void;
  /** Whether the watch keeps Node's event loop alive (Socket#ref/unref). */
  refWatch?(handle: object, ref: boolean): void;
  /** A memfd (O_CLOEXEC) with the bytes of the file at path, sealed against every change, when they hash to the bundled bwrap's compiled-in digest; else null (native/linux/spawn.cc; src/launch/sealed-bwrap.ts); Linux builds only. */
  sealedBundledBwrap?(path: string): number | null;
  /** lstat(2) (stat(2) when `follow`) of a plain path: 0 and out = [mode, uid, dev, ino, size], or -errno (native/linux/probe.cc); Linux builds only. */
  probeStat?(path: string, out: BigInt64Array, follow: boolean): number;
  /** 1: a directory (symlinks followed) with no entries, 0: it has one, -errno: not listable (native/linux/probe.cc); Linux builds only. */
  probeEmptyDir?(path: string): number;
  /** A regular file (symlinks followed) read whole into buf: its length, or -errno (-EFBIG: longer than buf.length - 1) (native/linux/probe.cc); Linux builds only. */
  probeReadFile?(path: string, buf: Uint8Array): number;
}

/** The addon's spawn exports (Linux builds): a program started without fork()ing Node. */
export interface PidfdSpawner {
  /** Starts file with argv/env (NAME=VALUE) in cwd; fds[i] becomes fd i (-1: /dev/null), every other fd closed. */
  spawnPidfd(
    file: string,
    argv: string[],
    env: string[],
    cwd: string,
    fds: number[],
    setsid: boolean,
    onExit: (code: number | null, signal: number | null, error: string | null) => void,
  ): { pid: number; handle: object };
  /** pidfd_send_signal(2); false once the child has been reaped. */
  killPidfd(handle: object, signal: number): boolean;
  /** Whether the child keeps Node's event loop alive (ChildProcess#ref/unref). */
  refPidfd(handle: object, ref: boolean): void;
  /** A connected AF_UNIX stream pair, both O_CLOEXEC (what libuv gives a 'pipe' stdio slot). */
  stdioSocketPair(nonblockingParent?: boolean): [number, number];
}

/** Shape of errors the addon throws for failed system calls (like Node's fs errors). */
export interface NativeErrnoError extends Error {
  /** errno name, e.g. 'ENOENT'. */
  code: string;
  errno: number;
  syscall: string;
  path?: string;
}

export const LAUNCHER_NAME = 'codex-sandbox-launcher';
/** The session supervisor (native/session), built next to the launcher on Linux. */
export const SESSION_SUPERVISOR_NAME = 'codex-sandbox-session';
const BUNDLED_BWRAP_NAME = 'bwrap';
const PACKAGE_NAME = 'codex-sandbox';

interface NodeGypBuild {
  (dir: string): unknown;
  resolve(dir: string): string;
}

const require = createRequire(import.meta.url);

let cached: { addon: NativeAddon; dir: string } | undefined;

let rootMemo: string | undefined;

/**
 * The package root: the nearest ancestor of this file holding codex-sandbox's package.json
 * (src/native.ts under vitest → ../, dist/src/native.js → ../../).
 */
export function packageRoot(): string {
  // Once per process: the addon loader and the host facts both ask on every CLI command (issue #21).
  // It names this module's own installation, which no sandboxed command may change (plans refuse a
  // writable root in the package: src/platforms/linux/plan.ts WritableRootInPackage).
  rootMemo ??= findPackageRoot();
  return rootMemo;
}

function findPackageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  let dir = here;
  for (let depth = 0; depth < 4; depth += 1) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
        if (typeof parsed === 'object' && parsed !== null && (parsed as { name?: unknown }).name === PACKAGE_NAME) {
          return dir;
        }
      } catch {
        // An unreadable manifest is not ours; keep walking up.
      }
    }
    dir = resolve(dir, '..');
  }
  return resolve(here, '..', '..');
}

const LINUX_EXPORTS = ['seccompFilter', 'landlockAbi', 'embeddedBwrapSha256'] as const;

/** Names of the exports this platform's addon must have but `value` lacks. */
function missingExports(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return ['addonVersion'];
  const record = value as Record<string, unknown>;
  const required = process.platform === 'linux' ? ['addonVersion', ...LINUX_EXPORTS] : ['addonVersion'];
  return required.filter((name) => typeof record[name] !== 'function');
}

/**
 * build/Release/codex_sandbox.node when node-gyp-build would pick it (its first choice, unless its
 * PREBUILDS_ONLY or CODEX_SANDBOX_PREBUILD variables redirect it): found without loading node-gyp-build,
 * which every CLI start would otherwise pay for (issue #21).
 */
function builtAddon(root: string): string | undefined {
  if (process.env['PREBUILDS_ONLY'] || process.env['CODEX_SANDBOX_PREBUILD']) return undefined;
  const file = join(root, 'build', 'Release', 'codex_sandbox.node');
  return existsSync(file) ? file : undefined;
}

/** Loads the addon once (cached). Throws an Error naming the directory searched when it is missing. */
export function loadNative(): NativeAddon {
  if (cached) return cached.addon;
  const root = packageRoot();
  let file: string;
  let loaded: unknown;
  try {
    file = builtAddon(root) ?? (require('node-gyp-build') as NodeGypBuild).resolve(root);
    loaded = require(file);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new Error(
      `codex-sandbox: the native addon could not be loaded from ${root} (searched build/Release, build/Debug ` +
        `and prebuilds/${process.platform}-${process.arch}): ${detail}. ` +
        'Run `npm rebuild codex-sandbox` (or `npm run build:native` in a checkout) to build it.',
      { cause },
    );
  }
  const missing = missingExports(loaded);
  if (missing.length > 0) {
    throw new Error(
      `codex-sandbox: ${file} lacks the exports ${missing.join(', ')} (an old or foreign build); ` +
        'rebuild it with `npm rebuild codex-sandbox` (or `npm run build:native` in a checkout)',
    );
  }
  const addon = loaded as NativeAddon;
  cached = { addon, dir: dirname(file) };
  return addon;
}

/** The addon when an earlier loadNative() loaded it; never loads it (planning's probes use it only then). */
export function loadedNative(): NativeAddon | undefined {
  return cached?.addon;
}

/** Directory holding the loaded .node file; the launcher and the bundled bwrap sit next to it. */
export function nativeDir(): string {
  loadNative();
  if (!cached) throw new Error('codex-sandbox: native addon not loaded');
  return cached.dir;
}

/** Absolute path of codex-sandbox-launcher (`.exe` on Windows; macOS builds have none). */
export function launcherPath(): string {
  return join(nativeDir(), process.platform === 'win32' ? `${LAUNCHER_NAME}.exe` : LAUNCHER_NAME);
}

/** Absolute path of the session supervisor (Linux builds). */
export function sessionSupervisorPath(): string {
  return join(nativeDir(), SESSION_SUPERVISOR_NAME);
}

/** Absolute path of the bundled bubblewrap when the build produced one. */
export function bundledBwrapPath(): string | undefined {
  const path = join(nativeDir(), BUNDLED_BWRAP_NAME);
  try {
    return statSync(path).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

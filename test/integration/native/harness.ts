/**
 * Drives the real codex-sandbox-launcher: spawns it with `--payload-fd 3` and writes the
 * NUL-terminated arguments to fd 3, as the launch layer does.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Writable } from 'node:stream';

import { launcherPath, loadNative } from '../../../src/native.js';

export const PYTHON = '/usr/bin/python3';
export const SYSTEM_BWRAP = '/usr/bin/bwrap';

export function launcher(): string {
  loadNative();
  return launcherPath();
}

/** Whether bwrap can create namespaces on this host (tests needing it skip with this reason). */
export const bwrapWorks: boolean = (() => {
  if (!existsSync(SYSTEM_BWRAP)) return false;
  const probe = spawnSync(SYSTEM_BWRAP, ['--ro-bind', '/', '/', '--unshare-all', '--', '/bin/true']);
  return probe.status === 0;
})();
export const NO_BWRAP_REASON = 'bubblewrap cannot create namespaces on this host';

/** bwrap options for a read-only host view with every namespace unshared. */
/**
 * What the inner stage requires of its sandbox besides bwrapBase (a seccomp filter, no nested user
 * namespaces): launcher options placing the base filter at fd 10, and the matching bwrap options.
 */
export const CONFINE_LAUNCHER = ['--seccomp', 'base:10'];
export const CONFINE_BWRAP = ['--seccomp', '10', '--unshare-user', '--disable-userns'];

export function bwrapBase(): string[] {
  return [
    '--die-with-parent',
    '--new-session',
    '--ro-bind', '/', '/',
    '--dev', '/dev',
    '--proc', '/proc',
    '--tmpfs', '/tmp',
    // A checkout under /tmp (CI clones may live there) must stay visible for the inner stage.
    ...(REPO_ROOT.startsWith('/tmp/') ? ['--ro-bind', REPO_ROOT, REPO_ROOT] : []),
    '--unshare-all',
    '--cap-drop', 'ALL',
  ];
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface LaunchResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface StartOptions {
  /** Extra stdio slots (index ≥ 4) e.g. to plant inherited fds. */
  extraStdio?: Array<'ignore' | 'pipe' | number>;
  stdin?: 'pipe' | 'ignore';
  cwd?: string;
  /** Another launcher binary (e.g. an older version's, for the mixed-version registry tests). */
  program?: string;
}

export interface Started {
  child: ChildProcess;
  done: Promise<LaunchResult>;
  /** Resolves once stdout contains `text`. */
  waitForStdout(text: string): Promise<void>;
}

/** Starts the launcher with `args` delivered through fd 3 (Buffers go through as raw bytes). */
export function startLauncher(args: Array<string | Buffer>, options: StartOptions = {}): Started {
  const stdio: StdioOptions = [options.stdin ?? 'ignore', 'pipe', 'pipe', 'pipe', ...(options.extraStdio ?? [])];
  const child = spawn(options.program ?? launcher(), ['--payload-fd', '3'], { stdio, cwd: options.cwd });
  const payloadStream = child.stdio[3] as Writable;
  payloadStream.end(Buffer.concat(args.map((a) => Buffer.concat([typeof a === 'string' ? Buffer.from(a, 'utf8') : a, Buffer.from([0])]))));
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const w of waiters.filter((x) => stdout.includes(x.text))) w.resolve();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const done = new Promise<LaunchResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    done,
    waitForStdout(text: string): Promise<void> {
      if (stdout.includes(text)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        waiters.push({ text, resolve });
        void done.then((r) => reject(new Error(`launcher exited (${r.code ?? r.signal}) before printing ${text}: ${r.stderr}`)));
      });
    },
  };
}

export function runLauncher(args: Array<string | Buffer>, options: StartOptions = {}): Promise<LaunchResult> {
  return startLauncher(args, options).done;
}

/** Host pids whose exact argv is `argv` (e.g. ['sleep', uniqueSleep()]). */
export function hostPidsRunning(argv: string[]): number[] {
  const wanted = argv.map((a) => `${a}\0`).join('');
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8') === wanted) pids.push(Number(entry));
    } catch {
      // exited while scanning
    }
  }
  return pids;
}

/** Polls `check` until it returns true or `limitMs` passes (no timing assertions: just a bound). */
export async function waitUntil(check: () => boolean, limitMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

/** A unique number usable as a sleep duration that tags a process in /proc. */
export function uniqueSleep(): string {
  return `${1000 + Math.floor(Math.random() * 8999)}.${process.pid}${Math.floor(Math.random() * 1000)}`;
}

/**
 * Starts a separate Node process that starts the launcher (payload through fd 3) and then idles,
 * so a test can SIGKILL the launcher's real parent.
 */
export function spawnViaNodeParent(args: string[], scratchDir: string): ChildProcess {
  const script = join(scratchDir, `parent-${process.hrtime.bigint()}.cjs`);
  writeFileSync(
    script,
    `const { spawn } = require('node:child_process');
const child = spawn(${JSON.stringify(launcher())}, ['--payload-fd', '3'], { stdio: ['ignore', 'inherit', 'inherit', 'pipe'] });
child.stdio[3].end(Buffer.from(${JSON.stringify(args.map((a) => `${a}\0`).join(''))}));
setInterval(() => {}, 1000);
`,
  );
  return spawn(process.execPath, [script], { stdio: 'ignore' });
}

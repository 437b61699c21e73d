/**
 * `codex-sandbox cleanup` on Windows (library: cleanupWindowsSandboxState): undoes what earlier
 * runs recorded (src/platforms/win32/host-changes.ts plans it; this module reads the host and
 * performs the plan). Run it when no sandboxed command is running: a running command's grant goes
 * first, so at worst it loses write access, never gains any.
 */
import fs from 'node:fs';
import path from 'node:path';
import { planWindowsCleanup, parseHostChanges } from '../platforms/win32/host-changes.js';
import type { CleanupAction, CleanupFacts } from '../platforms/win32/host-changes.js';
import { loadNative } from '../native.js';
import { WindowsLaunchError, hostChangesFile } from './windows.js';

const win = path.win32;

/** The addon functions cleanup uses (native/win/win_addon.cc). */
export interface WindowsCleanupBinding {
  winRemoveAces(opts: { path?: string; sids: string[]; nulDevice?: boolean }): { removed: number };
  winIsElevated(): boolean;
}

export interface WindowsCleanupOptions {
  /** Per-user state directory (default %LOCALAPPDATA%\codex-sandbox). */
  stateDir?: string;
  /** Only say what would be done. */
  dryRun?: boolean;
  /** The addon (tests inject a stand-in). */
  binding: WindowsCleanupBinding;
}

export interface WindowsCleanupReport {
  recordFile: string;
  /** Each action, described, with what came of it. */
  done: string[];
  skipped: string[];
  failed: string[];
  /** Lines of the record that did not parse (a record edited by hand, or by someone else). */
  problems: string[];
}

/** The state directory cleanup and the launch use. */
export function defaultStateDir(env: Record<string, string | undefined> = process.env): string | undefined {
  const local = env['LOCALAPPDATA'];
  return local !== undefined && /^[A-Za-z]:\\/.test(local) ? win.join(local, 'codex-sandbox') : undefined;
}

function hostFacts(binding: WindowsCleanupBinding): CleanupFacts {
  return {
    kind: (p) => {
      const st = fs.lstatSync(p, { throwIfNoEntry: false });
      if (st === undefined) return 'missing';
      return st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
    },
    list: (p) => {
      try {
        return fs.readdirSync(p);
      } catch {
        return undefined;
      }
    },
    readSmallFile: (p) => {
      try {
        return fs.statSync(p).size <= 4096 ? fs.readFileSync(p, 'utf8') : undefined;
      } catch {
        return undefined;
      }
    },
    elevated: binding.winIsElevated(),
  };
}

function describe(a: CleanupAction): string {
  switch (a.kind) {
    case 'remove-aces':
      return `remove the sandbox's ACEs (${a.why}) from ${a.path}`;
    case 'remove-nul-aces':
      return "remove the sandbox's ACEs from the NUL device";
    case 'remove-file':
      return `remove ${a.path}`;
    case 'remove-dir':
      return `remove the empty directory ${a.path}`;
  }
}

function perform(a: CleanupAction, binding: WindowsCleanupBinding): string {
  switch (a.kind) {
    case 'remove-aces': {
      if (fs.lstatSync(a.path, { throwIfNoEntry: false }) === undefined) return 'gone already';
      return `${binding.winRemoveAces({ path: a.apiPath, sids: a.sids }).removed} removed`;
    }
    case 'remove-nul-aces':
      return `${binding.winRemoveAces({ sids: a.sids, nulDevice: true }).removed} removed`;
    case 'remove-file':
      fs.unlinkSync(a.path);
      return 'done';
    case 'remove-dir':
      // rmdir, never a recursive remove: it fails if something appeared in the directory meanwhile.
      fs.rmdirSync(a.path);
      return 'done';
  }
}

/**
 * Reads the record, plans and performs the cleanup. The record is moved aside first, so runs that
 * start meanwhile write a fresh one; when something failed, the old lines are put back for the next
 * cleanup.
 */
export function cleanupWindowsState(opts: WindowsCleanupOptions): WindowsCleanupReport {
  const stateDir = opts.stateDir ?? defaultStateDir();
  if (stateDir === undefined) throw new Error('cannot find the per-user state directory: %LOCALAPPDATA% is not set to a drive path; pass stateDir');
  const file = win.join(stateDir, 'host-changes.jsonl');
  const report: WindowsCleanupReport = { recordFile: file, done: [], skipped: [], failed: [], problems: [] };
  if (!fs.existsSync(stateDir)) return report;
  hostChangesFile(stateDir); // refuses a record that is a link or not a regular file
  if (!fs.existsSync(file)) return report;
  const work = opts.dryRun === true ? file : `${file}.${process.pid}.cleaning`;
  if (work !== file) fs.renameSync(file, work);
  const text = fs.readFileSync(work, 'utf8');
  const { changes, problems } = parseHostChanges(text);
  report.problems = problems;
  const plan = planWindowsCleanup(changes, hostFacts(opts.binding));
  report.skipped = plan.skipped;
  for (const a of plan.actions) {
    if (opts.dryRun === true) {
      report.done.push(`would ${describe(a)}`);
      continue;
    }
    try {
      report.done.push(`${describe(a)}: ${perform(a, opts.binding)}`);
    } catch (e) {
      report.failed.push(`${describe(a)}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (work !== file) {
    if (report.failed.length > 0 || plan.deferred) fs.appendFileSync(file, text);
    fs.unlinkSync(work);
  }
  return report;
}

/**
 * Library entry: undoes what earlier Windows runs of this user changed on the host (ACEs on the
 * writable roots and read-only paths, the empty .git/.codex/.agents directories created, the
 * offline shim's stubs, and — elevated only — the NUL device's ACEs). Windows only.
 */
export function cleanupWindowsSandboxState(opts: { stateDir?: string; dryRun?: boolean } = {}): WindowsCleanupReport {
  if (process.platform !== 'win32') throw new WindowsLaunchError('EPLATFORM', 'cleanup undoes what Windows runs changed; there is nothing to undo on this OS');
  const addon = loadNative() as unknown as Partial<WindowsCleanupBinding>;
  if (typeof addon.winRemoveAces !== 'function' || typeof addon.winIsElevated !== 'function') {
    throw new WindowsLaunchError('ENATIVE', 'the native addon has no winRemoveAces (an old build): run `npm rebuild codex-sandbox`');
  }
  return cleanupWindowsState({ ...opts, binding: addon as WindowsCleanupBinding });
}

/**
 * Performs the side effects a `windows-token` LaunchRequest lists, on Windows, before its launcher
 * runs. The planner (src/platforms/win32/plan.ts) already resolved the program and built the
 * launcher's arguments, so what runs is exactly what `--dry-run --platform win32` prints.
 *
 * Order: what is about to change recorded (host-changes.ts; undone by `codex-sandbox cleanup`) →
 * missing deny dirs created → offline-shim stubs written → ACL grants and deny ACEs applied
 * (this process, through the addon) → the launcher, spawned by execa with the planned environment
 * and the caller's stdio: restricted token + kill-on-close job + process (suspended, assigned,
 * resumed) → wait → whatever the command left in the job is terminated, and the launcher exits with
 * the command's exit code. Killing the launcher (execa's kill or timeout) closes its job handle, so
 * the whole tree dies with it and nothing is printed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WindowsTokenLaunch, WindowsTokenPlan } from '../contracts/index.js';
import { SandboxError } from '../errors.js';
import type { WindowsLaunchErrorCode } from '../errors.js';
import { DENY_BIN_STUB_TEXT } from '../platforms/win32/env.js';
import { HOST_CHANGES_FILE, hostChangesOf, serializeHostChanges } from '../platforms/win32/host-changes.js';

const win = path.win32;

/** The typed surface of the addon's Windows functions (native/win/win_addon.cc). */
export interface WindowsNativeBinding {
  winSelfTest(): { openToken: boolean; createRestrictedToken: boolean; logonSid: string | null; jobObject: boolean; tokenError?: string };
  winApplyAcls(opts: {
    grants: Array<{ path: string; sid: string }>;
    denies: Array<{ path: string; sids: string[] }>;
    nulSids: string[] | null;
  }): { changed: number; warnings: string[] };
}

export class WindowsLaunchError extends SandboxError {
  declare readonly code: WindowsLaunchErrorCode;

  constructor(code: WindowsLaunchErrorCode, message: string) {
    super(code, message);
    this.name = 'WindowsLaunchError';
  }
}

/** What `prepareFilesystem` will create: the deny directories and stub files missing now. */
function missingEntries(plan: WindowsTokenPlan): { dirs: string[]; stubs: string[] } {
  const dirs = plan.createMissingDenyDirs.filter((d) => !fs.existsSync(d));
  const stubs = plan.denyBinDir === undefined ? [] : plan.denyBinStubs.filter((s) => !fs.existsSync(win.join(plan.denyBinDir ?? '', s)));
  return { dirs, stubs };
}

function prepareFilesystem(plan: WindowsTokenPlan): void {
  for (const dir of plan.createMissingDenyDirs) fs.mkdirSync(dir, { recursive: true });
  if (plan.denyBinDir !== undefined) {
    fs.mkdirSync(plan.denyBinDir, { recursive: true });
    for (const stub of plan.denyBinStubs) {
      const p = win.join(plan.denyBinDir, stub);
      if (!fs.existsSync(p)) fs.writeFileSync(p, DENY_BIN_STUB_TEXT);
    }
  }
}

/**
 * The record file in the per-user state directory, refused when it or its directory is a link or
 * not what it should be: a junction planted there would send the record (and a later cleanup's
 * reading of it) somewhere else.
 */
export function hostChangesFile(stateDir: string): string {
  fs.mkdirSync(stateDir, { recursive: true });
  const dir = fs.lstatSync(stateDir);
  if (dir.isSymbolicLink() || !dir.isDirectory()) {
    throw new WindowsLaunchError('EPLAN', `the state directory ${stateDir} is a link or not a directory; remove it (it is recreated) so host changes can be recorded safely`);
  }
  const file = win.join(stateDir, HOST_CHANGES_FILE);
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  if (st !== undefined && (st.isSymbolicLink() || !st.isFile())) {
    throw new WindowsLaunchError('EPLAN', `the record of host changes ${file} is a link or not a regular file; remove it and run \`codex-sandbox cleanup\` after checking the ACLs of your writable roots`);
  }
  return file;
}

/**
 * Appends what this launch is about to change to the record, before changing anything, so that a
 * launch that dies half-way is still undone by `codex-sandbox cleanup`.
 */
function recordHostChanges(plan: WindowsTokenPlan, missing: { dirs: string[]; stubs: string[] }): string | undefined {
  if (plan.stateDir === undefined) return 'no per-user state directory (%LOCALAPPDATA%) known: the ACLs and directories this run adds are not recorded for `codex-sandbox cleanup`';
  fs.appendFileSync(hostChangesFile(plan.stateDir), serializeHostChanges(hostChangesOf(plan, missing.dirs, missing.stubs), new Date()));
  return undefined;
}

/**
 * Applies the plan's filesystem side (deny dirs, shim stubs, ACLs) and returns the non-fatal
 * problems met (e.g. the NUL device grant could not be made).
 */
export function applyWindowsPlan(req: WindowsTokenLaunch, binding: WindowsNativeBinding): string[] {
  const plan = req.native;
  // A plan made without this host's launcher path (on another OS) names the launcher only by its
  // file name; spawning that would search PATH, where anyone could have put a program of that name.
  if (typeof req.program !== 'string' || !win.isAbsolute(req.program) || !/^([A-Za-z]:|\\\\)/.test(req.program)) {
    throw new WindowsLaunchError('EPLAN', `the plan's launcher ${JSON.stringify(req.program)} is not an absolute path: plan on this host (createSandbox / getHostFacts) before launching`);
  }
  // The restricting-SID list must not be empty: the launcher refuses it, and so does this check.
  if (plan.capabilitySids.length === 0) throw new WindowsLaunchError('EPLAN', 'the plan has no capability SID for the restricted token');
  if (process.platform !== 'win32') throw new WindowsLaunchError('EPLATFORM', 'the Windows restricted-token backend runs only on Windows; use --dry-run to inspect the plan elsewhere');
  const missing = missingEntries(plan);
  const unrecorded = recordHostChanges(plan, missing);
  prepareFilesystem(plan);
  const applied = binding.winApplyAcls({
    grants: plan.writableRoots.filter((r) => r.exists).map((r) => ({ path: r.apiPath, sid: r.sid })),
    denies: plan.denyWritePaths.map((d) => ({ path: d.apiPath, sids: d.sids })),
    nulSids: plan.nulDevice ? plan.capabilitySids : null,
  });
  return unrecorded === undefined ? applied.warnings : [unrecorded, ...applied.warnings];
}

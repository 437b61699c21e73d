/**
 * Input mistakes `run` refuses before launch (exit 2, naming the flag or file and what to do), so
 * they are never reported as a sandbox that could not be set up (125, "run doctor").
 */
import { realpathSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { globMatches } from '../permissions/index.js';
import { BWRAP_MAX_ARGS } from '../platforms/linux/plan.js';
import type { LaunchRequest } from '../contracts/index.js';
import type { PreparedCommand } from './plan-args.js';
import type { PlanFlags } from './plan-options.js';
import { UsageError } from './profile-arg.js';
import { isUnder } from '../util/path-within.js';

/** `-w` must name an existing directory: bwrap would fail on a missing or file mount point (125). */
function checkWritableRoots(flags: PlanFlags, prep: PreparedCommand): void {
  flags.writableRoot.forEach((given, i) => {
    const abs = prep.overrides.writableRoots[i] ?? given;
    let isDir: boolean;
    try {
      isDir = statSync(abs).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new UsageError(`--writable-root ${given}: ${abs} does not exist; create the directory first (mkdir -p ${abs}) or drop the flag`);
      }
      throw new UsageError(`--writable-root ${given}: ${abs} cannot be inspected (${code ?? String(e)}); give a directory you can access`);
    }
    if (!isDir) throw new UsageError(`--writable-root ${given}: ${abs} is not a directory; -w takes a directory (give its parent to let the command write this file)`);
  });
}

/** Every ancestor of `p`, itself included, from `/` down. */
function selfAndAncestors(p: string): string[] {
  const out: string[] = [];
  let cur = posix.normalize(p);
  for (;;) {
    out.unshift(cur);
    const parent = posix.dirname(cur);
    if (parent === cur) return out;
    cur = parent;
  }
}

/**
 * bwrap starts the command in the cwd (`--chdir`): a cwd the profile hides or does not grant fails
 * inside bwrap with "Can't chdir". Said here with the flag or profile that hides it.
 */
function checkCwdReachable(prep: PreparedCommand, req: LaunchRequest): void {
  if (req.kind !== 'linux-bwrap') return;
  const fs = req.permissions.fileSystem;
  if (fs.kind !== 'restricted') return;
  const cwd = prep.cwd;
  const grants = [...fs.readableRoots, ...fs.writableRoots.map((w) => w.root)].filter((r) => isUnder(cwd, r));
  const deepestGrant = grants.reduce((best, r) => (r.length > best ? r.length : best), -1);
  const deniedBy = (denied: string): string => {
    const flag = prep.overrides.denyRead.find((d) => d === denied || globMatches(d, denied, 'linux'));
    return flag !== undefined ? `--deny-read ${flag}` : `the profile ${prep.choice.origin.name}`;
  };
  for (const u of fs.unreadableRoots) {
    // A more specific read or write grant under a hidden ancestor is mounted back (resolveAccess).
    if (isUnder(cwd, u) && (u === cwd || u.length >= deepestGrant)) {
      throw new UsageError(`${deniedBy(u)} hides the working directory ${cwd}: the command could not start in it; deny something narrower, or run from another directory (--cwd)`);
    }
  }
  for (const g of fs.unreadableGlobs) {
    const hit = selfAndAncestors(cwd).find((a) => globMatches(g, a, 'linux'));
    if (hit !== undefined) {
      const by = deniedBy(hit);
      throw new UsageError(`${by}${by.startsWith('--') ? '' : ` (glob ${g})`} hides the working directory ${cwd}: the command could not start in it; deny something narrower, or run from another directory (--cwd)`);
    }
  }
  // Conservative: the cwd may be spelled through a symlink the profile grants by its target.
  let real = cwd;
  try {
    real = realpathSync(cwd);
  } catch {
    // checked by the launch itself
  }
  const grantedReal = [...fs.readableRoots, ...fs.writableRoots.map((w) => w.root)].some((r) => isUnder(real, r));
  if (!fs.fullDiskRead && !fs.includePlatformDefaults && grants.length === 0 && !grantedReal) {
    throw new UsageError(
      `the profile ${prep.choice.origin.name} gives no read access to the working directory ${cwd}, so the command could not start in it; use a profile that can read it (e.g. -p read-only), or run from a directory it grants (--cwd)`,
    );
  }
}

/**
 * The argument count bwrap would get (everything after the launcher's own `--`, less a command the
 * launcher moves to the environment): only a sandbox plan itself past bwrap's cap is left here.
 */
function checkBwrapArgCount(req: LaunchRequest): void {
  if (req.kind !== 'linux-bwrap') return;
  const sep = req.argv.indexOf('--');
  if (sep < 0) return;
  const via = req.argv.indexOf('--command-via-env');
  const moved = via >= 0 && via < sep ? Number(req.argv[via + 1]) : 0;
  const count = req.argv.length - sep - 1 - moved;
  if (count <= BWRAP_MAX_ARGS) return;
  throw new UsageError(
    `the sandbox plan gives bubblewrap ${count} arguments, over its limit of ${BWRAP_MAX_ARGS} (bubblewrap's MAX_ARGS): too many mounts (deny-read globs matching many files?); deny a directory instead of many files`,
  );
}

/**
 * The profile's and the plan's own warnings (an ignored entry, a rule placed wider than written),
 * which `explain` shows: `run` prints the configuration's warnings itself, these were unsaid.
 */
export function launchWarnings(prep: PreparedCommand, req: LaunchRequest): string[] {
  const already = new Set(prep.choice.loaded.warnings);
  return [...new Set([...prep.choice.origin.warnings, ...req.permissions.warnings])].filter((w) => !already.has(w));
}

/**
 * Everything `run` checks after planning and before launching; throws UsageError (exit 2). Then
 * prints the profile's and the plan's warnings to stderr.
 */
/** `--cwd` names a directory (checked before planning, so the message names the flag, not bwrap's chdir). */
export function checkCwdDirectory(flags: PlanFlags, prep: PreparedCommand): void {
  if (flags.cwd === undefined || prep.platform !== process.platform) return;
  let isDir: boolean;
  try {
    isDir = statSync(prep.cwd).isDirectory();
  } catch (e) {
    throw new UsageError(`--cwd ${flags.cwd}: ${prep.cwd} cannot be used as the working directory (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  if (!isDir) throw new UsageError(`--cwd ${flags.cwd}: ${prep.cwd} is not a directory`);
}

export function validateLaunch(flags: PlanFlags, prep: PreparedCommand, req: LaunchRequest): void {
  if (prep.platform === process.platform) {
    checkWritableRoots(flags, prep);
    checkCwdReachable(prep, req);
    checkBwrapArgCount(req);
  }
  for (const w of launchWarnings(prep, req)) process.stderr.write(`codex-sandbox: warning: ${w}\n`);
}

/**
 * Planted-symlink refusal for macOS: the same rule as the Linux planner (src/platforms/linux/plan.ts
 * `refusePlantedSymlinks`). A run can replace a directory with a symlink (`ws/pkg -> ~`) so that a
 * later run given `ws/pkg` as its cwd or writable root writes wherever the link points; Seatbelt
 * matches resolved paths, so the policy would silently grant the link's target (the path-swap class
 * behind CVE-2021-30465, runc). Codex refuses symlinked writable roots on macOS too
 * (codex-rs/sandboxing/src/seatbelt.rs, test `create_seatbelt_args_rejects_symlinked_writable_root`).
 */
import { PlanError } from '../../contracts/index.js';
import type { FsEntryStat, FsInspector } from '../../permissions/fs-facts.js';
import { canonicalPath } from './canonical.js';

/**
 * `/tmp`, `/var`, `/etc` → `/private/...`: root's links on the sealed, read-only system volume (SIP),
 * which no process can re-point; Codex resolves exactly these top-level aliases and nothing else.
 */
const SEALED_TOP_LEVEL_LINKS = new Set(['/tmp', '/var', '/etc']);

export interface SymlinkCheck {
  fs: FsInspector;
  /** The caller's uid; undefined = treated as root (who could have written any directory). */
  callerUid: number | undefined;
  /** Links (absolute, as spelled) the caller accepted with --allow-symlinked-root. */
  allowed: ReadonlySet<string>;
}

/** Throws PlanError `SymlinkedRoot` when `p` crosses a symlink the sandboxed command could have planted. */
export function refusePlantedSymlinks(check: SymlinkCheck, p: string, what: string): void {
  const { fs, callerUid, allowed } = check;
  // Could the caller, hence a sandboxed command running as the caller, have written this directory?
  const callerCanWrite = (st: FsEntryStat): boolean =>
    callerUid === undefined || callerUid === 0 || (st.uid === callerUid && (st.mode & 0o200) !== 0) || (st.mode & 0o022) !== 0;
  let cur = '';
  for (const comp of p.split('/')) {
    if (comp === '') continue;
    const parentDir = cur === '' ? '/' : cur;
    cur += '/' + comp;
    const st = fs.lstat?.(cur);
    const kind = st?.kind ?? fs.kind(cur);
    if (kind === 'missing') return;
    if (kind !== 'symlink') continue;
    if (SEALED_TOP_LEVEL_LINKS.has(cur) || allowed.has(cur)) continue;
    const parent = fs.lstat?.(parentDir);
    if (st !== undefined && parent !== undefined && st.uid === 0 && !callerCanWrite(parent)) continue;
    const why = st === undefined || st.uid !== 0 ? 'it is not owned by root' : `it is in ${parentDir}, a directory you can write`;
    throw new PlanError(
      'SymlinkedRoot',
      `${what} ${p} goes through the symlink ${cur} (→ ${fs.realpath(cur) ?? 'a missing target'}), which a sandboxed command could have planted (${why}); ` +
        `use the resolved path ${canonicalPath(fs, p)} instead, or accept the link with --allow-symlinked-root ${cur} (library: allowSymlinkedRoots)`,
      true,
    );
  }
}

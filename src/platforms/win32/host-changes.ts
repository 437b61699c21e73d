/**
 * What a Windows run changes on the host, recorded so that `codex-sandbox cleanup` can undo it
 * (pure: plan → record lines; record + facts → cleanup actions).
 *
 * A run leaves: an allow ACE for each writable root's capability SID, deny-write ACEs on the
 * read-only paths inside roots, the empty `.git`/`.codex`/`.agents` directories created so their
 * deny ACE exists first, the offline shim's ssh/scp stubs, and (elevated callers only) an allow ACE
 * on the NUL device. The record is a JSON-lines file in the caller's %LOCALAPPDATA%\codex-sandbox.
 *
 * The record is input that a sandboxed command might have forged (the state directory could lie
 * under a writable root; the planner then protects it with a deny ACE, but cleanup assumes the
 * worst). So the record never names a SID: cleanup derives every SID from a root path with the
 * same hash the planner uses (sid.ts), and a SHA-256-derived SID is never a real account's, so a
 * forged line can only make cleanup remove the sandbox's own ACEs. Directories are removed only
 * when they are a protected-metadata name, a real directory (not a link) and empty; stub files
 * only when their text is exactly the stub's. Anything else in the record is skipped with a reason.
 */
import path from 'node:path';
import type { WindowsTokenPlan } from '../../contracts/index.js';
import { DENY_BIN_DIR_NAME, DENY_BIN_STUBS, DENY_BIN_STUB_TEXT } from './env.js';
import { normalizeWindowsPath, pathKey, toExtendedLengthPath } from './paths.js';
import { readonlySid, writableRootSid } from './sid.js';

const win = path.win32;

export const HOST_CHANGES_FILE = 'host-changes.jsonl';
const VERSION = 1;

/** One change a run made (or may have made: re-applying an existing ACE is a no-op, and so is removing a missing one). */
export type HostChange =
  /** Allow ACE for `root`'s capability SID on `root` (inherited below it). */
  | { kind: 'grant'; root: string }
  /** Deny-write ACEs on `path` for the SIDs of `roots` (`readonly`: the read-only token's SID). */
  | { kind: 'deny'; path: string; roots: string[] }
  /** An empty directory the run created so its deny ACE existed before the command started. */
  | { kind: 'created-dir'; path: string }
  /** An offline-shim stub file (ssh.bat …) written in `dir`. */
  | { kind: 'stub'; dir: string; name: string }
  /** Allow ACE on the NUL device for the SIDs of `roots` / the read-only SID. */
  | { kind: 'nul'; roots: string[]; readonly: boolean };

/** Names whose empty directories a run creates (Codex: protected metadata under a writable root). */
const CREATED_DIR_NAMES = new Set(['.git', '.codex', '.agents']);

/**
 * The changes the launch of `plan` may make. `createdDirs`/`writtenStubs`: what the launch found
 * missing and created (the launch records only those).
 */
export function hostChangesOf(plan: WindowsTokenPlan, createdDirs: readonly string[], writtenStubs: readonly string[]): HostChange[] {
  const out: HostChange[] = [];
  const sidRoot = new Map(plan.writableRoots.map((r) => [r.sid, r.canonicalPath]));
  for (const r of plan.writableRoots) if (r.exists) out.push({ kind: 'grant', root: r.canonicalPath });
  for (const d of plan.denyWritePaths) out.push({ kind: 'deny', path: d.path, roots: d.sids.map((s) => sidRoot.get(s)).filter((x): x is string => x !== undefined) });
  for (const p of createdDirs) out.push({ kind: 'created-dir', path: p });
  if (plan.denyBinDir !== undefined) for (const name of writtenStubs) out.push({ kind: 'stub', dir: plan.denyBinDir, name });
  if (plan.nulDevice) {
    out.push({ kind: 'nul', roots: plan.tokenMode === 'readonly' ? [] : plan.writableRoots.filter((r) => r.exists).map((r) => r.canonicalPath), readonly: plan.tokenMode === 'readonly' });
  }
  return out;
}

/** JSON lines to append to the record (one per change, with the time for a human reader). */
export function serializeHostChanges(changes: readonly HostChange[], at: Date): string {
  return changes.map((c) => JSON.stringify({ v: VERSION, at: at.toISOString(), ...c }) + '\n').join('');
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** A drive or UNC path in normal form, or undefined (the record is not trusted to hold one). */
function normal(p: unknown): string | undefined {
  if (typeof p !== 'string') return undefined;
  const n = normalizeWindowsPath(p);
  return n.kind === 'ok' ? n.path : undefined;
}

function parseLine(o: Record<string, unknown>): HostChange | string {
  if (o['v'] !== VERSION) return `unknown record version ${JSON.stringify(o['v'])}`;
  switch (o['kind']) {
    case 'grant': {
      const root = normal(o['root']);
      return root === undefined ? 'grant without a valid root path' : { kind: 'grant', root };
    }
    case 'deny': {
      const p = normal(o['path']);
      const roots = isStringArray(o['roots']) ? o['roots'].map(normal) : undefined;
      if (p === undefined || roots === undefined || roots.some((r) => r === undefined)) return 'deny without a valid path and roots';
      return { kind: 'deny', path: p, roots: roots as string[] };
    }
    case 'created-dir': {
      const p = normal(o['path']);
      return p === undefined ? 'created-dir without a valid path' : { kind: 'created-dir', path: p };
    }
    case 'stub': {
      const dir = normal(o['dir']);
      const name = o['name'];
      if (dir === undefined || typeof name !== 'string') return 'stub without a valid dir and name';
      return { kind: 'stub', dir, name };
    }
    case 'nul': {
      const roots = isStringArray(o['roots']) ? o['roots'].map(normal) : undefined;
      if (roots === undefined || roots.some((r) => r === undefined) || typeof o['readonly'] !== 'boolean') return 'nul without valid roots';
      return { kind: 'nul', roots: roots as string[], readonly: o['readonly'] };
    }
    default:
      return `unknown kind ${JSON.stringify(o['kind'])}`;
  }
}

/** The record's changes; lines that do not parse are reported (with their number) and ignored. */
export function parseHostChanges(text: string): { changes: HostChange[]; problems: string[] } {
  const changes: HostChange[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      problems.push(`line ${i + 1}: not JSON`);
      return;
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) {
      problems.push(`line ${i + 1}: not an object`);
      return;
    }
    const r = parseLine(o as Record<string, unknown>);
    if (typeof r === 'string') problems.push(`line ${i + 1}: ${r}`);
    else changes.push(r);
  });
  return { changes, problems };
}

/** What cleanup does, in order. */
export type CleanupAction =
  | { kind: 'remove-aces'; path: string; apiPath: string; sids: string[]; why: string }
  | { kind: 'remove-nul-aces'; sids: string[] }
  | { kind: 'remove-file'; path: string }
  | { kind: 'remove-dir'; path: string };

/** What the cleanup planner needs to know about the host (injected; src/launch/windows-cleanup.ts reads it). */
export interface CleanupFacts {
  /** The entry itself, links not followed. */
  kind(p: string): 'file' | 'dir' | 'symlink' | 'missing' | 'other';
  /** Names in a directory, undefined when it cannot be listed. */
  list(p: string): string[] | undefined;
  /** Text of a small file, undefined when unreadable. */
  readSmallFile(p: string): string | undefined;
  /** Whether the caller may edit the NUL device's DACL (elevated). */
  elevated: boolean;
}

export interface CleanupPlan {
  actions: CleanupAction[];
  /** Record entries left alone, each with the reason. */
  skipped: string[];
  /** Something could not be done now but may later (the NUL ACEs need elevation): keep the record. */
  deferred: boolean;
}

const sidsOf = (roots: readonly string[], readonly: boolean): string[] => [...new Set([...roots.map(writableRootSid), ...(readonly ? [readonlySid()] : [])])];

/**
 * Record + facts → actions. Order matters against a run that is still going: grants go first (with
 * its grant gone the command can write nothing there), then deny ACEs, so no moment exists where a
 * read-only path is writable; then the NUL ACEs, stub files, and directories last (after their ACEs).
 */
export function planWindowsCleanup(changes: readonly HostChange[], facts: CleanupFacts): CleanupPlan {
  const skipped: string[] = [];
  let deferred = false;
  const grants = new Map<string, CleanupAction>();
  const denies = new Map<string, { path: string; sids: Set<string> }>();
  const nul = new Set<string>();
  const files = new Map<string, string>();
  const dirs = new Map<string, string>();
  for (const c of changes) {
    switch (c.kind) {
      case 'grant':
        if (!grants.has(pathKey(c.root))) grants.set(pathKey(c.root), { kind: 'remove-aces', path: c.root, apiPath: toExtendedLengthPath(c.root), sids: [writableRootSid(c.root)], why: 'write grant of the writable root' });
        break;
      case 'deny': {
        const e = denies.get(pathKey(c.path)) ?? { path: c.path, sids: new Set<string>() };
        for (const s of sidsOf(c.roots, false)) e.sids.add(s);
        denies.set(pathKey(c.path), e);
        break;
      }
      case 'nul':
        for (const s of sidsOf(c.roots, c.readonly)) nul.add(s);
        break;
      case 'stub': {
        const p = win.join(c.dir, c.name);
        if (win.basename(c.dir).toLowerCase() !== DENY_BIN_DIR_NAME || !DENY_BIN_STUBS.includes(c.name)) skipped.push(`${p}: not an offline-shim stub (${DENY_BIN_DIR_NAME}\\ssh.bat …); left alone`);
        else if (facts.kind(p) === 'missing') break;
        else if (facts.kind(p) !== 'file' || facts.readSmallFile(p) !== DENY_BIN_STUB_TEXT) skipped.push(`${p}: no longer the stub codex-sandbox wrote (changed or replaced); left alone`);
        else {
          files.set(pathKey(p), p);
          dirs.set(pathKey(c.dir), c.dir);
        }
        break;
      }
      case 'created-dir':
        if (!CREATED_DIR_NAMES.has(win.basename(c.path).toLowerCase())) skipped.push(`${c.path}: not a directory codex-sandbox creates (.git, .codex, .agents); left alone`);
        else dirs.set(pathKey(c.path), c.path);
        break;
    }
  }
  const actions: CleanupAction[] = [...grants.values()];
  for (const d of denies.values()) {
    if (d.sids.size > 0) actions.push({ kind: 'remove-aces', path: d.path, apiPath: toExtendedLengthPath(d.path), sids: [...d.sids], why: 'deny-write entry of a read-only path' });
  }
  if (nul.size > 0) {
    if (facts.elevated) actions.push({ kind: 'remove-nul-aces', sids: [...nul] });
    else {
      deferred = true;
      skipped.push('the NUL device ACEs: editing its DACL needs an elevated caller; run `codex-sandbox cleanup` from an elevated prompt (the record is kept)');
    }
  }
  for (const f of files.values()) actions.push({ kind: 'remove-file', path: f });
  const removedFiles = new Set(files.keys());
  for (const d of dirs.values()) {
    const kind = facts.kind(d);
    if (kind === 'missing') continue;
    if (kind !== 'dir') {
      skipped.push(`${d}: no longer a plain directory (${kind}); left alone`);
      continue;
    }
    // A directory counts as empty when all it holds are the stub files removed just before.
    const names = facts.list(d);
    const emptyAfter = names !== undefined && names.every((n) => removedFiles.has(pathKey(win.join(d, n))));
    if (!emptyAfter) skipped.push(`${d}: not empty (something was put in it since); left alone`);
    else actions.push({ kind: 'remove-dir', path: d });
  }
  return { actions, skipped, deferred };
}

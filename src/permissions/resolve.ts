/**
 * Resolution: a profile plus host facts → the concrete roots every platform planner enforces
 * (Codex codex-rs/protocol/src/permissions.rs: `resolve_access_with_cwd`, `get_writable_roots_with_cwd`,
 * `get_unreadable_roots_with_cwd`). Pure apart from `ctx.fs`, the only window onto the host.
 */
import { conventionOf } from '../path-uri/index.js';
import type { Platform } from '../path-uri/index.js';
import { accessRank, canRead, canWrite, pathsShareTarget } from './entry-ops.js';
import { ResolveError } from './errors.js';
import type { FsInspector } from './fs-facts.js';
import { PROTECTED_METADATA_NAMES, dedupPaths, defaultReadOnlySubpaths, followKind } from './metadata.js';
import type { ProtectedMetadataName } from './metadata.js';
import { PROJECT_ROOTS_GLOB_PREFIX, scopedSubpath } from './materialize.js';
import { nativePaths } from './native-path.js';
import type { NativePaths } from './native-path.js';
import { PermissionProfile } from './profile.js';
import type { ResolvedFileSystem, ResolvedPermissions, WritableRoot } from './resolved.js';
import type { FileSystemAccessMode, FileSystemSandboxEntry, FileSystemSandboxPolicy, FileSystemSpecialPath } from './types.js';

export interface ResolveContext {
  /** Native absolute working directory of the command. */
  cwd: string;
  /** Project (workspace) roots, native absolute; default `[cwd]`. `:project_roots` entries expand to each. */
  projectRoots?: string[];
  platform: Platform;
  /** `$TMPDIR` as the caller's environment has it (undefined if unset). */
  tmpdir: string | undefined;
  fs: FsInspector;
  /** Home directory, for `~/` deny globs; without it such a glob is an error (never dropped). */
  home?: string;
}

interface ResolvedEntry {
  path: string;
  access: FileSystemAccessMode;
  depth: number;
}

const PROTECTED_NAME_SET: ReadonlySet<string> = new Set(PROTECTED_METADATA_NAMES);

function hasRootEntry(policy: FileSystemSandboxPolicy, pred: (a: FileSystemAccessMode) => boolean): boolean {
  return policy.entries.some((e) => e.path.type === 'special' && e.path.value.kind === 'root' && pred(e.access));
}

function hasDeniedReadRestrictions(policy: FileSystemSandboxPolicy, platform: Platform): boolean {
  return policy.entries.some(
    (e) => e.access === 'deny' && !(e.path.type === 'special' && e.path.value.kind === 'slash_tmp' && platform === 'win32'),
  );
}

/** Codex `has_write_narrowing_entries`: an entry that really reduces a `:root` write grant. */
function hasWriteNarrowingEntries(policy: FileSystemSandboxPolicy, platform: Platform): boolean {
  const convention = conventionOf(platform);
  // An equally specific write entry for the same target wins, so a shadowed read does not narrow.
  // Only a `read` entry can be outranked by a write (deny ranks above it): a deny skips the scan, so
  // `--deny-read` of many paths on an unrestricted profile stays linear (#21).
  const overridden = (entry: FileSystemSandboxEntry): boolean =>
    accessRank(entry.access) < accessRank('write') &&
    policy.entries.some(
      (c) => canWrite(c.access) && accessRank(c.access) > accessRank(entry.access) && pathsShareTarget(c.path, entry.path, convention),
    );
  return policy.entries.some((e) => {
    if (canWrite(e.access)) return false;
    const p = e.path;
    if (p.type === 'path') return !overridden(e);
    if (p.type === 'glob_pattern') return true;
    switch (p.value.kind) {
      case 'root':
        return e.access === 'deny';
      case 'slash_tmp':
        return platform === 'win32' ? false : !overridden(e);
      case 'minimal':
      case 'unknown':
        return false;
      default:
        return !overridden(e);
    }
  });
}

/** Unrestricted/external → true; restricted → a readable `:root` entry and no deny entries. */
export function hasFullDiskReadAccess(policy: FileSystemSandboxPolicy, platform: Platform): boolean {
  if (policy.kind !== 'restricted') return true;
  return hasRootEntry(policy, canRead) && !hasDeniedReadRestrictions(policy, platform);
}

/** Unrestricted/external → true; restricted → a `:root` write entry and nothing narrowing it. */
export function hasFullDiskWriteAccess(policy: FileSystemSandboxPolicy, platform: Platform): boolean {
  if (policy.kind !== 'restricted') return true;
  return hasRootEntry(policy, canWrite) && !hasWriteNarrowingEntries(policy, platform);
}

/** One policy seen from one context: resolved entries computed once, Codex's predicates (`can_write_path_with_cwd`, `has_full_disk_read_access`, ...) over them. Internal (not re-exported). */
export class PolicyView {
  readonly paths: NativePaths;
  readonly entries: ResolvedEntry[] = [];
  readonly warnings: string[] = [];
  readonly cwd: string;
  readonly projectRoots: string[];
  private readonly effectiveCache = new Map<string, string>();

  constructor(
    readonly policy: FileSystemSandboxPolicy,
    readonly ctx: ResolveContext,
  ) {
    this.paths = nativePaths(ctx.platform);
    if (!this.paths.isAbsolute(ctx.cwd)) {
      throw new ResolveError(`cwd ${JSON.stringify(ctx.cwd)} is not an absolute ${ctx.platform} path: pass the command's absolute working directory`);
    }
    this.cwd = this.paths.normalize(ctx.cwd);
    this.projectRoots = (ctx.projectRoots ?? [ctx.cwd]).map((r) => {
      if (!this.paths.isAbsolute(r)) {
        throw new ResolveError(`project root ${JSON.stringify(r)} is not an absolute ${ctx.platform} path`);
      }
      return this.paths.normalize(r);
    });
    if (policy.kind === 'restricted') {
      for (const entry of policy.entries) {
        for (const p of this.resolveEntryPaths(entry)) {
          this.entries.push({ path: p.path, access: p.access, depth: this.depthOf(p.path) });
        }
      }
    }
  }

  private resolveSpecial(value: FileSystemSpecialPath, entry: FileSystemSandboxEntry): Array<{ path: string; access: FileSystemAccessMode }> {
    const { paths, ctx } = this;
    switch (value.kind) {
      case 'root':
        return [{ path: paths.root(this.cwd), access: entry.access }];
      case 'project_roots':
        return this.projectRoots.flatMap((root) => {
          if (value.subpath === undefined) return [{ path: root, access: entry.access }];
          const scoped = scopedSubpath(root, value.subpath, paths);
          if (scoped !== undefined) return [{ path: scoped, access: entry.access }];
          if (!canWrite(entry.access)) {
            // Fail closed like Codex: a read/deny rule we cannot place denies the whole project root.
            this.warnings.push(`:project_roots subpath ${JSON.stringify(value.subpath)} is not a plain relative path; denying ${root} instead`);
            return [{ path: root, access: 'deny' as const }];
          }
          this.warnings.push(`:project_roots subpath ${JSON.stringify(value.subpath)} is not a plain relative path; write entry ignored`);
          return [];
        });
      case 'tmpdir': {
        const t = ctx.tmpdir;
        return t !== undefined && t !== '' && paths.isAbsolute(t) ? [{ path: paths.normalize(t), access: entry.access }] : [];
      }
      case 'slash_tmp':
        return ctx.platform !== 'win32' && followKind(ctx.fs, '/tmp') === 'dir' ? [{ path: '/tmp', access: entry.access }] : [];
      case 'minimal':
        return [];
      case 'unknown':
        this.warnings.push(`ignoring unknown special path ${JSON.stringify(value.path)} (written by a newer Codex?)`);
        return [];
    }
  }

  private resolveEntryPaths(entry: FileSystemSandboxEntry): Array<{ path: string; access: FileSystemAccessMode }> {
    let out: Array<{ path: string; access: FileSystemAccessMode }>;
    const p = entry.path;
    if (p.type === 'glob_pattern') {
      if (entry.access !== 'deny') {
        this.warnings.push(`glob entry ${JSON.stringify(p.pattern)} with access "${entry.access}" is ignored: glob patterns only support deny`);
      }
      return [];
    } else if (p.type === 'special') {
      out = this.resolveSpecial(p.value, entry);
    } else {
      // A path of the other convention (a Windows path on Linux) names nothing here.
      if (p.path.convention() !== conventionOf(this.ctx.platform)) {
        this.warnings.push(`entry ${p.path.toString()} is not a ${this.ctx.platform} path; ignored`);
        return [];
      }
      let text: string;
      try {
        text = p.path.toAbsPathString({ platform: this.ctx.platform });
      } catch (err) {
        if (entry.access === 'deny') {
          // Dropping a deny we cannot express would silently widen the profile.
          throw new ResolveError(`deny entry ${p.path.toString()} cannot be expressed as a ${this.ctx.platform} path: ${(err as Error).message}`);
        }
        this.warnings.push(`entry ${p.path.toString()} is not a ${this.ctx.platform} path; ignored`);
        return [];
      }
      out = [{ path: this.paths.normalize(text), access: entry.access }];
    }
    if (entry.missingPathBehavior === 'skip') out = out.filter((r) => this.ctx.fs.kind(r.path) !== 'missing');
    return out;
  }

  /** Canonicalise the deepest existing ancestor (aliases like /var → /private/var), keep the rest lexical. */
  effective(p: string): string {
    const cached = this.effectiveCache.get(p);
    if (cached !== undefined) return cached;
    const { paths, ctx } = this;
    // The common case, an existing path: the loop's first step, without splitting it into components.
    if (paths.normalize(p) === p && ctx.fs.kind(p) !== 'missing') {
      const real = ctx.fs.realpath(p);
      if (real !== undefined) {
        const fast = paths.normalize(real);
        this.effectiveCache.set(p, fast);
        return fast;
      }
    }
    if (paths.platform !== 'win32' && p !== '/' && p.startsWith('/') && paths.normalize(p) === p) {
      // POSIX, normal `p`: its ancestors are its prefixes before each `/` (the loop below without
      // splitting and re-joining components for every ancestor; asked for each missing protected name
      // of every writable root, issue #21). The same ancestors, in the same order, the same answer.
      let result = p;
      for (let end = p.length; end >= 0; end = end === 0 ? -1 : p.lastIndexOf('/', end - 1)) {
        const ancestor = end === 0 ? '/' : p.slice(0, end);
        if (ctx.fs.kind(ancestor) === 'missing') continue;
        const real = ctx.fs.realpath(ancestor);
        if (real === undefined) continue;
        result = end === p.length ? paths.normalize(real) : paths.join(real, p.slice(end + 1));
        break;
      }
      this.effectiveCache.set(p, result);
      return result;
    }
    const comps = paths.components(p);
    const root = paths.root(p);
    let result = p;
    for (let n = comps.length; n >= 0; n--) {
      const ancestor = paths.normalize(root + comps.slice(0, n).join(paths.sep));
      if (ctx.fs.kind(ancestor) === 'missing') continue;
      const real = ctx.fs.realpath(ancestor);
      if (real === undefined) continue;
      const rest = comps.slice(n);
      result = rest.length === 0 ? paths.normalize(real) : paths.join(real, rest.join(paths.sep));
      break;
    }
    this.effectiveCache.set(p, result);
    return result;
  }

  private candidate(target: string): string {
    return this.paths.isAbsolute(target) ? this.paths.normalize(target) : this.paths.join(this.cwd, target);
  }

  /** Number of components of a resolved entry path (POSIX: its normal form has one `/` per component). */
  private depthOf(p: string): number {
    if (this.paths.platform === 'win32' || !p.startsWith('/') || this.paths.normalize(p) !== p) return this.paths.components(p).length;
    if (p === '/') return 0;
    let n = 0;
    for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) n += 1;
    return n;
  }

  /** Entry indices by normalised path (POSIX), built on first use. */
  private entriesByPath: Map<string, number[]> | undefined;
  /** `lengthHasEntry[n]`: some entry's normalised path is n characters long. */
  private lengthHasEntry: Uint8Array | undefined;

  /**
   * The entries `e` with `paths.startsWith(p, e.path)`, in entry order. On POSIX that rule is a
   * prefix rule on normalised text, so only `/`, `p` and the prefixes of `p` that end before one of
   * its `/` can match: one Map lookup each, instead of a scan of every entry (which made resolving
   * grow with entries × entries; issue #21). A prefix is looked up only when some entry has its
   * length, so most prefixes are never cut out of `p` (planning 256 roots asks this thousands of times).
   * Windows paths (case folding, several root forms) scan.
   */
  private entriesContaining(p: string): ResolvedEntry[] {
    const { paths } = this;
    const n = paths.normalize(p);
    if (paths.platform === 'win32' || !n.startsWith('/')) return this.entries.filter((e) => paths.startsWith(n, e.path));
    const entries = this.entries;
    return this.indicesContaining(n).map((i) => entries[i] as ResolvedEntry);
  }

  /** The entries by path, and which path lengths have one (POSIX), built on first use. */
  private byPath(): Map<string, number[]> {
    const { paths } = this;
    if (this.entriesByPath === undefined) {
      const byPath = new Map<string, number[]>();
      let longest = 0;
      const keys = this.entries.map((e) => paths.normalize(e.path));
      for (const k of keys) longest = Math.max(longest, k.length);
      const lengths = new Uint8Array(longest + 1);
      keys.forEach((k, i) => {
        lengths[k.length] = 1;
        const list = byPath.get(k);
        if (list === undefined) byPath.set(k, [i]);
        else list.push(i);
      });
      this.entriesByPath = byPath;
      this.lengthHasEntry = lengths;
    }
    return this.entriesByPath;
  }

  /** Indices (ascending) of the entries containing the normal absolute POSIX path `n`. */
  private indicesContaining(n: string): readonly number[] {
    const byPath = this.byPath();
    const lengths = this.lengthHasEntry as Uint8Array;
    // Each list is ascending and no index is in two lists (an entry has one path): the lists found are
    // merged, not concatenated and sorted (that sort was the largest line of a 256-root plan; #21).
    let hits: readonly number[] | undefined;
    const add = (q: string): void => {
      const list = byPath.get(q);
      if (list !== undefined) hits = hits === undefined ? list : mergeAscending(hits, list);
    };
    add('/');
    if (n !== '/' && lengths[n.length] === 1) add(n);
    const stop = Math.min(n.length, lengths.length);
    for (let i = n.indexOf('/', 1); i !== -1 && i < stop; i = n.indexOf('/', i + 1)) if (lengths[i] === 1) add(n.slice(0, i));
    return hits ?? [];
  }

  /**
   * The protected metadata names none of `dirs` may write (canWrite of each `dir/name` false). On
   * POSIX the entries containing `dir/name` are those containing `dir` plus those at `dir/name`
   * itself, so `dir`'s are looked up once for all the names.
   */
  private unwritableMetadataNames(dirs: readonly string[]): ProtectedMetadataName[] {
    const { paths } = this;
    const writable = new Set<string>();
    for (const dir of dirs) {
      if (this.policy.kind !== 'restricted' || paths.platform === 'win32' || !dir.startsWith('/') || paths.normalize(dir) !== dir) {
        for (const name of PROTECTED_METADATA_NAMES) if (this.canWrite(paths.join(dir, name))) writable.add(name);
        continue;
      }
      const base = this.indicesContaining(dir);
      const byPath = this.byPath();
      // dir's entries, mapped once for the four names (most names have no entry of their own).
      const baseEntries = base.map((i) => this.entries[i] as ResolvedEntry);
      const lengths = this.lengthHasEntry as Uint8Array;
      // The access of a name with no entry of its own is dir's: decided once for the four names.
      const dirCanWrite = canWrite(this.accessAmong(baseEntries));
      for (const name of PROTECTED_METADATA_NAMES) {
        const p = dir === '/' ? `/${name}` : `${dir}/${name}`;
        // No entry is as long as p: none is at p (one Map lookup of a new string saved per name; #21).
        const own = lengths[p.length] === 1 ? byPath.get(p) : undefined;
        const containing = own === undefined ? baseEntries : mergeAscending(base, own).map((i) => this.entries[i] as ResolvedEntry);
        const access = own === undefined ? dirCanWrite : canWrite(this.accessAmong(containing));
        if (access && (this.fullDiskWrite() || this.metadataDenialAmong(p, containing) === undefined)) writable.add(name);
      }
    }
    return PROTECTED_METADATA_NAMES.filter((name) => !writable.has(name));
  }

  /** Codex `resolve_access_with_cwd`: most specific matching entry, ties broken deny > write > read; none → deny. */
  resolveAccess(target: string): FileSystemAccessMode {
    if (this.policy.kind !== 'restricted') return 'write';
    return this.accessAmong(this.entriesContaining(this.candidate(target)));
  }

  private accessAmong(containing: readonly ResolvedEntry[]): FileSystemAccessMode {
    let best: ResolvedEntry | undefined;
    for (const e of containing) {
      if (best === undefined || e.depth > best.depth || (e.depth === best.depth && accessRank(e.access) > accessRank(best.access))) best = e;
    }
    return best?.access ?? 'deny';
  }

  /** The protected metadata name a write to `target` would touch, unless a write entry grants it explicitly. */
  metadataWriteDenial(target: string): string | undefined {
    if (this.policy.kind !== 'restricted') return undefined;
    const p = this.candidate(target);
    return this.metadataDenialAmong(p, this.entriesContaining(p));
  }

  /** metadataWriteDenial of the normalised `p`, given the entries containing it (in entry order). */
  private metadataDenialAmong(p: string, containing: readonly ResolvedEntry[]): string | undefined {
    const { paths } = this;
    // A protected path under an entry lies under p only if the entry does: the same first hit, in order.
    let hit: { protectedPath: string; name: string } | undefined;
    const posix = paths.platform !== 'win32' && p.startsWith('/');
    for (const e of containing) {
      if (!canWrite(e.access)) continue;
      if (posix && paths.normalize(e.path) === e.path) {
        // POSIX, both normal: `p` is under `e.path/NAME` exactly when NAME is p's next component.
        const from = e.path === '/' ? 1 : e.path.length + 1;
        if (p.length <= from) continue;
        const slash = p.indexOf('/', from);
        const name = slash === -1 ? p.slice(from) : p.slice(from, slash);
        if (PROTECTED_NAME_SET.has(name)) {
          hit = { protectedPath: p.slice(0, slash === -1 ? p.length : slash), name };
          break;
        }
        continue;
      }
      for (const name of PROTECTED_METADATA_NAMES) {
        const protectedPath = paths.join(e.path, name);
        if (paths.startsWith(p, protectedPath)) {
          hit = { protectedPath, name };
          break;
        }
      }
      if (hit !== undefined) break;
    }
    if (hit === undefined) return undefined;
    const { protectedPath, name } = hit;
    const granted = containing.some((e) => canWrite(e.access) && paths.startsWith(p, e.path) && paths.startsWith(e.path, protectedPath));
    return granted ? undefined : name;
  }

  canRead(target: string): boolean {
    return canRead(this.resolveAccess(target));
  }

  canWrite(target: string): boolean {
    if (this.policy.kind !== 'restricted') return true;
    // One lookup of the entries containing the path serves both questions.
    const p = this.candidate(target);
    const containing = this.entriesContaining(p);
    if (!canWrite(this.accessAmong(containing))) return false;
    return this.fullDiskWrite() || this.metadataDenialAmong(p, containing) === undefined;
  }

  private fullDiskReadCache: boolean | undefined;
  private fullDiskWriteCache: boolean | undefined;

  fullDiskRead(): boolean {
    this.fullDiskReadCache ??= hasFullDiskReadAccess(this.policy, this.ctx.platform);
    return this.fullDiskReadCache;
  }

  /** Asked once per write check; the policy does not change, so computed once per view. */
  fullDiskWrite(): boolean {
    this.fullDiskWriteCache ??= hasFullDiskWriteAccess(this.policy, this.ctx.platform);
    return this.fullDiskWriteCache;
  }

  includePlatformDefaults(): boolean {
    return (
      this.policy.kind === 'restricted' &&
      !this.fullDiskRead() &&
      this.policy.entries.some((e) => e.path.type === 'special' && e.path.value.kind === 'minimal' && canRead(e.access))
    );
  }

  /** Codex `get_writable_roots_with_cwd`, with roots kept in their profile spelling (symlinks not followed). */
  writableRoots(): WritableRoot[] {
    if (this.fullDiskWrite()) return [];
    const { paths } = this;
    const effectiveEntries = this.entries
      .filter((e) => canWrite(e.access) === this.canWrite(e.path))
      .map((e) => ({ ...e, eff: this.effective(e.path) }));
    const writable = effectiveEntries.filter((e) => canWrite(e.access));
    if (writable.length === 0) return [];
    const effCwd = this.effective(this.cwd);
    const groups = new Map<string, { effRoot: string; raw: string[] }>();
    for (const w of writable) {
      const k = paths.key(w.eff);
      const g = groups.get(k);
      if (g === undefined) groups.set(k, { effRoot: w.eff, raw: [w.path] });
      else if (!g.raw.some((r) => paths.equals(r, w.path))) g.raw.push(w.path);
    }
    const out: WritableRoot[] = [];
    // `paths.equals` is equality of `paths.key`: one Set lookup instead of a scan of every entry per root.
    const entryKeys = new Set(this.entries.map((e) => paths.key(e.path)));
    const entryEffKeys = new Set(this.entries.map((e) => paths.key(this.effective(e.path))));
    const groupList = [...groups.values()];
    const carves = this.carveOutsByGroup(groupList, effectiveEntries.filter((e) => !canWrite(e.access)));
    groupList.forEach(({ effRoot, raw }, gi) => {
      const root = raw[0] as string;
      const explicit = (p: string): boolean => entryKeys.has(paths.key(p)) || entryEffKeys.has(paths.key(this.effective(p)));
      const subpaths = defaultReadOnlySubpaths(root, paths.equals(effCwd, effRoot), paths, this.ctx.fs).filter((p) => !explicit(p));
      subpaths.push(...(carves[gi] as string[]));
      // Each spelling once (usually root, effRoot and raw[0] are one path): the answer is per path.
      const spellings = dedupPaths([root, effRoot, ...raw], paths);
      const protectedMetadataNames = this.unwritableMetadataNames(spellings);
      out.push({ root, readOnlySubpaths: dedupPaths(subpaths, paths), protectedMetadataNames: [...protectedMetadataNames] });
    });
    return out;
  }

  /**
   * The read-only carve-out each non-write entry makes in each writable-root group, per group in entry
   * order. An entry can only carve in a group whose root, another spelling of it (`raw`) or its
   * canonical target contains the entry's path or canonical path, so on POSIX the candidates are found
   * by looking up the entry's ancestors (one Map lookup each) instead of testing every entry against
   * every root, which made resolving grow with roots × entries (issue #21). Windows (case folding) scans.
   */
  private carveOutsByGroup(groups: ReadonlyArray<{ effRoot: string; raw: string[] }>, readOnly: ReadonlyArray<ResolvedEntry & { eff: string }>): string[][] {
    const { paths } = this;
    const out: string[][] = groups.map(() => []);
    const carveIn = (g: { effRoot: string; raw: string[] }, e: ResolvedEntry & { eff: string }): string | undefined => {
      const root = g.raw[0] as string;
      const isFsRoot = paths.parent(root) === undefined;
      // Keep the in-root spelling even when it is a symlink, so sandboxes can mask the link inode itself.
      if (!isFsRoot) {
        if (paths.equals(e.path, root)) return undefined;
        if (paths.startsWith(e.path, root)) return e.path;
        for (const r of g.raw) {
          if (paths.startsWith(e.path, r) && !paths.equals(e.path, r)) {
            return paths.join(root, paths.components(e.path).slice(paths.components(r).length).join(paths.sep));
          }
        }
      }
      if (paths.equals(e.eff, g.effRoot) || !paths.startsWith(e.eff, g.effRoot)) return undefined;
      const rest = paths.components(e.eff).slice(paths.components(g.effRoot).length);
      return isFsRoot ? e.eff : paths.join(root, rest.join(paths.sep));
    };
    const all = groups.map((_, gi) => gi);
    let candidates: (e: ResolvedEntry & { eff: string }) => number[] = () => all;
    if (paths.platform !== 'win32') {
      const byPath = new Map<string, number[]>();
      // Only prefixes as long as some indexed path are looked up (most are never cut out).
      const keyLengths = new Set<number>();
      const index = (p: string, gi: number): void => {
        const k = paths.key(p);
        keyLengths.add(k.length);
        const list = byPath.get(k);
        if (list === undefined) byPath.set(k, [gi]);
        else if (list[list.length - 1] !== gi) list.push(gi);
      };
      groups.forEach((g, gi) => {
        for (const r of g.raw) index(r, gi);
        index(g.effRoot, gi);
      });
      candidates = (e) => {
        const hits = new Set<number>();
        const look = (q: string): void => {
          const list = byPath.get(q);
          if (list !== undefined) for (const gi of list) hits.add(gi);
        };
        for (const p of e.path === e.eff ? [e.path] : [e.path, e.eff]) {
          const n = paths.key(p);
          look('/');
          if (keyLengths.has(n.length)) look(n);
          for (let i = n.indexOf('/', 1); i !== -1; i = n.indexOf('/', i + 1)) if (keyLengths.has(i)) look(n.slice(0, i));
        }
        return [...hits];
      };
    }
    for (const e of readOnly) {
      for (const gi of candidates(e)) {
        const carve = carveIn(groups[gi] as { effRoot: string; raw: string[] }, e);
        if (carve !== undefined) (out[gi] as string[]).push(carve);
      }
    }
    return out;
  }

  readableRoots(writable: WritableRoot[]): string[] {
    if (this.fullDiskRead()) return [];
    const { paths } = this;
    const writableKeys = new Set(writable.map((w) => paths.key(this.effective(w.root))));
    const seen = new Set<string>();
    const out: string[] = [];
    for (const e of this.entries) {
      if (!canRead(e.access) || !this.canRead(e.path)) continue;
      const k = paths.key(this.effective(e.path));
      if (seen.has(k) || writableKeys.has(k)) continue;
      seen.add(k);
      out.push(e.path);
    }
    return out;
  }

  /** Exact deny-read paths, excluding the filesystem root; both the profile spelling and its canonical target. */
  unreadableRoots(): string[] {
    if (this.policy.kind !== 'restricted') return [];
    const fsRoot = this.paths.root(this.cwd);
    const out: string[] = [];
    for (const e of this.entries) {
      if (e.access !== 'deny' || this.canRead(e.path) || this.paths.equals(e.path, fsRoot)) continue;
      out.push(e.path);
      const eff = this.effective(e.path);
      // A deny given through a symlink must also cover the file it points to.
      if (!this.paths.equals(eff, e.path) && !this.paths.equals(eff, fsRoot)) out.push(eff);
    }
    return dedupPaths(out, this.paths);
  }

  unreadableGlobs(): string[] {
    if (this.policy.kind !== 'restricted') return [];
    const { paths } = this;
    const patterns: string[] = [];
    for (const e of this.policy.entries) {
      if (e.access !== 'deny' || e.path.type !== 'glob_pattern') continue;
      const pattern = e.path.pattern;
      if (pattern.startsWith(PROJECT_ROOTS_GLOB_PREFIX)) {
        const sub = pattern.slice(PROJECT_ROOTS_GLOB_PREFIX.length);
        for (const root of this.projectRoots) patterns.push(paths.join(root, sub));
      } else if (pattern.startsWith('~/') || (this.ctx.platform === 'win32' && pattern.startsWith('~\\'))) {
        if (this.ctx.home === undefined || !paths.isAbsolute(this.ctx.home)) {
          throw new ResolveError(`deny-read glob ${JSON.stringify(pattern)} needs the home directory: pass ctx.home`);
        }
        patterns.push(paths.join(this.ctx.home, pattern.slice(2)));
      } else {
        patterns.push(paths.join(this.cwd, pattern));
      }
    }
    return [...new Set(patterns)].sort();
  }
}

/** The ascending union of two ascending lists with no element in both. */
function mergeAscending(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = (a[i] as number) < (b[j] as number) ? (a[i++] as number) : (b[j++] as number);
  while (i < a.length) out[k++] = a[i++] as number;
  while (j < b.length) out[k++] = b[j++] as number;
  return out;
}

function unrestricted(kind: 'unrestricted' | 'external'): ResolvedFileSystem {
  return {
    kind,
    fullDiskRead: true,
    fullDiskWrite: true,
    includePlatformDefaults: false,
    readableRoots: [],
    writableRoots: [],
    unreadableRoots: [],
    unreadableGlobs: [],
    globScanMaxDepth: undefined,
  };
}

/**
 * Resolves a profile for one command context (the Codex functions named at the top of this file). Throws
 * `ResolveError` when a
 * restriction cannot be placed (the profile is never silently widened).
 */
export function resolvePermissions(profile: PermissionProfile, ctx: ResolveContext): ResolvedPermissions {
  const { fileSystem, network } = PermissionProfile.toRuntime(profile);
  const enforcement = PermissionProfile.enforcement(profile);
  if (fileSystem.kind !== 'restricted') {
    return {
      enforcement,
      fileSystem: unrestricted(fileSystem.kind === 'external-sandbox' ? 'external' : 'unrestricted'),
      network,
      warnings: [],
    };
  }
  const view = new PolicyView(fileSystem, ctx);
  const writableRoots = view.writableRoots();
  const resolved: ResolvedFileSystem = {
    kind: 'restricted',
    fullDiskRead: view.fullDiskRead(),
    fullDiskWrite: view.fullDiskWrite(),
    includePlatformDefaults: view.includePlatformDefaults(),
    readableRoots: view.readableRoots(writableRoots),
    writableRoots,
    unreadableRoots: view.unreadableRoots(),
    unreadableGlobs: view.unreadableGlobs(),
    globScanMaxDepth: fileSystem.globScanMaxDepth,
  };
  return { enforcement, fileSystem: resolved, network, warnings: [...new Set(view.warnings)] };
}

/** Codex `resolve_access_with_cwd`: the access the profile gives `path` (relative paths are joined to cwd). */
export function accessForPath(profile: PermissionProfile, path: string, ctx: ResolveContext): FileSystemAccessMode {
  return new PolicyView(PermissionProfile.toRuntime(profile).fileSystem, ctx).resolveAccess(path);
}

/** Codex `can_write_path_with_cwd`: write access and not protected metadata (unless full-disk write). */
export function canWritePath(profile: PermissionProfile, path: string, ctx: ResolveContext): boolean {
  return new PolicyView(PermissionProfile.toRuntime(profile).fileSystem, ctx).canWrite(path);
}

export function canReadPath(profile: PermissionProfile, path: string, ctx: ResolveContext): boolean {
  return new PolicyView(PermissionProfile.toRuntime(profile).fileSystem, ctx).canRead(path);
}

/** The protected metadata name (`.git`, `.agents`, `.codex`) a write to `path` would be refused for, if any. */
export function forbiddenMetadataWrite(profile: PermissionProfile, path: string, ctx: ResolveContext): string | undefined {
  const view = new PolicyView(PermissionProfile.toRuntime(profile).fileSystem, ctx);
  return view.canWrite(path) ? undefined : view.metadataWriteDenial(path);
}

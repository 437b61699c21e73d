/**
 * ResolvedPermissions → Seatbelt policy text + `-D` parameters (after Codex codex-rs/sandboxing/src/seatbelt.rs
 * `create_seatbelt_command_args`).
 *
 * Two invariants:
 * - No caller path is spliced into the policy text; paths of readable/writable roots, read-only
 *   carve-outs, protected metadata and exact deny-read paths travel as parameters (params.ts).
 *   The one exception is deny-read *globs*: Seatbelt can only match a pattern with a regex, so the
 *   glob (including its literal directory part) is compiled into a regex (glob-regex.ts) that
 *   contains neither quotes nor backslashes. Protected metadata names (`.git`, `.codex`, `.agents`)
 *   are NOT turned into regexes as Codex's seatbelt.rs does: a `<root>/<name>` parameter per name excluded
 *   with `literal` + `subpath` blocks the same writes, first-time creation included, without
 *   putting root text in the policy.
 * - Seatbelt applies the LAST matching rule, so every deny that must win over an allow (deny-read
 *   paths and globs, unlink guards) is emitted after all allows, including the `:minimal` defaults.
 */
import { posix } from 'node:path';
import type { FsInspector } from '../../permissions/fs-facts.js';
import type { ResolvedPermissions } from '../../permissions/resolved.js';
import { BASE_POLICY, NETWORK_ENABLED_POLICY, PLATFORM_DEFAULTS_POLICY, PREFERENCES_POLICY, unixSocketPolicy } from './base-policy.js';
import { canonicalPath, dirsBetween, isAtOrBelow, protectedSpellings } from './canonical.js';
import { escapeGlobLiteral, globStaticPrefix, joinGlob } from '../../permissions/glob-syntax.js';
import { caseInsensitivePathRegex, expandBraces, globToSeatbeltRegex } from './glob-regex.js';
import { ParamTable } from './params.js';
import { PlanError } from '../../contracts/index.js';

export interface SeatbeltPolicy {
  policy: string;
  params: Array<[string, string]>;
}

interface WriteRoot {
  path: string;
  /** Existing non-directory: granted with `literal`, not `subpath`. */
  isFile: boolean;
  /** Read-only carve-outs below the root (every spelling). */
  excluded: string[];
  /** `<root>/<name>` for protected metadata names (exists or not). */
  protectedPaths: string[];
}

/**
 * Operations a deny-read entry refuses. `file-read-metadata` and `file-test-existence` are named
 * although `file-read*` should cover them: the `:minimal` defaults and the readable-ancestor rule
 * allow exactly those operations by name (e.g. on all of /private/var, where $TMPDIR lives), and a
 * rule for the named operation must not outlive the deny (stat of a denied path).
 */
export const DENY_READ_OPS = 'file-read* file-read-metadata file-test-existence file-write*';

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

export interface SeatbeltOptions {
  /** The caller's SSH_AUTH_SOCK: denied as a Unix-socket destination even under a writable root. */
  sshAuthSock?: string | undefined;
  /**
   * A network allow list: the only network the command gets is TCP to the filtering proxy on the
   * host's loopback (Codex seatbelt.rs network policy with proxy ports: `network-outbound (remote
   * ip "localhost:<port>")` per port; codex-sandboxing.md §5.7).
   */
  proxyPort?: number;
}

export function buildSeatbeltPolicy(perms: ResolvedPermissions, fs: FsInspector, opts: SeatbeltOptions = {}): SeatbeltPolicy {
  const proxyPort = opts.proxyPort;
  const fsp = perms.fileSystem;
  const ownsFs = fsp.kind === 'restricted';
  const fullRead = !ownsFs || fsp.fullDiskRead;
  const fullWrite = !ownsFs || fsp.fullDiskWrite;
  const params = new ParamTable();
  const sections: string[] = [BASE_POLICY];

  // ---- writable roots (canonical, de-duplicated) ----
  const writeRoots: WriteRoot[] = [];
  if (!fullWrite) {
    const carveOuts = uniq(fsp.writableRoots.flatMap((r) => r.readOnlySubpaths.flatMap((s) => protectedSpellings(fs, s))));
    for (const wr of fsp.writableRoots) {
      const path = canonicalPath(fs, wr.root);
      let root = writeRoots.find((r) => r.path === path);
      if (root === undefined) {
        const kind = fs.kind(path);
        root = { path, isFile: kind !== 'dir' && kind !== 'missing', excluded: [], protectedPaths: [] };
        writeRoots.push(root);
      }
      // A carve-out applies to every writable root that contains it (a `.git` pointer's gitdir may
      // live under another writable root).
      root.excluded = uniq([...root.excluded, ...carveOuts.filter((c) => c !== path && isAtOrBelow(c, path))]);
      const current = root;
      const metadata = wr.protectedMetadataNames.map((n) => posix.join(path, n)).filter((m) => !current.excluded.includes(m));
      root.protectedPaths = uniq([...root.protectedPaths, ...metadata]);
    }
  }

  // ---- read ----
  if (fullRead) {
    sections.push('; read: everything\n(allow file-read*)');
  } else {
    const candidates = uniq([...fsp.readableRoots.map((r) => canonicalPath(fs, r)), ...writeRoots.map((r) => r.path)]);
    const readRoots = candidates.filter((c) => !candidates.some((o) => o !== c && isAtOrBelow(c, o)));
    if (readRoots.length > 0) {
      const parts = readRoots.map((r, i) => `(subpath ${params.add(`READABLE_ROOT_${i}`, r)})`);
      sections.push(`; read: listed roots\n(allow file-read*\n ${parts.join('\n ')})`);
      // realpath(3), getcwd fallbacks and Node's module resolver lstat every component of a path:
      // without metadata on the directories above a readable root, `node script.js` in a readable
      // project fails. Metadata only (stat, readlink): no listing, no contents.
      const ancestors = uniq(readRoots.flatMap((r) => dirsBetween('/', r)));
      if (ancestors.length > 0) {
        const refs = ancestors.map((a, k) => `(literal ${params.add(`READABLE_ANCESTOR_${k}`, a)})`);
        sections.push(`(allow file-read-metadata\n ${refs.join('\n ')})`);
      }
    }
  }

  // ---- write ----
  const unlinkGuards: string[] = [];
  const rootRefs: string[] = [];
  if (fullWrite) {
    sections.push('; write: everything\n(allow file-write*)');
  } else if (writeRoots.length > 0) {
    const parts = writeRoots.map((root, i) => {
      const name = `WRITABLE_ROOT_${i}`;
      // A writable *file* is granted as a literal: with `subpath`, replacing it by a directory would
      // make a whole new tree writable.
      const rootRef = params.add(name, root.path);
      rootRefs.push(rootRef);
      const grant = `(${root.isFile ? 'literal' : 'subpath'} ${rootRef})`;
      // The sandbox must not delete or rename its own authority boundary (Codex seatbelt.rs test
      // `seatbelt_prevents_writable_root_replacement`).
      if (!root.isFile) unlinkGuards.push(`(literal ${rootRef})`, `(regex #"${caseInsensitivePathRegex(root.path, true)}")`);
      const nots: string[] = [];
      // Exclude the exact path and everything below: `subpath` alone leaves first-time creation of
      // the excluded directory itself (`mkdir .codex`) open.
      // Plus the same path in any letter case (`.GIT`, `.Codex`): see caseInsensitivePathRegex.
      root.excluded.forEach((e, j) => {
        const p = params.add(`${name}_EXCLUDED_${j}`, e);
        nots.push(`(require-not (literal ${p}))`, `(require-not (subpath ${p}))`, `(require-not (regex #"${caseInsensitivePathRegex(e)}"))`);
      });
      root.protectedPaths.forEach((m, j) => {
        const p = params.add(`${name}_PROTECTED_${j}`, m);
        nots.push(`(require-not (literal ${p}))`, `(require-not (subpath ${p}))`, `(require-not (regex #"${caseInsensitivePathRegex(m)}"))`);
      });
      return nots.length === 0 ? grant : `(require-all ${grant}\n  ${nots.join('\n  ')})`;
    });
    sections.push(`; write: listed roots minus protected paths\n(allow file-write*\n ${parts.join('\n ')})`);
  }

  // ---- network ----
  if (proxyPort !== undefined) {
    if (!Number.isInteger(proxyPort) || proxyPort < 1 || proxyPort > 65535) throw new RangeError(`proxy port ${proxyPort} is not a TCP port`);
    sections.push(`; network: only the filtering proxy on the host's loopback\n(allow network-outbound (remote ip "localhost:${proxyPort}"))`);
  } else if (perms.network === 'enabled') {
    sections.push(NETWORK_ENABLED_POLICY);
    const sock = opts.sshAuthSock;
    const extra = sock !== undefined && posix.isAbsolute(sock) ? [params.add('SSH_AUTH_SOCK', canonicalPath(fs, sock))] : [];
    sections.push(unixSocketPolicy(fullWrite ? ['"/"'] : rootRefs, extra));
  }

  // ---- preferences / platform defaults ----
  if (fullRead) sections.push(PREFERENCES_POLICY);
  else if (fsp.includePlatformDefaults) sections.push(PLATFORM_DEFAULTS_POLICY);

  // ---- trailing denies (must stay after every allow) ----
  const guardedDirs = new Set(writeRoots.map((r) => r.path));
  const containingRoots = (target: string): string[] =>
    fullWrite ? ['/'] : writeRoots.filter((r) => r.path !== target && isAtOrBelow(target, r.path)).map((r) => r.path);
  const addGuards = (prefix: string, dirs: string[]): void => {
    let k = 0;
    for (const d of dirs) {
      if (guardedDirs.has(d) || d === '/') continue;
      guardedDirs.add(d);
      unlinkGuards.push(`(literal ${params.add(`${prefix}_${k++}`, d)})`, `(regex #"${caseInsensitivePathRegex(d, true)}")`);
    }
  };

  const unreadable = uniq(fsp.unreadableRoots.flatMap((r) => protectedSpellings(fs, r)));

  // Renaming a directory between a writable root and a protected path moves the protected path
  // to a new name that no rule covers: forbid unlink/rename of those directories.
  const protectedTargets = uniq([...writeRoots.flatMap((r) => [...r.excluded, ...r.protectedPaths]), ...unreadable]);
  addGuards(
    'PROTECTED_ANCESTOR',
    uniq(protectedTargets.flatMap((t) => containingRoots(t).flatMap((root) => dirsBetween(root, t)))),
  );

  if (unreadable.length > 0) {
    const refs = unreadable.map((u, k) => params.add(`UNREADABLE_ROOT_${k}`, u));
    const anyCase = uniq(unreadable.map((u) => `(regex #"${caseInsensitivePathRegex(u)}")`));
    sections.push(`; deny-read paths (no read, no write), in any letter case\n(deny ${DENY_READ_OPS}\n ${refs.map((r) => `(literal ${r}) (subpath ${r})`).join('\n ')}\n ${anyCase.join('\n ')})`);
  }

  if (fsp.unreadableGlobs.length > 0) {
    const regexes: string[] = [];
    const globDirs: string[] = [];
    for (const pattern of fsp.unreadableGlobs) {
      regexes.push(seatbeltRegexOrFail(pattern));
      const prefix = globStaticPrefix(pattern);
      if (prefix !== undefined) {
        // The kernel matches resolved paths: also match the canonical spelling (/tmp → /private/tmp).
        const literal = prefix.literalPath;
        const canon = literal !== undefined ? canonicalPath(fs, literal) : canonicalPath(fs, prefix.dir);
        if (canon !== (literal ?? prefix.dir)) regexes.push(seatbeltRegexOrFail(literal !== undefined ? escapeGlobLiteral(canon) : joinGlob(canon, prefix.rest)));
      }
      for (const alternative of expandBraces(pattern)) {
        const p = globStaticPrefix(alternative);
        if (p === undefined) continue;
        // Guard the static directory's ancestors and, when the pattern goes on below it, the
        // directory itself (a pattern without wildcards is the denied path itself).
        const target = p.literalPath !== undefined ? canonicalPath(fs, p.literalPath) : posix.join(canonicalPath(fs, p.dir), '*');
        globDirs.push(...containingRoots(target).flatMap((root) => dirsBetween(root, target)));
      }
    }
    sections.push(`; deny-read globs (no read, no write)\n(deny ${DENY_READ_OPS}\n ${uniq(regexes).map((r) => `(regex #"${r}")`).join('\n ')})`);
    addGuards('GLOB_ANCESTOR', uniq(globDirs));
  }

  if (unlinkGuards.length > 0) {
    sections.push(`; writable roots and ancestors of protected paths cannot be renamed or deleted\n(deny file-write-unlink (require-all (vnode-type DIRECTORY) (require-any\n ${unlinkGuards.join('\n ')})))`);
  }

  return { policy: sections.join('\n') + '\n', params: params.list() };
}

/** A malformed deny glob stops the plan (as on Linux): dropping it would silently deny nothing. */
function seatbeltRegexOrFail(pattern: string): string {
  try {
    return globToSeatbeltRegex(pattern);
  } catch (e) {
    throw new PlanError('BadGlob', (e as Error).message);
  }
}

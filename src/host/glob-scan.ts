/**
 * Bounded expansion of one deny-read glob on the host (Codex codex-rs/linux-sandbox/src/bwrap.rs
 * `expand_unreadable_globs_with_ripgrep` runs
 * `rg --files --hidden --no-ignore --max-depth N --glob <g> -- <static prefix>`, or an internal walker
 * when rg is missing). Used by the Linux and Windows planners to turn deny globs into concrete masks.
 *
 * Paths are strings in the project's surrogate-escape convention (`src/util/surrogate-escape.ts`):
 * a Unix name that is not valid UTF-8 is reported losslessly, so a mask lands on the real entry.
 */
import { SandboxError } from '../errors.js';
import { readdirSync, statSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import type { GlobScanRequest, GlobScanResult } from '../permissions/fs-facts.js';
import { bytesToPathString, hasEscapedBytes, pathStringToBytes } from '../util/surrogate-escape.js';
import { compileGlob } from '../permissions/glob-match.js';
import { globStaticPrefix, joinGlob } from '../permissions/glob-syntax.js';

export interface GlobScanOutcome extends GlobScanResult {
  /**
   * Directories below the root that could not be listed and were skipped (the host user cannot list
   * them either). Sorted.
   */
  unreadableDirs: string[];
  /**
   * Directories at the scan depth limit (`maxDepth`, when it is tighter than the pattern's own bound)
   * that were not entered: matches below them were not looked for. Sorted.
   */
  depthLimitedDirs: string[];
}

/** Thrown when a glob cannot be expanded without scanning the whole filesystem (or at all). */
export class GlobExpansionError extends SandboxError {
  readonly pattern: string;
  constructor(pattern: string, problem: string) {
    super('GlobNotExpandable', `deny-read glob \`${pattern}\` cannot be safely expanded: ${problem}`);
    this.name = 'GlobExpansionError';
    this.pattern = pattern;
  }
}

/** A path string as node:fs wants it: the exact bytes when it carries escaped (non-UTF-8) bytes. */
export function fsPathArg(path: string): string | Buffer {
  return hasEscapedBytes(path) ? pathStringToBytes(path) : path;
}

function stripTrailingSlashes(p: string): string {
  let out = p;
  while (out.length > 1 && out.endsWith('/')) out = out.slice(0, -1);
  return out;
}

interface Entry {
  name: string;
  dir: boolean;
}

/**
 * List a directory without following symlinked entries. Names come back as strings; only when a name
 * holds U+FFFD (possibly a lossy decoding of non-UTF-8 bytes) is the directory re-read as bytes.
 */
function listDir(dir: string): Entry[] {
  const arg = fsPathArg(dir);
  const dirents: Dirent[] = readdirSync(arg, { withFileTypes: true });
  if (!dirents.some((d) => d.name.includes('\uFFFD'))) {
    return dirents.map((d) => ({ name: d.name, dir: d.isDirectory() }));
  }
  const raw = readdirSync(arg, { withFileTypes: true, encoding: 'buffer' });
  return raw.map((d) => ({ name: bytesToPathString(d.name), dir: d.isDirectory() }));
}

/**
 * Expand `req.pattern` under `req.root`: every file, directory, symlink or other entry whose path
 * matches, visiting at most `req.maxDepth` levels below the root (children of the root are level 1;
 * `maxDepth` 0 visits nothing). Directory symlinks are never followed (a symlink that matches is itself a
 * match). Stops with `truncated: true` when a match beyond `req.maxMatches` is found.
 *
 * `req.root` is normally the pattern's static prefix; it may be another spelling of that directory
 * (e.g. its canonical path): the part of the pattern after its static prefix is matched below `root`,
 * and matches are reported under `root`. A missing root or a root that is not a directory yields no
 * matches. Throws GlobExpansionError when the pattern is not absolute or the root or the pattern's
 * static prefix is `/`, and GlobPatternError for a malformed pattern.
 */
export function scanGlob(req: GlobScanRequest): GlobScanOutcome {
  const { pattern } = req;
  if (!pattern.startsWith('/')) {
    throw new GlobExpansionError(pattern, 'the pattern is not absolute; resolve it against the working directory first');
  }
  const prefix = globStaticPrefix(pattern)?.dir ?? '';
  // A deny rule whose expansion would need a full-disk scan must not silently match nothing because
  // the scan was skipped or capped: fail closed so the caller refuses to launch.
  if (prefix === '/' || prefix === '') {
    throw new GlobExpansionError(
      pattern,
      'its static prefix is the filesystem root; start the pattern with a concrete directory (e.g. /home/me/project/**/*.env)',
    );
  }
  if (!req.root.startsWith('/')) {
    throw new GlobExpansionError(pattern, `the scan root \`${req.root}\` is not an absolute path`);
  }
  const root = stripTrailingSlashes(req.root);
  if (root === '/') {
    throw new GlobExpansionError(pattern, 'the scan root is the filesystem root');
  }
  // Validates the whole pattern (throws GlobPatternError) and gives the depth bound.
  const compiled = compileGlob(pattern);
  const rest = globStaticPrefix(pattern)?.rest ?? '';
  const matcher = root === compiled.staticPrefix ? compiled : compileGlob(joinGlob(root, rest));

  const result: GlobScanOutcome = { matches: [], truncated: false, visited: 0, unreadableDirs: [], depthLimitedDirs: [] };
  const depthLimit = Math.min(
    req.maxDepth ?? Number.POSITIVE_INFINITY,
    compiled.maxComponentsBelowPrefix ?? Number.POSITIVE_INFINITY,
  );
  // A file moved below the scan limit would silently escape the glob: remember where the walk stopped
  // early so callers can fail closed (only when the limit, not the pattern, ends the walk).
  const limitedByScan = (req.maxDepth ?? Number.POSITIVE_INFINITY) < (compiled.maxComponentsBelowPrefix ?? Number.POSITIVE_INFINITY);
  if (depthLimit < 1) return result;

  try {
    if (!statSync(fsPathArg(root)).isDirectory()) return result;
  } catch {
    return result;
  }

  // Iterative depth-first walk: each directory is listed once, so the cost is linear in the entries
  // visited, and there is no recursion depth to exhaust on deep trees.
  const stack: Array<{ dir: string; depth: number }> = [{ dir: root, depth: 0 }];
  outer: while (stack.length > 0) {
    const { dir, depth } = stack.pop() as { dir: string; depth: number };
    let entries: Entry[];
    try {
      entries = listDir(dir);
    } catch {
      result.unreadableDirs.push(dir);
      continue;
    }
    const childDepth = depth + 1;
    for (const entry of entries) {
      result.visited += 1;
      const path = `${dir}/${entry.name}`;
      if (matcher.match(path)) {
        if (result.matches.length >= req.maxMatches) {
          result.truncated = true;
          break outer;
        }
        result.matches.push(path);
      }
      // Dirent.isDirectory() is false for a symlink, so symlinked directories are never entered:
      // following them could leave the root or loop.
      if (entry.dir && childDepth < depthLimit) stack.push({ dir: path, depth: childDepth });
      else if (entry.dir && limitedByScan) result.depthLimitedDirs.push(path);
    }
  }
  result.matches.sort();
  result.unreadableDirs.sort();
  result.depthLimitedDirs.sort();
  return result;
}

/**
 * Tool-side read checks against resolved deny rules (Codex `ReadDenyMatcher`,
 * codex-rs/protocol/src/permissions.rs): for
 * code that reads files on the sandbox's behalf (outside the OS sandbox) and must honour deny-read.
 */
import type { Platform } from '../path-uri/index.js';
import type { FsInspector } from './fs-facts.js';
import { globToRegExp } from './glob.js';
import { nativePaths } from './native-path.js';
import type { ResolvedFileSystem } from './resolved.js';

export interface ReadDenyContext {
  platform: Platform;
  /** Absolute cwd for relative paths; without it a relative path is denied. */
  cwd?: string;
  /** Used to also check the canonical target (a symlink alias must not dodge a deny). */
  fs?: FsInspector;
}

/** Returns `isReadDenied(path)`. A pattern that does not compile makes every read denied (fail closed). */
export function createReadDenyMatcher(fileSystem: ResolvedFileSystem, ctx: ReadDenyContext): (path: string) => boolean {
  if (fileSystem.kind !== 'restricted' || (fileSystem.unreadableRoots.length === 0 && fileSystem.unreadableGlobs.length === 0)) {
    return () => false;
  }
  const paths = nativePaths(ctx.platform);
  let globs: RegExp[];
  try {
    globs = fileSystem.unreadableGlobs.map((g) => globToRegExp(g, ctx.platform));
  } catch {
    // A typo in a deny pattern must not turn into "deny nothing".
    return () => true;
  }
  const roots = fileSystem.unreadableRoots;
  const denied = (p: string): boolean => {
    if (roots.some((r) => paths.startsWith(p, r))) return true;
    const candidate = ctx.platform === 'win32' ? p.replace(/\\/g, '/') : p;
    return globs.some((g) => g.test(candidate));
  };
  return (path: string): boolean => {
    let p: string;
    if (paths.isAbsolute(path)) p = paths.normalize(path);
    else if (ctx.cwd !== undefined && paths.isAbsolute(ctx.cwd)) p = paths.join(ctx.cwd, path);
    else return true;
    if (denied(p)) return true;
    const real = ctx.fs?.realpath(p);
    return real !== undefined && denied(paths.normalize(real));
  };
}

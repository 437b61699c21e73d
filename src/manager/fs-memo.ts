/**
 * One transform asks the filesystem the same questions many times (resolution, then the planner);
 * this wrapper answers each once per call. It lives only for that call, so nothing goes stale.
 */
import type { FsInspector } from '../permissions/fs-facts.js';

export function memoizeFsInspector(fs: FsInspector): FsInspector {
  const memo = <T>(fn: (p: string) => T): ((p: string) => T) => {
    const cache = new Map<string, T>();
    return (p: string): T => {
      if (cache.has(p)) return cache.get(p) as T;
      const v = fn(p);
      cache.set(p, v);
      return v;
    };
  };
  const lstat = fs.lstat?.bind(fs);
  return {
    kind: memo((p) => fs.kind(p)),
    ...(lstat !== undefined ? { lstat: memo(lstat) } : {}),
    realpath: memo((p) => fs.realpath(p)),
    readlink: memo((p) => fs.readlink(p)),
    readSmallFile: memo((p) => fs.readSmallFile(p)),
    isEmptyDir: memo((p) => fs.isEmptyDir(p)),
    fileSize: memo((p) => fs.fileSize(p)),
    scanGlob: (req) => fs.scanGlob(req),
  };
}

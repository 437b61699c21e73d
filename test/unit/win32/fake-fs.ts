/** A fake Windows FsInspector: a set of entries (case-insensitive) and junctions mapped to targets. */
import type { FsEntryKind, FsInspector } from '../../../src/permissions/fs-facts.js';

export function fakeWindowsFs(entries: Record<string, FsEntryKind>, links: Record<string, string> = {}, unresolvable: string[] = []): FsInspector {
  const key = (p: string): string => p.toLowerCase();
  const kinds = new Map(Object.entries(entries).map(([p, k]) => [key(p), k]));
  const linkMap = new Map(Object.entries(links).map(([p, t]) => [key(p), t]));
  for (const l of linkMap.keys()) kinds.set(l, 'symlink');
  const realpath = (p: string): string | undefined => {
    if (unresolvable.some((u) => key(u) === key(p))) return undefined;
    // Resolve the longest linked prefix, then re-check the rest.
    for (const [link, target] of [...linkMap.entries()].sort((a, b) => b[0].length - a[0].length)) {
      const k = key(p);
      if (k === link || k.startsWith(link + '\\')) return realpath(target + p.slice(link.length));
    }
    const k = kinds.get(key(p));
    return k === undefined || k === 'missing' ? undefined : p;
  };
  return {
    kind: (p) => kinds.get(key(p)) ?? (realpath(p) !== undefined ? (kinds.get(key(realpath(p) ?? '')) ?? 'missing') : 'missing'),
    realpath,
    readlink: (p) => linkMap.get(key(p)),
    readSmallFile: () => undefined,
    isEmptyDir: () => undefined,
    fileSize: () => undefined,
    scanGlob: () => ({ matches: [], truncated: false, visited: 0 }),
  };
}

/**
 * Windows path text handling for the planner. Pure string work through `path.win32`, so the plan is
 * computable on any OS.
 */
import path from 'node:path';

const win = path.win32;

/** Windows' classic MAX_PATH; a process working directory must stay below it (CreateProcess limit). */
export const MAX_PATH = 260;

export type WindowsPathProblem =
  | { kind: 'ok'; path: string }
  | { kind: 'not-absolute' | 'contains-nul' | 'device-namespace' | 'invalid-character'; detail: string };

/**
 * Normalises a native Windows path: rewrites `\\?\C:\…`/`\\.\C:\…` to `C:\…` and `\\?\UNC\s\sh`/
 * `\\.\UNC\s\sh` to `\\s\sh` (as Codex's AbsolutePathBuf does), resolves `.`/`..`, turns `/` into `\`
 * and upper-cases the drive letter. Other device namespaces (`\\.\COM1`, `\\?\Volume{…}`,
 * `\\?\GLOBALROOT…`) cannot carry an ACL grant the way a directory does and are reported.
 */
export function normalizeWindowsPath(input: string): WindowsPathProblem {
  if (input.includes('\0')) return { kind: 'contains-nul', detail: 'contains a NUL character' };
  let p = input.replace(/\//g, '\\');
  const verbatimUnc = /^\\\\[?.]\\UNC\\/i;
  const verbatimDisk = /^\\\\[?.]\\([A-Za-z]:(?:\\|$))/;
  if (verbatimUnc.test(p)) p = '\\\\' + p.slice(8);
  else if (verbatimDisk.test(p)) p = p.slice(4);
  else if (/^\\\\[?.]\\/.test(p)) return { kind: 'device-namespace', detail: 'is a device namespace path, not a drive or UNC path' };
  const isDrive = /^[A-Za-z]:\\/.test(p) || /^[A-Za-z]:$/.test(p);
  const isUnc = /^\\\\[^\\]+\\[^\\]+/.test(p);
  if (!isDrive && !isUnc) return { kind: 'not-absolute', detail: 'is not an absolute drive (C:\\…) or UNC (\\\\server\\share\\…) path' };
  let out = win.normalize(isDrive && p.length === 2 ? p + '\\' : p);
  // Strip a trailing separator except on a drive root (`C:\`) or UNC share root.
  if (out.length > 3 && out.endsWith('\\') && !/^\\\\[^\\]+\\[^\\]+\\$/.test(out)) out = out.slice(0, -1);
  if (isDrive) out = out.charAt(0).toUpperCase() + out.slice(1);
  const rest = isDrive ? out.slice(3) : out.slice(2);
  // `<>"|?*` and `:` after the drive cannot appear in a Windows file name (`:` would name an
  // alternate data stream: `dir:stream` is a different object than the directory an ACL guards).
  if (/[<>"|?*:]/.test(rest)) return { kind: 'invalid-character', detail: 'contains a character Windows file names cannot hold (<>:"|?*)' };
  return { kind: 'ok', path: out };
}

/** Extended-length form for Win32 file APIs, so paths over MAX_PATH work: `\\?\C:\…`, `\\?\UNC\s\sh\…`. */
export function toExtendedLengthPath(p: string): string {
  if (p.startsWith('\\\\?\\')) return p;
  if (p.startsWith('\\\\')) return '\\\\?\\UNC\\' + p.slice(2);
  return '\\\\?\\' + p;
}

/** Comparison key: NTFS lookups are case-insensitive, so `C:\Work` and `c:\work` are one directory. */
export function pathKey(p: string): string {
  return p.toLowerCase();
}

/** True when `child` is `parent` or lies below it (case-insensitive, separator-aware). */
export function isWithin(child: string, parent: string): boolean {
  const c = pathKey(child);
  const b = pathKey(parent);
  if (c === b) return true;
  const prefix = b.endsWith('\\') ? b : b + '\\';
  return c.startsWith(prefix);
}

/** `child` relative to `parent` (assumes isWithin), '' for the same path. */
export function relativeWithin(child: string, parent: string): string {
  if (pathKey(child) === pathKey(parent)) return '';
  const start = parent.endsWith('\\') ? parent.length : parent.length + 1;
  return child.slice(start);
}

export function joinWindows(base: string, rel: string): string {
  return rel === '' ? base : win.join(base, rel);
}

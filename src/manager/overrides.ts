/**
 * Per-command adjustments a caller makes on top of a profile (`--writable-root`, `--network`,
 * `--deny-read`, and the library's spawn options of the same names). Adding writable roots widens
 * only where asked; deny-read and a network switch narrow or pick, never silently widen anything else.
 */
import { PathUri } from '../path-uri/index.js';
import type { Platform } from '../path-uri/index.js';
import type { FileSystemSandboxEntry, PermissionProfile } from '../permissions/types.js';
import { PlanError } from '../contracts/index.js';

export interface ProfileOverrides {
  /** Extra absolute directories the command may write. */
  writableRoots?: readonly string[];
  /** Override the profile's network policy. */
  network?: 'restricted' | 'enabled';
  /** Absolute paths or glob patterns that must not be readable. */
  denyRead?: readonly string[];
}

const GLOB_CHARS = /[*?[{]/;

function pathEntry(p: string, access: FileSystemSandboxEntry['access'], platform: Platform): FileSystemSandboxEntry {
  return { path: { type: 'path', path: PathUri.fromAbsPath(p, { platform }) }, access };
}

function denyEntry(p: string, platform: Platform): FileSystemSandboxEntry {
  return GLOB_CHARS.test(p) ? { path: { type: 'glob_pattern', pattern: p }, access: 'deny' } : pathEntry(p, 'deny', platform);
}

function isAbsoluteFor(p: string, platform: Platform): boolean {
  return platform === 'win32' ? /^([A-Za-z]:[\\/]|\\\\)/.test(p) : p.startsWith('/');
}

export function applyOverrides(profile: PermissionProfile, o: ProfileOverrides, platform: Platform): PermissionProfile {
  const writable = o.writableRoots ?? [];
  const deny = o.denyRead ?? [];
  for (const p of [...writable, ...deny]) {
    if (!isAbsoluteFor(p, platform)) {
      throw new PlanError('RelativePath', `path ${JSON.stringify(p)} must be absolute (resolve it against the working directory first)`);
    }
  }
  if (!writable.length && !deny.length && o.network === undefined) return profile;

  if (profile.type === 'external') {
    if (writable.length || deny.length) {
      throw new PlanError('ExternalFilesystem', 'an `external` profile leaves the filesystem to another sandbox: writable roots and deny-read rules cannot be added to it');
    }
    return { ...profile, network: o.network ?? profile.network };
  }

  let managed: Extract<PermissionProfile, { type: 'managed' }>;
  if (profile.type === 'disabled') {
    if (!deny.length && (o.network ?? 'enabled') === 'enabled') return profile;
    managed = { type: 'managed', fileSystem: { type: 'unrestricted' }, network: 'enabled' };
  } else {
    managed = profile;
  }
  let fileSystem = managed.fileSystem;
  if (deny.length && fileSystem.type === 'unrestricted') {
    // Full access with holes punched in it: `:root` write plus the deny entries.
    fileSystem = { type: 'restricted', entries: [{ path: { type: 'special', value: { kind: 'root' } }, access: 'write' }] };
  }
  if (fileSystem.type === 'restricted') {
    fileSystem = {
      ...fileSystem,
      entries: [...fileSystem.entries, ...writable.map((p) => pathEntry(p, 'write', platform)), ...deny.map((p) => denyEntry(p, platform))],
    };
  }
  return { type: 'managed', fileSystem, network: o.network ?? managed.network };
}

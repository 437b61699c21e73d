/**
 * Filesystem presets equal to Codex's `FileSystemSandboxPolicy::read_only()` and
 * `FileSystemSandboxPolicy::workspace_write(...)` (codex-rs/protocol/src/permissions.rs).
 */
import { ProfileError } from './errors.js';
import { appendDefaultReadOnlyIfNoExplicitRule } from './entry-ops.js';
import type { FsInspector } from './fs-facts.js';
import { defaultReadOnlySubpaths } from './metadata.js';
import { nativePaths } from './native-path.js';
import { inferConvention, pathUriFromNative, platformFor } from './path-text.js';
import type { FileSystemSandboxEntry, FileSystemSandboxPolicy } from './types.js';

export function readOnlyEntries(): FileSystemSandboxEntry[] {
  return [{ path: { type: 'special', value: { kind: 'root' } }, access: 'read' }];
}

export function readOnlyFileSystem(): FileSystemSandboxPolicy {
  return { kind: 'restricted', entries: readOnlyEntries() };
}

export function unrestrictedFileSystem(): FileSystemSandboxPolicy {
  return { kind: 'unrestricted', entries: [] };
}

export function externalSandboxFileSystem(): FileSystemSandboxPolicy {
  return { kind: 'external-sandbox', entries: [] };
}

/**
 * Entries, in Codex's order: `:root` read; `:project_roots` write; `:slash_tmp` write (unless
 * excluded); `:tmpdir` write (unless excluded); each explicit root write; `:project_roots` subpaths
 * `.git`, `.agents`, `.codex` as read + skip-if-missing (unless already targeted); then each explicit
 * root's existing `.git` (and gitdir target), `.agents`, `.codex` as absolute read + skip entries.
 *
 * The last step looks at the host, so it needs `fs`; without it those entries are left out (resolution
 * derives the same carve-outs for every writable root from the host anyway).
 */
export function workspaceWriteFileSystem(
  writableRoots: readonly string[],
  excludeTmpdirEnvVar: boolean,
  excludeSlashTmp: boolean,
  fs?: FsInspector,
): FileSystemSandboxPolicy {
  const entries: FileSystemSandboxEntry[] = [
    { path: { type: 'special', value: { kind: 'root' } }, access: 'read' },
    { path: { type: 'special', value: { kind: 'project_roots' } }, access: 'write' },
  ];
  if (!excludeSlashTmp) entries.push({ path: { type: 'special', value: { kind: 'slash_tmp' } }, access: 'write' });
  if (!excludeTmpdirEnvVar) entries.push({ path: { type: 'special', value: { kind: 'tmpdir' } }, access: 'write' });
  const roots = writableRoots.map((root, i) => {
    const uri = pathUriFromNative(root);
    if (uri === undefined) throw new ProfileError(`writableRoots[${i}]`, `expected an absolute path; got ${JSON.stringify(root)}`);
    return { root, uri, convention: inferConvention(root) ?? 'posix' };
  });
  for (const { uri } of roots) entries.push({ path: { type: 'path', path: uri }, access: 'write' });
  for (const name of ['.git', '.agents', '.codex']) {
    appendDefaultReadOnlyIfNoExplicitRule(entries, { type: 'special', value: { kind: 'project_roots', subpath: name } }, 'posix');
  }
  if (fs !== undefined) {
    for (const { root, convention } of roots) {
      const paths = nativePaths(platformFor(convention));
      for (const protectedPath of defaultReadOnlySubpaths(paths.normalize(root), false, paths, fs)) {
        const uri = pathUriFromNative(protectedPath);
        if (uri !== undefined) appendDefaultReadOnlyIfNoExplicitRule(entries, { type: 'path', path: uri }, convention);
      }
    }
  }
  return { kind: 'restricted', entries };
}

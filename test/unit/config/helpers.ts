import { permissionProfileToWire } from '../../../src/permissions/index.js';
import type { PermissionProfile } from '../../../src/permissions/index.js';
import type { LoadedConfig } from '../../../src/config/index.js';
import type { CodexConfig, SandboxConfig } from '../../../src/config/index.js';

/** Wire JSON of a profile: native path strings, easy to compare. */
export function wire(p: PermissionProfile): unknown {
  return JSON.parse(JSON.stringify(permissionProfileToWire(p)));
}

/** `[{path, access}]` in a compact form: `:root=read`, `/opt/x=write`, `glob:**\/*.pem=deny`. */
export function compact(p: PermissionProfile): string[] {
  const w = permissionProfileToWire(p);
  if (w.type !== 'managed' || w.file_system.type !== 'restricted') return [];
  return w.file_system.entries.map((e) => {
    const path = e.path;
    const text =
      path.type === 'path'
        ? path.path
        : path.type === 'glob_pattern'
          ? `glob:${path.pattern}`
          : `:${path.value.kind}${'subpath' in path.value && path.value.subpath !== undefined ? `/${path.value.subpath}` : ''}`;
    return `${text}=${e.access}`;
  });
}

export function loaded(parts: { project?: SandboxConfig; user?: SandboxConfig; codex?: CodexConfig[]; untrusted?: string[]; home?: string }): LoadedConfig {
  return {
    files: {},
    ...(parts.project !== undefined ? { project: parts.project } : {}),
    ...(parts.user !== undefined ? { user: parts.user } : {}),
    codexLayers: parts.codex ?? [],
    untrustedFiles: new Set(parts.untrusted ?? []),
    decisions: [],
    cwd: '/w',
    trustProjectConfig: false,
    home: parts.home ?? '/home/u',
    warnings: [],
  };
}

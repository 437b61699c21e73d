import { describe, it, expect } from 'vitest';
import { ConfigError, parseCodexConfig, parseSandboxConfig, resolveProfileName } from '../../../src/config/index.js';
import { loaded } from './helpers.js';

const OPTS = { cwd: '/work/p', platform: 'linux' as const };
const F = 'codex-sandbox.toml';
const C = 'config.toml';

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

interface Case {
  name: string;
  run: () => unknown;
  file: string;
  line: number;
  key: string;
  detail: string;
}

const sandbox = (text: string) => () => parseSandboxConfig(text, F);
const sandboxResolve = (text: string, name: string) => () => resolveProfileName(name, loaded({ user: parseSandboxConfig(text, F) }), OPTS);
const codexParse = (text: string) => () => parseCodexConfig(text, C);
const codexResolve = (text: string, name: string) => () => resolveProfileName(name, loaded({ codex: [parseCodexConfig(text, C)] }), OPTS);

const CASES: Case[] = [
  {
    name: 'network is not restricted/enabled',
    run: sandbox('[profiles.dev]\nextends = "workspace-write"\n\nnetwork = "on"\n'),
    file: F, line: 4, key: 'profiles.dev.network',
    detail: 'expected "restricted" or "enabled", got "on"',
  },
  {
    name: 'TOML syntax error',
    run: sandbox('[profiles.dev]\nnetwork = \n'),
    file: F, line: 2, key: '(document)',
    detail: 'not valid TOML: Invalid TOML document: invalid value',
  },
  {
    name: 'unknown key in a profile (a typo must not drop a restriction)',
    run: sandbox('[profiles.dev]\nextends = "read-only"\ndeny_reads = ["/x"]\n'),
    file: F, line: 3, key: 'profiles.dev.deny_reads',
    detail: 'unknown key; expected one of description, extends, network, allow_domains, deny_domains, allow_host_ports, allow_unix_sockets, allow_local_binding, writable_roots, deny_read, glob_scan_max_depth, env, permission_profile, filesystem, limits, allow_nested_userns, caches, git',
  },
  {
    name: 'profile named like a built-in',
    run: sandbox('# mine\n[profiles.workspace-write]\nnetwork = "enabled"\n'),
    file: F, line: 2, key: 'profiles.workspace-write',
    detail: 'the name "workspace-write" belongs to a built-in profile (built-ins always win); choose another name',
  },
  {
    name: 'relative writable root',
    run: sandbox('[profiles.dev]\nwritable_roots = [\n  "/ok",\n  "cache",\n]\n'),
    file: F, line: 4, key: 'profiles.dev.writable_roots[1]',
    detail: 'expected an absolute path or ~/..., got "cache"',
  },
  {
    name: 'deny_read escaping the project with ..',
    run: sandbox('[profiles.dev]\ndeny_read = ["../other"]\n'),
    file: F, line: 2, key: 'profiles.dev.deny_read[0]',
    detail: 'filesystem subpath `../other` must be a descendant path without `.` or `..` components',
  },
  {
    name: 'glob_scan_max_depth = 0',
    run: sandbox('[profiles.dev.filesystem]\n":root" = "read"\nglob_scan_max_depth = 0\n'),
    file: F, line: 3, key: 'profiles.dev.filesystem.glob_scan_max_depth',
    detail: 'must be at least 1, got 0',
  },
  {
    name: 'write access on a glob',
    run: sandbox('[profiles.dev.filesystem]\n":project_roots" = { "*.log" = "write" }\n'),
    file: F, line: 2, key: 'profiles.dev.filesystem.":project_roots"."*.log"',
    detail: 'filesystem glob path `*.log` only supports `deny` access; use an exact path or trailing `/**` for `write` subtree access',
  },
  {
    name: 'permission_profile combined with extends',
    run: sandbox('[profiles.raw]\nextends = "read-only"\npermission_profile = { type = "disabled" }\n'),
    file: F, line: 2, key: 'profiles.raw.extends',
    detail: 'cannot be combined with permission_profile (a complete Codex profile); move this setting into permission_profile or drop permission_profile',
  },
  {
    name: 'bad access inside a raw permission_profile',
    run: sandbox(
      '[profiles.raw]\npermission_profile = { type = "managed", network = "restricted", file_system = { type = "restricted", entries = [\n  { path = { type = "special", value = { kind = "root" } }, access = "rw" },\n] } }\n',
    ),
    file: F, line: 3, key: 'profiles.raw.permission_profile.file_system.entries[0].access',
    detail: 'expected one of "read", "write", "deny", "none"; got "rw"',
  },
  {
    name: 'extends an unknown profile',
    run: sandboxResolve('[profiles.dev]\nextends = "workspace"\n', 'dev'),
    file: F, line: 2, key: 'profiles.dev.extends',
    detail: 'unknown profile "workspace"; expected a built-in (read-only, workspace-write, danger-full-access) or a profile defined in this file',
  },
  {
    name: 'filesystem rules on top of danger-full-access',
    run: sandboxResolve('[profiles.dev]\nextends = "danger-full-access"\ndeny_read = ["/etc/shadow"]\n', 'dev'),
    file: F, line: 3, key: 'profiles.dev.deny_read[0]',
    detail: 'cannot add filesystem rules: the profile it extends (danger-full-access) has an unrestricted filesystem; extend "workspace-write" or "read-only" instead',
  },
  {
    name: 'env.inherit not all/core/none',
    run: sandbox('[profiles.dev]\nenv = { inherit = "some" }\n'),
    file: F, line: 2, key: 'profiles.dev.env.inherit',
    detail: 'expected "all", "core" or "none", got "some"',
  },
  {
    name: 'Codex sandbox_mode typo',
    run: codexParse('model = "o3"\nsandbox_mode = "workspace"\n'),
    file: C, line: 2, key: 'sandbox_mode',
    detail: 'expected "read-only", "workspace-write" or "danger-full-access", got "workspace"',
  },
  {
    name: 'Codex relative filesystem key',
    run: codexParse('[permissions.x.filesystem]\n"src" = "write"\n'),
    file: C, line: 2, key: 'permissions.x.filesystem.src',
    detail: 'filesystem path `src` must be absolute, use `~/...`, or start with `:`',
  },
  {
    name: 'Codex nested entries under :tmpdir',
    run: codexParse('[permissions.x.filesystem]\n":tmpdir" = { "cache" = "read" }\n'),
    file: C, line: 2, key: 'permissions.x.filesystem.":tmpdir".cache',
    detail: 'filesystem path `:tmpdir` does not support nested entries',
  },
  {
    name: 'Codex reserved profile prefix',
    run: codexParse('[permissions.":mine".filesystem]\n":root" = "read"\n'),
    file: C, line: 1, key: 'permissions.":mine"',
    detail: 'permissions profile `:mine` uses a reserved built-in profile prefix',
  },
  {
    name: 'Codex extends cycle',
    run: codexResolve('[permissions.a]\nextends = "b"\n[permissions.b]\nextends = "a"\n', 'codex:a'),
    file: C, line: 4, key: 'permissions.b.extends',
    detail: 'permissions profile extends cycle: a → b → a',
  },
  {
    name: 'Codex default_permissions naming an undefined profile',
    run: codexResolve('default_permissions = "dev"\n', 'codex'),
    file: C, line: 1, key: 'default_permissions',
    detail: 'default_permissions refers to undefined profile `dev`; define [permissions.dev] or use :read-only, :workspace or :danger-full-access',
  },
  {
    name: 'Codex extends :danger-full-access',
    run: codexResolve('[permissions.a]\nextends = ":danger-full-access"\n', 'codex:a'),
    file: C, line: 2, key: 'permissions.a.extends',
    detail: 'permissions profile `a` cannot extend `:danger-full-access`; only `:read-only` and `:workspace` can be extended',
  },
  {
    name: 'Codex unknown key in [sandbox_workspace_write]',
    run: codexParse('[sandbox_workspace_write]\nnetwork = true\n'),
    file: C, line: 2, key: 'sandbox_workspace_write.network',
    detail: 'unknown key; expected one of writable_roots, network_access, exclude_tmpdir_env_var, exclude_slash_tmp',
  },
];

describe('bad configuration files name the file, the line and the key', () => {
  it.each(CASES)('$name', (c) => {
    const e = thrown(c.run);
    expect({ file: e.file, line: e.line, key: e.key, detail: e.detail }).toEqual({ file: c.file, line: c.line, key: c.key, detail: c.detail });
    expect(e.message).toBe(`${c.file}:${c.line}: ${c.key}: ${c.detail}`);
  });
});

/**
 * macOS planner: a resolved profile becomes `/usr/bin/sandbox-exec -p <policy> -D NAME=VALUE ... --
 * command...` (Codex codex-rs/sandboxing/src/seatbelt.rs; sandbox-exec by absolute path, never from PATH).
 * Pure: filesystem facts come from `input.facts.fs`, so a darwin plan
 * can be produced and inspected on any OS (`--dry-run --platform darwin`).
 */
import { PlanError } from '../../contracts/index.js';
import type { LaunchRequest, PlanInput, Planner } from '../../contracts/index.js';
import type { ResolvedPermissions } from '../../permissions/resolved.js';
import { posix } from 'node:path';
import { canonicalPath, isAtOrBelow } from './canonical.js';
import { buildSeatbeltPolicy } from './policy.js';
import { refusePlantedSymlinks } from './symlinks.js';
import { proxyEnv } from '../../env/index.js';

/**
 * Absolute on purpose: a `sandbox-exec` planted earlier on PATH would otherwise receive the policy
 * and could simply run the command unsandboxed.
 */
export const SANDBOX_EXEC_PATH = '/usr/bin/sandbox-exec';

export const planDarwin: Planner = (input: PlanInput): LaunchRequest => {
  if (input.command.length === 0) {
    throw new PlanError('EmptyCommand', 'no command to run: pass the program and its arguments after the options');
  }
  const fsp = input.permissions.fileSystem;
  if (fsp.kind === 'restricted') {
    const check = { fs: input.facts.fs, callerUid: input.facts.darwin?.uid, allowed: new Set(input.allowSymlinkedRoots ?? []) };
    refusePlantedSymlinks(check, input.cwd, 'the working directory');
    if (!fsp.fullDiskWrite) for (const w of fsp.writableRoots) refusePlantedSymlinks(check, w.root, 'the writable root');
  }
  const proxy = input.networkProxy;
  const { policy, params } = buildSeatbeltPolicy(input.permissions, input.facts.fs, { sshAuthSock: input.env['SSH_AUTH_SOCK'], ...(proxy ? { proxyPort: proxy.port } : {}) });
  // With an allow list the proxy listens on the host's loopback: loopback is never exempt from it.
  const env: Record<string, string> = { ...input.env, CODEX_SANDBOX: 'seatbelt', ...(proxy ? proxyEnv({ port: proxy.port, hostPorts: true }) : {}) };
  if (input.permissions.network === 'restricted' && !proxy) env.CODEX_SANDBOX_NETWORK_DISABLED = '1';
  const moduleCache = clangModuleCache(input);
  if (moduleCache !== undefined) env.CLANG_MODULE_CACHE_PATH = moduleCache;

  return {
    kind: 'macos-seatbelt',
    program: SANDBOX_EXEC_PATH,
    // getopt syntax of sandbox-exec: `-D key=value` per parameter; `--` ends its options so a
    // command starting with `-` is never read as one.
    argv: ['-p', policy, ...params.flatMap(([k, v]) => ['-D', `${k}=${v}`]), '--', ...input.command],
    env,
    cwd: input.cwd,
    native: { platform: 'darwin', policy, params },
    permissions: input.permissions,
    enforcement: enforcementNotes(input.permissions, policy.length).map((n) =>
      proxy && n.startsWith('network: ') ? `network: only TCP to the filtering proxy on localhost:${proxy.port} (HTTP(S)_PROXY, ALL_PROXY set); the proxy allows only the allow list and resolves names itself` : n,
    ),
  };
};

/**
 * clang (and the Swift and Objective-C tool chains it serves) keeps its module cache in the user's
 * cache dir, /var/folders/../C/clang/ModuleCache, which no profile makes writable: a build with modules
 * fails. Making it writable would let the command plant precompiled modules that the caller's own,
 * unsandboxed compiles load (code injection into every later build), so instead the sandboxed clang
 * gets its own cache under $TMPDIR when that is writable (clang's driver reads CLANG_MODULE_CACHE_PATH,
 * clang/lib/Driver/ToolChains/Clang.cpp `getDefaultModuleCachePath`). A caller's own value is kept.
 */
function clangModuleCache(input: PlanInput): string | undefined {
  const fsp = input.permissions.fileSystem;
  const tmp = input.facts.tmpdir;
  if (tmp === undefined || input.env['CLANG_MODULE_CACHE_PATH'] !== undefined || fsp.kind !== 'restricted' || fsp.fullDiskWrite) return undefined;
  const canonTmp = canonicalPath(input.facts.fs, tmp);
  const writable = fsp.writableRoots.some((w) => isAtOrBelow(canonTmp, canonicalPath(input.facts.fs, w.root)));
  return writable ? posix.join(tmp, 'codex-sandbox-clang-module-cache') : undefined;
}

function enforcementNotes(perms: ResolvedPermissions, policyBytes: number): string[] {
  const fsp = perms.fileSystem;
  const owns = fsp.kind === 'restricted';
  const notes: string[] = [`Seatbelt policy via ${SANDBOX_EXEC_PATH} (${policyBytes} bytes); children inherit it`];
  if (!owns) notes.push(`filesystem: not restricted by this sandbox (${fsp.kind})`);
  else {
    notes.push(fsp.fullDiskRead ? 'reads: whole disk' : `reads: ${fsp.readableRoots.length} listed root(s) plus writable roots${fsp.includePlatformDefaults ? ' plus macOS system defaults (:minimal)' : ''}`);
    notes.push(
      fsp.fullDiskWrite
        ? 'writes: whole disk'
        : `writes: ${fsp.writableRoots.length} writable root(s); .git/.codex/.agents and read-only subpaths excluded, even before they exist`,
    );
    if (fsp.unreadableRoots.length > 0) notes.push(`deny-read: ${fsp.unreadableRoots.length} path(s), reads and writes refused`);
    if (fsp.unreadableGlobs.length > 0) {
      notes.push(`deny-read globs: ${fsp.unreadableGlobs.length} pattern(s) compiled to regexes, checked on every access (files created later included)`);
    }
    notes.push('renaming or deleting a writable root or a directory above a protected path is refused');
  }
  notes.push(perms.network === 'enabled' ? 'network: allowed (outbound, inbound, bind)' : 'network: denied (no connect, listen or bind; Unix-domain socket connects included)');
  notes.push('not isolated: process ids (ps/kill see other processes; signals only within this sandbox), IPC namespaces, the host name');
  notes.push('inherited file descriptors stay usable: Seatbelt checks opens, not fds passed in');
  notes.push('environment: CODEX_SANDBOX=seatbelt' + (perms.network === 'restricted' ? ', CODEX_SANDBOX_NETWORK_DISABLED=1' : ''));
  return notes;
}

/**
 * Windows planner: the unelevated restricted-token backend (Codex codex-rs/windows-sandbox-rs:
 * token.rs, acl.rs, lib.rs; what it can enforce: codex-rs/sandboxing/src/windows.rs). Pure — facts in,
 * LaunchRequest out — so `--dry-run --platform win32` shows the plan on any OS. The LaunchRequest
 * runs codex-sandbox-launcher.exe (native/win/) with the arguments built here (launcher-args.ts);
 * src/launch/windows.ts only performs the side effects the plan lists (directories, stubs, ACLs).
 */
import { PlanError } from '../../contracts/index.js';
import type { PlanErrorCode } from '../../contracts/index.js';
import type { ArgvItem, LaunchRequest, Planner, PlanInput } from '../../contracts/index.js';
import type { FsInspector } from '../../permissions/fs-facts.js';
import type { ResolvedPermissions } from '../../permissions/resolved.js';
import { batchCommandLine, cmdExePath, isBatchFile } from './batch.js';
import { buildCommandLine } from './cmdline.js';
import { applyOfflineShim, applyWindowsEnvFixups, DENY_BIN_STUBS, denyBinDirFor, environmentBlockEntries } from './env.js';
import { isFileIn, launcherArgs, resolveWindowsProgram } from './launcher-args.js';
import { MAX_PATH, isWithin, joinWindows, normalizeWindowsPath, pathKey, relativeWithin, toExtendedLengthPath } from './paths.js';
import { EVERYONE_SID, LOGON_SID_PLACEHOLDER, readonlySid, writableRootSid } from './sid.js';
import type { WindowsDenyWritePath, WindowsTokenPlan, WindowsWritableRoot } from '../../contracts/index.js';

/**
 * `lpDesktop` for the child: empty = inherit the caller's window station and desktop. Codex names
 * `Winsta0\\Default`, which only exists for an interactive session; a caller in a service session
 * (a CI runner or agent installed as a service) would hand its child a window station it cannot
 * open, and every program loading user32 would then die at start with STATUS_DLL_INIT_FAILED.
 */
const DESKTOP = '';

function cannotEnforce(code: PlanErrorCode, what: string): PlanError {
  return new PlanError(code, `windows sandbox backend cannot enforce file_system=${what}; refusing to run unsandboxed`);
}

/** Refuses what an unelevated restricted token cannot enforce (never silently unsandboxed). */
function refuseUnenforceable(perms: ResolvedPermissions): void {
  const fs = perms.fileSystem;
  if (perms.enforcement !== 'managed') {
    throw cannotEnforce('WindowsUnsupportedProfile', `${fs.kind} (profile enforcement is '${perms.enforcement}', only 'managed' profiles can be sandboxed)`);
  }
  if (fs.kind === 'external') throw cannotEnforce('WindowsUnsupportedProfile', 'external');
  if (fs.kind === 'unrestricted' || fs.fullDiskWrite) throw cannotEnforce('WindowsFullDiskWrite', 'unrestricted (full-disk write)');
  // WRITE_RESTRICTED tokens consult the restricting SIDs for writes only: reads use the user's own
  // identity, so a read restriction would silently not hold.
  if (!fs.fullDiskRead) throw cannotEnforce('WindowsRestrictedReads', 'restricted (restricted reads need the elevated backend)');
  if (fs.unreadableRoots.length > 0) {
    throw cannotEnforce('WindowsDenyRead', `restricted (deny-read paths need the elevated backend: ${fs.unreadableRoots.join(', ')})`);
  }
  if (fs.unreadableGlobs.length > 0) {
    throw cannotEnforce('WindowsDenyRead', `restricted (deny-read globs need the elevated backend: ${fs.unreadableGlobs.join(', ')})`);
  }
}

function normalizeOrThrow(p: string, what: string): string {
  const r = normalizeWindowsPath(p);
  if (r.kind === 'ok') return r.path;
  throw new PlanError('WindowsPathNotRepresentable', `${what} '${p}' ${r.detail}; the Windows sandbox can only grant access to drive or UNC paths — use one`);
}

/** Canonical form through the host's realpath (junctions/symlinks followed); lexical with a note if that fails. */
function canonicalise(fsi: FsInspector, lexical: string, what: string, notes: string[]): string {
  const real = fsi.realpath(lexical);
  if (real === undefined) {
    notes.push(`${what} ${lexical}: could not be canonicalised (realpath failed); using the lexical path`);
    return lexical;
  }
  const n = normalizeWindowsPath(real);
  if (n.kind !== 'ok') {
    notes.push(`${what} ${lexical}: realpath gave '${real}', which ${n.detail}; using the lexical path`);
    return lexical;
  }
  return n.path;
}

function commandStrings(command: ArgvItem[]): string[] {
  if (command.length === 0) throw new PlanError('EmptyCommand', 'no command given: pass the program to run and its arguments');
  return command.map((a, i) => {
    if (typeof a === 'string') return a;
    throw new PlanError('WindowsArgvNotRepresentable', `command argument ${i} is raw non-UTF-8 bytes, which a Windows command line cannot carry; pass it as text`);
  });
}

interface ActiveRoot {
  lexical: string;
  canonical: string;
  sid: string;
}

function planRoots(input: PlanInput, notes: string[]): { roots: WindowsWritableRoot[]; active: ActiveRoot[] } {
  const fsi = input.facts.fs;
  const roots: WindowsWritableRoot[] = [];
  const active: ActiveRoot[] = [];
  const seen = new Set<string>();
  for (const r of input.permissions.fileSystem.writableRoots) {
    const lexical = normalizeOrThrow(r.root, 'writable root');
    // Grants land on the real directory: a root reached through a junction or symlink is granted
    // on its target, never on whatever the link might later be re-pointed to.
    const canonical = canonicalise(fsi, lexical, 'writable root', notes);
    if (seen.has(pathKey(canonical))) continue;
    seen.add(pathKey(canonical));
    const exists = fsi.kind(canonical) !== 'missing';
    const sid = writableRootSid(canonical);
    roots.push({ path: lexical, canonicalPath: canonical, apiPath: toExtendedLengthPath(canonical), sid, exists });
    if (exists) active.push({ lexical, canonical, sid });
    else notes.push(`writable root ${lexical} does not exist: no write grant is made for it`);
  }
  refusePlantedLinkRoots(active);
  const allowed = allowedLinks(input);
  const named = new Set(input.permissions.fileSystem.writableRoots.map((r) => pathKey(normalizeOrThrow(r.root, 'writable root'))));
  for (const a of active) {
    // A link whose target is already inside another writable root, or is itself named as one, makes
    // nothing new writable (pnpm junctions; a root given in two spellings).
    if (named.has(pathKey(a.canonical))) continue;
    if (active.some((o) => o !== a && pathKey(o.canonical) !== pathKey(a.canonical) && isWithin(a.canonical, o.canonical))) continue;
    refuseLinkedPath(fsi, a.lexical, 'the writable root', allowed);
  }
  return { roots, active };
}

/** Links the caller accepted (--allow-symlinked-root), as comparison keys. */
function allowedLinks(input: PlanInput): Set<string> {
  return new Set((input.allowSymlinkedRoots ?? []).map((l) => pathKey(normalizeOrThrow(l, 'allowed symlink'))));
}

/** `C:\a\b` → [`C:\a`, `C:\a\b`]; `\\s\sh\a` → [`\\s\sh\a`] (a drive or share root is never a link we could judge). */
function pathPrefixes(p: string): string[] {
  const unc = /^(\\\\[^\\]+\\[^\\]+)(.*)$/.exec(p);
  const [base, rest] = unc ? [unc[1]!, unc[2]!] : [p.slice(0, 2), p.slice(2)];
  const out: string[] = [];
  let cur = base;
  for (const comp of rest.split('\\')) {
    if (comp === '') continue;
    cur += '\\' + comp;
    out.push(cur);
  }
  return out;
}

/**
 * The Windows form of the Linux and macOS planted-symlink rule (src/platforms/linux/plan.ts
 * `refusePlantedSymlinks`): a run can turn `ws\pkg` into a junction to `C:\Users\me` (`mklink /J`
 * needs no privilege), and a later run with cwd `ws\pkg` (a workspace-write root) would get its
 * write grant on the user's profile. Junctions and symlinks in the path of a writable root or the cwd
 * are refused unless the caller accepts the link; the planner cannot tell who made one (no owner
 * facts on Windows), so every link counts as possibly planted. Same class as CVE-2021-30465 (runc).
 */
function refuseLinkedPath(fsi: FsInspector, p: string, what: string, allowed: ReadonlySet<string>): void {
  for (const prefix of pathPrefixes(p)) {
    const kind = fsi.lstat?.(prefix)?.kind ?? fsi.kind(prefix);
    if (kind === 'missing') return;
    if (kind !== 'symlink' || allowed.has(pathKey(prefix))) continue;
    const target = fsi.realpath(prefix);
    throw new PlanError(
      'SymlinkedRoot',
      `${what} ${p} goes through the junction or symlink ${prefix} (→ ${target ?? 'a missing target'}), which a sandboxed command could have planted; ` +
        `use the resolved path${target !== undefined ? ` ${canonicalise(fsi, p, what, [])}` : ''} instead, or accept the link with --allow-symlinked-root ${prefix} (library: allowSymlinkedRoots)`,
      true,
    );
  }
}

/**
 * A writable root whose lexical path lies inside another writable root but resolves (through a
 * junction or symlink) to a directory outside every writable root. A command sandboxed under the
 * outer root can create that link itself (`mklink /J <root>\sub C:\Users\me\.ssh`); the next
 * command run with `sub` as its cwd/root would then have the grant land on the link's target.
 * Links that stay inside the writable roots (pnpm's node_modules junctions) are fine.
 */
function refusePlantedLinkRoots(active: ActiveRoot[]): void {
  for (const r of active) {
    if (pathKey(r.canonical) === pathKey(r.lexical)) continue;
    const host = active.find((o) => o !== r && pathKey(o.lexical) !== pathKey(r.lexical) && (isWithin(r.lexical, o.lexical) || isWithin(r.lexical, o.canonical)));
    if (host === undefined) continue;
    if (active.some((o) => o !== r && isWithin(r.canonical, o.canonical))) continue;
    throw new PlanError(
      'WindowsRootThroughPlantedLink',
      `writable root ${r.lexical} lies inside writable root ${host.lexical} but resolves through a link to ${r.canonical}, outside every writable root; ` +
        'a sandboxed command could have planted that link, so no write grant is made there — remove the link, or name the target directory as a writable root yourself',
    );
  }
}

/** Writable roots reopened under another root's read-only carve-out cannot be expressed with ACEs. */
function refuseReopenedRoots(perms: ResolvedPermissions): void {
  const roots = perms.fileSystem.writableRoots;
  for (const outer of roots) {
    for (const ro of outer.readOnlySubpaths) {
      for (const inner of roots) {
        if (inner !== outer && isWithin(inner.root, ro)) {
          throw cannotEnforce('WindowsReopenedWritableRoot', `restricted (writable root ${inner.root} lies inside read-only ${ro})`);
        }
      }
    }
  }
}

function planDenyPaths(
  input: PlanInput,
  active: ActiveRoot[],
  notes: string[],
): { deny: WindowsDenyWritePath[]; create: string[] } {
  const fsi = input.facts.fs;
  const deny: WindowsDenyWritePath[] = [];
  const create: string[] = [];
  const seen = new Set<string>();
  const containing = (p: string): ActiveRoot[] => active.filter((a) => isWithin(p, a.canonical));
  const add = (p: string): void => {
    const owners = containing(p);
    // Outside every writable root the path is already unwritable: no ACE needed there.
    if (owners.length === 0 || seen.has(pathKey(p))) return;
    seen.add(pathKey(p));
    deny.push({ path: p, apiPath: toExtendedLengthPath(p), sids: owners.map((o) => o.sid) });
  };
  for (const r of input.permissions.fileSystem.writableRoots) {
    const rootLex = normalizeOrThrow(r.root, 'writable root');
    const owner = active.find((a) => pathKey(a.lexical) === pathKey(rootLex));
    if (owner === undefined) continue;
    const candidates = r.readOnlySubpaths.map((s) => normalizeOrThrow(s, 'read-only path'));
    for (const name of r.protectedMetadataNames) {
      const p = joinWindows(rootLex, name);
      if (!candidates.some((c) => pathKey(c) === pathKey(p))) candidates.push(p);
    }
    for (const sub of candidates) {
      // Re-base onto the canonical root so the ACE lands inside the directory that got the grant.
      const entry = isWithin(sub, rootLex) ? joinWindows(owner.canonical, relativeWithin(sub, rootLex)) : sub;
      const kind = fsi.kind(entry);
      if (kind === 'missing') {
        // Created first so the deny ACE exists before the command could create the path itself.
        if (containing(entry).length > 0 && !create.some((c) => pathKey(c) === pathKey(entry))) create.push(entry);
      }
      // The ACE goes on the entry itself (a junction too), so the link cannot be deleted or renamed away.
      add(entry);
      if (kind === 'symlink') {
        const real = fsi.realpath(entry);
        const n = real === undefined ? undefined : normalizeWindowsPath(real);
        if (n !== undefined && n.kind === 'ok') add(n.path);
        else notes.push(`read-only path ${entry} is a link that does not resolve; only the link itself is protected`);
      }
    }
  }
  return { deny, create };
}

/**
 * The record of host changes (host-changes.ts) drives `codex-sandbox cleanup`; a command that could
 * write it could point cleanup at ACEs and directories of its choosing. When the per-user state
 * directory lies under a writable root (a whole profile made writable), it gets a deny-write ACE
 * like `.git`, created first if missing.
 */
function protectStateDir(stateDir: string | undefined, active: ActiveRoot[], deny: WindowsDenyWritePath[], create: string[], notes: string[]): void {
  if (stateDir === undefined) return;
  const n = normalizeWindowsPath(stateDir);
  if (n.kind !== 'ok') return;
  const owners = active.filter((a) => isWithin(n.path, a.canonical));
  if (owners.length === 0 || deny.some((d) => pathKey(d.path) === pathKey(n.path))) return;
  deny.push({ path: n.path, apiPath: toExtendedLengthPath(n.path), sids: owners.map((o) => o.sid) });
  if (!create.some((c) => pathKey(c) === pathKey(n.path))) create.push(n.path);
  notes.push(`the record of host changes (${n.path}) lies under a writable root: it is made read-only for the command`);
}

function enforcementLines(plan: WindowsTokenPlan, notes: string[]): string[] {
  const lines: string[] = [];
  lines.push(
    `backend: Windows unelevated restricted token (${plan.tokenFlags.join(' | ')}; restricting SIDs: ${plan.restrictingSids.join(', ')})`,
  );
  if (plan.tokenMode === 'readonly') {
    lines.push('filesystem writes: denied everywhere (read-only capability token; no write grants)');
  } else {
    const active = plan.writableRoots.filter((r) => r.exists);
    lines.push(`filesystem writes: allowed only under ${active.map((r) => r.canonicalPath).join(', ')} (ACL grant to each root's capability SID, without FILE_DELETE_CHILD)`);
  }
  lines.push('filesystem reads: not restricted (a write-restricted token checks restricting SIDs for writes only)');
  // Everyone (S-1-1-0) is one of the restricting SIDs (Codex windows-sandbox-rs token.rs), so an ACE
  // granting Everyone write access passes the restricted check as well: such directories stay writable.
  lines.push('not confined: a directory whose ACL grants Everyone write access (as some installers leave them) stays writable, as with Codex; check one with `icacls <dir>`');
  if (plan.denyWritePaths.length > 0) lines.push(`read-only inside writable roots (deny-write ACEs): ${plan.denyWritePaths.map((d) => d.path).join(', ')}`);
  if (plan.createMissingDenyDirs.length > 0) lines.push(`created as empty directories before launch so their deny ACE exists: ${plan.createMissingDenyDirs.join(', ')}`);
  if (plan.network === 'enabled') {
    lines.push('network: allowed');
  } else {
    lines.push(
      'network: NOT enforced by the OS on this backend — env-only offline shim (proxy variables → 127.0.0.1:9, pip/npm/cargo offline, git ssh disabled' +
        (plan.denyBinDir !== undefined ? `, failing ssh/scp stubs first on PATH from ${plan.denyBinDir}` : '') +
        '); a program that opens sockets itself still reaches the network',
    );
  }
  lines.push(
    plan.nulDevice
      ? 'NUL device: an allow ACE for the capability SIDs is added to its machine-wide DACL (elevated caller); `codex-sandbox cleanup` removes it'
      : 'NUL device: its DACL is not edited (needs an elevated caller; it already admits Everyone, a restricting SID of the token)',
  );
  lines.push('host changes (ACEs, created directories, stubs) are recorded in the per-user state directory; `codex-sandbox cleanup` undoes them');
  lines.push('launch: codex-sandbox-launcher.exe starts the program (found on the sandbox PATH, never in the cwd) with this token, suspended until it is in the job, with the caller\'s stdio');
  lines.push('process tree: job object with kill-on-close; timeout/kill terminates the whole job (nothing is printed)');
  return [...lines, ...notes.map((n) => `note: ${n}`)];
}

/** The launcher's file name, for a plan made on another OS (where this host's launcher path is unknown). */
const LAUNCHER_EXE = 'codex-sandbox-launcher.exe';

/**
 * What runs: codex-sandbox-launcher.exe with the program resolved on the sandbox's PATH and the
 * command line quoted once. Planned on another OS (`--dry-run --platform win32`), the Windows
 * filesystem cannot be searched: the program stays as given and a note says so.
 */
function planLauncher(input: PlanInput, argv: string[], env: Record<string, string>, cwd: string, plan: WindowsTokenPlan, notes: string[]): { program: string; args: string[] } {
  const program = argv[0] ?? '';
  const launcherExe = input.facts.windows?.launcherPath;
  let application = program;
  if (launcherExe === undefined) {
    notes.push(`planned on another OS: ${LAUNCHER_EXE} and the program ${JSON.stringify(program)} are resolved when planned on the Windows host`);
  } else {
    application = resolveWindowsProgram(program, env, cwd, isFileIn(input.facts.fs));
  }
  let commandLine: string;
  if (isBatchFile(application)) {
    // A .bat/.cmd runs through cmd.exe by its system path, quoted by cmd's rules (BatBadBut, CVE-2024-24576).
    const cmdExe = cmdExePath(input.facts.windows?.systemRoot);
    commandLine = batchCommandLine(cmdExe, application, argv.slice(1));
    notes.push(`batch file: ${application} runs through ${cmdExe} /d /v:off /s /c (arguments quoted for cmd.exe; %, !, " and line breaks are refused)`);
    application = cmdExe;
  } else {
    try {
      commandLine = buildCommandLine(argv);
    } catch (e) {
      throw new PlanError('WindowsArgvNotRepresentable', e instanceof Error ? e.message : String(e));
    }
  }
  try {
    environmentBlockEntries(env);
  } catch (e) {
    throw new PlanError('WindowsEnvNotRepresentable', e instanceof Error ? e.message : String(e));
  }
  const exe = launcherExe ?? LAUNCHER_EXE;
  return { program: exe, args: launcherArgs(exe, { application, cwd, desktop: plan.desktop, capabilitySids: plan.capabilitySids, env, commandLine }) };
}

export const planWindows: Planner = (input: PlanInput): LaunchRequest => {
  const perms = input.permissions;
  refuseUnenforceable(perms);
  refuseReopenedRoots(perms);
  const argv = commandStrings(input.command);
  const notes: string[] = [];

  const cwd = normalizeOrThrow(input.cwd, 'working directory');
  if (cwd.length >= MAX_PATH - 1) {
    throw new PlanError(
      'WindowsCwdTooLong',
      `working directory '${cwd}' is ${cwd.length} characters; Windows cannot start a process in a directory of ${MAX_PATH - 1} or more — run from a shorter path (e.g. map it with subst)`,
    );
  }

  const { roots, active } = planRoots(input, notes);
  // The cwd as well (as on Linux): in workspace-write it is a writable root; in any profile it is where relative writes land.
  // A link whose target is inside another writable root makes nothing new writable (pnpm junctions).
  const cwdReal = canonicalise(input.facts.fs, cwd, 'working directory', []);
  if (!active.some((a) => pathKey(a.canonical) !== pathKey(cwdReal) && isWithin(cwdReal, a.canonical))) {
    refuseLinkedPath(input.facts.fs, cwd, 'the working directory', allowedLinks(input));
  }
  const { deny, create } = planDenyPaths(input, active, notes);
  protectStateDir(input.facts.windows?.stateDir, active, deny, create, notes);
  const tokenMode = active.length === 0 ? 'readonly' : 'writable-roots';
  const capabilitySids = tokenMode === 'readonly' ? [readonlySid()] : active.map((a) => a.sid);

  const env = { ...input.env };
  applyWindowsEnvFixups(env);
  const restricted = perms.network === 'restricted';
  const home = input.facts.home;
  const denyBinDir = restricted ? denyBinDirFor(home) : undefined;
  if (restricted) {
    if (denyBinDir === undefined) notes.push('no home directory known: the failing ssh/scp PATH stubs of the offline shim are not installed');
    applyOfflineShim(env, denyBinDir);
  }

  const plan: WindowsTokenPlan = {
    platform: 'win32',
    backend: 'restricted-token',
    tokenMode,
    capabilitySids,
    tokenFlags: ['DISABLE_MAX_PRIVILEGE', 'LUA_TOKEN', 'WRITE_RESTRICTED'],
    restrictingSids: [...capabilitySids, LOGON_SID_PLACEHOLDER, EVERYONE_SID],
    writableRoots: roots,
    denyWritePaths: deny,
    createMissingDenyDirs: create,
    // The NUL device's DACL is machine-wide and only an elevated caller may edit it (Codex acl.rs
    // allow_null_device); a non-elevated run leaves it alone: it already admits Everyone, a
    // restricting SID of the token.
    nulDevice: input.facts.windows?.elevated === true,
    ...(input.facts.windows?.stateDir !== undefined ? { stateDir: input.facts.windows.stateDir } : {}),
    network: restricted ? 'enforced-env-shim-only' : 'enabled',
    denyBinDir,
    denyBinStubs: denyBinDir === undefined ? [] : [...DENY_BIN_STUBS],
    jobKillOnClose: true,
    desktop: DESKTOP,
    cwd,
  };

  const launcher = planLauncher(input, argv, env, cwd, plan, notes);
  return {
    kind: 'windows-token',
    program: launcher.program,
    argv: launcher.args,
    env,
    cwd,
    native: plan,
    permissions: perms,
    enforcement: enforcementLines(plan, notes),
  };
};

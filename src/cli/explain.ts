/**
 * `codex-sandbox explain [run's flags] -- CMD...`: the resolved profile with where each part came
 * from, the LaunchRequest `run` would execute, and what this platform enforces. Nothing runs.
 */
import { describeOrigin } from '../config/index.js';
import type { Origin } from '../config/index.js';
import { existsSync } from 'node:fs';
import type { EnvPolicy, GitProtection, LaunchRequest } from '../contracts/index.js';
import { PROJECT_ROOTS_GLOB_PREFIX, permissionProfileToWire } from '../permissions/index.js';
import type { FileSystemPath, FileSystemSandboxEntry, NetworkAccessPolicy, WirePermissionProfile } from '../permissions/index.js';
import type { ResolvedFileSystem } from '../permissions/resolved.js';
import { nativeFromPathUri } from '../permissions/path-text.js';
import { getLinuxHostDetails } from '../host/facts.js';
import { checkPlatformFlag, cliSandbox, effectiveProfile, planCommand, prepareCommand } from './plan-args.js';
import { checkCwdDirectory, validateLaunch } from './validate.js';
import type { EffectiveProfile, PlanFlags, PreparedCommand } from './plan-args.js';
import { UsageError } from './profile-arg.js';
import { renderLaunchRequest } from './render.js';

export interface ExplainEntry {
  access: FileSystemSandboxEntry['access'];
  path: string;
  /** Only set for entries dropped when their path is missing. */
  missingPathBehavior?: 'skip';
  origin: Origin;
  from: string;
}

/** The `--json` document (`launchRequest` is exactly what `run --dry-run --json` prints). */
export interface ExplainReport {
  command: string[];
  platform: string;
  cwd: string;
  profile: {
    name: string;
    source: string;
    chosenBy: string;
    definedAt: string;
    /** After the per-command flags, in Codex's wire shape. */
    wire: WirePermissionProfile;
  };
  entries: ExplainEntry[];
  network: { value: string; from: string };
  /** The allow list the proxy enforces (flags plus the profile's), when the network goes through it. */
  networkAccess?: NetworkAccessPolicy;
  envPolicy: { value: EnvPolicy | 'default'; from: string };
  projectRoots: string[];
  resolved: LaunchRequest['permissions'];
  /** Each writable root's existing `.git` (Linux): what git may write and what stays read-only. */
  git: GitProtection[];
  /** `--cache`: each tool's directories, writable (the rest of $HOME is not); `exists: false` ones are created before a run. */
  caches: Array<{ tool: string; dir: string; exists: boolean; from: string }>;
  enforcement: string[];
  /** Linux: the bubblewrap binary the launch uses and why it was chosen (bundled vs system). */
  bwrap?: { path: string; source: string; reason: string | null };
  warnings: string[];
  launchRequest: LaunchRequest;
}

export function pathText(p: FileSystemPath): string {
  switch (p.type) {
    case 'special': {
      const v = p.value;
      const base = v.kind === 'unknown' ? v.path : `:${v.kind}`;
      const sub = 'subpath' in v && v.subpath !== undefined ? `/${v.subpath}` : '';
      return base + sub;
    }
    case 'path':
      return nativeFromPathUri(p.path) ?? p.path.toString();
    case 'glob_pattern':
      // Relative globs from config files apply under every project root.
      return p.pattern.startsWith(PROJECT_ROOTS_GLOB_PREFIX) ? `:project_roots/${p.pattern.slice(PROJECT_ROOTS_GLOB_PREFIX.length)}` : p.pattern;
  }
}

function networkAccessFrom(prep: PreparedCommand): string {
  const flags = prep.networkAccess !== undefined && prep.choice.networkAccess === undefined;
  return flags ? '--allow-domain/--deny-domain/--allow-host-port' : `${prep.choice.origin.name}'s allow list${prep.choice.networkAccess !== prep.networkAccess ? ' plus the flags' : ''}`;
}

function renderAccess(a: NetworkAccessPolicy): string[] {
  const lines = ['network allow list (deny wins; names resolved by the proxy; loopback/private answers refused unless an IP rule allows them):'];
  for (const r of a.allow) lines.push(`  allow  ${r}`);
  for (const r of a.deny) lines.push(`  deny   ${r}`);
  for (const p of a.allowHostPorts) lines.push(`  allow  host loopback port ${p}`);
  for (const s of a.unixSockets) lines.push(`  (not enforceable on Linux, refused) unix socket ${s}`);
  if (a.allow.length === 0 && a.allowHostPorts.length === 0) lines.push('  (nothing allowed: every connection is refused and reported)');
  return lines;
}

function networkValue(e: EffectiveProfile): string {
  const p = e.profile;
  return p.type === 'disabled' ? 'enabled' : p.network;
}

export function buildExplainReport(command: string[], prep: PreparedCommand, effective: EffectiveProfile, req: LaunchRequest): ExplainReport {
  const p = effective.profile;
  const entries: ExplainEntry[] =
    p.type === 'managed' && p.fileSystem.type === 'restricted'
      ? p.fileSystem.entries.map((e, i) => {
          const origin = effective.entryOrigins[i] ?? prep.choice.origin.defined;
          return {
            access: e.access,
            path: pathText(e.path),
            ...(e.missingPathBehavior !== undefined ? { missingPathBehavior: e.missingPathBehavior } : {}),
            origin,
            from: describeOrigin(origin),
          };
        })
      : [];
  const o = prep.choice.origin;
  const warnings = [...prep.choice.loaded.warnings, ...o.warnings, ...req.permissions.warnings];
  return {
    command,
    platform: prep.platform,
    cwd: prep.cwd,
    profile: {
      name: o.name,
      source: o.source,
      chosenBy: describeOrigin(prep.choice.chosenBy),
      definedAt: describeOrigin(o.defined),
      wire: permissionProfileToWire(p),
    },
    entries,
    network: prep.networkAccess !== undefined ? { value: 'allow list (through the filtering proxy)', from: networkAccessFrom(prep) } : { value: networkValue(effective), from: describeOrigin(effective.networkOrigin) },
    ...(prep.networkAccess !== undefined ? { networkAccess: prep.networkAccess } : {}),
    envPolicy: {
      value: prep.envPolicy ?? 'default',
      from: prep.envPolicyOrigin !== undefined ? describeOrigin(prep.envPolicyOrigin) : 'codex-sandbox default',
    },
    projectRoots: prep.projectRoots,
    resolved: req.permissions,
    git: req.kind === 'linux-bwrap' ? (req.native.git ?? []) : [],
    caches: [...prep.cacheDirs].map(([dir, c]) => ({ tool: c.tool, dir, exists: existsSync(dir), from: describeOrigin(c.origin) })),
    enforcement: req.enforcement,
    warnings: [...new Set(warnings)],
    launchRequest: req,
  };
}

function filesystemKind(p: EffectiveProfile['profile']): string {
  if (p.type === 'disabled') return 'no sandbox (disabled)';
  if (p.type === 'external') return 'left to an external sandbox';
  return p.fileSystem.type === 'unrestricted' ? 'unrestricted' : 'restricted to the entries below';
}

function renderResolved(fs: ResolvedFileSystem, openedGit: ReadonlySet<string>): string[] {
  const sub = (p: string): string => (openedGit.has(p) ? `${p} (git may write parts of it: see git below)` : p);
  const lines: string[] = [];
  if (fs.kind === 'external') return ['  (enforced by an external sandbox)'];
  if (fs.fullDiskWrite) lines.push('  write  / (the whole filesystem)');
  else if (fs.fullDiskRead) lines.push('  read   / (the whole filesystem)');
  if (fs.includePlatformDefaults && !fs.fullDiskRead) lines.push("  read   the platform's system directories (:minimal)");
  if (!fs.fullDiskRead) for (const r of fs.readableRoots) lines.push(`  read   ${r}`);
  if (!fs.fullDiskWrite) {
    for (const w of fs.writableRoots) {
      lines.push(`  write  ${w.root}`);
      if (w.readOnlySubpaths.length) lines.push(`           read-only inside: ${w.readOnlySubpaths.map(sub).join(', ')}`);
      if (w.protectedMetadataNames.length) lines.push(`           may not be created or written: ${w.protectedMetadataNames.join(', ')}`);
    }
  }
  for (const r of fs.unreadableRoots) lines.push(`  deny   ${r}`);
  for (const g of fs.unreadableGlobs) lines.push(`  deny   ${g} (glob${fs.globScanMaxDepth !== undefined ? `, scanned ${fs.globScanMaxDepth} levels deep` : ''})`);
  if (!lines.length) lines.push('  (nothing is readable)');
  return lines;
}

export function renderExplain(r: ExplainReport, effective: EffectiveProfile): string {
  const out: string[] = [];
  out.push(`profile: ${r.profile.name}`);
  out.push(`  chosen by:  ${r.profile.chosenBy}`);
  out.push(`  defined at: ${r.profile.definedAt}`);
  out.push(`  filesystem: ${filesystemKind(effective.profile)}`);
  out.push(`  network:    ${r.network.value}   (from ${r.network.from})`);
  if (r.bwrap !== undefined) out.push(`  bwrap:      ${r.bwrap.path} (${r.bwrap.source})${r.bwrap.reason !== null ? ` — ${r.bwrap.reason}` : ''}`);
  const env = r.envPolicy.value;
  out.push(`  env:        ${env === 'default' ? 'inherit all; names matching *KEY*, *SECRET*, *TOKEN* removed' : JSON.stringify(env)}   (from ${r.envPolicy.from})`);
  if (r.networkAccess !== undefined) {
    out.push('');
    out.push(...renderAccess(r.networkAccess));
  }
  if (r.entries.length) {
    out.push('');
    out.push('filesystem entries (at equal specificity deny beats write beats read):');
    const width = Math.max(...r.entries.map((e) => e.path.length));
    for (const e of r.entries) {
      out.push(`  ${e.access.padEnd(5)}  ${e.path.padEnd(width)}  from ${e.from}${e.missingPathBehavior === 'skip' ? ' (skipped if missing)' : ''}`);
    }
  }
  out.push('');
  out.push(`resolved for ${r.platform} (cwd ${r.cwd}; project roots ${r.projectRoots.join(', ')}):`);
  out.push(...renderResolved(r.resolved.fileSystem, new Set(r.git.filter((g) => g.protectedNames !== undefined || g.staged === true).map((g) => g.gitdir))));
  if (r.git.length) {
    out.push('');
    out.push('git (--git commit | read-only):');
    for (const g of r.git) {
      out.push(
        g.protectedNames !== undefined
          ? `  ${g.gitdir}: git may write it (add, commit, branch, checkout, stash); read-only and cannot be created: ${g.protectedNames.join(', ')}`
          : g.staged === true
            ? `  ${g.gitdir}: missing; a repository the run creates (git init) is staged and accepted after the run ends: repository data and a config the launcher writes; hooks and other config keys are dropped and named`
            : `  ${g.gitdir}: read-only (${g.why ?? 'git: read-only'})`,
      );
    }
  }
  if (r.caches.length) {
    out.push('');
    out.push('caches (--cache; nothing else of the home directory is writable):');
    for (const c of r.caches) out.push(`  ${c.tool.padEnd(5)}  ${c.dir}  from ${c.from}${c.exists ? '' : '  (missing: created before the command runs)'}`);
  }
  out.push('');
  out.push('launch request (what `run` executes; `--json` prints it in full):');
  out.push(...renderLaunchRequest(r.launchRequest, process.env).trimEnd().split('\n').filter((l) => !l.startsWith('warning: ')).map((l) => `  ${l}`));
  if (r.warnings.length) {
    out.push('');
    for (const w of r.warnings) out.push(`warning: ${w}`);
  }
  return out.join('\n') + '\n';
}

export function explainCommand(command: string[], flags: PlanFlags): number {
  if (!command.length) throw new UsageError('no command given: codex-sandbox explain [options] -- CMD [ARG...]');
  checkPlatformFlag(flags, true, 'explain');
  const prep = prepareCommand(flags, process.env);
  const effective = effectiveProfile(prep);
  // The input checks of a run (exit 2): explain shows what `run` would do, so it refuses what `run` refuses.
  checkCwdDirectory(flags, prep);
  const req = planCommand(cliSandbox(prep, process.env), command, prep, process.env);
  validateLaunch(flags, prep, req);
  const report = buildExplainReport(command, prep, effective, req);
  // The same cached facts the plan used (plan-args.ts cliSandbox): which bwrap, and why that one.
  const details = req.kind === 'linux-bwrap' ? getLinuxHostDetails({ env: process.env, cwd: prep.cwd }) : undefined;
  const chosen = details?.facts.bwrap;
  if (chosen !== undefined) report.bwrap = { path: chosen.path, source: chosen.source, reason: details?.selectionReason ?? null };
  process.stdout.write(flags.json === true ? JSON.stringify(report, null, 2) + '\n' : renderExplain(report, effective));
  return 0;
}

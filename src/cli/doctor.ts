/**
 * `codex-sandbox doctor [--json]`: can this host sandbox commands, and if not, what to do. The
 * verdict comes from a real sandboxed probe (a read-only run that tries to write), not only from
 * reading settings; the settings explain a failed probe.
 */
import { mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config/index.js';
import type { ConfigFileDecision } from '../config/index.js';
import { SandboxSetupError } from '../errors.js';
import { doctorBwrapReport, getHostFacts, getLinuxHostDetails } from '../host/facts.js';
import type { DoctorBwrapReport } from '../host/facts.js';
import { DEFAULT_PIDS_LIMIT } from '../contracts/index.js';
import type { BwrapSource, LaunchKind, LimitMechanism, LimitFacts } from '../contracts/index.js';
import { planLimits } from '../platforms/linux/limits.js';
import { loadNative, packageRoot } from '../native.js';
import { isUnder } from '../util/path-within.js';
import type { UsernsDiagnosis } from '../host/userns.js';

export interface ProbeReport {
  ran: boolean;
  ok: boolean;
  /** The command that ran, for copying into a shell. */
  command: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  detail: string;
}

export interface DoctorReport {
  ok: boolean;
  platform: NodeJS.Platform;
  arch: string;
  sandbox: { kind: LaunchKind | null; why: string };
  native: { loaded: boolean; error: string | null };
  launcher?: { path: string | null; error: string | null };
  bwrap?: DoctorBwrapReport;
  userns?: UsernsDiagnosis;
  seccomp?: { available: boolean; baseInstructions: number | null; restrictedInstructions: number | null; error: string | null };
  landlock?: { abi: number };
  wsl1?: boolean;
  /** Which mechanism holds each resource limit for this caller, and what is not enforced. */
  limits?: Record<'pids' | 'memory' | 'cpu', { mechanism: LimitMechanism; note: string }>;
  macos?: { sandboxExec: string; present: boolean };
  windows?: { selfTest: Record<string, unknown> | null; error: string | null };
  probe: ProbeReport;
  /** The trust decisions behind a run from this directory (see `trustReport`). */
  trust: TrustReport;
  /** One line: what works, or what to do. */
  verdict: string;
}

/** What doctor decided to trust, and why: configuration files and bwrap candidates. */
export interface TrustReport {
  /** The directory the configuration files were looked up from (doctor's cwd). */
  cwd: string;
  /** Every configuration file found: trusted, bounded (held to workspace-write) or ignored, with why. */
  configFiles: ConfigFileDecision[];
  /** A configuration file that cannot be used at all (a run from here would exit 2). */
  configError: string | null;
  /** bwrap candidates that were not used, with why (untrusted owner, inside the workspace, too old, ...). */
  bwrapSkipped: Array<{ path: string; source: string; reason: string }>;
  /** Where this codex-sandbox is installed, and what a sandbox run from `cwd` could change of it. */
  install: { packageRoot: string; insideCwd: boolean; note: string | null };
}

/**
 * The package's own files are read-only inside a sandbox whose writable root holds them, but the
 * dependencies the CLI loads from node_modules (commander, execa, ...) and node_modules/.bin links are
 * not: a command could change what the next `npx codex-sandbox` runs outside the sandbox.
 */
export function installReport(cwd: string): TrustReport['install'] {
  let root = packageRoot();
  let here = cwd;
  try {
    root = realpathSync.native(root);
    here = realpathSync.native(cwd);
  } catch {
    // keep the spelled paths
  }
  const insideCwd = root !== here && isUnder(root, here);
  const note = insideCwd
    ? `codex-sandbox is installed in ${root}, inside ${here}, which sandboxed runs from here can write: its own files stay read-only inside the sandbox, but the dependencies it loads from node_modules and node_modules/.bin/codex-sandbox do not, so a command could change what the next \`npx codex-sandbox\` runs outside the sandbox. For the CLI, install it outside the project (npm install -g codex-sandbox, or a separate tools directory).`
    : null;
  return { packageRoot: root, insideCwd, note };
}

/** Config trust for `cwd`; bwrap candidates come from the selection doctor already made. */
export function trustReport(cwd: string, env: Record<string, string | undefined>, candidates: ReadonlyArray<{ path: string; source: string; rejected?: string }>): TrustReport {
  let configFiles: ConfigFileDecision[] = [];
  let configError: string | null = null;
  try {
    configFiles = loadConfig({ cwd, env }).decisions;
  } catch (e) {
    configError = errorText(e);
  }
  const bwrapSkipped = candidates.filter((c) => c.rejected !== undefined).map((c) => ({ path: c.path, source: c.source, reason: c.rejected ?? '' }));
  return { cwd, configFiles, configError, bwrapSkipped, install: installReport(cwd) };
}

const PROBE_MARK_WROTE = 'codex-sandbox-probe: wrote outside the sandbox';
const PROBE_MARK_OK = 'codex-sandbox-probe: write refused';

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}

/** The probe command: write into `dir`, print which mark says what happened. */
function probeCommand(dir: string): { command: string[]; shown: string } {
  if (process.platform === 'win32') {
    // node, not cmd.exe: cmd would re-parse the quoted path; the file is node's own argv entry.
    const file = path.join(dir, 'probe');
    const script = `try { require('fs').writeFileSync(process.argv[1], 'x'); console.log('${PROBE_MARK_WROTE}'); } catch { console.log('${PROBE_MARK_OK}'); }`;
    return { command: [process.execPath, '-e', script, file], shown: `codex-sandbox run --profile read-only -- node -e "<write ${file}>"` };
  }
  const script = `if (echo x > "$1/probe") 2>/dev/null; then echo '${PROBE_MARK_WROTE}'; else echo '${PROBE_MARK_OK}'; fi`;
  return { command: ['/bin/sh', '-c', script, 'sh', dir], shown: `codex-sandbox run --profile read-only -- /bin/sh -c 'echo x > "$1/probe"' sh ${dir}` };
}

/**
 * Runs a tiny program under `read-only` in a fresh temp dir: it must run (namespaces, mounts,
 * seccomp, launcher / token, job, launcher all work) and its write into the temp dir must be
 * refused (the policy is enforced).
 */
async function runProbe(env: Record<string, string | undefined>): Promise<ProbeReport> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'codex-sandbox-doctor-'));
  const { command, shown } = probeCommand(dir);
  try {
    // Loaded here, not at the top: the library's execa layer is only needed by the doctor's trial runs.
    const { createSandbox } = await import('../sandbox.js');
    const sandbox = await createSandbox({ env });
    const sub = sandbox.spawn(command, 'read-only', {
      cwd: dir,
      stdin: 'ignore',
      reject: false,
      // A hung sandbox start must not hang doctor itself.
      timeout: 20_000,
      forceKillAfterDelay: 2_000,
    });
    const r = await sub;
    const stdout = typeof r.stdout === 'string' ? r.stdout : '';
    const stderr = typeof r.stderr === 'string' ? r.stderr : '';
    const exitCode = r.exitCode ?? null;
    if (r.timedOut) return { ran: true, ok: false, command: shown, exitCode, stdout, stderr, detail: 'the probe did not finish within 20 s' };
    if (stdout.includes(PROBE_MARK_WROTE)) {
      return { ran: true, ok: false, command: shown, exitCode, stdout, stderr, detail: `the probe could write ${dir} under read-only: the sandbox does not enforce its policy` };
    }
    if (exitCode === 0 && stdout.includes(PROBE_MARK_OK)) {
      return { ran: true, ok: true, command: shown, exitCode, stdout, stderr, detail: `a read-only sandboxed ${process.platform === 'win32' ? 'node' : 'shell'} ran and its write was refused` };
    }
    const why = firstLine(stderr) || r.shortMessage || `exit ${String(exitCode)}`;
    return { ran: true, ok: false, command: shown, exitCode, stdout, stderr, detail: `the sandboxed probe failed: ${why}` };
  } catch (e) {
    if (e instanceof SandboxSetupError) {
      // The launcher ran and reported the step that failed; bwrap's own message (if any) is on stderr.
      const cause = e.cause as { stderr?: unknown; stdout?: unknown } | undefined;
      const stderr = typeof cause?.stderr === 'string' ? cause.stderr : '';
      const stdout = typeof cause?.stdout === 'string' ? cause.stdout : '';
      return { ran: true, ok: false, command: shown, exitCode: 125, stdout, stderr, detail: `the sandbox could not be set up: ${firstLine(stderr) || e.detail}` };
    }
    return { ran: false, ok: false, command: shown, exitCode: null, stdout: '', stderr: '', detail: `the probe could not be planned or started: ${errorText(e)}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SKIPPED = (why: string): ProbeReport => ({ ran: false, ok: false, command: '', exitCode: null, stdout: '', stderr: '', detail: `not run: ${why}` });

const SELECTION_REASON: Record<BwrapSource, string> = {
  system: 'the first trusted bwrap on PATH with --perms',
  bundled: 'the bundled copy (digest-checked before each exec)',
  override: 'forced by CODEX_SANDBOX_BWRAP',
};

/** What each limit would be enforced with in a bubblewrap sandbox (example values for memory and CPU). */
function limitsReport(facts: LimitFacts | undefined): NonNullable<DoctorReport['limits']> {
  const { plan } = planLimits({ pids: DEFAULT_PIDS_LIMIT, memoryBytes: 1024 ** 3, cpuSeconds: 60 }, facts, 'bwrap');
  const entry = (e: typeof plan.pids): { mechanism: LimitMechanism; note: string } => ({ mechanism: e?.mechanism ?? 'none', note: e?.note ?? '' });
  return { pids: entry(plan.pids), memory: entry(plan.memory), cpu: entry(plan.cpu) };
}

async function linuxReport(env: Record<string, string | undefined>): Promise<DoctorReport> {
  const details = getLinuxHostDetails({ env });
  if (details === undefined) throw new Error('internal: no Linux host details on Linux');
  const bwrap = doctorBwrapReport(details);
  const userns = details.userns();
  let seccomp: NonNullable<DoctorReport['seccomp']>;
  if (details.nativeError !== undefined) {
    seccomp = { available: false, baseInstructions: null, restrictedInstructions: null, error: details.nativeError };
  } else {
    try {
      const addon = loadNative();
      // A BPF instruction is 8 bytes (struct sock_filter).
      seccomp = {
        available: true,
        baseInstructions: addon.seccompFilter('base').length / 8,
        restrictedInstructions: addon.seccompFilter('restricted').length / 8,
        error: null,
      };
    } catch (e) {
      seccomp = { available: false, baseInstructions: null, restrictedInstructions: null, error: errorText(e) };
    }
  }
  const f = details.facts;
  const base = {
    platform: process.platform,
    arch: process.arch,
    native: { loaded: details.nativeError === undefined, error: details.nativeError ?? null },
    launcher: { path: details.launcherError === undefined ? f.launcherPath : null, error: details.launcherError ?? null },
    bwrap,
    userns,
    seccomp,
    landlock: { abi: f.landlockAbi },
    wsl1: f.wsl1,
    limits: limitsReport(f.limits),
  };
  const kind: LaunchKind | null = f.bwrap !== undefined ? 'linux-bwrap' : null;
  const why = f.bwrap !== undefined ? `${bwrap.note}, at ${f.bwrap.path} — ${bwrap.reason ?? SELECTION_REASON[f.bwrap.source]}; plus seccomp` : (f.bwrapProblem ?? 'no usable bubblewrap');

  let fix: string | undefined;
  if (details.nativeError !== undefined) fix = `the native addon did not load: ${details.nativeError}`;
  else if (details.launcherError !== undefined) fix = `the launcher is missing: ${details.launcherError}; run \`npm rebuild codex-sandbox\``;
  else if (f.bwrap === undefined) fix = f.bwrapProblem ?? 'install bubblewrap: `sudo apt-get install bubblewrap`';
  else if (bwrap.digestVerified === false) fix = bwrap.note;

  const probe = fix === undefined ? await runProbe(env) : SKIPPED(fix);
  let verdict: string;
  if (fix !== undefined) {
    verdict = `cannot sandbox: ${fix}`;
  } else if (probe.ok) {
    verdict = `sandboxing works: ${why}`;
  } else if (!userns.ok) {
    verdict = `cannot sandbox: user namespaces are blocked (${userns.cause ?? 'unknown'}): ${userns.detail}. Fix: ${userns.fix}`;
  } else {
    verdict = `cannot sandbox: ${probe.detail}. Run \`codex-sandbox run --profile read-only -- true\` to see the full error`;
  }
  const trust = trustReport(process.cwd(), env, details.candidates);
  return { ok: fix === undefined && probe.ok, ...base, sandbox: { kind, why }, probe, trust, verdict };
}

async function darwinReport(env: Record<string, string | undefined>): Promise<DoctorReport> {
  const sandboxExec = '/usr/bin/sandbox-exec';
  let present: boolean;
  try {
    present = statSync(sandboxExec).isFile();
  } catch {
    present = false;
  }
  const probe = present ? await runProbe(env) : SKIPPED(`${sandboxExec} does not exist`);
  const why = `Seatbelt through ${sandboxExec}`;
  const verdict = !present
    ? `cannot sandbox: ${sandboxExec} is missing; it ships with macOS, so this system is damaged or not macOS`
    : probe.ok
      ? `sandboxing works: ${why}`
      : `cannot sandbox: ${probe.detail}. If this process already runs inside a sandbox (another agent, an App Sandbox), run codex-sandbox outside it`;
  return {
    ok: present && probe.ok,
    platform: process.platform,
    arch: process.arch,
    sandbox: { kind: present ? 'macos-seatbelt' : null, why },
    native: { loaded: true, error: null },
    macos: { sandboxExec, present },
    probe,
    trust: trustReport(process.cwd(), env, []),
    verdict,
  };
}

async function win32Report(env: Record<string, string | undefined>): Promise<DoctorReport> {
  let selfTest: Record<string, unknown> | null = null;
  let error: string | null = null;
  try {
    const addon = loadNative() as unknown as { winSelfTest?: () => Record<string, unknown> };
    if (typeof addon.winSelfTest !== 'function') throw new Error('the native addon has no winSelfTest (an old or foreign build): run `npm rebuild codex-sandbox`');
    selfTest = addon.winSelfTest();
  } catch (e) {
    error = errorText(e);
  }
  const tokenOk = selfTest !== null && selfTest['createRestrictedToken'] === true && selfTest['jobObject'] === true;
  const probe: ProbeReport = tokenOk ? await runProbe(env) : SKIPPED(error ?? 'restricted tokens or job objects are not available');
  // Said in the verdict itself: a user reading only the last line must not assume the network is off.
  const why = 'restricted token, ACLs and a job object (network is NOT blocked by this backend: environment-only offline shim)';
  const verdict = tokenOk && probe.ok ? `sandboxing works: ${why}` : `cannot sandbox: ${error ?? probe.detail}`;
  return {
    ok: tokenOk && probe.ok,
    platform: process.platform,
    arch: process.arch,
    sandbox: { kind: tokenOk ? 'windows-token' : null, why },
    native: { loaded: error === null, error },
    windows: { selfTest, error },
    probe,
    trust: trustReport(process.cwd(), env, []),
    verdict,
  };
}

export async function doctorReport(env: Record<string, string | undefined> = process.env): Promise<DoctorReport> {
  const facts = getHostFacts({ env });
  switch (facts.platform) {
    case 'linux':
      return linuxReport(env);
    case 'darwin':
      return darwinReport(env);
    case 'win32':
      return win32Report(env);
  }
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

export function renderDoctor(r: DoctorReport): string {
  const out: string[] = [];
  out.push(`platform:  ${r.platform} ${r.arch}`);
  out.push(`sandbox:   ${r.sandbox.kind ?? 'none'} — ${r.sandbox.why}`);
  if (r.bwrap) {
    const b = r.bwrap;
    out.push(`bwrap:     ${b.path ?? 'none'}${b.source ? ` (${b.source})` : ''}${b.version ? ` ${b.version}` : ''}`);
    out.push(`           --argv0 ${yesNo(b.argv0)}, --perms ${yesNo(b.perms)}, --ro-bind-fd ${yesNo(b.roBindFd)}, setuid ${yesNo(b.setuid)}, digest verified ${b.digestVerified === null ? 'n/a' : yesNo(b.digestVerified)}`);
    if (b.reason !== null) out.push(`           chosen: ${b.reason}`);
    for (const c of b.candidates) if (c.rejected !== undefined) out.push(`           skipped ${c.path} (${c.source}): ${c.rejected}`);
  }
  if (r.userns) {
    out.push(`userns:    ${r.userns.ok ? 'ok' : `BLOCKED (${r.userns.cause ?? 'unknown'})`} — ${r.userns.detail}`);
    if (!r.userns.ok) out.push(`           fix: ${r.userns.fix}`);
  }
  if (r.seccomp) {
    out.push(
      `seccomp:   ${r.seccomp.available ? `ok (base filter ${String(r.seccomp.baseInstructions)} BPF instructions, network filter ${String(r.seccomp.restrictedInstructions)})` : `unavailable: ${r.seccomp.error ?? ''}`}`,
    );
  }
  if (r.landlock) out.push(`landlock:  ${r.landlock.abi > 0 ? `ABI ${r.landlock.abi}` : 'not available (not needed: bubblewrap enforces the filesystem)'}`);
  if (r.wsl1 === true) out.push('wsl:       WSL1 (no user namespaces)');
  if (r.limits) {
    out.push(`limits:    processes (default ${DEFAULT_PIDS_LIMIT}): ${r.limits.pids.mechanism} — ${r.limits.pids.note}`);
    out.push(`           memory (--limit-memory, e.g. 1G): ${r.limits.memory.mechanism} — ${r.limits.memory.note}`);
    out.push(`           cpu time (--limit-cpu-seconds, e.g. 60): ${r.limits.cpu.mechanism} — ${r.limits.cpu.note}`);
  }
  if (r.launcher) out.push(`launcher:  ${r.launcher.path ?? `missing: ${r.launcher.error ?? ''}`}`);
  if (r.macos) out.push(`seatbelt:  ${r.macos.sandboxExec} ${r.macos.present ? 'present' : 'MISSING'}`);
  if (r.windows) out.push(`tokens:    ${r.windows.selfTest ? JSON.stringify(r.windows.selfTest) : `unavailable: ${r.windows.error ?? ''}`}`);
  out.push(`probe:     ${r.probe.ran ? (r.probe.ok ? 'ok' : 'FAILED') : 'skipped'} — ${r.probe.detail}`);
  out.push(...renderTrust(r.trust));
  if (r.probe.ran && !r.probe.ok && r.probe.stderr.trim() !== '') {
    for (const l of r.probe.stderr.trim().split('\n').slice(0, 5)) out.push(`           stderr: ${l}`);
  }
  out.push('');
  out.push(r.verdict);
  return out.join('\n') + '\n';
}

/** The trust lines of the text report: each configuration file and what was decided, and why. */
export function renderTrust(t: TrustReport): string[] {
  const out: string[] = [];
  if (t.configFiles.length === 0 && t.configError === null) out.push(`config:    no configuration files found from ${t.cwd}`);
  let first = true;
  for (const d of t.configFiles) {
    out.push(`${first ? 'config:    ' : '           '}${d.status} ${d.file} (${d.role}): ${d.reason}`);
    first = false;
  }
  if (t.configError !== null) out.push(`${first ? 'config:    ' : '           '}ERROR ${t.configError}`);
  if (t.install.note !== null) out.push(`install:   WARNING ${t.install.note}`);
  return out;
}

export async function doctorCommand(flags: { json?: boolean }): Promise<number> {
  const report = await doctorReport(process.env);
  process.stdout.write(flags.json === true ? JSON.stringify(report, null, 2) + '\n' : renderDoctor(report));
  return report.ok ? 0 : 1;
}

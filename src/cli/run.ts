/** `codex-sandbox run`: plan a command under a profile and run it, or print the plan. */
import { createRequire } from 'node:module';
import type * as TtyModule from 'node:tty';
import type { LaunchRequest } from '../contracts/index.js';
import { ensureCacheDirs } from '../host/caches.js';
import { loadNative } from '../native.js';
import { WindowsLaunchError } from '../launch/windows.js';
import { PlanError } from '../contracts/index.js';
import type { InheritedSandboxProcess } from '../sandbox.js';
import { proxySocketOf } from '../sandbox.js';
import type { ProxyDenial, ProxySession } from '../launch/proxy/session.js';
import { EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND, EXIT_SETUP, exitCodeForSignal } from './exit-codes.js';
import { checkPlatformFlag, cliSandbox, planCommand, prepareCommand } from './plan-args.js';
import type { PlanFlags } from './plan-args.js';
import { UsageError } from './profile-arg.js';
import { wantsTerminal, withTerminal } from './tty-plan.js';
import { rawEnv } from './raw-bytes.js';
import type { PtyRelay } from './pty-relay.js';
import { refusalLines } from './refusal-lines.js';
import { renderLaunchRequest } from './render.js';
import { checkCwdDirectory, validateLaunch } from './validate.js';

export interface RunFlags extends PlanFlags {
  dryRun?: boolean;
  /** An environment of environments.toml (`local`: here). */
  environment?: string;
  /** A terminal of its own for the command (src/cli/pty-relay.ts); undefined: when stdio is all terminals. */
  tty?: boolean;
}

/**
 * Signals the CLI passes on to the launcher, which sends SIGINT/SIGQUIT/SIGTSTP/SIGCONT/SIGWINCH to
 * the sandboxed process group and tears the sandbox down on SIGTERM/SIGHUP. The launcher is in a
 * session of its own (`detached`), so the terminal signals only this CLI: its foreground job. On macOS
 * there is no launcher: the command leads that group itself and `kill` signals the whole group
 * (src/launch/process-group.ts).
 */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
/** Unix only: on Windows kill() of any signal is TerminateProcess (and libuv emulates SIGWINCH). */
const FORWARDED_UNIX: readonly NodeJS.Signals[] = ['SIGWINCH', 'SIGCONT'];

// node:tty only where the addon has no isTerminal: it loads node:net and the whole streams stack,
// about a fifth of the Node work of `run` (issue #21).
const lazyRequire = createRequire(import.meta.url);

/** isatty(3) of fd: the addon's (Linux), else node:tty's. */
function isTerminal(fd: number): boolean {
  let native: ((fd: number) => boolean) | undefined;
  try {
    native = process.platform === 'linux' ? loadNative().isTerminal : undefined;
  } catch {
    native = undefined;
  }
  return native ? native(fd) : (lazyRequire('node:tty') as typeof TtyModule).isatty(fd);
}

/** A --cwd that is not a directory is the caller's mistake (exit 2), not a sandbox set-up failure (125). */
export async function runCommand(command: string[], flags: RunFlags): Promise<number> {
  if (!command.length) throw new UsageError('no command given: codex-sandbox run [options] -- CMD [ARG...]');
  if (flags.environment !== undefined && flags.environment !== 'local') {
    const { chooseEnvironment, runRemoteCommand } = await import('./run-remote.js');
    const spec = chooseEnvironment(flags);
    if (spec !== 'local') return runRemoteCommand(command, flags, spec);
  }
  checkPlatformFlag(flags, flags.dryRun === true, '--dry-run');
  if (flags.tty === true && flags.dryRun !== true && !isTerminal(0)) {
    throw new UsageError('--tty needs a terminal on stdin (it relays your keyboard to the command): run it from an interactive shell, or leave --tty out');
  }
  if (flags.json === true && flags.dryRun !== true) throw new UsageError('--json needs --dry-run');
  // The environment's exact bytes (Node decodes non-UTF-8 ones to U+FFFD), as the library passes them.
  const env = rawEnv(process.env);
  const prep = prepareCommand(flags, env);
  for (const w of prep.choice.loaded.warnings) process.stderr.write(`codex-sandbox: warning: ${w}\n`);

  if (flags.dryRun === true) {
    // The same input checks as a run (exit 2), on this host's plans: a plan for another OS is shown as is.
    checkCwdDirectory(flags, prep);
    const dry = cliSandbox(prep, env);
    const planned = planCommand(dry, command, prep, env);
    validateLaunch(flags, prep, planned);
    const req = flags.tty === true ? withTerminal(planned, dry.facts) : planned;
    process.stdout.write(flags.json === true ? JSON.stringify(req, null, 2) + '\n' : renderLaunchRequest(req, env));
    return 0;
  }

  checkCwdDirectory(flags, prep);
  // A missing cache directory would be left out of the plan, and the tool cannot create it in the read-only home.
  ensureCacheDirs([...prep.cacheDirs.keys()]);
  // The same Sandbox methods as the library: plan, then start; only the stdio differs (inherited).
  const sandbox = cliSandbox(prep, env);
  // With an allow list the proxy runs in this process for as long as the command does; every refusal is said on stderr.
  const proxy: ProxySession | undefined = prep.networkAccess !== undefined ? sandbox.openProxy({ networkAccess: prep.networkAccess, onNetworkDenial: reportDenial }) : undefined;
  try {
    return await runPlanned(sandbox, command, prep, flags, env, proxy);
  } finally {
    await proxy?.close();
  }
}

/** One line per refused connection: what was asked for, how, and the rule. */
export function denialLine(d: ProxyDenial): string {
  if (d.host === '') return `codex-sandbox: network: ${d.reason}\n`;
  const how = d.protocol === 'http' ? 'HTTP' : d.protocol === 'connect' ? 'CONNECT' : 'SOCKS5';
  return `codex-sandbox: network: refused ${how} ${d.host}:${d.port}: ${d.reason}${d.rule !== null ? ` (rule: ${d.rule})` : ' (add --allow-domain to allow it)'}\n`;
}

function reportDenial(d: ProxyDenial): void {
  process.stderr.write(denialLine(d));
}

async function runPlanned(sandbox: ReturnType<typeof cliSandbox>, command: string[], prep: ReturnType<typeof prepareCommand>, flags: RunFlags, env: Record<string, string | undefined>, proxy: ProxySession | undefined): Promise<number> {
  let req: LaunchRequest;
  try {
    req = planCommand(sandbox, command, prep, env, proxy !== undefined ? proxySocketOf(proxy) : undefined);
  } catch (e) {
    // The Windows planner resolves the program on the sandbox's PATH: report it as a shell would.
    if (!(e instanceof PlanError) || (e.code !== 'ProgramNotFound' && e.code !== 'ProgramIsBatchFile')) throw e;
    process.stderr.write(`codex-sandbox: ${e.message}\n`);
    return e.code === 'ProgramNotFound' ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
  }
  validateLaunch(flags, prep, req);
  const terminal = wantsTerminal(flags.tty, req, sandbox.facts, {
    // isTerminal(): asking process.stdin/stdout/stderr would build a stream for each (issue #21).
    stdin: isTerminal(0),
    stdout: isTerminal(1),
    stderr: isTerminal(2),
    foreground: () => loadNative().inForeground?.(0) ?? true,
  });
  if (terminal) req = withTerminal(req, sandbox.facts);
  // Unix: own process group, so a terminal Ctrl-C reaches only this CLI, which forwards it once.
  // Windows: the console delivers Ctrl-C to every process attached to it, the command included, and
  // `detached` would give the launcher no console at all; the CLI only keeps waiting for the status.
  const onWindows = process.platform === 'win32';
  let child: InheritedSandboxProcess;
  // --tty: the command's stdio is a new pty this process relays (src/cli/pty-relay.ts).
  // Loaded only then: a run in a script or CI pays nothing for it.
  const relay: PtyRelay | undefined = terminal ? (await import('./pty-relay.js')).PtyRelay.open() : undefined;
  let outputEnd: (tail: string | undefined) => void = () => undefined;
  const outputTail = relay ? new Promise<string | undefined>((resolve) => (outputEnd = resolve)) : undefined;
  try {
    // stderr goes through this process (and its end is read for the refusal report) unless it is a
    // terminal: a shell or editor in the sandbox must still see its terminal on fd 2.
    const relayStderr = req.kind !== 'none' && !isTerminal(2);
    child = sandbox.launchInherited(req, { detached: !onWindows, relayStderr, ttyFd: relay?.slave, outputTail });
  } catch (e) {
    relay?.close();
    // The Windows plan's side effects (ACLs) or its launcher could not be set up.
    if (!(e instanceof WindowsLaunchError)) throw e;
    process.stderr.write(`codex-sandbox: ${e.message}\n`);
    return EXIT_SETUP;
  }
  relay?.start();
  const forward = (sig: NodeJS.Signals) => (): void => {
    // On Windows kill() is TerminateProcess: the command already has the console's Ctrl-C.
    if (!onWindows || sig !== 'SIGINT') child.kill(sig);
  };
  const handlers: Array<[NodeJS.Signals, () => void]> = [...FORWARDED, ...(onWindows ? [] : FORWARDED_UNIX)].map((s) => [s, forward(s)]);
  if (relay) {
    // The inner pty's size is the window: the kernel sends SIGWINCH to the inner foreground job.
    // After a stop (`fg`): raw mode again before the command goes on.
    for (const h of handlers) {
      if (h[0] === 'SIGWINCH') h[1] = (): void => relay.resize();
      if (h[0] === 'SIGCONT') {
        h[1] = (): void => {
          // The job first, then raw mode: its continuation goes through the launcher and the sandbox.
          child.kill('SIGCONT');
          relay.resume();
        };
      }
    }
  }
  if (!onWindows) {
    // Ctrl-Z: stop the sandboxed job first, then this CLI, so the shell gets the terminal back and
    // nothing in the sandbox keeps reading the keyboard; the shell's `fg` SIGCONTs this CLI, which
    // passes SIGCONT on (FORWARDED_UNIX). SIGSTOP because Node keeps SIGTSTP caught while listening.
    // With --tty the keyboard's Ctrl-Z goes to the inner pty instead; this is a SIGTSTP sent to the CLI.
    handlers.push([
      'SIGTSTP',
      (): void => {
        child.kill('SIGTSTP');
        relay?.suspend();
        process.kill(process.pid, 'SIGSTOP');
      },
    ]);
  }
  for (const [s, h] of handlers) process.on(s, h);
  // --tty: the command's job stopped (Ctrl-Z went through the inner pty): give the caller's shell its
  // terminal back and stop as its job; `fg` continues this CLI, whose SIGCONT handler continues the job.
  relay?.watchStops(() => {
    relay.suspend();
    process.kill(process.pid, 'SIGSTOP');
  });
  try {
    return await new Promise<number>((resolve) => {
      child.once('error', (e) => {
        relay?.close();
        outputEnd(undefined);
        // The launcher itself could not be started.
        process.stderr.write(`codex-sandbox: could not start ${String(req.program)}: ${e.message}\n`);
        resolve(EXIT_SETUP);
      });
      child.once('exit', (code, signal) => {
        // The rest of the command's output first, then the terminal as it was, then our own lines.
        if (relay) void relay.finish().then(outputEnd, () => outputEnd(undefined));
        void Promise.all([child.setupStatus, child.limitHit, child.refusals]).then(([failure, hit, refusals]) => {
          // The launcher's record, not the exit code, says the sandbox was never set up: a command
          // that itself exits 125 passes through without this message.
          if (failure) {
            process.stderr.write(`codex-sandbox: ${failure.message}\n`);
            resolve(EXIT_SETUP);
            return;
          }
          // A limit the command ran into is said in one line, so a kill is never an unexplained crash.
          if (hit !== undefined) process.stderr.write(`codex-sandbox: ${hit.message}\n`);
          // What the sandbox refused, as the command's stderr names it and the plan confirms (advisory).
          for (const line of refusalLines(refusals, process.env.HOME)) process.stderr.write(`codex-sandbox: ${line}\n`);
          resolve(signal ? exitCodeForSignal(signal) : (code ?? EXIT_SETUP));
        });
      });
    });
  } finally {
    relay?.close();
    for (const [s, h] of handlers) process.off(s, h);
    // Resolves once the sandbox's cgroups are removed (at once when the launcher never started).
    await child.limitHit;
  }
}

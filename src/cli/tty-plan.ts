/** `run --tty`: which plans can give the command a terminal of its own, and the option that does it. */
import type { HostFacts, LaunchRequest } from '../contracts/index.js';
import { withInnerOptions } from '../exec-server/launch-tweaks.js';
import { UsageError } from './profile-arg.js';

/**
 * Whether `run` relays a terminal: `--tty` / `--no-tty` decide; by default yes when stdin, stdout
 * and stderr are all terminals (an interactive session: nothing is redirected, so merging stdout and
 * stderr on one pty loses nothing), this process is the terminal's foreground job (a background `&` run
 * setting raw mode would be stopped by SIGTTOU) and the plan can have it (a bubblewrap sandbox on Linux).
 */
export function wantsTerminal(flag: boolean | undefined, req: LaunchRequest, facts: HostFacts, stdio: { stdin: boolean; stdout: boolean; stderr: boolean; foreground: () => boolean }): boolean {
  if (flag !== undefined) return flag;
  return stdio.stdin && stdio.stdout && stdio.stderr && req.kind === 'linux-bwrap' && facts.linux?.launcherPath !== undefined && stdio.foreground();
}

/**
 * The plan with the launcher's inner `--ctty-job` (native/launcher/inner.cc: a new session whose
 * controlling terminal is the pty on stdin, the command a job in its foreground that Ctrl-Z can stop,
 * run_as_job). Only a bubblewrap plan has that inner
 * stage; anything else is refused before launch (exit 2) rather than run without the terminal.
 */
export function withTerminal(req: LaunchRequest, facts: HostFacts): LaunchRequest {
  const launcher = facts.linux?.launcherPath;
  if (req.kind !== 'linux-bwrap' || launcher === undefined) {
    throw new UsageError(`--tty needs a bubblewrap sandbox on Linux, and this plan is ${req.kind}: leave --tty out (the command then shares your terminal without job control)`);
  }
  return withInnerOptions(req, launcher, ['--ctty-job']);
}

/**
 * What `process/start` asks of a planned launch beyond `sandbox.spawn`: a controlling terminal for
 * `tty: true` and an argv[0] override (`arg0`). Both are options of the launcher's inner stage
 * (native/launcher/options.cc: `--ctty`, `--argv0`), inserted right after its `--inner`.
 */
import type { LaunchRequest } from '../contracts/index.js';

export type SandboxType = 'none' | 'linuxSeccomp' | 'macosSeatbelt' | 'windowsRestrictedToken';

/** Codex's `sandboxType` for a planned launch (what really runs, not what was asked). */
export function sandboxTypeOf(req: LaunchRequest): SandboxType {
  switch (req.kind) {
    case 'linux-bwrap':
    case 'linux-seccomp':
      // linux-seccomp: no mount namespace (full-disk write), but the launcher's own seccomp filter
      // (--seccomp-self) holds.
      return 'linuxSeccomp';
    case 'macos-seatbelt':
      return 'macosSeatbelt';
    case 'windows-token':
      return 'windowsRestrictedToken';
    default:
      return 'none';
  }
}

/**
 * Adds inner-stage options to a linux-bwrap plan. The inner stage is the argument `--inner` that
 * directly follows the launcher's own path (the bwrap argv before it is mount options, whose paths
 * are absolute and never the launcher's path followed by `--inner`).
 */
export function withInnerOptions(req: LaunchRequest, launcherPath: string, extra: readonly string[]): LaunchRequest {
  if (extra.length === 0) return req;
  const argv = req.argv;
  for (let i = 1; i < argv.length; i += 1) {
    if (argv[i] === '--inner' && argv[i - 1] === launcherPath) {
      return { ...req, argv: [...argv.slice(0, i + 1), ...extra, ...argv.slice(i + 1)] };
    }
  }
  throw new Error('the launch plan has no launcher inner stage to pass --ctty/--argv0 to');
}

/**
 * An unsandboxed `tty: true` command: util-linux setsid(1) with `--ctty` makes the pty on its stdin
 * the controlling terminal of a new session, then execs the command.
 */
export function withSetsidCtty(req: LaunchRequest, setsidPath: string): LaunchRequest {
  return { ...req, program: setsidPath, argv: ['--ctty', '--', req.program, ...req.argv] };
}

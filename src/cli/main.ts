#!/usr/bin/env node
/** The codex-sandbox command: run, explain, doctor, cleanup, profiles, exec-server. */
import { Command, CommanderError, Option } from 'commander';
// Each subcommand's module is imported only when that subcommand runs: start-up time is paid on
// every sandboxed command.
import { SandboxError } from '../errors.js';
import type { SandboxErrorCode } from '../errors.js';
import { VERSION } from '../version.js';
import { EXIT_SETUP, EXIT_USAGE } from './exit-codes.js';
import { rawArgv } from './raw-bytes.js';
import { addPlanOptions } from './plan-options.js';
import type { PlanFlags } from './plan-options.js';
import type { ProfilesFlags } from './profiles.js';
import type { RunFlags } from './run.js';
import type { ExecServerFlags } from '../exec-server/cli.js';

/** Errors that are the user's to fix (bad flags, profile or config): exit 2. */
const USAGE_CODES: ReadonlySet<SandboxErrorCode> = new Set<SandboxErrorCode>([
  'Usage',
  'InvalidConfig',
  'ProjectConfigBound',
  'UnknownProfile',
  'InvalidProfile',
  'NotLegacyExpressible',
]);

const PLATFORMS = ['linux', 'darwin', 'win32'];
const SUBCOMMANDS = ['run', 'explain', 'doctor', 'cleanup', 'profiles', 'exec-server'];

/**
 * The program with every subcommand, or with only `only` when that names one: `run` starts a fresh
 * Node for every sandboxed command, and defining the other subcommands' ~40 options (commander checks
 * each one's name on every parse) is paid on every start (issue #21). `help` and typos get them all.
 */
export function buildProgram(only?: string): Command {
  const program = new Command();
  program
    .name('codex-sandbox')
    .description('Run untrusted commands inside the operating system sandbox, with Codex-compatible permission profiles.')
    .version(VERSION)
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run with --help for usage)')
    .enablePositionalOptions()
    .exitOverride();
  const wanted = (name: string): boolean => only === undefined || !SUBCOMMANDS.includes(only) || only === name;

  if (wanted('run')) {
    addPlanOptions(
      program
        .command('run')
        .description("run a command in the sandbox (stdin/stdout/stderr pass through; exits with the command's status)"),
    )
      .option('-t, --tty', 'give the command a terminal of its own (a new pty relayed to yours; the default when stdin, stdout and stderr are terminals): an interactive shell gets job control (Linux)')
      .option('--no-tty', "let the command share this terminal instead (no job control; stdout and stderr stay apart)")
      .option('--dry-run', 'print the launch plan and run nothing')
      .option('--json', 'with --dry-run: print the plan as JSON')
      .addOption(new Option('--platform <platform>', 'with --dry-run: plan for another OS').choices(PLATFORMS))
      .option('--environment <id>', 'run on the exec-server <id> of environments.toml ($CODEX_HOME, or .codex/ with --trust-project-config); local: here')
      .argument('<command...>', 'the command and its arguments (put them after --)')
      .passThroughOptions()
      .action(async (command: string[], flags: RunFlags) => {
        const { runCommand } = await import('./run.js');
        process.exitCode = await runCommand(command, flags);
      });
  }

  if (wanted('explain')) {
    addPlanOptions(
      program
        .command('explain')
        .description('show the resolved profile (each entry and where it came from), the launch plan, and what this platform enforces; runs nothing'),
    )
      .option('--json', 'print everything as JSON')
      .addOption(new Option('--platform <platform>', 'explain the plan for another OS').choices(PLATFORMS))
      .argument('<command...>', 'the command and its arguments (put them after --)')
      .passThroughOptions()
      .action(async (command: string[], flags: PlanFlags) => {
        const { explainCommand } = await import('./explain.js');
        process.exitCode = explainCommand(command, flags);
      });
  }

  if (wanted('doctor')) {
    program
      .command('doctor')
      .description('check that sandboxing works here (runs a tiny sandboxed probe); exit 0 if it does, 1 with what to do if not')
      .option('--json', 'print the report as JSON')
      .action(async (flags: { json?: boolean }) => {
        const { doctorCommand } = await import('./doctor.js');
        process.exitCode = await doctorCommand(flags);
      });
  }

  if (wanted('cleanup')) {
    program
      .command('cleanup')
      .description('Windows: undo the ACLs and directories earlier runs added (recorded per user); elsewhere nothing to do')
      .option('--dry-run', 'only print what would be undone')
      .option('--json', 'print the report as JSON')
      .action(async (flags: { dryRun?: boolean; json?: boolean }) => {
        const { cleanupCommand } = await import('./cleanup.js');
        process.exitCode = cleanupCommand(flags);
      });
  }

  if (wanted('profiles')) {
    program
      .command('profiles')
      .description('list the built-in and configured profiles --profile accepts here')
      .option('--json', 'print the list as JSON')
      .option('--trust-project-config', 'trust project-level configuration files in full')
      .action(async (flags: ProfilesFlags) => {
        const { profilesCommand } = await import('./profiles.js');
        process.exitCode = profilesCommand(flags);
      });
  }

  if (wanted('exec-server')) {
    program
      .command('exec-server')
      .description("serve Codex's exec-server protocol (JSON-RPC over WebSocket or stdio); every process starts through the sandbox")
      .option('--listen <url>', 'ws://IP:PORT, stdio or stdio://', 'ws://127.0.0.1:0')
      .option('--auth-token-file <file>', 'require `Authorization: Bearer <token>` (mandatory on a non-loopback address; mode 600)')
      .option('--concurrent-requests <n>', 'requests handled at once per connection (default 1: in order)')
      .option('--default-profile <name>', 'profile for a process/start without a sandbox field (default danger-full-access, as Codex)')
      .option('--max-processes-per-session <n>', 'processes one session may hold (default 256)')
      .option('--sessions', 'Linux: run sandboxed non-tty processes of one client session in sandbox sessions, one per plan (the default; docs/sessions.md)')
      .option('--no-sessions', 'a sandbox of its own for every process (no sandbox sessions)')
      .option('--allow-domain <rule>', 'every process: network only through one filtering proxy, to this destination (repeatable; needs --default-profile read-only|workspace-write)', (v: string, p: string[]) => [...p, v], [])
      .option('--deny-domain <rule>', 'every process: refuse this destination even if allowed (repeatable)', (v: string, p: string[]) => [...p, v], [])
      .option('--allow-host-port <port>', "every process: may reach this port on the host's loopback (repeatable)", (v: string, p: string[]) => [...p, v], [])
      .option('--cache <tools>', 'every process may write these tool caches under $HOME (comma-separated, repeatable)', (v: string, p: string[]) => [...p, ...v.split(',').map((t) => t.trim()).filter((t) => t !== '')], [])
      .addOption(new Option('--git <mode>', "what git may write in a writable root's .git: commit or read-only").choices(['commit', 'read-only']))
      .addOption(new Option('--detached-session-ttl-ms <ms>').hideHelp())
      .addOption(new Option('--exited-retention-ms <ms>').hideHelp())
      .addOption(new Option('--keepalive-ms <ms>').hideHelp())
      .action(async (flags: ExecServerFlags) => {
        const { execServerCommand } = await import('../exec-server/cli.js');
        process.exitCode = await execServerCommand(flags);
      });
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  // The program has no options of its own but --help and --version: argv[2] is the subcommand.
  const program = buildProgram(argv[2]);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and --version "fail" with exit code 0; commander already printed the message.
      return e.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (e instanceof SandboxError) {
      process.stderr.write(`codex-sandbox: ${e.message}\n`);
      // A PlanError marked `usage` is a request that can never be sandboxed as written (exit 2).
      const usage = USAGE_CODES.has(e.code) || (e as { usage?: unknown }).usage === true;
      return usage ? EXIT_USAGE : EXIT_SETUP;
    }
    const err = e as Error;
    process.stderr.write(`codex-sandbox: internal error (please report it): ${err.stack ?? String(e)}\n`);
    return EXIT_SETUP;
  }
}

// Non-UTF-8 bytes in the arguments reach the command as they are, as through the library.
const argv2 = process.argv[2];
main(rawArgv(process.argv)).then(
  (code) => {
    process.exitCode = code;
    // `run` is done once main settles (command reaped, cgroups removed, stderr relayed, lines written):
    // exit now instead of Node's full environment and heap teardown, paid on every sandboxed command
    // (issue #21). Linux only: there writes to a file, pipe or terminal on fd 1/2 are synchronous, so
    // nothing written is lost (Node's process docs, "A note on process I/O"). Other subcommands may
    // still serve (exec-server) and keep Node's normal exit.
    if (argv2 === 'run' && process.platform === 'linux') process.exit(code);
  },
  (e: unknown) => {
    process.stderr.write(`codex-sandbox: ${String(e)}\n`);
    process.exitCode = EXIT_SETUP;
  },
);

/**
 * `codex-sandbox run --environment NAME`: the same command, profile and flags as a local run, started
 * on the exec-server NAME of environments.toml. Output streams through; the exit code is the command's
 * own (128+N for a signal), 127/126 when it cannot be found/executed, 125 when the environment cannot
 * be reached or the connection is lost for good, 2 for a usage error (checked before connecting).
 */
import os from 'node:os';
import { loadEnvironments, selectEnvironment } from '../config/index.js';
import type { EnvironmentSpec } from '../config/index.js';
import { connectEnvironment, ExecServerRequestError, RemoteSandbox } from '../exec-server/client/index.js';
import type { RemoteProcess } from '../exec-server/client/index.js';
import { EXIT_NOT_EXECUTABLE, EXIT_NOT_FOUND, EXIT_SETUP } from './exit-codes.js';
import { prepareCommand } from './plan-args.js';
import type { PlanFlags } from './plan-options.js';
import { UsageError } from './profile-arg.js';

/** The `run` flags this path reads (run.ts's RunFlags; not imported: run.ts imports this file). */
interface RunFlags extends PlanFlags {
  dryRun?: boolean;
  environment?: string;
}

/** The environment `--environment` names, or 'local' (run here). Throws UsageError (exit 2). */
export function chooseEnvironment(flags: RunFlags): EnvironmentSpec | 'local' {
  const id = flags.environment ?? 'local';
  const loaded = loadEnvironments({ cwd: process.cwd(), env: process.env, home: os.homedir(), trustProjectConfig: flags.trustProjectConfig === true });
  for (const w of loaded.warnings) process.stderr.write(`codex-sandbox: warning: ${w}\n`);
  return selectEnvironment(loaded, id);
}

export async function runRemoteCommand(command: string[], flags: RunFlags, spec: EnvironmentSpec): Promise<number> {
  if (flags.dryRun === true) throw new UsageError('--dry-run plans a local run; it cannot be combined with --environment');
  if (flags.platform !== undefined) throw new UsageError('--platform cannot be combined with --environment (the server plans for its own host)');
  if (flags.limitMemory !== undefined || flags.limitPids !== undefined || flags.limitCpuSeconds !== undefined) throw new UsageError('--limit-* apply to a local run; an exec-server applies its own limits');
  const prep = prepareCommand(flags, process.env);
  for (const w of prep.choice.loaded.warnings) process.stderr.write(`codex-sandbox: warning: ${w}\n`);
  let sandbox: RemoteSandbox;
  try {
    sandbox = new RemoteSandbox(await connectEnvironment(spec), spec.id);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    process.stderr.write(`codex-sandbox: environment \`${spec.id}\`: ${(e as Error).message}\n`);
    return EXIT_SETUP;
  }
  try {
    return await runOn(sandbox, command, flags, prep);
  } finally {
    await sandbox.close();
  }
}

async function runOn(sandbox: RemoteSandbox, command: string[], flags: RunFlags, prep: ReturnType<typeof prepareCommand>): Promise<number> {
  const pipeStdin = process.stdin.isTTY !== true;
  let proc: RemoteProcess;
  try {
    const params = sandbox.startParams(command, prep.choice.profile, {
      // No --cwd: the server's own working directory (this host's path may not exist there).
      ...(flags.cwd !== undefined ? { cwd: prep.cwd } : {}),
      writableRoots: prep.overrides.writableRoots,
      denyRead: prep.overrides.denyRead,
      ...(prep.overrides.network !== undefined ? { network: prep.overrides.network } : {}),
      ...(prep.envPolicy !== undefined ? { envPolicy: prep.envPolicy } : {}),
      pipeStdin,
    });
    proc = await sandbox.client.start(params, { collect: false });
  } catch (e) {
    process.stderr.write(`codex-sandbox: ${sandbox.environment}: ${(e as Error).message}\n`);
    if (e instanceof ExecServerRequestError) {
      const kind = (e.data as { kind?: unknown } | undefined)?.kind;
      if (kind === 'spawnNotFound') return EXIT_NOT_FOUND;
      if (/Permission denied|os error 13/.test(e.message)) return EXIT_NOT_EXECUTABLE;
    }
    return EXIT_SETUP;
  }
  proc.onOutput((stream, chunk) => (stream === 'stderr' ? process.stderr : process.stdout).write(chunk));
  if (pipeStdin) {
    process.stdin.on('data', (d: Buffer) => void proc.write(d).catch(() => undefined));
    process.stdin.once('end', () => void proc.closeStdin().catch(() => undefined));
  }
  // Ctrl-C → process/signal interrupt (SIGINT to the command's group); SIGTERM/SIGHUP → process/terminate.
  const handlers: Array<[NodeJS.Signals, () => void]> = [
    ['SIGINT', () => void proc.interrupt().catch(() => undefined)],
    ['SIGTERM', () => void proc.terminate().catch(() => undefined)],
    ['SIGHUP', () => void proc.terminate().catch(() => undefined)],
  ];
  for (const [s, h] of handlers) process.on(s, h);
  try {
    const r = await proc.finished;
    return r.exitCode;
  } catch (e) {
    process.stderr.write(`codex-sandbox: ${sandbox.environment}: ${(e as Error).message}\n`);
    return EXIT_SETUP;
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
    if (pipeStdin) process.stdin.destroy();
  }
}

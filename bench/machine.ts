/** Facts about the machine a run was measured on (printed with every result). */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface MachineFacts {
  cpu: string;
  cores: number;
  memGiB: number;
  os: string;
  kernel: string;
  node: string;
  bwrap: string | undefined;
  commit: string | undefined;
  /** Whether the work tree had uncommitted changes when measured. */
  dirty: boolean | undefined;
  loadAvg1m: number;
}

function tryRun(file: string, args: string[], cwd?: string): string | undefined {
  try {
    return execFileSync(file, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch {
    return undefined;
  }
}

function osName(): string {
  const release = tryRun('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']);
  return release ?? `${os.type()} ${os.release()}`;
}

export function machineFacts(bwrapPath: string | undefined, repoDir: string): MachineFacts {
  const cpus = os.cpus();
  const status = tryRun('git', ['status', '--porcelain'], repoDir);
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: osName(),
    kernel: os.release(),
    node: process.version,
    bwrap: bwrapPath !== undefined ? tryRun(bwrapPath, ['--version']) : undefined,
    commit: tryRun('git', ['rev-parse', '--short', 'HEAD'], repoDir),
    dirty: status === undefined ? undefined : status.length > 0,
    loadAvg1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}

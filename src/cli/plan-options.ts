/** The planning flags `run` and `explain` share (commander only: loaded before any subcommand). */
import { Option } from 'commander';
import type { Command } from 'commander';
import type { EnvPolicy } from '../contracts/index.js';
import type { Platform } from '../path-uri/index.js';
import { CACHE_TOOL_NAMES } from '../permissions/caches.js';

export interface PlanFlags {
  profile?: string;
  cwd?: string;
  writableRoot: string[];
  network?: boolean;
  denyRead: string[];
  allowSymlinkedRoot: string[];
  envInherit?: EnvPolicy['inherit'];
  trustProjectConfig?: boolean;
  allowNestedUserns?: boolean;
  platform?: Platform;
  json?: boolean;
  limitMemory?: string;
  limitPids?: string;
  limitCpuSeconds?: string;
  cache: string[];
  git?: 'commit' | 'read-only';
  allowDomain?: string[];
  denyDomain?: string[];
  allowHostPort?: string[];
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const collectList = (value: string, previous: string[]): string[] => [...previous, ...value.split(',').map((v) => v.trim()).filter((v) => v !== '')];

/** Options that hold one value: given twice with different values, the caller meant two things. */
const SINGLE_VALUED: ReadonlyArray<{ event: string; attr: string; flag: string }> = [
  { event: 'profile', attr: 'profile', flag: '--profile' },
  { event: 'cwd', attr: 'cwd', flag: '--cwd' },
  { event: 'network', attr: 'network', flag: '--network' },
  { event: 'no-network', attr: 'network', flag: '--no-network' },
  { event: 'env-inherit', attr: 'envInherit', flag: '--env-inherit' },
  { event: 'limit-memory', attr: 'limitMemory', flag: '--limit-memory' },
  { event: 'limit-pids', attr: 'limitPids', flag: '--limit-pids' },
  { event: 'limit-cpu-seconds', attr: 'limitCpuSeconds', flag: '--limit-cpu-seconds' },
  { event: 'platform', attr: 'platform', flag: '--platform' },
  { event: 'git', attr: 'git', flag: '--git' },
];

/**
 * Refuses a single-valued flag given twice with different values (`-p read-only -p workspace-write`,
 * `--network --no-network`): commander keeps the last one, which can silently be the wider profile.
 */
function refuseConflicts(cmd: Command): void {
  const seen = new Map<string, { flag: string; value: unknown }>();
  for (const { event, attr, flag } of SINGLE_VALUED) {
    cmd.on(`option:${event}`, (raw: unknown) => {
      const value = event === 'network' ? true : event === 'no-network' ? false : raw;
      const before = seen.get(attr);
      if (before === undefined || before.value === value) {
        seen.set(attr, { flag, value });
        return;
      }
      const show = (f: string, v: unknown): string => (typeof v === 'string' ? `${f} ${v}` : f);
      cmd.error(`error: conflicting flags: ${show(before.flag, before.value)} and ${show(flag, value)}; ${flag === before.flag ? `give ${flag} once` : 'give only one of them'}`, {
        exitCode: 2,
        code: 'codex-sandbox.conflictingFlags',
      });
    });
  }
}

/** Adds the flags `run` and `explain` share (same names, same meaning). */
export function addPlanOptions(cmd: Command): Command {
  refuseConflicts(cmd);
  return cmd
    .option('-p, --profile <profile>', 'built-in (read-only | workspace-write | danger-full-access), a configured profile, codex[:NAME], or FILE.json | FILE.toml (default: default_profile, else workspace-write)')
    .option('-C, --cwd <dir>', 'working directory of the command (default: the current directory)')
    .option('-w, --writable-root <dir>', 'an extra directory the command may write (repeatable)', collect, [])
    .option('--network', 'allow network access')
    .option('--no-network', 'block network access')
    .option('--allow-domain <rule>', 'network only through a filtering proxy, to this destination: example.com, *.example.com, 10.0.0.0/8, host:port (repeatable; Linux and macOS)', collect, [])
    .option('--deny-domain <rule>', 'refuse this destination even if allowed (same syntax; repeatable)', collect, [])
    .option('--allow-host-port <port>', "let the command reach this port on the host's loopback through the proxy (repeatable)", collect, [])
    .option('--deny-read <path|glob>', 'a path or glob the command may not read (repeatable)', collect, [])
    .option('--cache <tools>', `let the command write these tools' caches under $HOME, and nothing else of it: ${CACHE_TOOL_NAMES.join(', ')} (comma-separated, repeatable; see docs/profiles.md)`, collectList, [])
    .addOption(new Option('--git <mode>', 'commit (default): git may write an existing .git except hooks, config and the other names git runs code from; read-only: all of .git is read-only').choices(['commit', 'read-only']))
    .option('--allow-symlinked-root <link>', 'accept this symlink (one you made) in the path of the cwd or a writable root (repeatable)', collect, [])
    .addOption(new Option('--env-inherit <mode>', 'which environment variables the command inherits').choices(['all', 'core', 'none']))
    .option('--allow-nested-userns', 'let the command create nested user namespaces (unshare -U, rootless containers); denied by default on Linux')
    .option('--limit-memory <size>', 'memory of the whole sandbox, e.g. 512M or 2G (binary units)')
    .option('--limit-pids <n>', 'concurrent processes/threads of the command (default 1024; "unlimited" lifts it)')
    .option('--limit-cpu-seconds <n>', 'CPU seconds per process (SIGXCPU when reached)')
    .option('--trust-project-config', 'let profiles from project files (codex-sandbox.toml, .codex/config.toml) grant more than workspace-write');
}


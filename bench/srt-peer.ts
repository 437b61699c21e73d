/**
 * The peer, Anthropic's sandbox-runtime (`srt`, devDependency `@anthropic-ai/sandbox-runtime`), running
 * the same `/bin/true` under the closest policy to workspace-write: writes to the cwd, no network.
 * Loaded dynamically so the bench still runs (and says why) where it is not installed or cannot run.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { spawnAndWait } from './spawn-wait.js';

const SRT_PACKAGE = '@anthropic-ai/sandbox-runtime';

/** The part of srt's SandboxManager the bench uses (its library API, 0.0.78). */
interface SrtManager {
  initialize(config: unknown): Promise<void>;
  wrapWithSandbox(command: string): Promise<string>;
  cleanupAfterCommand(): void;
  reset(): Promise<void>;
}

export interface SrtPeer {
  version: string;
  /** One `srt --settings FILE /bin/true` process. */
  runCli(): Promise<void>;
  /** One library command: wrapWithSandbox('/bin/true') → spawn with a shell → wait → cleanupAfterCommand(). */
  runLibrary(): Promise<void>;
  close(): Promise<void>;
}

/** srt settings equivalent to workspace-write without network. */
export function srtSettings(cwd: string): Record<string, unknown> {
  return {
    network: { allowedDomains: [], deniedDomains: [] },
    filesystem: { denyRead: [], allowWrite: [cwd], denyWrite: [] },
  };
}

function isManager(v: unknown): v is SrtManager {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return ['initialize', 'wrapWithSandbox', 'cleanupAfterCommand', 'reset'].every((k) => typeof m[k] === 'function');
}

/** Loads and initialises srt, or returns the reason it cannot run here. */
export async function loadSrtPeer(opts: { cwd: string; workDir: string; timeoutMs: number }): Promise<SrtPeer | string> {
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = require.resolve(SRT_PACKAGE);
  } catch {
    return `${SRT_PACKAGE} is not installed (npm install -D ${SRT_PACKAGE})`;
  }
  const pkgDir = dirname(dirname(entry));
  let version = 'unknown';
  try {
    const manifest = require(join(pkgDir, 'package.json')) as { version?: unknown };
    if (typeof manifest.version === 'string') version = manifest.version;
  } catch {
    // The version is informational only.
  }
  const cli = join(dirname(entry), 'cli.js');
  const settings = srtSettings(opts.cwd);
  const settingsPath = join(opts.workDir, 'srt-settings.json');
  writeFileSync(settingsPath, JSON.stringify(settings));

  let manager: SrtManager;
  try {
    const mod = (await import(entry)) as Record<string, unknown>;
    if (!isManager(mod['SandboxManager'])) return `${SRT_PACKAGE} ${version} has no SandboxManager with the expected methods`;
    manager = mod['SandboxManager'];
    await manager.initialize(settings);
  } catch (e) {
    return `${SRT_PACKAGE} ${version} cannot start here: ${e instanceof Error ? e.message : String(e)}`;
  }
  const env = process.env;
  return {
    version,
    runCli: () =>
      spawnAndWait(process.execPath, [cli, '--settings', settingsPath, '/bin/true'], {
        cwd: opts.cwd,
        env,
        timeoutMs: opts.timeoutMs,
      }),
    runLibrary: async () => {
      const wrapped = await manager.wrapWithSandbox('/bin/true');
      try {
        await spawnAndWait('/bin/sh', ['-c', wrapped], { cwd: opts.cwd, env, timeoutMs: opts.timeoutMs });
      } finally {
        manager.cleanupAfterCommand();
      }
    },
    close: () => manager.reset(),
  };
}

/**
 * `environment/info` (Codex EnvironmentInfo). Capabilities are reported honestly: Codex's flags are
 * false for what this server does not implement (http/request, environmentConfig/read,
 * capability discovery, shell snapshots, the network proxy); this server's own extensions are true.
 */
import { homedir, tmpdir, userInfo } from 'node:os';
import { basename, isAbsolute, resolve } from 'node:path';
import { PathUri } from '../path-uri/index.js';
import type { Platform } from '../path-uri/index.js';
import { VERSION } from '../version.js';

function uri(path: string, platform: Platform): string | null {
  try {
    return PathUri.fromAbsPath(path, { platform }).toString();
  } catch {
    return null;
  }
}

function userShell(env: Record<string, string | undefined>): string {
  try {
    const s = userInfo().shell;
    if (s) return s;
  } catch {
    // no passwd entry
  }
  return env.SHELL ?? '/bin/sh';
}

const PLATFORM_OS: Record<string, string> = { linux: 'linux', darwin: 'macos', win32: 'windows' };

export function environmentInfo(env: Record<string, string | undefined>): object {
  const platform = process.platform as Platform;
  const shellPath = userShell(env);
  const cwd = process.cwd();
  const temporaryDirectories: string[] = [];
  const tmp = env.TMPDIR;
  if (tmp) {
    const abs = isAbsolute(tmp) ? tmp : resolve(cwd, tmp);
    const u = uri(abs, platform);
    if (u !== null) temporaryDirectories.push(u);
  }
  return {
    shell: { name: basename(shellPath), path: shellPath },
    cwd: uri(cwd, platform),
    temporaryDirectories,
    tempDir: uri(tmpdir(), platform),
    userHomeDir: uri(homedir(), platform),
    platformOs: PLATFORM_OS[platform] ?? platform,
    executorVersion: VERSION,
    capabilities: {
      networkProxyLaunch: false,
      capabilityDiscoverySandbox: false,
      environmentConfigRead: false,
      httpHeaderEnvVars: false,
      // fs/open with a restricting sandbox: the file is opened and read inside the fs helper.
      sandboxedFileStreaming: true,
      shellSnapshotV2: false,
      // Extensions of this server (not in Codex): `process/resize` and `process/closeStdin`.
      processResize: platform === 'linux',
      processCloseStdin: true,
    },
  };
}

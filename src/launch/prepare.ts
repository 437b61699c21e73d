/**
 * The process to start for a LaunchRequest. Linux, macOS and unsandboxed requests map to a process
 * without side effects (command.ts); a Windows request first gets its ACL grants and deny-write
 * ACEs (through the addon) and then runs through codex-sandbox-launcher.exe, which starts the
 * command under the restricted token in a kill-on-close job.
 */
import { existsSync } from 'node:fs';
import type { LaunchRequest } from '../manager/types.js';
import { launcherPath, loadNative } from '../native.js';
import { WindowsLaunchError, prepareWindowsLaunch } from '../platforms/win32/launch.js';
import type { WindowsNativeBinding } from '../platforms/win32/launch.js';
import { processSpec } from './command.js';
import type { ProcessSpec } from './command.js';

function windowsBinding(): WindowsNativeBinding {
  const addon = loadNative() as unknown as Partial<WindowsNativeBinding>;
  if (typeof addon.winApplyAcls !== 'function' || typeof addon.winSelfTest !== 'function') {
    throw new WindowsLaunchError('ENATIVE', 'the native addon has no Windows functions (an old or foreign build): run `npm rebuild codex-sandbox`');
  }
  return addon as WindowsNativeBinding;
}

export function prepareProcess(req: LaunchRequest): ProcessSpec {
  if (req.kind !== 'windows-token') return processSpec(req);
  const exe = launcherPath();
  // Never fall back to starting the command directly: that would run it unsandboxed.
  if (!existsSync(exe)) {
    throw new WindowsLaunchError('ENATIVE', `${exe} is missing, so the command cannot be sandboxed: run \`npm rebuild codex-sandbox\` (or \`npm run build:native\` in a checkout)`);
  }
  const inv = prepareWindowsLaunch(req, windowsBinding(), exe);
  for (const w of inv.warnings) process.emitWarning(w, { code: 'CODEX_SANDBOX_WINDOWS' });
  return { file: inv.file, args: inv.args, cwd: inv.cwd, env: inv.env, payload: undefined, statusFd: undefined };
}

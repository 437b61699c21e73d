/**
 * The process to start for a LaunchRequest (command.ts). A Windows request first gets the side
 * effects its plan lists — deny directories, shim stubs, ACL grants and deny-write ACEs (through the
 * addon, windows.ts) — and then runs as planned: codex-sandbox-launcher.exe starts the command under
 * the restricted token in a kill-on-close job.
 */
import { existsSync } from 'node:fs';
import type { LaunchRequest } from '../contracts/index.js';
import { loadNative } from '../native.js';
import { processSpec } from './command.js';
import type { ProcessSpec } from './command.js';
import { WindowsLaunchError, applyWindowsPlan } from './windows.js';
import type { WindowsNativeBinding } from './windows.js';

function windowsBinding(): WindowsNativeBinding {
  const addon = loadNative() as unknown as Partial<WindowsNativeBinding>;
  if (typeof addon.winApplyAcls !== 'function' || typeof addon.winSelfTest !== 'function') {
    throw new WindowsLaunchError('ENATIVE', 'the native addon has no Windows functions (an old or foreign build): run `npm rebuild codex-sandbox`');
  }
  return addon as WindowsNativeBinding;
}

export function prepareProcess(req: LaunchRequest): ProcessSpec {
  if (req.kind !== 'windows-token') return processSpec(req);
  const exe = String(req.program);
  // Never fall back to starting the command directly: that would run it unsandboxed.
  if (exe === '' || !existsSync(exe)) {
    throw new WindowsLaunchError('ENATIVE', `${exe === '' ? 'codex-sandbox-launcher.exe' : exe} is missing, so the command cannot be sandboxed: run \`npm rebuild codex-sandbox\` (or \`npm run build:native\` in a checkout)`);
  }
  for (const w of applyWindowsPlan(req, windowsBinding())) process.emitWarning(w, { code: 'CODEX_SANDBOX_WINDOWS' });
  return processSpec(req);
}

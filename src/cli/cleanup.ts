/**
 * `codex-sandbox cleanup`: undoes what earlier Windows runs recorded changing on this host (ACEs
 * on writable roots and read-only paths, the empty .git/.codex/.agents directories created, the
 * offline shim's stubs, the NUL device's ACEs for an elevated caller). Elsewhere there is nothing
 * to undo: Linux and macOS runs change nothing on the host that outlives them.
 */
import { cleanupWindowsSandboxState } from '../launch/windows-cleanup.js';
import type { WindowsCleanupReport } from '../launch/windows-cleanup.js';

export interface CleanupFlags {
  dryRun?: boolean;
  json?: boolean;
}

function print(r: WindowsCleanupReport, flags: CleanupFlags): void {
  if (flags.json === true) {
    process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    return;
  }
  process.stdout.write(`record: ${r.recordFile}\n`);
  if (r.done.length + r.skipped.length + r.failed.length + r.problems.length === 0) process.stdout.write('nothing recorded: nothing to undo\n');
  for (const d of r.done) process.stdout.write(`  ${d}\n`);
  for (const s of r.skipped) process.stdout.write(`  skipped: ${s}\n`);
  for (const p of r.problems) process.stdout.write(`  unreadable record entry (ignored): ${p}\n`);
  for (const f of r.failed) process.stderr.write(`codex-sandbox cleanup: failed: ${f}\n`);
}

/** Exit 0 when everything recorded was undone or left alone for a stated reason, 1 when an action failed. */
export function cleanupCommand(flags: CleanupFlags): number {
  if (process.platform !== 'win32') {
    if (flags.json === true) process.stdout.write(JSON.stringify({ platform: process.platform, done: [], skipped: [], failed: [], problems: [] }) + '\n');
    else process.stdout.write(`nothing to clean up on ${process.platform}: only Windows runs leave host changes (ACEs, directories) behind\n`);
    return 0;
  }
  const r = cleanupWindowsSandboxState({ dryRun: flags.dryRun === true });
  print(r, flags);
  return r.failed.length > 0 ? 1 : 0;
}

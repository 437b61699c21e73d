/** Human-readable rendering of a LaunchRequest (`--dry-run` without `--json`). */
import type { ArgvItem, LaunchRequest } from '../contracts/index.js';
import { argvItemText } from '../util/surrogate-escape.js';

/** POSIX-shell quoting, so a printed command line can be pasted back. */
export function shellQuote(item: ArgvItem): string {
  const s = argvItemText(item);
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return "'" + s.replace(/'/g, `'\\''`) + "'";
}

export function renderLaunchRequest(req: LaunchRequest, parentEnv: Record<string, string | undefined>): string {
  const lines: string[] = [];
  lines.push(`kind:    ${req.kind}`);
  lines.push(`program: ${shellQuote(req.program)}`);
  lines.push('argv:');
  for (const a of req.argv) lines.push(`  ${shellQuote(a)}`);
  lines.push(`cwd:     ${shellQuote(req.cwd)}`);
  const added = Object.keys(req.env).filter((k) => parentEnv[k] !== req.env[k]);
  const removed = Object.keys(parentEnv).filter((k) => !(k in req.env));
  lines.push(`env:     ${Object.keys(req.env).length} variables` + (added.length ? `; set: ${added.sort().join(', ')}` : '') + (removed.length ? `; removed: ${removed.sort().join(', ')}` : ''));
  if (req.native.platform === 'darwin') {
    lines.push('seatbelt policy:');
    for (const l of req.native.policy.split('\n')) lines.push(`  ${l}`);
  }
  lines.push('enforcement:');
  for (const e of req.enforcement) lines.push(`  - ${e}`);
  for (const w of req.permissions.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n') + '\n';
}

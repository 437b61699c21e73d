/** The CLI's lines for what the sandbox refused (`codex-sandbox run`, after a failed command). */
import path from 'node:path';
import type { Refusal } from '../contracts/index.js';
import { shellQuote } from './render.js';

/** At most this many lines; the rest is counted. */
export const MAX_REFUSAL_LINES = 5;

/** `-w` argument: `~/x` under the caller's home when that stays shell-safe, else the quoted path. */
function rootArg(root: string, home: string | undefined): string {
  if (home !== undefined && path.isAbsolute(home) && home !== '/') {
    const rel = path.relative(home, root);
    if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) && /^[A-Za-z0-9_@%+=:,./-]+$/.test(rel)) return `~/${rel}`;
  }
  return shellQuote(root);
}

function lineFor(r: Refusal, more: number, home: string | undefined): string {
  const extra = more > 0 ? `, and ${more} more there` : '';
  if (r.kind === 'network' && r.bypassedProxy === true) {
    return `blocked network${r.host !== undefined ? `: ${r.host}` : ''} (only the filtering proxy reaches the network and this client went around it${extra}; it must honour HTTPS_PROXY/ALL_PROXY, which Node's http and https modules before v24.5 do not: see docs/security.md §13)`;
  }
  if (r.kind === 'network') return `blocked network${r.host !== undefined ? `: ${r.host}` : ''} (network is off${extra}; allow with --network)`;
  if (r.reason === 'read-only' && r.allowWritableRoot !== undefined) return `blocked write: ${r.path} (read-only${extra}; allow with -w ${rootArg(r.allowWritableRoot, home)})`;
  // Protected metadata and deny-read paths: said, with no flag to open them (src/launch/refusals.ts).
  return `blocked write: ${r.path} (${r.reason === 'protected' ? 'protected metadata or a read-only entry' : 'under a deny-read path'}${extra})`;
}

/**
 * One line per refused place: writes that one `-w` would allow share a line (the first path named),
 * network refusals one per host; bounded by MAX_REFUSAL_LINES.
 */
export function refusalLines(refusals: readonly Refusal[], home: string | undefined): string[] {
  const groups = new Map<string, { first: Refusal; count: number }>();
  for (const r of refusals) {
    const key = r.kind === 'network' ? `net:${r.host ?? ''}` : `w:${r.allowWritableRoot ?? r.path}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { first: r, count: 1 });
  }
  const all = [...groups.values()];
  const lines = all.slice(0, MAX_REFUSAL_LINES).map((g) => lineFor(g.first, g.count - 1, home));
  if (all.length > MAX_REFUSAL_LINES) lines.push(`… and ${all.length - MAX_REFUSAL_LINES} more refused accesses`);
  return lines;
}

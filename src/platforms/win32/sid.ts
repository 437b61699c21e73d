/**
 * Capability SIDs for the restricted token. Each writable root gets its own SID, derived from its
 * canonical path, so an allow ACE left on a root by an earlier run grants nothing unless that root
 * is active for this command (Codex: `root_capability_sids_only_include_active_roots`), and runs on
 * the same root reuse the ACE instead of piling up new ones.
 */
import { nodeCrypto } from '../../util/node-crypto.js';
import { pathKey } from './paths.js';

// node:crypto loads when a Windows plan derives a SID, not on Linux, where `codex-sandbox run`
// loads this module with the rest of the CLI but never calls it (issue #21).
function sidFromDigest(label: string): string {
  const d = nodeCrypto().createHash('sha256').update('codex-sandbox/win32/capability/v1\0' + label).digest();
  const parts = [0, 4, 8, 12].map((o) => d.readUInt32LE(o));
  return `S-1-5-21-${parts.join('-')}`;
}

/** SID for a writable root; equivalent spellings (case) share it. */
export function writableRootSid(canonicalPath: string): string {
  return sidFromDigest('root\0' + pathKey(canonicalPath));
}

/** The single SID of the read-only token mode (no writable roots). */
export function readonlySid(): string {
  return sidFromDigest('readonly');
}

export const EVERYONE_SID = 'S-1-1-0';
/** Placeholder shown in the plan; the native layer reads the real logon SID from the caller's token. */
export const LOGON_SID_PLACEHOLDER = 'logon-sid-of-caller';

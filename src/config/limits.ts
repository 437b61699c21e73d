/**
 * `[profiles.NAME.limits]` in codex-sandbox.toml: `memory = "2G"`, `pids = 512` (or "unlimited"),
 * `cpu_seconds = 60`. A project file is data a sandboxed command can write, so without trust it may
 * only lower limits: its `pids` may not exceed the default (memory and CPU have no default, so any
 * value lowers them), and the caller's --limit-* flags override whatever a file says.
 */
import { DEFAULT_PIDS_LIMIT, parseSize } from '../contracts/index.js';
import type { ResourceLimits } from '../contracts/index.js';
import type { Located } from './codex-config.js';
import { projectSettingRefused } from './errors.js';
import type { KeyPath } from './key-lines.js';
import { describe, readPositiveInt, readTable, rejectUnknownKeys } from './toml-doc.js';
import type { TomlDoc } from './toml-doc.js';

export interface LimitsSpec {
  memoryBytes?: Located<number>;
  pids?: Located<number | 'unlimited'>;
  cpuSeconds?: Located<number>;
}

export function readLimitsTable(doc: TomlDoc, value: unknown, path: KeyPath): LimitsSpec {
  const t = readTable(doc, value, path);
  rejectUnknownKeys(doc, t, path, ['memory', 'pids', 'cpu_seconds']);
  const out: LimitsSpec = {};
  if (t.memory !== undefined) {
    const p = [...path, 'memory'];
    const raw = typeof t.memory === 'bigint' ? Number(t.memory) : t.memory;
    const bytes = typeof raw === 'number' ? (Number.isSafeInteger(raw) && raw > 0 ? raw : undefined) : typeof raw === 'string' ? parseSize(raw) : undefined;
    if (bytes === undefined) throw doc.error(p, `expected a size such as "512M" or "2G" (binary units) or a number of bytes, got ${describe(t.memory)}`);
    out.memoryBytes = { value: bytes, origin: doc.origin(p) };
  }
  if (t.pids !== undefined) {
    const p = [...path, 'pids'];
    out.pids = { value: t.pids === 'unlimited' ? 'unlimited' : readPositiveInt(doc, t.pids, p), origin: doc.origin(p) };
  }
  if (t.cpu_seconds !== undefined) {
    const p = [...path, 'cpu_seconds'];
    out.cpuSeconds = { value: readPositiveInt(doc, t.cpu_seconds, p), origin: doc.origin(p) };
  }
  return out;
}

/** A profile's limits over the ones of the profile it extends, key by key. */
export function mergeLimits(base: LimitsSpec | undefined, own: LimitsSpec | undefined): LimitsSpec | undefined {
  if (base === undefined) return own;
  if (own === undefined) return base;
  return { ...base, ...own };
}

export function limitsValue(spec: LimitsSpec | undefined): ResourceLimits | undefined {
  if (spec === undefined) return undefined;
  const out: ResourceLimits = {};
  if (spec.memoryBytes !== undefined) out.memoryBytes = spec.memoryBytes.value;
  if (spec.pids !== undefined) out.pids = spec.pids.value;
  if (spec.cpuSeconds !== undefined) out.cpuSeconds = spec.cpuSeconds.value;
  return out;
}

/**
 * Refuses a process limit above the default from an untrusted (project) file: a command that
 * writes codex-sandbox.toml must not lift the bound on the next run's fork bomb.
 */
export function checkProjectLimits(spec: LimitsSpec | undefined, untrusted: ReadonlySet<string>): void {
  const pids = spec?.pids;
  if (pids === undefined || !untrusted.has(pids.origin.file)) return;
  if (pids.value === 'unlimited' || pids.value > DEFAULT_PIDS_LIMIT) {
    throw projectSettingRefused(pids.origin, {
      what: `it raises the process limit to ${String(pids.value)} (the default is ${DEFAULT_PIDS_LIMIT})`,
      bound: 'it may only lower limits',
      flag: '--limit-pids',
    });
  }
}

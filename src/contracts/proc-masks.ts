/**
 * The /proc entries every bubblewrap sandbox covers (runc's defaults: libcontainer/specconv/example.go
 * ReadonlyPaths, MaskedPaths), and which of them this host has. Pure: the filesystem is only looked at
 * through an FsInspector. Here, below both, because the host facts (src/host/facts.ts) ask it once per
 * process and the Linux planner (src/platforms/linux/plan.ts) when the facts do not carry the answer.
 */
import type { ProcMaskPaths } from './host-facts.js';
import type { FsInspector } from '../permissions/fs-facts.js';

/** /proc entries bound read-only over the sandbox's /proc (runc ReadonlyPaths). */
export const PROC_READ_ONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
/** /proc files replaced by an empty read-only file (runc MaskedPaths). */
export const PROC_MASKED = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug'];

/**
 * The entries of PROC_READ_ONLY that exist and of PROC_MASKED that are files. Asked once per process
 * (host facts, src/host/facts.ts), not per plan: the host's /proc is procfs, whose top-level entries
 * the kernel makes (fs/proc/root.c: its directory has no create, mkdir, unlink or rename operation)
 * according to its configuration (CONFIG_PROC_KCORE, CONFIG_SCHED_DEBUG); no process can add, remove
 * or replace one, and a sandboxed command cannot mount over the host's /proc (it has its own mount
 * namespace and no capabilities: mount_namespaces(7)). So no sandboxed command can change the answer.
 */
export function procMaskPaths(fs: FsInspector): ProcMaskPaths {
  return { readOnly: PROC_READ_ONLY.filter((p) => fs.kind(p) !== 'missing'), masked: PROC_MASKED.filter((p) => fs.kind(p) === 'file') };
}

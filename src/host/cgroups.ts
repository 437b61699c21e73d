/**
 * Probes which resource-limit mechanisms this caller has: a cgroup it may create children in, for
 * the pids and the memory controller (cgroup v2 delegated subtree, else writable v1 hierarchies),
 * and whether RLIMIT_NPROC set inside a user namespace binds (Linux ≥ 5.14, caller not uid 0).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CgroupParent, LimitFacts } from '../contracts/index.js';

/** The host as the probe sees it (injectable for tests). */
export interface CgroupHost {
  readText(p: string): string | undefined;
  /** Whether `p` exists and may be read, without reading it; default: readText(p) !== undefined. */
  readable?(p: string): boolean;
  writable(p: string): boolean;
  uid: number;
  kernelRelease: string;
}

/** access(2) of `p` for `mode` (R_OK, W_OK). */
function accessible(p: string, mode: number): boolean {
  try {
    fs.accessSync(p, mode);
    return true;
  } catch {
    return false;
  }
}

export const realCgroupHost: CgroupHost = {
  readText: (p) => {
    try {
      return fs.readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
  // access(2), not a read: a v1 cgroup.procs lists (and the kernel sorts) every pid of the cgroup, the
  // whole system's in the root cgroup, on every command (issue #21).
  readable: (p) => accessible(p, fs.constants.R_OK),
  writable: (p) => accessible(p, fs.constants.W_OK),
  uid: process.getuid?.() ?? -1,
  kernelRelease: os.release(),
};

interface Mount {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

/** `\040`-style escapes of /proc/self/mountinfo. */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const post = line.slice(sep + 3).split(' ');
    if (pre.length < 5 || post.length < 3) continue;
    mounts.push({ root: unescapeMountField(pre[3]!), mountPoint: unescapeMountField(pre[4]!), fsType: post[0]!, superOptions: post[2]!.split(',') });
  }
  return mounts;
}

/** The directory of cgroup `cgPath` (from /proc/self/cgroup) on `mount`, or undefined when the mount does not show it. */
function dirOnMount(mount: Mount, cgPath: string): string | undefined {
  const rel = path.posix.relative(mount.root, cgPath);
  if (rel.startsWith('..')) return undefined;
  return rel === '' ? mount.mountPoint : path.posix.join(mount.mountPoint, rel);
}

type Controller = 'pids' | 'memory';

function v2Parent(host: CgroupHost, mounts: Mount[], cgPath: string, controller: Controller): CgroupParent | undefined {
  const mount = mounts.find((m) => m.fsType === 'cgroup2' && dirOnMount(m, cgPath) !== undefined);
  if (mount === undefined) return undefined;
  const own = dirOnMount(mount, cgPath)!;
  // The no-internal-processes rule (cgroups(7), "Cgroups v2 'no internal processes' rule"): a
  // cgroup holding processes cannot hand controllers to children, so sandboxes go next to our own
  // cgroup, in its parent — which must be delegated to us (writable, controller enabled for its
  // children). Only the root cgroup may have both processes and controlled children.
  const parent = own === mount.mountPoint ? own : path.posix.dirname(own);
  const subtree = host.readText(path.posix.join(parent, 'cgroup.subtree_control'));
  if (subtree === undefined || !subtree.split(/\s+/).includes(controller)) return undefined;
  if (!host.writable(parent) || !host.writable(path.posix.join(parent, 'cgroup.procs'))) return undefined;
  return { version: 'v2', dir: parent };
}

function v1Parent(host: CgroupHost, mounts: Mount[], lines: Array<[string, string]>, controller: Controller): CgroupParent | undefined {
  const line = lines.find(([controllers]) => controllers.split(',').includes(controller));
  if (line === undefined) return undefined;
  const mount = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes(controller) && dirOnMount(m, line[1]) !== undefined);
  if (mount === undefined) return undefined;
  // v1 has no internal-process rule: children go under our own cgroup of that hierarchy, which
  // keeps them inside whatever limits the caller itself is under.
  const own = dirOnMount(mount, line[1])!;
  const procs = path.posix.join(own, 'cgroup.procs');
  if (!(host.readable !== undefined ? host.readable(procs) : host.readText(procs) !== undefined)) return undefined;
  if (!host.writable(own)) return undefined;
  return { version: 'v1', dir: own };
}

function kernelAtLeast(release: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

export function probeLimitFacts(host: CgroupHost = realCgroupHost): LimitFacts {
  const cgroupText = host.readText('/proc/self/cgroup') ?? '';
  const mounts = parseMountinfo(host.readText('/proc/self/mountinfo') ?? '');
  const unified = /^0::(.*)$/m.exec(cgroupText)?.[1];
  const v1Lines: Array<[string, string]> = [];
  for (const l of cgroupText.split('\n')) {
    const m = /^\d+:([^:]+):(.*)$/.exec(l);
    if (m) v1Lines.push([m[1]!, m[2]!]);
  }
  const pick = (c: Controller): CgroupParent | undefined => {
    const v2 = unified !== undefined ? v2Parent(host, mounts, unified, c) : undefined;
    if (v2 !== undefined) return v2;
    return v1Parent(host, mounts, v1Lines, c);
  };
  const pidsCgroup = pick('pids');
  const memoryCgroup = pick('memory');
  const cgroupProblem =
    pidsCgroup !== undefined && memoryCgroup !== undefined
      ? undefined
      : `no writable cgroup for ${[pidsCgroup === undefined ? 'pids' : '', memoryCgroup === undefined ? 'memory' : ''].filter(Boolean).join(' and ')}: neither a delegated cgroup v2 subtree (the parent of this process's cgroup writable, with the controller in its cgroup.subtree_control — e.g. a systemd user service with Delegate=yes) nor a writable cgroup v1 hierarchy`;
  let nprocProblem: string | undefined;
  if (host.uid === 0) nprocProblem = 'the caller is root (uid 0), which the kernel exempts from RLIMIT_NPROC';
  else if (!kernelAtLeast(host.kernelRelease, 5, 14)) nprocProblem = `kernel ${host.kernelRelease} counts RLIMIT_NPROC per user, not per user namespace (needs Linux 5.14)`;
  return { pidsCgroup, memoryCgroup, cgroupProblem, nprocInUserns: nprocProblem === undefined, nprocProblem };
}

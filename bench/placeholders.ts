/**
 * Raw bwrap runs bypass the launcher, so nobody removes the empty mount-target placeholders bwrap
 * creates on the host (e.g. /tmp/.git for the masked metadata of the /tmp writable root). The bench
 * notes which targets were absent before it ran and removes afterwards the ones that are still bare
 * placeholders and that no live launcher has registered.
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

/** One record of an older launcher's registry table (native/launcher/registry.cc): `[L]pid\0origin\0path\0`. */
export interface RegistryRecord {
  pid: number;
  origin: 's' | 'e';
  path: string;
}

/** The records of `<registryDir>/<name>` (`table-2`, or format 1's `table`); none when it is missing or unreadable. */
export function readRegistryTable(registryDir: string, name = 'table-2'): RegistryRecord[] {
  let fields: string[];
  try {
    fields = readFileSync(join(registryDir, name)).toString('latin1').split('\0');
  } catch {
    return [];
  }
  const out: RegistryRecord[] = [];
  for (let i = 0; i + 3 <= fields.length - 1; i += 3) {
    const [pid, origin, path] = [fields[i], fields[i + 1], fields[i + 2]];
    if ((origin === 's' || origin === 'e') && path !== undefined) {
      out.push({ pid: Number(pid?.replace(/^L/, '')), origin, path: Buffer.from(path, 'latin1').toString('utf8') });
    }
  }
  return out;
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Whether a launcher that may be live has `path` registered (it will clean up after itself): in
 * format 3 any launcher entry in the target's directory (Node cannot test their flock; a dead one
 * only makes the bench leave the placeholder to the next launch), in the older tables a live pid.
 */
function liveInRegistry(registryDir: string, path: string): boolean {
  try {
    const dir = join(registryDir, 'paths-3', createHash('sha256').update(path).digest('hex'));
    if (readdirSync(dir).length > 0) return true;
  } catch {
    // no format-3 entry for it
  }
  return ['table-2', 'table'].some((name) => readRegistryTable(registryDir, name).some((r) => r.path === path && pidAlive(r.pid)));
}

export interface PlaceholderGuard {
  /** Removes the bare placeholders created since `watchPlaceholders`, under the registry's lock; resolves to the paths removed. */
  cleanup(): Promise<string[]>;
}

/**
 * Removes each of `absent` that is still a bare placeholder no live launcher has registered; returns the
 * paths removed. Call it holding the registry's lock (`cleanup` below does): between an unlocked check and
 * the rmdir a launcher could register the target and bwrap mount on it, and removing a mount point
 * detaches that mount in the other sandbox's namespace (mount_namespaces(7)).
 */
function removeBarePlaceholders(absent: readonly string[], registryDir: string | undefined): string[] {
  const removed: string[] = [];
  for (const t of absent) {
    if (registryDir !== undefined && liveInRegistry(registryDir, t)) continue;
    try {
      const st = lstatSync(t);
      // Only an empty directory or an empty regular file is a placeholder; anything else was
      // put there by someone and is left alone.
      if (st.isDirectory()) rmdirSync(t);
      else if (st.isFile() && st.size === 0) unlinkSync(t);
      else continue;
      removed.push(t);
    } catch {
      // Gone already, or not empty (ENOTEMPTY): leave it.
    }
  }
  return removed;
}

/**
 * Runs `fn` while holding flock(LOCK_EX) on `<registryDir>/lock` — the lock every launcher takes to register
 * a target (native/launcher/registry.cc RegistryLock) — through a flock(1) child, as Node has no flock.
 * Rejects when the lock cannot be taken, so a bench never removes placeholders outside it.
 */
async function withRegistryLock<T>(registryDir: string, fn: () => T): Promise<T> {
  const lock = join(registryDir, 'lock');
  const holder = spawn('flock', ['-x', lock, 'sh', '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => holder.once('close', () => resolve()));
  let stderr = '';
  holder.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const locked = await new Promise<boolean>((resolve) => {
    holder.stdout.once('data', () => resolve(true));
    holder.once('error', () => resolve(false));
    holder.once('close', () => resolve(false));
  });
  try {
    if (!locked) throw new Error(`bench: could not take the registry lock with flock(1) on ${lock}: ${stderr.trim() || 'flock exited'}`);
    return fn();
  } finally {
    holder.stdin.end();
    await exited;
  }
}

export function watchPlaceholders(targets: readonly string[], registryDir: string | undefined): PlaceholderGuard {
  const absent = targets.filter((t) => !exists(t));
  return {
    cleanup: async () => {
      if (absent.length === 0) return [];
      if (registryDir === undefined || !existsSync(registryDir)) return removeBarePlaceholders(absent, registryDir);
      return withRegistryLock(registryDir, () => removeBarePlaceholders(absent, registryDir));
    },
  };
}

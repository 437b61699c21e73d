/**
 * Raw bwrap runs bypass the launcher, so nobody removes the empty mount-target placeholders bwrap
 * creates on the host (e.g. /tmp/.git for the masked metadata of the /tmp writable root). The bench
 * notes which targets were absent before it ran and removes afterwards the ones that are still bare
 * placeholders and that no live launcher has registered.
 */
import { lstatSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

/** The launcher registry's entry name for a path: 64-bit FNV-1a of its bytes, 16 hex digits. */
export function registryEntryName(path: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(path, 'utf8')) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
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

/** Whether a live launcher has `path` registered (it will clean up after itself). */
function liveInRegistry(registryDir: string, path: string): boolean {
  let names: string[];
  try {
    names = readdirSync(join(registryDir, registryEntryName(path)));
  } catch {
    return false;
  }
  return names.some((n) => /^pid-\d+$/.test(n) && pidAlive(Number(n.slice(4))));
}

export interface PlaceholderGuard {
  /** Removes the bare placeholders created since `watchPlaceholders`; returns the paths removed. */
  cleanup(): string[];
}

export function watchPlaceholders(targets: readonly string[], registryDir: string | undefined): PlaceholderGuard {
  const absent = targets.filter((t) => !exists(t));
  return {
    cleanup: () => {
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
    },
  };
}

/** Creates the per-tool cache directories a run was given (`caches`), before it is planned. */
import { mkdirSync } from 'node:fs';

/**
 * mkdir -p each directory (mode 0700, as the tools create them): a missing writable root would be left
 * out of the plan, and the tool's own mkdir inside the sandbox would hit the read-only home.
 * Runs as the caller, outside the sandbox. Throws an Error naming the directory it could not create.
 */
export function ensureCacheDirs(dirs: readonly string[]): void {
  for (const d of dirs) {
    try {
      mkdirSync(d, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new Error(`cannot create the cache directory ${d}: ${(e as Error).message}; create it yourself, or leave that tool out of the caches`, { cause: e });
    }
  }
}

/**
 * `fs/walk` (Codex local_file_system.rs walk): breadth-first, names sorted per directory, bounded by
 * depth, directories, entries and a 4 MiB response budget; per-entry failures are reported, not fatal.
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { PathUri } from '../../path-uri/index.js';
import type { Platform } from '../../path-uri/index.js';
import { toFsFailure } from './errors.js';
import type { WalkOptions } from './requests.js';
import { WALK_ITEM_OVERHEAD_BYTES, WALK_RESPONSE_BUDGET_BYTES } from './requests.js';

type NativePath = string | Buffer;
const platform = process.platform as Platform;
const asBuf = (p: NativePath): Buffer => (typeof p === 'string' ? Buffer.from(p) : p);
const uriOf = (p: Buffer): string => PathUri.fromAbsPath(p, { platform }).toString();

interface WalkEntry {
  path: string;
  kind: 'directory' | 'file';
}

export async function walk(root: NativePath, o: WalkOptions): Promise<object> {
  const entries: WalkEntry[] = [];
  const errors: Array<{ path: string; message: string }> = [];
  let truncated = false;
  let budget = WALK_RESPONSE_BUDGET_BYTES;
  const rootBuf = asBuf(root);
  // Missing root → NotFound (-32004); a file root, or a symlink root when not following → empty outcome.
  const rootL = await lstat(rootBuf);
  const rootIsDir = rootL.isDirectory() || (rootL.isSymbolicLink() && o.followDirectorySymlinks && (await stat(rootBuf).catch(() => undefined))?.isDirectory() === true);
  if (!rootIsDir) return { entries, errors, truncated };
  const seen = new Set<string>();
  seen.add((await realpath(rootBuf, { encoding: 'buffer' })).toString('latin1'));
  let queue: Buffer[] = [rootBuf];
  let directories = 1;
  const spend = (text: string): boolean => {
    const cost = Buffer.byteLength(text) + WALK_ITEM_OVERHEAD_BYTES;
    if (cost > budget) return false;
    budget -= cost;
    return true;
  };
  for (let depth = 0; queue.length > 0 && !truncated; depth += 1) {
    const next: Buffer[] = [];
    for (const dir of queue) {
      let names: Buffer[];
      try {
        names = (await readdir(dir, { encoding: 'buffer' })).sort(Buffer.compare);
      } catch (e) {
        if (!spend(uriOf(dir))) truncated = true;
        else errors.push({ path: uriOf(dir), message: toFsFailure(e).message });
        continue;
      }
      for (const name of names) {
        if (entries.length >= o.maxEntries) {
          truncated = true;
          break;
        }
        const full = Buffer.concat([dir, Buffer.from('/'), name]);
        const uri = uriOf(full);
        let kind: WalkEntry['kind'] | undefined;
        let descend = false;
        try {
          const l = await lstat(full);
          if (l.isDirectory()) {
            kind = 'directory';
            descend = true;
          } else if (l.isFile()) kind = 'file';
          else if (l.isSymbolicLink() && o.followDirectorySymlinks) {
            const target = await stat(full).catch(() => undefined);
            if (target?.isDirectory()) {
              kind = 'directory';
              descend = true;
            }
          }
        } catch (e) {
          if (!spend(uri)) {
            truncated = true;
            break;
          }
          errors.push({ path: uri, message: toFsFailure(e).message });
          continue;
        }
        if (kind === undefined) continue;
        if (!spend(uri)) {
          truncated = true;
          break;
        }
        entries.push({ path: uri, kind });
        if (!descend || depth >= o.maxDepth) continue;
        if (o.pruneHiddenDirectories && name[0] === 0x2e) continue;
        // Cycle detection by canonical path (a symlink back to an ancestor is listed, not entered again).
        const canon = (await realpath(full, { encoding: 'buffer' }).catch(() => full)).toString('latin1');
        if (seen.has(canon)) continue;
        if (directories >= o.maxDirectories) {
          truncated = true;
          continue;
        }
        seen.add(canon);
        directories += 1;
        next.push(full);
      }
      if (truncated) break;
    }
    queue = next;
  }
  return { entries, errors, truncated };
}

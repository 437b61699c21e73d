/**
 * Cost growth of deny-read globs (item 8): the host's bounded glob scan over trees of 1k/10k/100k
 * files at each glob_scan_max_depth, and the whole transform() with such a deny glob.
 */
import { join } from 'node:path';
import { applyOverrides } from '../src/manager/overrides.js';
import { SandboxManager } from '../src/manager/transform.js';
import type { HostFacts } from '../src/contracts/index.js';
import { PermissionProfile } from '../src/permissions/index.js';
import type { PermissionProfile as Profile } from '../src/permissions/types.js';
import { DEFAULT_GLOB_SCAN_MAX_DEPTH, MAX_GLOB_MATCHES } from '../src/platforms/linux/fds.js';
import { createTree, expectedMatches, expectedVisited, removeTree, totalEntries, treeShape } from './glob-tree.js';
import { summarise } from './stats.js';
import type { Summary } from './stats.js';
import { transformRequest } from './transform-cost.js';

export interface ScanPoint {
  files: number;
  /** Entries below the tree root. */
  entries: number;
  maxDepth: number;
  visited: number;
  expectedVisited: number;
  matches: number;
  expectedMatches: number;
  scanMs: Summary;
  /** Median scan time per entry visited (nanoseconds). */
  nsPerVisited: number;
}

export interface TreeCost {
  files: number;
  entries: number;
  createMs: number;
  points: ScanPoint[];
  /** transform() of workspace-write plus `ROOT/**\/*.env` denied, default depth. */
  transformMs: Summary | undefined;
  transformError: string | undefined;
}

function ms(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function denyGlobProfile(pattern: string, depth: number | undefined): Profile {
  const p = applyOverrides(PermissionProfile.named('workspace-write'), { denyRead: [pattern] }, 'linux');
  if (p.type !== 'managed' || p.fileSystem.type !== 'restricted') throw new Error('workspace-write with a deny glob is not a restricted managed profile');
  return depth === undefined ? p : { ...p, fileSystem: { ...p.fileSystem, globScanMaxDepth: depth } };
}

export function measureTree(
  facts: HostFacts,
  workDir: string,
  cwd: string,
  files: number,
  depths: readonly number[],
  repeats: number,
  log: (line: string) => void,
): TreeCost {
  const shape = treeShape(files);
  const root = join(workDir, `tree-${files}`);
  const t0 = process.hrtime.bigint();
  createTree(root, shape);
  const createMs = ms(t0);
  log(`  tree of ${files} files created in ${createMs.toFixed(0)} ms`);
  try {
    const pattern = `${root}/**/*.env`;
    const points: ScanPoint[] = [];
    for (const maxDepth of depths) {
      const times: number[] = [];
      let visited = 0;
      let matches = 0;
      for (let r = 0; r < repeats; r += 1) {
        const s0 = process.hrtime.bigint();
        const res = facts.fs.scanGlob({ root, pattern, maxDepth, maxMatches: MAX_GLOB_MATCHES });
        times.push(ms(s0));
        visited = res.visited;
        matches = res.matches.length;
      }
      const scanMs = summarise(times);
      points.push({
        files,
        entries: totalEntries(shape),
        maxDepth,
        visited,
        expectedVisited: expectedVisited(shape, maxDepth),
        matches,
        expectedMatches: expectedMatches(shape, maxDepth),
        scanMs,
        nsPerVisited: visited > 0 ? (scanMs.median * 1e6) / visited : 0,
      });
    }
    let transformMs: Summary | undefined;
    let transformError: string | undefined;
    try {
      const req = transformRequest(denyGlobProfile(pattern, undefined), cwd, facts);
      const times: number[] = [];
      for (let r = 0; r < repeats; r += 1) {
        const s0 = process.hrtime.bigint();
        SandboxManager.transform(req);
        times.push(ms(s0));
      }
      transformMs = summarise(times);
    } catch (e) {
      transformError = e instanceof Error ? e.message : String(e);
    }
    return { files, entries: totalEntries(shape), createMs, points, transformMs, transformError };
  } finally {
    removeTree(root);
  }
}

export { DEFAULT_GLOB_SCAN_MAX_DEPTH, denyGlobProfile };

/**
 * The Linux plan reads a deny glob's fixed directory through the one glob front-end
 * (src/permissions/glob-syntax.ts): escapes are read, so `/ws/a\*b/**` hides the directory literally
 * named `a*b` and `/ws/a\*b/*.env` is scanned from inside it. A real temp tree and the host's
 * FsInspector; nothing runs.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFsInspector } from '../../../src/host/fs-inspector.js';
import type { HostFacts } from '../../../src/contracts/index.js';
import type { ResolvedFileSystem } from '../../../src/permissions/resolved.js';
import { buildBwrapArgs } from '../../../src/platforms/linux/plan.js';

let ws = '';
beforeAll(() => {
  ws = realpathSync(mkdtempSync(join(tmpdir(), 'csbx-glob-prefix-')));
  mkdirSync(join(ws, 'a*b'));
  writeFileSync(join(ws, 'a*b', 'x.env'), 'X=1\n');
  writeFileSync(join(ws, 'a*b', 'keep.txt'), 'keep\n');
  mkdirSync(join(ws, 'acb'));
  writeFileSync(join(ws, 'acb', 'y.env'), 'Y=1\n');
});
afterAll(() => rmSync(ws, { recursive: true, force: true }));

function targets(glob: string): string[] {
  const fs: ResolvedFileSystem = {
    kind: 'restricted',
    fullDiskRead: true,
    fullDiskWrite: false,
    includePlatformDefaults: false,
    readableRoots: [],
    writableRoots: [{ root: ws, readOnlySubpaths: [], protectedMetadataNames: [] }],
    unreadableRoots: [],
    unreadableGlobs: [glob],
    globScanMaxDepth: undefined,
  };
  const facts: HostFacts = { platform: 'linux', arch: 'x64', tmpdir: undefined, home: undefined, fs: createFsInspector() };
  const { args } = buildBwrapArgs({ fs, network: 'restricted', cwd: ws, command: ['true'], facts, launcherPath: '/opt/launcher', registryDir: '/run/reg', argv0Supported: false });
  return args.filter((a) => a.startsWith(`${ws}/`));
}

describe('deny globs with an escaped fixed directory (Linux plan)', () => {
  it('DIR/** with an escaped DIR hides that directory itself, and not its look-alike', () => {
    const t = targets(`${ws}/a\\*b/**`);
    expect(t).toContain(join(ws, 'a*b'));
    expect(t.filter((p) => p.startsWith(join(ws, 'acb')))).toEqual([]);
  });

  it('a wildcard below an escaped directory matches only inside it', () => {
    const t = targets(`${ws}/a\\*b/*.env`);
    expect(t).toContain(join(ws, 'a*b', 'x.env'));
    expect(t).not.toContain(join(ws, 'a*b', 'keep.txt'));
    expect(t).not.toContain(join(ws, 'acb', 'y.env'));
  });
});

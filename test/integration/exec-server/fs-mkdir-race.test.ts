/**
 * Codex `file_system_no_follow_recursive_mkdir_handles_concurrent_creators`: many creators of the same
 * tree at once — fs/createDirectory{recursive, followSymlinks:false} from several connections to two
 * real servers (in-process) or to one server's per-connection bwrap fs helpers (sandboxed), racing
 * `mkdir -p` shells outside — all succeed and the tree is there. The creators are separate processes,
 * so their mkdir(2) calls really interleave.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectExecServer } from '../../../src/exec-server/client/index.js';
import type { ExecServerClient } from '../../../src/exec-server/client/index.js';
import { uri } from './fs-helpers.js';
import { built, isLinux, scratch, startServer, workspaceWriteSandbox } from './helpers.js';
import type { ServerProcess } from './helpers.js';

const CREATORS = 8;
const ROUNDS = 10;
const DEPTH = Array.from({ length: 30 }, (_, i) => `d${String(i)}`);

function mkdirP(path: string): Promise<number | null> {
  return new Promise((res) => spawn('mkdir', ['-p', path]).on('exit', res));
}

describe.skipIf(!isLinux || !built)('file_system_no_follow_recursive_mkdir_handles_concurrent_creators', () => {
  const servers: ServerProcess[] = [];
  const clients: ExecServerClient[] = [];
  const dir = scratch('csbx-mkdir-race-');
  beforeAll(async () => {
    servers.push(await startServer(), await startServer());
    for (let i = 0; i < CREATORS; i++) clients.push(await connectExecServer(servers[i % 2]!.url));
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(servers.map((s) => s.stop()));
    dir.cleanup();
  });

  for (const mode of ['in-process', 'sandboxed'] as const) {
    for (const followSymlinks of [false, true]) {
      it(`${mode}, followSymlinks:${String(followSymlinks)}: ${CREATORS} connections + 2 mkdir -p shells create the same tree, all succeed`, async () => {
        const sandbox = mode === 'sandboxed' ? workspaceWriteSandbox(dir.wsUri) : undefined;
        for (let round = 0; round < ROUNDS; round++) {
          const root = join(dir.ws, `${mode}-${String(followSymlinks)}-${String(round)}`);
          const leaves = [join(root, ...DEPTH), join(root, ...DEPTH.slice(0, 5), 'x'), join(root, ...DEPTH.slice(0, 20), 'y', 'z')];
          const results = await Promise.allSettled([
            ...clients.map((c, i) => c.fsCreateDirectory({ path: uri(leaves[i % leaves.length]!), recursive: true, followSymlinks, sandbox })),
            mkdirP(leaves[0]!),
            mkdirP(leaves[1]!),
          ]);
          const failures = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
          expect(failures).toEqual([]);
          for (const leaf of leaves) expect(statSync(leaf).isDirectory()).toBe(true);
        }
      });
    }
  }
});

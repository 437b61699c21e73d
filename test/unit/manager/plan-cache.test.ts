/**
 * The plan cache (src/manager/plan-cache.ts) on a real filesystem: between two plans with the same
 * inputs, the tree changes the way a hostile command would change it; the cached answer must equal a
 * fresh plan every time. Removing the revalidation (reusing a plan on its key alone) fails these tests.
 */
import { lstatSync, mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostFacts, LaunchRequest } from '../../../src/contracts/index.js';
import { getHostFacts } from '../../../src/host/facts.js';
import { canonicalKey, createPlanCache } from '../../../src/manager/plan-cache.js';
import { applyOverrides } from '../../../src/manager/overrides.js';
import { SandboxManager } from '../../../src/manager/transform.js';
import type { TransformRequest } from '../../../src/manager/transform.js';
import { PathUri } from '../../../src/path-uri/index.js';
import { PermissionProfile } from '../../../src/permissions/index.js';
import { Sandbox } from '../../../src/sandbox.js';

// The host's own facts (bwrap, user namespaces, seccomp) and its real FsInspector.
const facts: HostFacts = getHostFacts({ env: process.env });

let base: string;
let ws: string;
beforeEach(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'csbx-plancache-')));
  ws = join(base, 'ws');
  mkdirSync(ws);
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

/**
 * read-only plus the workspace as a writable root: the protections of workspace-write for the
 * workspace, without /tmp as a writable root (other processes on the machine change /tmp between the
 * cached and the fresh plan, which would make the comparison race them).
 */
function profileFor(root: string): TransformRequest['profile'] {
  return applyOverrides(PermissionProfile.named('read-only'), { writableRoots: [root], denyRead: [join(root, '**/.env')] }, 'linux').profile;
}

function request(over: Partial<TransformRequest> = {}): TransformRequest {
  const profile = profileFor(ws);
  return { command: ['/bin/true'], cwd: ws, profile, env: { PATH: '/usr/bin:/bin' }, facts, ...over };
}

/** Plans through the cache and afresh; they must be equal. Returns the cached one. */
function both(cache: ReturnType<typeof createPlanCache>, req: TransformRequest = request()): LaunchRequest {
  const cached = cache.transform(req);
  expect(cached).toEqual(SandboxManager.transform(req));
  return cached;
}

describe('plan cache: revalidated against the filesystem', () => {
  it('reuses a plan while nothing changed (and hands out copies a caller cannot poison)', () => {
    const cache = createPlanCache();
    // Seen once (planned plainly), then recorded, then reused; every plan handed out is poisoned after.
    for (let i = 0; i < 4; i++) {
      const plan = both(cache);
      (plan.argv as string[]).push('--poison');
      plan.env.POISON = '1';
    }
    expect(cache.stats).toMatchObject({ misses: 2, hits: 2, stale: 0 });
  });

  it('plans afresh after a command creates .git, then .git/hooks, .codex, .agents, a deny-read .env', () => {
    const cache = createPlanCache();
    both(cache);
    // [what the command does, whether the fresh plan changes (a new protection)]
    const steps: Array<[() => void, boolean]> = [
      [() => mkdirSync(join(ws, '.git')), true],
      [() => mkdirSync(join(ws, '.git', 'hooks')), true],
      [() => writeFileSync(join(ws, '.git', 'hooks', 'pre-commit'), '#!/bin/sh\n'), true],
      // .codex is protected whether or not it exists (the same plan either way)
      [() => mkdirSync(join(ws, '.codex')), false],
      [() => mkdirSync(join(ws, '.agents')), true],
      [() => writeFileSync(join(ws, '.env'), 'SECRET=1\n'), true],
      [
        () => {
          mkdirSync(join(ws, 'sub'));
          writeFileSync(join(ws, 'sub', '.env'), 'SECRET=2\n');
        },
        true,
      ],
    ];
    let prev = both(cache);
    const changed: boolean[] = [];
    for (const [step] of steps) {
      step();
      const next = both(cache);
      changed.push(JSON.stringify(next) !== JSON.stringify(prev));
      prev = next;
    }
    expect(changed).toEqual(steps.map(([, c]) => c));
    expect(cache.stats.stale).toBeGreaterThanOrEqual(steps.filter(([, c]) => c).length);
  });

  it('plans afresh after a protected directory is removed, or swapped for a symlink', () => {
    mkdirSync(join(ws, '.codex'));
    mkdirSync(join(ws, 'pkg'));
    mkdirSync(join(base, 'outside'));
    const cache = createPlanCache();
    const req = request({ profile: applyOverrides(PermissionProfile.named('read-only'), { writableRoots: [join(ws, 'pkg')] }, 'linux').profile });
    both(cache);
    both(cache);
    rmSync(join(ws, '.codex'), { recursive: true });
    both(cache);
    mkdirSync(join(ws, '.codex'));
    both(cache);
    expect(cache.stats.stale).toBe(2);
    // The writable root becomes a symlink to a place outside: the fresh plan refuses it, so must the cache.
    both(cache, req);
    renameSync(join(ws, 'pkg'), join(ws, 'pkg.old'));
    symlinkSync(join(base, 'outside'), join(ws, 'pkg'));
    expect(() => SandboxManager.transform(req)).toThrow(/symlink/);
    expect(() => cache.transform(req)).toThrow(/symlink/);
  });

  it('keys are exact: requests the planner can tell apart never share a plan', () => {
    const keys = [
      { a: undefined },
      {},
      { a: null },
      { a: 0 },
      { a: -0 },
      { a: '0' },
      { a: Buffer.from('x') },
      { a: 'x' },
      { a: ['x'] },
      { a: { bytes: 'eA==' } },
      { a: PathUri.fromAbsPath('/x', { platform: 'linux' }) },
      { a: '/x' },
      { a: 1, b: 2 },
      { b: 2, a: 1 },
      { a: 'a\ud800' },
      { a: 'a\ufffd' },
      { a: 'x', b: undefined },
      { a: 'x', b: 'undefined' },
      { a: { b: 'x' } },
    ].map(canonicalKey);
    expect(new Set(keys).size).toBe(keys.length);
    // process.env is keyed as the plain copy it equals (the planner reads both the same way).
    expect(canonicalKey({ env: process.env })).toBe(canonicalKey({ env: { ...process.env } }));
    expect(canonicalKey({ f: () => 1 })).toBeUndefined();
    expect(canonicalKey({ d: new Date(0) })).toBeUndefined();
    const cache = createPlanCache();
    both(cache, request({ env: { PATH: '/usr/bin:/bin', A: '1' } }));
    both(cache, request({ env: { PATH: '/usr/bin:/bin', A: '2' } }));
    both(cache, request({ command: ['/bin/true', 'x'] }));
    expect(cache.stats).toMatchObject({ hits: 0, misses: 3 });
  });

  it("a Sandbox with createSandbox's default environment (process.env itself) reuses its plans", () => {
    const sb = new Sandbox(facts, process.env);
    for (let i = 0; i < 4; i++) expect(sb.plan(['/bin/true'], 'read-only', { cwd: ws, writableRoots: [ws] })).toEqual(SandboxManager.transform({ ...request(), env: process.env, profile: applyOverrides(PermissionProfile.named('read-only'), { writableRoots: [ws] }, 'linux').profile }));
    expect((sb as unknown as { plans: ReturnType<typeof createPlanCache> }).plans.stats).toMatchObject({ hits: 2, misses: 2, uncacheable: 0 });
  });

  it('stays bounded (least recently used plan dropped first)', () => {
    const cache = createPlanCache(2);
    const r = (n: string): TransformRequest => request({ command: ['/bin/echo', n] });
    for (const n of ['1', '1', '2', '2', '1']) both(cache, r(n));
    expect(cache.stats).toMatchObject({ hits: 1, misses: 4 });
    // 3 pushes out 2 (least recently used), then 2 pushes out 1.
    for (const n of ['3', '2', '1']) both(cache, r(n));
    expect(cache.stats).toMatchObject({ hits: 1, misses: 7 });
  });

  it('property: random trees and random changes between plans — the cached plan is always the fresh one', () => {
    const names = ['.git', '.codex', '.agents', '.env', 'a', 'hooks', 'HEAD', 'codex-sandbox.toml'];
    const rel = fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 3 }).map((p) => p.join('/'));
    const op = fc.oneof(
      fc.record({ op: fc.constant('mkdir' as const), p: rel }),
      fc.record({ op: fc.constant('file' as const), p: rel, text: fc.constantFrom('x', 'gitdir: /tmp\n', 'gitdir: ../a\n') }),
      fc.record({ op: fc.constant('rm' as const), p: rel }),
      fc.record({ op: fc.constant('link' as const), p: rel, to: fc.constantFrom('/', '..', 'a', '/nonexistent', '.git') }),
    );
    let round = 0;
    fc.assert(
      fc.property(fc.array(fc.array(op, { maxLength: 4 }), { minLength: 1, maxLength: 5 }), (batches) => {
        const root = join(base, `p${round++}`);
        mkdirSync(root);
        const cache = createPlanCache();
        const req = (): TransformRequest => request({ cwd: root, profile: profileFor(root) });
        const plan = (f: () => LaunchRequest): unknown => {
          try {
            return f();
          } catch (e) {
            return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
          }
        };
        for (const batch of [[], ...batches]) {
          for (const o of batch) {
            const p = join(root, o.p);
            // Never act through a link the tree already holds (`a -> /`, `.git -> ..`): as root, `mkdir a/.codex`
            // or a write to `.env/a` would land outside the tree, on the host. Removing a link itself is fine.
            if (throughLink(root, o.p, o.op !== 'rm')) continue;
            try {
              if (o.op === 'mkdir') mkdirSync(p, { recursive: true });
              else if (o.op === 'file') writeFileSync(p, o.text);
              else if (o.op === 'rm') rmSync(p, { recursive: true, force: true });
              else symlinkSync(o.to, p);
            } catch {
              // a parent missing or a name taken: the tree stays as it is
            }
          }
          const r = req();
          expect(plan(() => cache.transform(r))).toEqual(plan(() => SandboxManager.transform(r)));
        }
      }),
      { numRuns: 40 },
    );
  });
});

/** Whether acting on `rel` under `root` would follow a symlink: one of its parents is a link (or the last part is, when `last`). */
function throughLink(root: string, rel: string, last: boolean): boolean {
  const parts = rel.split('/');
  let at = root;
  for (let i = 0; i < parts.length; i += 1) {
    at = join(at, parts[i] ?? '');
    if (i === parts.length - 1 && !last) return false;
    let st;
    try {
      st = lstatSync(at, { throwIfNoEntry: false });
    } catch {
      return false; // a file where a directory was expected (ENOTDIR): the op fails by itself
    }
    if (st === undefined) return false;
    if (st.isSymbolicLink()) return true;
  }
  return false;
}

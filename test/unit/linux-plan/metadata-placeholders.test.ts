/**
 * buildBwrapArgs and protected metadata seen mid-change: a concurrent sandbox's placeholder (an
 * empty `.agents`/`.git`) can vanish between two looks at it. The plan must then mask it (bwrap
 * recreates the mount point), never `--ro-bind` it: a bind of a vanished source fails the launch.
 * Host-independent: the filesystem is a fake FsInspector.
 */
import { describe, expect, it } from 'vitest';
import type { HostFacts } from '../../../src/contracts/index.js';
import type { FsInspector } from '../../../src/permissions/fs-facts.js';
import { entriesFs, oneWritableRoot } from './fixtures.js';
import { buildBwrapArgs } from '../../../src/platforms/linux/plan.js';

const WS = '/work/ws';

const fakeFs = (entries: Parameters<typeof entriesFs>[1]): FsInspector => entriesFs(WS, entries);

function plan(fs: FsInspector): { args: string[]; syntheticTargets: string[] } {
  const resolved = oneWritableRoot(WS, { protectedMetadataNames: ['.git', '.agents', '.codex'] });
  const facts = { platform: 'linux', arch: 'x64', tmpdir: undefined, home: undefined, fs } as HostFacts;
  return buildBwrapArgs({ fs: resolved, network: 'restricted', cwd: WS, command: ['true'], facts, launcherPath: '/opt/launcher', registryDir: '/run/reg', argv0Supported: false });
}

const roBindOf = (args: string[], p: string): boolean => args.some((a, i) => a === '--ro-bind' && args[i + 1] === p);
const tmpfsOf = (args: string[], p: string): boolean => args.some((a, i) => a === '--tmpfs' && args[i + 1] === p);

describe('linux plan: protected metadata that is, was, or may be a placeholder', () => {
  it('a real (non-empty) .git is bound read-only; missing .agents/.codex are masked and registered', () => {
    const r = plan(fakeFs({ [`${WS}/.git`]: { kind: 'dir', empty: false } }));
    expect(roBindOf(r.args, `${WS}/.git`)).toBe(true);
    expect(tmpfsOf(r.args, `${WS}/.agents`)).toBe(true);
    expect(r.syntheticTargets).toEqual(expect.arrayContaining([`${WS}/.agents`, `${WS}/.codex`]));
    expect(r.syntheticTargets).not.toContain(`${WS}/.git`);
  });

  it('an empty .agents (a concurrent placeholder) is masked and registered, not bound', () => {
    const r = plan(fakeFs({ [`${WS}/.agents`]: { kind: 'dir', empty: true } }));
    expect(roBindOf(r.args, `${WS}/.agents`)).toBe(false);
    expect(tmpfsOf(r.args, `${WS}/.agents`)).toBe(true);
    expect(r.syntheticTargets).toContain(`${WS}/.agents`);
  });

  it('a .agents that vanished between lstat and listing (isEmptyDir undefined) is masked, not bound', () => {
    const r = plan(fakeFs({ [`${WS}/.agents`]: { kind: 'dir', empty: undefined } }));
    expect(roBindOf(r.args, `${WS}/.agents`)).toBe(false);
    expect(tmpfsOf(r.args, `${WS}/.agents`)).toBe(true);
    expect(r.syntheticTargets).toContain(`${WS}/.agents`);
  });

  it('a .git file that vanished before it could be sized is masked with an empty file, not bound', () => {
    const r = plan(fakeFs({ [`${WS}/.git`]: { kind: 'file', size: undefined } }));
    expect(roBindOf(r.args, `${WS}/.git`)).toBe(false);
    expect(r.args.some((a, i) => a === '--ro-bind-data' && r.args[i + 2] === `${WS}/.git`)).toBe(true);
    expect(r.syntheticTargets).toContain(`${WS}/.git`);
  });
});

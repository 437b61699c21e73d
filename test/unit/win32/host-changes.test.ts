/**
 * The record of what Windows runs change on the host, and the cleanup planned from it (pure:
 * record + facts → actions). The record is treated as forgeable: these tests forge it and check that
 * cleanup can only ever remove the sandbox's own ACEs and the empty directories and stubs it creates.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HostFacts, PlanInput, WindowsTokenPlan } from '../../../src/contracts/index.js';
import type { ResolvedPermissions } from '../../../src/permissions/resolved.js';
import { DENY_BIN_STUB_TEXT } from '../../../src/platforms/win32/env.js';
import { hostChangesOf, parseHostChanges, planWindowsCleanup, serializeHostChanges } from '../../../src/platforms/win32/host-changes.js';
import type { CleanupFacts, HostChange } from '../../../src/platforms/win32/host-changes.js';
import { planWindows } from '../../../src/platforms/win32/plan.js';
import { readonlySid, writableRootSid } from '../../../src/platforms/win32/sid.js';
import { fakeWindowsFs } from './fake-fs.js';

function perms(roots: string[]): ResolvedPermissions {
  return {
    enforcement: 'managed',
    fileSystem: {
      kind: 'restricted',
      fullDiskRead: true,
      fullDiskWrite: false,
      includePlatformDefaults: false,
      readableRoots: [],
      writableRoots: roots.map((r) => ({ root: r, readOnlySubpaths: [], protectedMetadataNames: ['.git', '.agents', '.codex'] })),
      unreadableRoots: [],
      unreadableGlobs: [],
      globScanMaxDepth: undefined,
    },
    network: 'restricted',
    warnings: [],
  };
}

function plan(windows: NonNullable<HostFacts['windows']> | undefined, roots = ['C:\\work'], entries: Record<string, 'dir' | 'file'> = { 'C:\\work': 'dir', 'C:\\work\\.git': 'dir' }): WindowsTokenPlan {
  const facts: HostFacts = { platform: 'win32', arch: 'x64', tmpdir: undefined, home: 'C:\\Users\\me', fs: fakeWindowsFs({ ...entries, 'C:\\w\\git.exe': 'file' }), ...(windows ? { windows } : {}) };
  const input: PlanInput = { command: ['C:\\w\\git.exe'], cwd: 'C:\\work', permissions: perms(roots), env: { Path: 'C:\\w' }, facts };
  return planWindows(input).native as WindowsTokenPlan;
}

/** Host facts for the cleanup planner: a map of entries; directories list their children from it. */
function facts(entries: Record<string, 'file' | 'dir' | 'symlink'>, files: Record<string, string> = {}, elevated = false): CleanupFacts {
  const k = (p: string): string => p.toLowerCase();
  const map = new Map(Object.entries(entries).map(([p, v]) => [k(p), v]));
  return {
    kind: (p) => map.get(k(p)) ?? 'missing',
    list: (p) => (map.get(k(p)) === 'dir' ? Object.keys(entries).filter((e) => k(e).startsWith(k(p) + '\\') && !e.slice(p.length + 1).includes('\\')).map((e) => e.slice(p.length + 1)) : undefined),
    readSmallFile: (p) => Object.entries(files).find(([f]) => k(f) === k(p))?.[1],
    elevated,
  };
}

describe('host-change record (Windows)', () => {
  it('a plan records its grant, deny ACEs, created directories, stubs and (elevated) NUL ACEs; the lines parse back', () => {
    const p = plan({ launcherPath: 'C:\\l.exe', elevated: true, stateDir: 'C:\\Users\\me\\AppData\\Local\\codex-sandbox' });
    const changes = hostChangesOf(p, ['C:\\work\\.codex'], ['ssh.bat']);
    expect(changes).toEqual([
      { kind: 'grant', root: 'C:\\work' },
      { kind: 'deny', path: 'C:\\work\\.git', roots: ['C:\\work'] },
      { kind: 'deny', path: 'C:\\work\\.agents', roots: ['C:\\work'] },
      { kind: 'deny', path: 'C:\\work\\.codex', roots: ['C:\\work'] },
      { kind: 'created-dir', path: 'C:\\work\\.codex' },
      { kind: 'stub', dir: 'C:\\Users\\me\\.sbx-denybin', name: 'ssh.bat' },
      { kind: 'nul', roots: ['C:\\work'], readonly: false },
    ]);
    const text = serializeHostChanges(changes, new Date(0));
    expect(text.split('\n')[0]).toBe('{"v":1,"at":"1970-01-01T00:00:00.000Z","kind":"grant","root":"C:\\\\work"}');
    expect(parseHostChanges(text)).toEqual({ changes, problems: [] });
  });

  it('the NUL device is edited only by an elevated caller (a machine-wide DACL); the plan says which', () => {
    const low = plan({ launcherPath: 'C:\\l.exe', elevated: false });
    expect(low.nulDevice).toBe(false);
    expect(hostChangesOf(low, [], []).some((c) => c.kind === 'nul')).toBe(false);
    expect(planWindows({ command: ['x.exe'], cwd: 'C:\\work', permissions: perms(['C:\\work']), env: {}, facts: { platform: 'win32', arch: 'x64', tmpdir: undefined, home: undefined, fs: fakeWindowsFs({ 'C:\\work': 'dir' }) } }).enforcement.join('\n')).toMatch(/NUL device: its DACL is not edited/);
    expect(plan({ launcherPath: 'C:\\l.exe', elevated: true }).nulDevice).toBe(true);
  });

  it('a state directory under a writable root is made read-only for the command (it could forge the record)', () => {
    const p = plan({ launcherPath: 'C:\\l.exe', stateDir: 'C:\\Users\\me\\AppData\\Local\\codex-sandbox' }, ['C:\\Users\\me'], { 'C:\\Users\\me': 'dir' });
    expect(p.denyWritePaths.map((d) => d.path)).toContain('C:\\Users\\me\\AppData\\Local\\codex-sandbox');
    expect(p.createMissingDenyDirs).toContain('C:\\Users\\me\\AppData\\Local\\codex-sandbox');
    const outside = plan({ launcherPath: 'C:\\l.exe', stateDir: 'C:\\Users\\me\\AppData\\Local\\codex-sandbox' });
    expect(outside.denyWritePaths.map((d) => d.path)).not.toContain('C:\\Users\\me\\AppData\\Local\\codex-sandbox');
  });

  it('lines that do not parse are reported by number and ignored; a SID written into a line is never used', () => {
    const text = [
      'not json',
      '{"v":2,"kind":"grant","root":"C:\\\\a"}',
      '{"v":1,"kind":"grant","root":"relative"}',
      '{"v":1,"kind":"deny","path":"C:\\\\x","roots":["C:\\\\x"],"sids":["S-1-5-32-544"]}',
      '[1]',
    ].join('\n');
    const { changes, problems } = parseHostChanges(text);
    expect(problems).toEqual(['line 1: not JSON', 'line 2: unknown record version 2', 'line 3: grant without a valid root path', 'line 5: not an object']);
    expect(changes).toEqual([{ kind: 'deny', path: 'C:\\x', roots: ['C:\\x'] }]);
    const actions = planWindowsCleanup(changes, facts({})).actions;
    expect(actions).toEqual([{ kind: 'remove-aces', path: 'C:\\x', apiPath: '\\\\?\\C:\\x', sids: [writableRootSid('C:\\x')], why: 'deny-write entry of a read-only path' }]);
  });
});

describe('cleanup planner (Windows)', () => {
  const changes: HostChange[] = [
    { kind: 'created-dir', path: 'C:\\work\\.codex' },
    { kind: 'stub', dir: 'C:\\Users\\me\\.sbx-denybin', name: 'ssh.bat' },
    { kind: 'nul', roots: ['C:\\work'], readonly: true },
    { kind: 'deny', path: 'C:\\work\\.git', roots: ['C:\\work', 'C:\\other'] },
    { kind: 'grant', root: 'C:\\work' },
    { kind: 'grant', root: 'c:\\WORK' },
  ];
  const host = {
    'C:\\work': 'dir',
    'C:\\work\\.codex': 'dir',
    'C:\\work\\.git': 'dir',
    'C:\\Users\\me\\.sbx-denybin': 'dir',
    'C:\\Users\\me\\.sbx-denybin\\ssh.bat': 'file',
  } as const;

  it('grants first (a still-running command loses write access before any deny goes), then denies, NUL, stubs, directories', () => {
    const p = planWindowsCleanup(changes, facts(host, { 'C:\\Users\\me\\.sbx-denybin\\ssh.bat': DENY_BIN_STUB_TEXT }, true));
    expect(p.actions.map((a) => a.kind)).toEqual(['remove-aces', 'remove-aces', 'remove-nul-aces', 'remove-file', 'remove-dir', 'remove-dir']);
    expect(p.actions[0]).toMatchObject({ path: 'C:\\work', sids: [writableRootSid('C:\\work')] });
    expect(p.actions[1]).toMatchObject({ path: 'C:\\work\\.git', sids: [writableRootSid('C:\\work'), writableRootSid('C:\\other')] });
    expect(p.actions[2]).toEqual({ kind: 'remove-nul-aces', sids: [writableRootSid('C:\\work'), readonlySid()] });
    expect(p.actions.slice(3).map((a) => ('path' in a ? a.path : ''))).toEqual(['C:\\Users\\me\\.sbx-denybin\\ssh.bat', 'C:\\work\\.codex', 'C:\\Users\\me\\.sbx-denybin']);
    expect(p).toMatchObject({ skipped: [], deferred: false });
  });

  it('not elevated: the NUL ACEs are skipped with the reason and the record is kept', () => {
    const p = planWindowsCleanup(changes, facts(host, { 'C:\\Users\\me\\.sbx-denybin\\ssh.bat': DENY_BIN_STUB_TEXT }, false));
    expect(p.actions.some((a) => a.kind === 'remove-nul-aces')).toBe(false);
    expect(p.deferred).toBe(true);
    expect(p.skipped.join('\n')).toMatch(/NUL device.*elevated/);
  });

  it('forged entries: a directory that is not .git/.codex/.agents, not empty, or a link is left alone; so is a changed stub', () => {
    const forged: HostChange[] = [
      { kind: 'created-dir', path: 'C:\\Users\\me\\Documents' },
      { kind: 'created-dir', path: 'C:\\work\\.git' },
      { kind: 'created-dir', path: 'C:\\work\\.agents' },
      { kind: 'stub', dir: 'C:\\Users\\me\\.sbx-denybin', name: 'ssh.bat' },
      { kind: 'stub', dir: 'C:\\Users\\me', name: 'ntuser.dat' },
    ];
    const p = planWindowsCleanup(
      forged,
      facts(
        { 'C:\\Users\\me\\Documents': 'dir', 'C:\\work\\.git': 'dir', 'C:\\work\\.git\\HEAD': 'file', 'C:\\work\\.agents': 'symlink', 'C:\\Users\\me\\.sbx-denybin': 'dir', 'C:\\Users\\me\\.sbx-denybin\\ssh.bat': 'file', 'C:\\Users\\me\\ntuser.dat': 'file' },
        { 'C:\\Users\\me\\.sbx-denybin\\ssh.bat': '@echo off\r\ncalc.exe\r\n' },
      ),
    );
    expect(p.actions).toEqual([]);
    expect(p.skipped).toHaveLength(5);
    expect(p.skipped.join('\n')).toMatch(/Documents: not a directory codex-sandbox creates/);
    expect(p.skipped.join('\n')).toMatch(/\.git: not empty/);
    expect(p.skipped.join('\n')).toMatch(/\.agents: no longer a plain directory \(symlink\)/);
    expect(p.skipped.join('\n')).toMatch(/ssh\.bat: no longer the stub/);
    expect(p.skipped.join('\n')).toMatch(/ntuser\.dat: not an offline-shim stub/);
  });

  it('whatever the record says, every SID cleanup removes is derived from a recorded path (never a real account or group SID)', () => {
    const winPath = fc.array(fc.constantFrom('a', 'B', 'x y', '.git', 'Users', 'me'), { minLength: 1, maxLength: 4 }).map((c) => 'C:\\' + c.join('\\'));
    const change: fc.Arbitrary<HostChange> = fc.oneof(
      winPath.map((root) => ({ kind: 'grant' as const, root })),
      fc.tuple(winPath, fc.array(winPath, { maxLength: 3 })).map(([path, roots]) => ({ kind: 'deny' as const, path, roots })),
      fc.tuple(fc.array(winPath, { maxLength: 3 }), fc.boolean()).map(([roots, readonly]) => ({ kind: 'nul' as const, roots, readonly })),
      winPath.map((path) => ({ kind: 'created-dir' as const, path })),
    );
    fc.assert(
      fc.property(fc.array(change, { maxLength: 8 }), (cs) => {
        const paths = cs.flatMap((c) => (c.kind === 'grant' ? [c.root] : c.kind === 'deny' || c.kind === 'nul' ? c.roots : []));
        const allowed = new Set([...paths.map(writableRootSid), readonlySid()]);
        for (const a of planWindowsCleanup(cs, facts({}, {}, true)).actions) {
          if (a.kind === 'remove-aces' || a.kind === 'remove-nul-aces') for (const s of a.sids) expect(allowed.has(s)).toBe(true);
          expect(a.kind).not.toBe('remove-dir'); // nothing exists here, so nothing is removed
        }
      }),
    );
  });
});

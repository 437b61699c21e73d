/**
 * The Windows launch performs only what the plan lists, and refuses a plan that would run something
 * else: one made on another OS names the launcher by file name, which a spawn would look up on PATH.
 * The addon binding is a fake (the Windows ACL functions cannot exist on this OS); it records calls.
 */
import { describe, expect, it } from 'vitest';
import type { HostFacts, LaunchRequest, PlanInput, WindowsTokenLaunch } from '../../../src/contracts/index.js';
import { WindowsLaunchError, applyWindowsPlan } from '../../../src/launch/windows.js';
import type { WindowsNativeBinding } from '../../../src/launch/windows.js';
import type { ResolvedPermissions } from '../../../src/permissions/resolved.js';
import { planWindows } from '../../../src/platforms/win32/plan.js';
import { fakeWindowsFs } from '../win32/fake-fs.js';

const PERMS: ResolvedPermissions = {
  enforcement: 'managed',
  fileSystem: {
    kind: 'restricted',
    fullDiskRead: true,
    fullDiskWrite: false,
    includePlatformDefaults: false,
    readableRoots: [],
    writableRoots: [{ root: 'C:\\work', readOnlySubpaths: [], protectedMetadataNames: ['.git'] }],
    unreadableRoots: [],
    unreadableGlobs: [],
    globScanMaxDepth: undefined,
  },
  network: 'enabled',
  warnings: [],
};

function plan(windows: HostFacts['windows']): WindowsTokenLaunch {
  const fs = fakeWindowsFs({ 'C:\\work': 'dir', 'C:\\Windows\\System32\\cmd.exe': 'file' });
  const facts: HostFacts = { platform: 'win32', arch: 'x64', tmpdir: undefined, home: 'C:\\Users\\me', fs, ...(windows ? { windows } : {}) };
  const input: PlanInput = { command: ['cmd', '/c', 'echo hi'], cwd: 'C:\\work', permissions: PERMS, env: { Path: 'C:\\Windows\\System32' }, facts };
  const req: LaunchRequest = planWindows(input);
  if (req.kind !== 'windows-token') throw new Error(`expected a windows-token plan, got ${req.kind}`);
  return req;
}

function recordingBinding(): { binding: WindowsNativeBinding; calls: number } {
  const state = { calls: 0 };
  const binding: WindowsNativeBinding = {
    winSelfTest: () => ({ openToken: true, createRestrictedToken: true, logonSid: null, jobObject: true }),
    winApplyAcls: () => {
      state.calls += 1;
      return { changed: 0, warnings: [] };
    },
  };
  return { binding, get calls() { return state.calls; } };
}

describe('applyWindowsPlan (fake addon binding: the Windows ACL functions cannot exist on this OS)', () => {
  it('refuses a plan made on another OS (launcher named by file name only) before changing anything', () => {
    const rec = recordingBinding();
    const req = plan(undefined);
    expect(req.program).toBe('codex-sandbox-launcher.exe');
    expect(() => applyWindowsPlan(req, rec.binding)).toThrow(/not an absolute path/);
    expect(rec.calls).toBe(0);
  });

  // Skipped on Windows, where the launch would go on to create directories and change ACLs.
  it.skipIf(process.platform === 'win32')('a plan made with the host launcher gets past that check (then stops: this is not Windows)', () => {
    const rec = recordingBinding();
    const req = plan({ launcherPath: 'C:\\pkg\\codex-sandbox-launcher.exe' });
    expect(req.argv[req.argv.indexOf('--application') + 1]).toBe('C:\\Windows\\System32\\cmd.exe');
    let err: unknown;
    try {
      applyWindowsPlan(req, rec.binding);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WindowsLaunchError);
    expect((err as WindowsLaunchError).code).toBe('EPLATFORM');
    expect(rec.calls).toBe(0);
  });
});

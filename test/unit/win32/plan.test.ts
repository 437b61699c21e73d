import { describe, expect, it } from 'vitest';
import { PlanError } from '../../../src/contracts/index.js';
import type { HostFacts, PlanInput } from '../../../src/contracts/index.js';
import type { FsInspector } from '../../../src/permissions/fs-facts.js';
import type { ResolvedPermissions, WritableRoot } from '../../../src/permissions/resolved.js';
import { OFFLINE_PROXY } from '../../../src/platforms/win32/env.js';
import { planWindows } from '../../../src/platforms/win32/plan.js';
import { writableRootSid, readonlySid } from '../../../src/platforms/win32/sid.js';
import type { WindowsTokenPlan } from '../../../src/contracts/index.js';
import { fakeWindowsFs } from './fake-fs.js';

function root(r: string, readOnlySubpaths: string[] = [], protectedMetadataNames = ['.git', '.agents', '.codex']): WritableRoot {
  return { root: r, readOnlySubpaths, protectedMetadataNames };
}

function perms(writableRoots: WritableRoot[], over: Partial<ResolvedPermissions['fileSystem']> = {}, network: 'restricted' | 'enabled' = 'restricted'): ResolvedPermissions {
  return {
    enforcement: 'managed',
    fileSystem: {
      kind: 'restricted',
      fullDiskRead: true,
      fullDiskWrite: false,
      includePlatformDefaults: false,
      readableRoots: [],
      writableRoots,
      unreadableRoots: [],
      unreadableGlobs: [],
      globScanMaxDepth: undefined,
      ...over,
    },
    network,
    warnings: [],
  };
}

function input(p: ResolvedPermissions, fsi: FsInspector, cwd = 'C:\\work', env: Record<string, string> = { Path: 'C:\\Windows\\System32', PATHEXT: '.COM;.EXE;.BAT;.CMD' }): PlanInput {
  const facts: HostFacts = { platform: 'win32', arch: 'x64', tmpdir: undefined, home: 'C:\\Users\\me', fs: fsi };
  return { command: ['git', 'status'], cwd, permissions: p, env, facts };
}

function nativeOf(p: PlanInput): WindowsTokenPlan {
  const req = planWindows(p);
  expect(req.kind).toBe('windows-token');
  return req.native as WindowsTokenPlan;
}

function planError(f: () => unknown): PlanError {
  try {
    f();
  } catch (e) {
    if (e instanceof PlanError) return e;
    throw e;
  }
  throw new Error('expected a PlanError');
}

describe('planWindows: drive paths', () => {
  const fsi = fakeWindowsFs({ 'C:\\work': 'dir', 'C:\\work\\.git': 'dir' });

  it('grants the writable root to its own capability SID and makes a writable-roots token', () => {
    const n = nativeOf(input(perms([root('C:\\work', ['C:\\work\\.git'])]), fsi));
    expect(n.tokenMode).toBe('writable-roots');
    expect(n.writableRoots).toEqual([
      { path: 'C:\\work', canonicalPath: 'C:\\work', apiPath: '\\\\?\\C:\\work', sid: writableRootSid('C:\\work'), exists: true },
    ]);
    expect(n.capabilitySids).toEqual([writableRootSid('C:\\work')]);
    expect(n.restrictingSids).toEqual([writableRootSid('C:\\work'), 'logon-sid-of-caller', 'S-1-1-0']);
    expect(n.tokenFlags).toEqual(['DISABLE_MAX_PRIVILEGE', 'LUA_TOKEN', 'WRITE_RESTRICTED']);
    expect(n.jobKillOnClose).toBe(true);
  });

  it("the child inherits the caller's window station and desktop (empty lpDesktop, not Winsta0\\Default)", () => {
    // A caller in a service session has no access to Winsta0; naming it makes every user32 program fail to start.
    expect(nativeOf(input(perms([root('C:\\work')]), fsi)).desktop).toBe('');
  });

  it('planned on another OS: the launcher by name, the program as given, and a note saying so', () => {
    const req = planWindows(input(perms([root('C:\\work')]), fsi));
    expect(req.program).toBe('codex-sandbox-launcher.exe');
    expect(req.argv.slice(0, 4)).toEqual(['--application', 'git', '--cwd', 'C:\\work']);
    expect(req.argv.slice(-2)).toEqual(['--command-line', 'git status']);
    expect(req.cwd).toBe('C:\\work');
    expect(req.enforcement.join('\n')).toMatch(/planned on another OS/);
  });

  describe('planned on the Windows host: the LaunchRequest is what runs', () => {
    const LAUNCHER = 'C:\\pkg\\codex-sandbox-launcher.exe';
    const onHost = (fs: FsInspector, command: string[] = ['git', 'status']): PlanInput => {
      const i = input(perms([root('C:\\work')]), fs);
      return { ...i, command, facts: { ...i.facts, windows: { launcherPath: LAUNCHER } } };
    };

    it('runs the launcher with the program found on the sandbox PATH through facts.fs', () => {
      const fs = fakeWindowsFs({ 'C:\\work': 'dir', 'C:\\Windows\\System32\\git.exe': 'file' });
      const req = planWindows(onHost(fs));
      expect(req.program).toBe(LAUNCHER);
      expect(req.argv).toContain('--application');
      expect(req.argv[req.argv.indexOf('--application') + 1]).toBe('C:\\Windows\\System32\\git.exe');
      expect(req.argv.slice(-2)).toEqual(['--command-line', 'git status']);
      for (const sid of (req.native as WindowsTokenPlan).capabilitySids) expect(req.argv).toContain(sid);
    });

    it('never takes the program from the working directory (a workspace-planted git.exe)', () => {
      const fs = fakeWindowsFs({ 'C:\\work': 'dir', 'C:\\work\\git.exe': 'file' });
      expect(planError(() => planWindows(onHost(fs))).code).toBe('ProgramNotFound');
    });

    it('runs a .cmd shim found on PATH (npm) through cmd.exe from the system root, never a cmd.exe planted in the cwd', () => {
      const fs = fakeWindowsFs({ 'C:\\work': 'dir', 'C:\\work\\cmd.exe': 'file', 'C:\\work\\npm.exe': 'file', 'C:\\nodejs\\npm': 'file', 'C:\\nodejs\\npm.cmd': 'file' });
      const i = onHost(fs, ['npm', 'run', 'build & test']);
      const req = planWindows({ ...i, env: { Path: 'C:\\nodejs;C:\\Windows\\System32' }, facts: { ...i.facts, windows: { launcherPath: LAUNCHER, systemRoot: 'C:\\Windows' } } });
      expect(req.argv[req.argv.indexOf('--application') + 1]).toBe('C:\\Windows\\System32\\cmd.exe');
      expect(req.argv.slice(-2)).toEqual(['--command-line', 'C:\\Windows\\System32\\cmd.exe /d /v:off /s /c ""C:\\nodejs\\npm.cmd" run "build & test""']);
    });

    it('refuses, as a usage error naming it, an argument a batch file cannot be given safely', () => {
      const fs = fakeWindowsFs({ 'C:\\work': 'dir', 'C:\\tools\\npm.cmd': 'file' });
      const e = planError(() => planWindows(onHost(fs, ['C:\\tools\\npm.cmd', 'test', '%USERPROFILE%'])));
      expect(e.code).toBe('BatchArgumentUnsafe');
      expect(e.usage).toBe(true);
      expect(e.message).toContain('"%USERPROFILE%"');
    });

    it('a .cmd planned on another OS still goes through cmd.exe', () => {
      const req = planWindows({ ...input(perms([root('C:\\work')]), fakeWindowsFs({ 'C:\\work': 'dir' })), command: ['yarn.cmd', 'install'] });
      expect(req.argv.slice(-2)).toEqual(['--command-line', 'C:\\Windows\\System32\\cmd.exe /d /v:off /s /c ""yarn.cmd" install"']);
    });
  });

  it('capability SIDs have the S-1-5-21 shape and are the same for equivalent spellings', () => {
    expect(writableRootSid('C:\\Work')).toMatch(/^S-1-5-21-\d+-\d+-\d+-\d+$/);
    expect(writableRootSid('C:\\Work')).toBe(writableRootSid('c:\\work'));
    expect(writableRootSid('C:\\work')).not.toBe(writableRootSid('C:\\other'));
  });

  it('no writable roots gives the read-only capability token with no grants', () => {
    const n = nativeOf(input(perms([]), fsi));
    expect(n.tokenMode).toBe('readonly');
    expect(n.capabilitySids).toEqual([readonlySid()]);
    expect(n.writableRoots).toEqual([]);
    expect(n.denyWritePaths).toEqual([]);
  });

  it('a writable root that does not exist gets no grant and is reported', () => {
    const req = planWindows(input(perms([root('D:\\missing')]), fsi));
    const n = req.native as WindowsTokenPlan;
    expect(n.writableRoots[0]?.exists).toBe(false);
    expect(n.tokenMode).toBe('readonly');
    expect(req.enforcement.join('\n')).toContain('D:\\missing does not exist');
  });

  it('normalises forward slashes, a lower-case drive letter, verbatim prefixes and trailing separators', () => {
    const n = nativeOf(input(perms([root('\\\\?\\c:/work/')]), fsi));
    expect(n.writableRoots[0]?.path).toBe('C:\\work');
  });
});

describe('planWindows: UNC paths', () => {
  const fsi = fakeWindowsFs({ '\\\\server\\share\\work': 'dir' });

  it('grants on a UNC root with the \\\\?\\UNC\\ API form', () => {
    const n = nativeOf(input(perms([root('\\\\server\\share\\work')]), fsi, '\\\\server\\share\\work'));
    expect(n.writableRoots[0]).toMatchObject({ canonicalPath: '\\\\server\\share\\work', apiPath: '\\\\?\\UNC\\server\\share\\work', exists: true });
    expect(n.cwd).toBe('\\\\server\\share\\work');
  });

  it('accepts the \\\\?\\UNC\\ spelling of the same root', () => {
    const n = nativeOf(input(perms([root('\\\\?\\UNC\\server\\share\\work')]), fsi, '\\\\server\\share\\work'));
    expect(n.writableRoots[0]?.path).toBe('\\\\server\\share\\work');
  });

  it('refuses device-namespace roots such as \\\\.\\COM1 and volume GUID paths', () => {
    for (const bad of ['\\\\.\\COM1', '\\\\?\\Volume{01234567-89ab-cdef-0123-456789abcdef}\\x']) {
      const e = planError(() => planWindows(input(perms([root(bad)]), fsi, '\\\\server\\share\\work')));
      expect(e.code).toBe('WindowsPathNotRepresentable');
      expect(e.message).toContain(bad);
    }
  });
});

describe('planWindows: junctions and symlinks', () => {
  it('a writable root reached through a junction is granted on the real directory', () => {
    const fsi = fakeWindowsFs({ 'D:\\real\\work': 'dir', 'D:\\real\\work\\.git': 'dir' }, { 'C:\\link': 'D:\\real' });
    const n = nativeOf({ ...input(perms([root('C:\\link\\work', ['C:\\link\\work\\.git'])]), fsi, 'C:\\link\\work'), allowSymlinkedRoots: ['C:\\link'] });
    expect(n.writableRoots[0]).toMatchObject({ path: 'C:\\link\\work', canonicalPath: 'D:\\real\\work', apiPath: '\\\\?\\D:\\real\\work', sid: writableRootSid('D:\\real\\work') });
    // Deny paths are re-based onto the canonical root, where the grant is.
    expect(n.denyWritePaths.map((d) => d.path)).toContain('D:\\real\\work\\.git');
  });

  it('keeps the lexical path and says so when realpath fails', () => {
    const fsi = fakeWindowsFs({ 'C:\\odd': 'dir' }, {}, ['C:\\odd']);
    const req = planWindows(input(perms([root('C:\\odd', [], [])]), fsi, 'C:\\odd'));
    expect((req.native as WindowsTokenPlan).writableRoots[0]?.canonicalPath).toBe('C:\\odd');
    expect(req.enforcement.join('\n')).toMatch(/C:\\odd: could not be canonicalised/);
  });

  it('a protected metadata entry that is a junction is denied on the link and on its target inside the root', () => {
    const fsi = fakeWindowsFs({ 'C:\\work': 'dir', 'C:\\work\\store': 'dir' }, { 'C:\\work\\.codex': 'C:\\work\\store' });
    const n = nativeOf(input(perms([root('C:\\work', ['C:\\work\\.codex'], ['.codex'])]), fsi));
    expect(n.denyWritePaths.map((d) => d.path)).toEqual(['C:\\work\\.codex', 'C:\\work\\store']);
  });

  it('refuses a writable root reached through a link inside another writable root that points outside them (junction poisoning)', () => {
    // An earlier sandboxed command under C:\work made C:\work\sub a junction to the user's .ssh.
    const fsi = fakeWindowsFs({ 'C:\\work': 'dir', 'C:\\Users\\me\\.ssh': 'dir' }, { 'C:\\work\\sub': 'C:\\Users\\me\\.ssh' });
    const e = planError(() => planWindows(input(perms([root('C:\\work', [], []), root('C:\\work\\sub', [], [])]), fsi, 'C:\\work\\sub')));
    expect(e.code).toBe('WindowsRootThroughPlantedLink');
    expect(e.message).toContain('C:\\Users\\me\\.ssh');
  });

  it('allows a writable root through a link inside another root when the target stays inside the roots (pnpm junctions)', () => {
    const fsi = fakeWindowsFs({ 'C:\\work': 'dir', 'C:\\work\\.pnpm\\pkg': 'dir' }, { 'C:\\work\\node_modules\\pkg': 'C:\\work\\.pnpm\\pkg' });
    const n = nativeOf(input(perms([root('C:\\work', [], []), root('C:\\work\\node_modules\\pkg', [], [])]), fsi));
    expect(n.writableRoots.map((r) => r.canonicalPath)).toEqual(['C:\\work', 'C:\\work\\.pnpm\\pkg']);
  });

  it('refuses a writable root or cwd through a junction a sandboxed run could have planted, even with no enclosing root in this run', () => {
    // Run 1 (root C:\work) made C:\work\pkg a junction to the user's profile; run 2 starts in C:\work\pkg.
    const fsi = fakeWindowsFs({ 'C:\\work': 'dir', 'C:\\Users\\me': 'dir' }, { 'C:\\work\\pkg': 'C:\\Users\\me' });
    const e = planError(() => planWindows(input(perms([root('C:\\work\\pkg', [], [])]), fsi, 'C:\\work\\pkg')));
    expect(e.code).toBe('SymlinkedRoot');
    expect(e.usage).toBe(true);
    expect(e.message).toContain('the writable root C:\\work\\pkg goes through the junction or symlink C:\\work\\pkg (→ C:\\Users\\me)');
    expect(e.message).toContain('--allow-symlinked-root C:\\work\\pkg');
    // A read-only run started there: the cwd rule (as on Linux and macOS).
    const ro = planError(() => planWindows(input(perms([]), fsi, 'C:\\work\\pkg')));
    expect(ro.message).toContain('the working directory C:\\work\\pkg');
    // Accepted explicitly: granted on the target.
    const n = nativeOf({ ...input(perms([root('C:\\work\\pkg', [], [])]), fsi, 'C:\\work\\pkg'), allowSymlinkedRoots: ['C:\\work\\pkg'] });
    expect(n.writableRoots[0]?.canonicalPath).toBe('C:\\Users\\me');
  });

  it('two spellings of one root (junction and target) are granted once', () => {
    const fsi = fakeWindowsFs({ 'D:\\w': 'dir' }, { 'C:\\j': 'D:\\w' });
    const n = nativeOf(input(perms([root('C:\\j', [], []), root('D:\\w', [], [])]), fsi, 'D:\\w'));
    expect(n.writableRoots.map((r) => r.canonicalPath)).toEqual(['D:\\w']);
  });
});

describe('planWindows: protected metadata', () => {
  it('existing .git/.codex/.agents are denied; missing ones are created first as directories', () => {
    const fsi = fakeWindowsFs({ 'C:\\work': 'dir', 'C:\\work\\.git': 'dir' });
    const n = nativeOf(input(perms([root('C:\\work', ['C:\\work\\.git'])]), fsi));
    expect(n.denyWritePaths.map((d) => d.path)).toEqual(['C:\\work\\.git', 'C:\\work\\.agents', 'C:\\work\\.codex']);
    expect(n.createMissingDenyDirs).toEqual(['C:\\work\\.agents', 'C:\\work\\.codex']);
    for (const d of n.denyWritePaths) {
      expect(d.sids).toEqual([writableRootSid('C:\\work')]);
      expect(d.apiPath).toBe('\\\\?\\' + d.path);
    }
  });

  it('a deny path inside nested roots names the SIDs of every root that contains it', () => {
    const fsi = fakeWindowsFs({ 'C:\\work': 'dir', 'C:\\work\\pkg': 'dir', 'C:\\work\\pkg\\.git': 'dir' });
    const n = nativeOf(input(perms([root('C:\\work', [], []), root('C:\\work\\pkg', ['C:\\work\\pkg\\.git'], [])]), fsi));
    expect(n.denyWritePaths).toEqual([
      { path: 'C:\\work\\pkg\\.git', apiPath: '\\\\?\\C:\\work\\pkg\\.git', sids: [writableRootSid('C:\\work'), writableRootSid('C:\\work\\pkg')] },
    ]);
  });

  it('a read-only path outside every writable root needs no ACE (a worktree gitdir elsewhere)', () => {
    const fsi = fakeWindowsFs({ 'C:\\wt': 'dir', 'C:\\repo\\.git\\worktrees\\wt': 'dir' });
    const n = nativeOf(input(perms([root('C:\\wt', ['C:\\repo\\.git\\worktrees\\wt'], [])]), fsi, 'C:\\wt'));
    expect(n.denyWritePaths).toEqual([]);
  });

  it('a missing explicit read-only carve-out is created as a directory before its ACE', () => {
    const fsi = fakeWindowsFs({ 'C:\\work': 'dir' });
    const n = nativeOf(input(perms([root('C:\\work', ['C:\\work\\secrets'], [])]), fsi));
    expect(n.createMissingDenyDirs).toEqual(['C:\\work\\secrets']);
    expect(n.denyWritePaths.map((d) => d.path)).toEqual(['C:\\work\\secrets']);
  });
});

describe('planWindows: network modes', () => {
  const fsi = fakeWindowsFs({ 'C:\\work': 'dir' });

  it('restricted network applies the env-only offline shim and says it is NOT enforced by the OS', () => {
    const req = planWindows(input(perms([root('C:\\work', [], [])]), fsi));
    const n = req.native as WindowsTokenPlan;
    expect(n.network).toBe('enforced-env-shim-only');
    expect(req.env).toMatchObject({
      SBX_NONET_ACTIVE: '1',
      HTTP_PROXY: OFFLINE_PROXY,
      HTTPS_PROXY: OFFLINE_PROXY,
      ALL_PROXY: OFFLINE_PROXY,
      GIT_HTTP_PROXY: OFFLINE_PROXY,
      GIT_HTTPS_PROXY: OFFLINE_PROXY,
      NO_PROXY: 'localhost,127.0.0.1,::1',
      PIP_NO_INDEX: '1',
      PIP_DISABLE_PIP_VERSION_CHECK: '1',
      NPM_CONFIG_OFFLINE: 'true',
      CARGO_NET_OFFLINE: 'true',
      GIT_SSH_COMMAND: 'cmd /c exit 1',
      GIT_ALLOW_PROTOCOLS: '',
    });
    expect(OFFLINE_PROXY).toBe('http://127.0.0.1:9');
    // PATH keeps its original spelling (Windows names are case-insensitive) with the stubs first.
    expect(req.env.Path).toBe('C:\\Users\\me\\.sbx-denybin;C:\\Windows\\System32');
    expect(req.env.PATHEXT).toBe('.BAT;.CMD;.COM;.EXE');
    expect(n.denyBinDir).toBe('C:\\Users\\me\\.sbx-denybin');
    expect(n.denyBinStubs).toEqual(['ssh.bat', 'ssh.cmd', 'scp.bat', 'scp.cmd']);
    expect(req.enforcement.join('\n')).toMatch(/network: NOT enforced by the OS on this backend/);
  });

  it('enabled network leaves the proxy variables alone', () => {
    const req = planWindows(input(perms([root('C:\\work', [], [])], {}, 'enabled'), fsi));
    expect((req.native as WindowsTokenPlan).network).toBe('enabled');
    expect(req.env.HTTP_PROXY).toBeUndefined();
    expect(req.env.Path).toBe('C:\\Windows\\System32');
    expect(req.enforcement).toContain('network: allowed');
  });

  it('replaces a differently-cased proxy variable instead of leaving two', () => {
    const req = planWindows(input(perms([root('C:\\work', [], [])]), fsi, 'C:\\work', { http_proxy: 'http://corp:8080' }));
    expect(req.env.http_proxy).toBeUndefined();
    expect(req.env.HTTP_PROXY).toBe(OFFLINE_PROXY);
  });

  it('applies the Windows env fix-ups: /dev/null → NUL, pagers → more.com, empty LESS', () => {
    const req = planWindows(input(perms([root('C:\\work', [], [])], {}, 'enabled'), fsi, 'C:\\work', { GIT_CONFIG_GLOBAL: '/dev/null', PAGER: 'less', LESS: '-R' }));
    expect(req.env).toMatchObject({ GIT_CONFIG_GLOBAL: 'NUL', PAGER: 'more.com', GIT_PAGER: 'more.com', LESS: '' });
  });
});

describe('planWindows: refusals', () => {
  const fsi = fakeWindowsFs({ 'C:\\work': 'dir', 'C:\\work\\ro': 'dir' });
  const refuses = (p: ResolvedPermissions, code: string): PlanError => {
    const e = planError(() => planWindows(input(p, fsi)));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(/^windows sandbox backend cannot enforce file_system=.*; refusing to run unsandboxed$/);
    return e;
  };

  it('full-disk write', () => {
    refuses(perms([], { kind: 'unrestricted', fullDiskWrite: true }), 'WindowsFullDiskWrite');
    refuses(perms([], { fullDiskWrite: true }), 'WindowsFullDiskWrite');
  });
  it('restricted reads', () => {
    refuses(perms([], { fullDiskRead: false, readableRoots: ['C:\\work'] }), 'WindowsRestrictedReads');
  });
  it('deny-read paths and globs', () => {
    expect(refuses(perms([], { unreadableRoots: ['C:\\work\\.env'] }), 'WindowsDenyRead').message).toContain('C:\\work\\.env');
    refuses(perms([], { unreadableGlobs: ['C:\\work\\**\\*.pem'] }), 'WindowsDenyRead');
  });
  it('external and disabled enforcement', () => {
    refuses(perms([], { kind: 'external' }), 'WindowsUnsupportedProfile');
    refuses({ ...perms([]), enforcement: 'disabled' }, 'WindowsUnsupportedProfile');
  });
  it('a writable root reopened under a read-only carve-out', () => {
    refuses(perms([root('C:\\work', ['C:\\work\\ro'], []), root('C:\\work\\ro\\w', [], [])]), 'WindowsReopenedWritableRoot');
  });
  it('a working directory too long for CreateProcess', () => {
    const long = 'C:\\' + 'd'.repeat(300);
    const e = planError(() => planWindows(input(perms([]), fsi, long)));
    expect(e.code).toBe('WindowsCwdTooLong');
  });
  it('raw-byte arguments', () => {
    const p = input(perms([]), fsi);
    const e = planError(() => planWindows({ ...p, command: ['x', { bytes: 'gA==' }] }));
    expect(e.code).toBe('WindowsArgvNotRepresentable');
  });
  it('long writable roots are planned with the extended-length API path', () => {
    const long = 'C:\\work\\' + 'x'.repeat(280);
    const n = nativeOf(input(perms([root(long, [], [])]), fakeWindowsFs({ [long]: 'dir' })));
    expect(n.writableRoots[0]?.apiPath).toBe('\\\\?\\' + long);
  });
});

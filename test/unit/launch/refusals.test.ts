/** The refusal report's pure parts: reading error lines, confirming them against a plan, the CLI's lines. */
import { describe, expect, it } from 'vitest';
import type { LaunchRequest } from '../../../src/contracts/index.js';
import type { ResolvedFileSystem } from '../../../src/permissions/index.js';
import { findRefusals } from '../../../src/launch/refusals.js';
import { planWriteVerdict, suggestedWritableRoot } from '../../../src/permissions/write-check.js';
import { refusalLines } from '../../../src/cli/refusal-lines.js';

const fs: ResolvedFileSystem = {
  kind: 'restricted',
  fullDiskRead: true,
  fullDiskWrite: false,
  includePlatformDefaults: true,
  readableRoots: [],
  writableRoots: [
    { root: '/ws', readOnlySubpaths: ['/ws/.git', '/ws/ro'], protectedMetadataNames: ['.git', '.codex', '.agents'] },
    { root: '/ws/ro/open', readOnlySubpaths: [], protectedMetadataNames: [] },
  ],
  unreadableRoots: ['/ws/secret'],
  unreadableGlobs: [],
  globScanMaxDepth: undefined,
};

/** A plan as far as the report reads it (kind, permissions); not a runnable request. */
function plan(network: 'restricted' | 'enabled', kind: LaunchRequest['kind'] = 'linux-bwrap'): LaunchRequest {
  return { kind, env: {}, permissions: { enforcement: 'managed', fileSystem: fs, network, warnings: [] } } as unknown as LaunchRequest;
}

describe('planWriteVerdict', () => {
  it('writable roots, read-only subpaths, nested roots re-opening them, protected names, deny-read', () => {
    expect(planWriteVerdict(fs, '/ws/src/a.ts')).toEqual({ writable: true });
    expect(planWriteVerdict(fs, '/usr/lib/x')).toEqual({ writable: false, reason: 'read-only' });
    expect(planWriteVerdict(fs, '/ws/ro/x')).toEqual({ writable: false, reason: 'protected', protectedPath: '/ws/ro' });
    expect(planWriteVerdict(fs, '/ws/ro/open/x')).toEqual({ writable: true });
    expect(planWriteVerdict(fs, '/ws/.codex/config.toml')).toEqual({ writable: false, reason: 'protected', protectedPath: '/ws/.codex' });
    expect(planWriteVerdict(fs, '/ws/secret/k')).toEqual({ writable: false, reason: 'denied' });
    expect(planWriteVerdict({ ...fs, fullDiskWrite: true }, '/usr/x')).toEqual({ writable: true });
  });

  it('a carve-out of a root is not re-opened by an ANCESTOR root (workspace-write: /tmp and the cwd under it)', () => {
    const nested: ResolvedFileSystem = {
      ...fs,
      writableRoots: [
        { root: '/tmp', readOnlySubpaths: [], protectedMetadataNames: ['.git'] },
        { root: '/tmp/ws', readOnlySubpaths: ['/tmp/ws/keep'], protectedMetadataNames: ['.git', '.codex'] },
        { root: '/tmp/ws/keep/open', readOnlySubpaths: [], protectedMetadataNames: [] },
      ],
    };
    expect(planWriteVerdict(nested, '/tmp/ws/.git/description')).toEqual({ writable: false, reason: 'protected', protectedPath: '/tmp/ws/.git' });
    expect(planWriteVerdict(nested, '/tmp/ws/keep/x')).toEqual({ writable: false, reason: 'protected', protectedPath: '/tmp/ws/keep' });
    expect(planWriteVerdict(nested, '/tmp/ws/keep/open/x')).toEqual({ writable: true });
    expect(planWriteVerdict(nested, '/tmp/ws/src/x')).toEqual({ writable: true });
    expect(planWriteVerdict(nested, '/tmp/other/x')).toEqual({ writable: true });
    // git init copying its templates: the report names the protected .git path, never the template it read.
    const line = "fatal: cannot copy '/usr/share/git-core/templates/description' to '/tmp/ws/.git/description': Read-only file system";
    const req = { kind: 'linux-bwrap', env: {}, permissions: { enforcement: 'managed', fileSystem: nested, network: 'enabled', warnings: [] } } as unknown as LaunchRequest;
    expect(findRefusals(req, { stderr: line, exitCode: 128 }).map((r) => (r.kind === 'write' ? `${r.path} ${r.reason}` : r.kind))).toEqual(['/tmp/ws/.git/description protected']);
  });

  it('suggests the first folder under home (never home itself), else the parent directory', () => {
    expect(suggestedWritableRoot('/root/.npm/_cacache/tmp/x', '/root')).toBe('/root/.npm');
    expect(suggestedWritableRoot('/root/.bashrc', '/root')).toBe('/root/.bashrc');
    expect(suggestedWritableRoot('/root', '/root')).toBe('/');
    expect(suggestedWritableRoot('/usr/local/lib/x', '/root')).toBe('/usr/local/lib');
    expect(suggestedWritableRoot('/x/y', '/')).toBe('/x');
  });
});

describe('findRefusals (pure)', () => {
  const failed = (stderr: string): Parameters<typeof findRefusals>[1] => ({ stderr, exitCode: 1 });

  it('reads the path next to the error in the forms coreutils, shells, node and python print', () => {
    const lines = [
      "touch: cannot touch '/usr/a': Read-only file system",
      'mkdir: cannot create directory ‘/usr/b’: Read-only file system',
      '/bin/sh: 1: cannot create /usr/c: Read-only file system',
      "Error: EROFS: read-only file system, open '/usr/d'",
      "OSError: [Errno 30] Read-only file system: '/usr/e'",
      "ln: failed to create symbolic link '/usr/f' -> '/ws/g': Read-only file system",
    ];
    expect(findRefusals(plan('enabled'), failed(lines.join('\n'))).map((r) => (r.kind === 'write' ? r.path : r.kind))).toEqual(['/usr/a', '/usr/b', '/usr/c', '/usr/d', '/usr/e', '/usr/f']);
  });

  it('a relative path in the forms that name the refused file is taken from the command\'s cwd; other quoted words are not paths', () => {
    const lines = [
      "touch: cannot touch 'a': Read-only file system",
      'sh: 1: cannot create b.txt: Read-only file system',
      'bash: c/d: Read-only file system',
      "OSError: [Errno 30] Read-only file system: 'e'",
      "Error: EROFS: read-only file system, open 'f'",
      "  code: 'EROFS',",
      "  syscall: 'open',",
    ];
    const paths = findRefusals(plan('enabled'), { stderr: lines.join('\n'), exitCode: 1, cwd: '/usr/src' }).map((r) => (r.kind === 'write' ? r.path : ''));
    expect(paths).toEqual(['/usr/src/a', '/usr/src/b.txt', '/usr/src/c/d', '/usr/src/e', '/usr/src/f']);
    // In a writable cwd the same lines say nothing; without a cwd relative paths are not read.
    expect(findRefusals(plan('enabled'), { stderr: lines.join('\n'), exitCode: 1, cwd: '/ws' })).toEqual([]);
    expect(findRefusals(plan('enabled'), { stderr: lines.join('\n'), exitCode: 1 })).toEqual([]);
  });

  it('EACCES/EPERM are not read as refused writes (running a non-executable file, reading a denied one)', () => {
    const lines = ['sh: 1: /usr/bin/tool: Permission denied', "cat: '/ws/secret/k': Permission denied", "PermissionError: [Errno 13] Permission denied: '/usr/e'"];
    expect(findRefusals(plan('enabled'), { stderr: lines.join('\n'), exitCode: 126, cwd: '/usr' })).toEqual([]);
  });

  it('drops what the plan allows, control characters, relative paths, exit 0 and unsandboxed runs', () => {
    expect(findRefusals(plan('enabled'), failed("touch: cannot touch '/ws/a': Read-only file system"))).toEqual([]);
    expect(findRefusals(plan('enabled'), failed("touch: cannot touch '/usr/\u001b[2Jx': Read-only file system"))).toEqual([]);
    expect(findRefusals(plan('enabled'), failed("touch: cannot touch 'rel/x': Read-only file system"))).toEqual([]);
    expect(findRefusals(plan('enabled'), { stderr: "touch: cannot touch '/usr/a': Read-only file system", exitCode: 0 })).toEqual([]);
    expect(findRefusals(plan('restricted', 'none'), failed("touch: cannot touch '/usr/a': Read-only file system"))).toEqual([]);
  });

  it('network: the host when a tool names it, one anonymous entry otherwise; nothing with the network on', () => {
    const text = ['curl: (6) Could not resolve host: example.com', 'curl: (7) Failed to connect to 10.0.0.1 port 443 after 0 ms: Couldn’t connect to server', 'Temporary failure in name resolution'].join('\n');
    expect(findRefusals(plan('restricted'), failed(text)).map((r) => (r.kind === 'network' ? r.host : r.path))).toEqual(['example.com', '10.0.0.1:443']);
    expect(findRefusals(plan('restricted'), failed('socket.gaierror: [Errno -3] Temporary failure in name resolution'))).toEqual([
      { kind: 'network', message: 'blocked network (network is off; allow it with network: true)' },
    ]);
    expect(findRefusals(plan('enabled'), failed(text))).toEqual([]);
    // A host unix socket refused by seccomp is a network refusal, not a write to suggest -w for.
    expect(findRefusals(plan('restricted'), failed('Error: connect EPERM /var/run/docker.sock'))).toEqual([
      { kind: 'network', message: 'blocked network (network is off; allow it with network: true)' },
    ]);
    expect(findRefusals(plan('enabled'), failed('Error: connect EPERM /var/run/docker.sock'))).toEqual([]);
  });

  it('with an allow list (proxy variables set, network not disabled): a network error means the client went around the proxy', () => {
    const proxied = { ...plan('restricted'), env: { CODEX_SANDBOX_NETWORK_PROXY: 'http://127.0.0.1:3128' } } as LaunchRequest;
    const node20 = 'TypeError: fetch failed\n  [cause]: Error: getaddrinfo EAI_AGAIN example.com';
    const r = findRefusals(proxied, failed(node20));
    expect(r).toEqual([
      {
        kind: 'network',
        host: 'example.com',
        bypassedProxy: true,
        message: 'blocked network: example.com (only the filtering proxy http://127.0.0.1:3128 reaches the network and this client did not use it; it must honour HTTPS_PROXY/ALL_PROXY, which Node\'s http and https modules before v24.5 do not)',
      },
    ]);
    expect(refusalLines(r, undefined)).toEqual([
      "blocked network: example.com (only the filtering proxy reaches the network and this client went around it; it must honour HTTPS_PROXY/ALL_PROXY, which Node's http and https modules before v24.5 do not: see docs/security.md §13)",
    ]);
    // The network off (the planner sets CODEX_SANDBOX_NETWORK_DISABLED): the usual advice, whatever else the env holds.
    const off = { ...plan('restricted'), env: { CODEX_SANDBOX_NETWORK_PROXY: 'x', CODEX_SANDBOX_NETWORK_DISABLED: '1' } } as LaunchRequest;
    expect(findRefusals(off, failed(node20))[0]?.message).toBe('blocked network: example.com (network is off; allow it with network: true)');
  });

  it('reads only the tail of a long stderr (bytes or lines, as execa may give it)', () => {
    const head = "touch: cannot touch '/usr/early': Read-only file system\n";
    const text = head + 'x'.repeat(100 * 1024) + "\ntouch: cannot touch '/usr/late': Read-only file system\n";
    const paths = (stderr: string | Uint8Array | string[]): string[] => findRefusals(plan('enabled'), { stderr, exitCode: 1 }).map((r) => (r.kind === 'write' ? r.path : ''));
    expect(paths(text)).toEqual(['/usr/late']);
    expect(paths(Buffer.from(text))).toEqual(['/usr/late']);
    expect(paths(text.split('\n'))).toEqual(['/usr/late']);
  });
});

describe('refusalLines (CLI)', () => {
  it('one line per writable root to add (~ under home), per host; protected ones with no flag; bounded', () => {
    const r = findRefusals(plan('restricted'), {
      exitCode: 1,
      stderr: [
        "mkdir: cannot create directory '/home/u/.npm/_cacache': Read-only file system",
        "touch: cannot touch '/home/u/.npm/_logs/x.log': Read-only file system",
        "touch: cannot touch '/ws/.git/config': Read-only file system",
        'getaddrinfo EAI_AGAIN registry.npmjs.org',
      ].join('\n'),
      home: '/home/u',
    });
    expect(refusalLines(r, '/home/u')).toEqual([
      'blocked write: /home/u/.npm/_cacache (read-only, and 1 more there; allow with -w ~/.npm)',
      'blocked write: /ws/.git/config (protected metadata or a read-only entry)',
      'blocked network: registry.npmjs.org (network is off; allow with --network)',
    ]);
    const many = findRefusals(plan('enabled'), { exitCode: 1, stderr: Array.from({ length: 9 }, (_, i) => `touch: cannot touch '/opt/d${i}/f': Read-only file system`).join('\n') });
    const lines = refusalLines(many, undefined);
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe('blocked write: /opt/d0/f (read-only; allow with -w /opt/d0)');
    expect(lines[5]).toBe('… and 4 more refused accesses');
  });
});

/**
 * macOS planner rules added for the first real run (issue #23), checked on the generated plan:
 * planted symlinks in a writable root or the cwd are refused, deny rules ignore letter case (APFS
 * is case-insensitive by default). The SBPL regexes use only bracket classes, groups, `?`, `*` and
 * anchors, which mean the same in JavaScript, so kernel matching is modelled with RegExp here; the
 * real kernel check is test/integration/darwin/seatbelt-escape.test.ts (runs on a Mac only).
 */
import { describe, expect, it } from 'vitest';
import { PlanError } from '../../../src/contracts/index.js';
import type { FsEntryStat, FsInspector } from '../../../src/permissions/fs-facts.js';
import { planDarwin } from '../../../src/platforms/darwin/plan.js';
import { buildSeatbeltPolicy } from '../../../src/platforms/darwin/policy.js';
import { caseInsensitivePathRegex } from '../../../src/platforms/darwin/glob-regex.js';
import { head, parseSexprs, printSexpr } from '../../helpers/sexpr.js';
import type { Sexpr } from '../../helpers/sexpr.js';
import { MAC_FS, fakeFs, permissions, planInput, root } from './fixtures.js';

const UID = 501;

/** fakeFs plus lstat: owner per path (default: the caller), directory modes per path (default 0755). */
function withOwners(fs: FsInspector, owners: Record<string, number>, modes: Record<string, number> = {}): FsInspector {
  return {
    ...fs,
    lstat: (p: string): FsEntryStat | undefined => {
      const kind = fs.kind(p);
      if (kind === 'missing') return undefined;
      return { kind, dev: '1', ino: String(p.length), uid: owners[p] ?? UID, mode: modes[p] ?? 0o755 };
    },
  };
}

const planted = withOwners(
  fakeFs({ ...MAC_FS, dirs: [...(MAC_FS.dirs ?? []), '/Users/dev/ws'], symlinks: { ...MAC_FS.symlinks, '/Users/dev/ws/pkg': '/Users/dev' } }),
  { '/': 0, '/tmp': 0, '/var': 0, '/etc': 0, '/Users': 0 },
);

describe('darwin: planted symlinks in the cwd or a writable root are refused (same rule as Linux)', () => {
  const darwinFacts = { darwin: { uid: UID } };

  it('a writable root through a link the sandbox could have planted (ws/pkg -> ~) is refused with the resolved path and the opt-in', () => {
    const perms = permissions({ fullDiskRead: true, writableRoots: [root('/Users/dev/ws/pkg')] });
    const input = planInput(perms, planted, { cwd: '/Users/dev/proj' });
    input.facts = { ...input.facts, ...darwinFacts };
    let err: unknown;
    try {
      planDarwin(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlanError);
    expect((err as PlanError).code).toBe('SymlinkedRoot');
    expect((err as PlanError).usage).toBe(true);
    expect((err as PlanError).message).toContain('the writable root /Users/dev/ws/pkg goes through the symlink /Users/dev/ws/pkg (→ /Users/dev)');
    expect((err as PlanError).message).toContain('use the resolved path /Users/dev instead, or accept the link with --allow-symlinked-root /Users/dev/ws/pkg');
  });

  it('a cwd below such a link is refused too (a workspace-write cwd is a writable root)', () => {
    const perms = permissions({ fullDiskRead: true, writableRoots: [root('/Users/dev/proj')] });
    const input = planInput(perms, planted, { cwd: '/Users/dev/ws/pkg/proj' });
    input.facts = { ...input.facts, ...darwinFacts };
    expect(() => planDarwin(input)).toThrow(/the working directory \/Users\/dev\/ws\/pkg\/proj goes through the symlink \/Users\/dev\/ws\/pkg/);
  });

  it('--allow-symlinked-root accepts the link and grants its resolved target', () => {
    const perms = permissions({ fullDiskRead: true, writableRoots: [root('/Users/dev/ws/pkg')] });
    const input = planInput(perms, planted, { allowSymlinkedRoots: ['/Users/dev/ws/pkg'] });
    input.facts = { ...input.facts, ...darwinFacts };
    const req = planDarwin(input);
    if (req.native.platform !== 'darwin') throw new Error('darwin plan expected');
    expect(new Map(req.native.params).get('WRITABLE_ROOT_0')).toBe('/Users/dev');
  });

  it('the sealed top-level aliases /tmp, /var, /etc are followed (Codex resolves exactly these)', () => {
    const perms = permissions({ fullDiskRead: true, writableRoots: [root('/tmp'), root('/var/folders/zz/T')] });
    const input = planInput(perms, planted, { cwd: '/tmp' });
    input.facts = { ...input.facts, ...darwinFacts };
    expect(() => planDarwin(input)).not.toThrow();
  });

  it('a root-owned link in a directory the caller cannot write is trusted; the same link in a writable directory is not', () => {
    const fs = fakeFs({ ...MAC_FS, dirs: [...(MAC_FS.dirs ?? []), '/opt/real'], symlinks: { ...MAC_FS.symlinks, '/opt/link': '/opt/real' } });
    const perms = permissions({ fullDiskRead: true, writableRoots: [root('/opt/link')] });
    const trusted = planInput(perms, withOwners(fs, { '/': 0, '/opt': 0, '/opt/link': 0 }));
    trusted.facts = { ...trusted.facts, ...darwinFacts };
    expect(() => planDarwin(trusted)).not.toThrow();
    const writable = planInput(perms, withOwners(fs, { '/': 0, '/opt': 0, '/opt/link': 0 }, { '/opt': 0o777 }));
    writable.facts = { ...writable.facts, ...darwinFacts };
    expect(() => planDarwin(writable)).toThrow(/it is in \/opt, a directory you can write/);
  });

  it('an unknown caller uid is treated as root: only the sealed aliases are followed', () => {
    const fs = fakeFs({ ...MAC_FS, dirs: [...(MAC_FS.dirs ?? []), '/opt/real'], symlinks: { ...MAC_FS.symlinks, '/opt/link': '/opt/real' } });
    const perms = permissions({ fullDiskRead: true, writableRoots: [root('/opt/link')] });
    expect(() => planDarwin(planInput(perms, withOwners(fs, { '/': 0, '/opt': 0, '/opt/link': 0 })))).toThrow(PlanError);
  });

  it('read-only profiles and full-disk write are not refused (no write is confined to the root)', () => {
    const ro = planInput(permissions({ fullDiskRead: true }), planted, { cwd: '/Users/dev/ws/pkg' });
    expect(() => planDarwin(ro)).toThrow(/working directory/); // restricted filesystem: the cwd rule holds
    const full = planInput(
      { enforcement: 'managed', fileSystem: { ...permissions({}).fileSystem, kind: 'unrestricted', fullDiskRead: true, fullDiskWrite: true }, network: 'restricted', warnings: [] },
      planted,
      { cwd: '/Users/dev/ws/pkg' },
    );
    expect(() => planDarwin(full)).not.toThrow();
  });
});

describe('darwin: deny rules ignore letter case (APFS is case-insensitive by default)', () => {
  const regexesOf = (policy: string, head: string): RegExp[] =>
    parseSexprs(policy)
      .map(printSexpr)
      .filter((r) => r.startsWith(head))
      .flatMap((r) => [...r.matchAll(/#"([^"]*)"/g)].map((m) => new RegExp(m[1]!)));

  it('caseInsensitivePathRegex: the path and what is below it in any case, nothing else', () => {
    const re = new RegExp(caseInsensitivePathRegex('/Users/dev/proj/.env'));
    for (const p of ['/Users/dev/proj/.env', '/Users/dev/proj/.ENV', '/users/DEV/proj/.Env', '/Users/dev/proj/.env/x']) expect(re.test(p), p).toBe(true);
    for (const p of ['/Users/dev/proj/.envx', '/Users/dev/proj/xenv', '/Users/dev/proj']) expect(re.test(p), p).toBe(false);
    const exact = new RegExp(caseInsensitivePathRegex('/Users/dev/proj', true));
    expect(exact.test('/USERS/dev/Proj')).toBe(true);
    expect(exact.test('/Users/dev/proj/a')).toBe(false);
  });

  it('a deny-read path of .env also denies .ENV (and the rule comes after every allow)', () => {
    const perms = permissions({ fullDiskRead: true, writableRoots: [root('/Users/dev/proj')], unreadableRoots: ['/Users/dev/proj/.env'] });
    const { policy } = buildSeatbeltPolicy(perms, fakeFs(MAC_FS));
    const denies = regexesOf(policy, '(deny file-read* file-read-metadata file-test-existence file-write*');
    expect(denies.some((re) => re.test('/Users/dev/proj/.ENV'))).toBe(true);
    expect(denies.some((re) => re.test('/Users/dev/proj/.env/inner'))).toBe(true);
    expect(denies.some((re) => re.test('/Users/dev/proj/env'))).toBe(false);
  });

  it('protected metadata and read-only carve-outs are excluded from the write grant in any case (.GIT, .Codex)', () => {
    const perms = permissions({ fullDiskRead: true, writableRoots: [root('/Users/dev/proj', ['/Users/dev/proj/.git'], ['.git', '.codex', '.agents'])] });
    const { policy } = buildSeatbeltPolicy(perms, fakeFs(MAC_FS));
    const write = parseSexprs(policy).map(printSexpr).find((r) => r.startsWith('(allow file-write*'))!;
    const excluded = [...write.matchAll(/\(require-not \(regex #"([^"]*)"\)\)/g)].map((m) => new RegExp(m[1]!));
    for (const p of ['/Users/dev/proj/.GIT/hooks/pre-commit', '/Users/dev/proj/.Codex/config.toml', '/Users/dev/proj/.AGENTS', '/users/dev/PROJ/.git/config']) {
      expect(excluded.some((re) => re.test(p)), p).toBe(true);
    }
    expect(excluded.some((re) => re.test('/Users/dev/proj/src/a.ts'))).toBe(false);
  });

  it('rename guards hold in any case: the writable root and the directories above a protected path', () => {
    const perms = permissions({ fullDiskRead: true, writableRoots: [root('/Users/dev/proj', ['/Users/dev/proj/a/b/.git'], [])] });
    const { policy } = buildSeatbeltPolicy(perms, fakeFs(MAC_FS));
    const guards = regexesOf(policy, '(deny file-write-unlink');
    for (const p of ['/Users/dev/PROJ', '/Users/dev/proj/A', '/Users/dev/proj/a/B']) expect(guards.some((re) => re.test(p)), p).toBe(true);
    expect(guards.some((re) => re.test('/Users/dev/proj/c'))).toBe(false);
  });
});

/**
 * A model of how Seatbelt decides one `network-outbound` to a Unix socket path: the last top-level
 * allow/deny rule for that operation whose path filter (literal, subpath, regex; strings or params)
 * matches wins; (deny default) otherwise. Only the filter forms this planner emits are understood.
 */
function unixConnectAllowed(policy: string, params: Array<[string, string]>, socketPath: string): boolean {
  const values = new Map(params);
  const text = (n: Sexpr): string => {
    if (n.type === 'string' || n.type === 'regex') return n.value;
    if (n.type === 'list' && head(n) === 'param' && n.items[1]?.type === 'string') return values.get(n.items[1].value)!;
    throw new Error(`unexpected filter argument ${printSexpr(n)}`);
  };
  const matches = (f: Sexpr): boolean => {
    if (f.type !== 'list') return false;
    const arg = f.items[1]!;
    switch (head(f)) {
      case 'literal':
        return socketPath === text(arg);
      case 'subpath': {
        const d = text(arg);
        return d === '/' || socketPath === d || socketPath.startsWith(d + '/');
      }
      case 'regex':
        return new RegExp(text(arg)).test(socketPath);
      default:
        return false;
    }
  };
  let allowed = false;
  for (const form of parseSexprs(policy)) {
    if (form.type !== 'list') continue;
    const ops = form.items.slice(1).filter((i) => i.type === 'symbol').map((i) => (i as { value: string }).value);
    if (!ops.includes('network-outbound') && !ops.includes('network*')) continue;
    const filters = form.items.slice(1).filter((i) => i.type === 'list');
    if (filters.length === 0 || filters.some(matches)) allowed = head(form) === 'allow';
  }
  return allowed;
}

describe('darwin: Unix-domain sockets with the network on', () => {
  const ws = '/Users/dev/proj';
  const perms = permissions({ fullDiskRead: true, writableRoots: [root(ws), root('/tmp'), root('/var/folders/zz/T')] }, 'enabled');

  it('container engines and ssh/gpg agents are unreachable, even under a writable root or through SSH_AUTH_SOCK', () => {
    const { policy, params } = buildSeatbeltPolicy(perms, fakeFs(MAC_FS), { sshAuthSock: '/Users/dev/.1p/sock' });
    for (const s of [
      '/private/var/run/docker.sock',
      '/Users/dev/.docker/run/docker.sock',
      '/Users/dev/.colima/default/docker.sock',
      '/Users/dev/Library/Containers/com.docker.docker/Data/docker-cli.sock',
      '/Users/dev/.local/share/containers/podman/machine/podman.sock',
      '/private/tmp/com.apple.launchd.AbC123/Listeners',
      '/private/var/folders/zz/T/ssh-XYZ/agent.4242',
      '/Users/dev/.gnupg/S.gpg-agent',
      '/Users/dev/.gnupg/S.gpg-agent.ssh',
      '/Users/dev/.1p/sock',
      `${ws}/docker.sock`,
    ]) {
      expect(unixConnectAllowed(policy, params, s), s).toBe(false);
    }
  });

  it("the command's own sockets (under a writable root) and the DNS resolver stay reachable; others are not", () => {
    const { policy, params } = buildSeatbeltPolicy(perms, fakeFs(MAC_FS));
    expect(unixConnectAllowed(policy, params, `${ws}/.run/server.sock`)).toBe(true);
    expect(unixConnectAllowed(policy, params, '/private/tmp/test-server/s')).toBe(true);
    expect(unixConnectAllowed(policy, params, '/private/var/run/mDNSResponder')).toBe(true);
    expect(unixConnectAllowed(policy, params, '/Users/dev/other/app.sock')).toBe(false);
    expect(unixConnectAllowed(policy, params, '/private/var/run/vpncontrol.sock')).toBe(false);
  });

  it('network off: no Unix socket at all (unchanged), and the model sees the default deny', () => {
    const { policy, params } = buildSeatbeltPolicy(permissions({ fullDiskRead: true, writableRoots: [root(ws)] }), fakeFs(MAC_FS));
    expect(unixConnectAllowed(policy, params, `${ws}/s.sock`)).toBe(false);
    expect(policy).not.toContain('network-outbound');
  });
});

describe('darwin: the command can write to its own streams in every profile', () => {
  it('/dev/stdout, /dev/stderr, /dev/tty and /dev/fd/N are writable without :minimal (full-read profiles); no ioctl on /dev/tty', () => {
    const { policy } = buildSeatbeltPolicy(permissions({ fullDiskRead: true }), fakeFs(MAC_FS));
    const rules = parseSexprs(policy).map(printSexpr);
    const rule = rules.find((r) => r.startsWith('(allow file-read* file-write-data') && r.includes('"/dev/stderr"'));
    expect(rule).toBeDefined();
    for (const dev of ['(literal "/dev/stdout")', '(literal "/dev/stderr")', '(literal "/dev/tty")', '(subpath "/dev/fd")']) expect(rule).toContain(dev);
    expect(rules.some((r) => r.startsWith('(allow file-ioctl') && r.includes('"/dev/tty"'))).toBe(false);
  });
});

describe('darwin: developer tools under :minimal', () => {
  it('the Command Line Tools are readable and mappable (the /usr/bin/git, clang, python3 shims exec them)', () => {
    const { policy } = buildSeatbeltPolicy(permissions({ includePlatformDefaults: true, readableRoots: ['/Users/dev/proj'] }), fakeFs(MAC_FS));
    const rule = parseSexprs(policy).map(printSexpr).find((r) => r.startsWith('(allow file-read* file-test-existence file-map-executable'));
    expect(rule).toContain('(subpath "/Library/Developer/CommandLineTools")');
  });

  it("clang gets a module cache of its own under a writable $TMPDIR, never the user's cache dir; a caller's value is kept", () => {
    const fs = fakeFs(MAC_FS);
    const tmpWritable = permissions({ fullDiskRead: true, writableRoots: [root('/Users/dev/proj'), root('/var/folders/zz/T')] });
    expect(planDarwin(planInput(tmpWritable, fs)).env.CLANG_MODULE_CACHE_PATH).toBe('/var/folders/zz/T/codex-sandbox-clang-module-cache');
    const readOnly = permissions({ fullDiskRead: true, writableRoots: [root('/Users/dev/proj')] });
    expect(planDarwin(planInput(readOnly, fs)).env.CLANG_MODULE_CACHE_PATH).toBeUndefined();
    const own = planInput(tmpWritable, fs, { env: { PATH: '/usr/bin', CLANG_MODULE_CACHE_PATH: '/Users/dev/proj/.mc' } });
    expect(planDarwin(own).env.CLANG_MODULE_CACHE_PATH).toBe('/Users/dev/proj/.mc');
  });
});

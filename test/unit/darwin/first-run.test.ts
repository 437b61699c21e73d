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
import { parseSexprs, printSexpr } from '../../helpers/sexpr.js';
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

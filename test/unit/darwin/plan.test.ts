import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlanError } from '../../../src/contracts/index.js';
import { planDarwin, SANDBOX_EXEC_PATH } from '../../../src/platforms/darwin/plan.js';
import { buildSeatbeltPolicy } from '../../../src/platforms/darwin/policy.js';
import { parseSexprs, printSexpr } from '../../helpers/sexpr.js';
import { MAC_FS, fakeFs, permissions, planInput, root } from './fixtures.js';

const macFs = fakeFs(MAC_FS);
const workspace = permissions({ fullDiskRead: true, writableRoots: [root('/Users/dev/proj', ['/Users/dev/proj/.git'], ['.git', '.codex', '.agents'])] });

function paramMap(params: Array<[string, string]>): Map<string, string> {
  return new Map(params);
}

describe('planDarwin launch request', () => {
  it('runs the absolute /usr/bin/sandbox-exec with -p policy, -D pairs, -- and the command', () => {
    const req = planDarwin(planInput(workspace, macFs, { command: ['-dash-program', 'a b'] }));
    expect(req.kind).toBe('macos-seatbelt');
    expect(req.program).toBe('/usr/bin/sandbox-exec');
    expect(SANDBOX_EXEC_PATH).toBe('/usr/bin/sandbox-exec');
    if (req.native.platform !== 'darwin') throw new Error('darwin plan expected');
    const { policy, params } = req.native;
    expect(req.argv.slice(0, 2)).toEqual(['-p', policy]);
    const defs = req.argv.slice(2, 2 + params.length * 2);
    expect(defs).toEqual(params.flatMap(([k, v]) => ['-D', `${k}=${v}`]));
    expect(req.argv.slice(2 + params.length * 2)).toEqual(['--', '-dash-program', 'a b']);
    expect(req.cwd).toBe('/Users/dev/proj');
    expect(req.permissions).toBe(workspace);
  });

  it('sets CODEX_SANDBOX=seatbelt, marks restricted network, keeps __CF_USER_TEXT_ENCODING', () => {
    const req = planDarwin(planInput(workspace, macFs));
    expect(req.env.CODEX_SANDBOX).toBe('seatbelt');
    expect(req.env.CODEX_SANDBOX_NETWORK_DISABLED).toBe('1');
    expect(req.env.__CF_USER_TEXT_ENCODING).toBe('0x1F5:0x0:0x0');
    expect(req.env.PATH).toBe('/usr/bin:/bin');
  });

  it('does not set CODEX_SANDBOX_NETWORK_DISABLED when the network is enabled', () => {
    const req = planDarwin(planInput(permissions({ fullDiskRead: true }, 'enabled'), macFs));
    expect(req.env.CODEX_SANDBOX_NETWORK_DISABLED).toBeUndefined();
    expect(req.enforcement.some((l) => l.startsWith('network: allowed'))).toBe(true);
  });

  it('lists what is and is not enforced', () => {
    const req = planDarwin(planInput(workspace, macFs));
    expect(req.enforcement.some((l) => l.includes('not isolated: process ids'))).toBe(true);
    expect(req.enforcement.some((l) => l.includes('file descriptors'))).toBe(true);
    expect(req.enforcement.some((l) => l.startsWith('network: denied'))).toBe(true);
  });

  it('rejects an empty command with a PlanError', () => {
    expect(() => planDarwin(planInput(workspace, macFs, { command: [] }))).toThrow(PlanError);
  });

  it('rejects a path with a NUL byte instead of passing a truncated path', () => {
    const perms = permissions({ fullDiskRead: true, writableRoots: [root('/Users/dev/a\0b')] });
    expect(() => planDarwin(planInput(perms, macFs))).toThrow(/NUL byte/);
  });

  it('rejects a non-UTF-8 (lone surrogate) path instead of passing a different path', () => {
    const perms = permissions({ fullDiskRead: true, writableRoots: [root('/Users/dev/a\uDC80b')] });
    expect(() => planDarwin(planInput(perms, macFs))).toThrow(/not valid UTF-8/);
  });
});

describe('Seatbelt policy content', () => {
  it('read-only full disk: allows every read, no write rule, no network rule', () => {
    const { policy, params } = buildSeatbeltPolicy(permissions({ fullDiskRead: true }), macFs);
    const rules = parseSexprs(policy).map(printSexpr);
    expect(rules).toContain('(allow file-read*)');
    expect(rules.some((r) => r.includes('file-write*') && r.startsWith('(allow') && !r.includes('/dev/'))).toBe(false);
    expect(rules.some((r) => r.includes('network-outbound'))).toBe(false);
    expect(params).toEqual([]);
  });

  it('network enabled adds outbound, inbound and bind', () => {
    const rules = parseSexprs(buildSeatbeltPolicy(permissions({ fullDiskRead: true }, 'enabled'), macFs).policy).map(printSexpr);
    expect(rules).toEqual(expect.arrayContaining(['(allow network-outbound)', '(allow network-inbound)', '(allow network-bind)']));
  });

  it('canonicalises roots: /tmp and /var resolve to /private, symlinked roots to their target', () => {
    const fs = fakeFs({ ...MAC_FS, symlinks: { ...MAC_FS.symlinks, '/Users/dev/link': '/Users/dev/cache' } });
    const perms = permissions({ fullDiskRead: true, writableRoots: [root('/tmp'), root('/var/folders/zz/T/new-dir'), root('/Users/dev/link')] });
    const params = paramMap(buildSeatbeltPolicy(perms, fs).params);
    expect(params.get('WRITABLE_ROOT_0')).toBe('/private/tmp');
    expect(params.get('WRITABLE_ROOT_1')).toBe('/private/var/folders/zz/T/new-dir');
    expect(params.get('WRITABLE_ROOT_2')).toBe('/Users/dev/cache');
  });

  it('uses the /private spelling for /tmp, /var, /etc even when realpath does not resolve (dry run on Linux)', () => {
    const perms = permissions({ fullDiskRead: true, writableRoots: [root('/tmp/x'), root('/etc/y'), root('/var/z')] });
    const params = [...paramMap(buildSeatbeltPolicy(perms, fakeFs()).params).values()];
    expect(params).toEqual(['/private/tmp/x', '/private/etc/y', '/private/var/z']);
  });

  it('a writable root that is a file is granted as a literal, not a subtree', () => {
    const perms = permissions({ fullDiskRead: true, writableRoots: [root('/Users/dev/notes.txt')] });
    const { policy } = buildSeatbeltPolicy(perms, macFs);
    expect(policy).toContain('(literal (param "WRITABLE_ROOT_0"))');
    expect(policy).not.toContain('(subpath (param "WRITABLE_ROOT_0"))');
  });

  it('protects both the spelling and the target of a symlinked carve-out', () => {
    const fs = fakeFs({ ...MAC_FS, symlinks: { ...MAC_FS.symlinks, '/Users/dev/proj/.codex': '/Users/dev/proj/src' } });
    const perms = permissions({ fullDiskRead: true, writableRoots: [root('/Users/dev/proj', ['/Users/dev/proj/.codex'], ['.codex'])] });
    const params = [...paramMap(buildSeatbeltPolicy(perms, fs).params).entries()];
    expect(params).toEqual([
      ['WRITABLE_ROOT_0', '/Users/dev/proj'],
      ['WRITABLE_ROOT_0_EXCLUDED_0', '/Users/dev/proj/.codex'],
      ['WRITABLE_ROOT_0_EXCLUDED_1', '/Users/dev/proj/src'],
    ]);
  });

  it('guards directories between a writable root and a nested carve-out against rename', () => {
    const perms = permissions({ fullDiskRead: true, writableRoots: [root('/Users/dev/proj', ['/Users/dev/proj/a/b/.git'], [])] });
    const params = paramMap(buildSeatbeltPolicy(perms, macFs).params);
    expect(params.get('PROTECTED_ANCESTOR_0')).toBe('/Users/dev/proj/a');
    expect(params.get('PROTECTED_ANCESTOR_1')).toBe('/Users/dev/proj/a/b');
  });

  it('full-disk write with deny-read paths: the deny comes after the write allow', () => {
    const perms = permissions({ fullDiskRead: true, fullDiskWrite: true, unreadableRoots: ['/Users/dev/proj/secrets'] });
    const rules = parseSexprs(buildSeatbeltPolicy(perms, macFs).policy).map(printSexpr);
    const allow = rules.indexOf('(allow file-write*)');
    const deny = rules.findIndex((r) => r.startsWith('(deny file-read* file-read-metadata file-test-existence file-write* (literal (param "UNREADABLE_ROOT_0"))'));
    expect(allow).toBeGreaterThan(0);
    expect(deny).toBeGreaterThan(allow);
  });

  it('deny-read entries name the metadata operations that :minimal allows by name, after that allow', () => {
    // :minimal allows file-read-metadata on all of /private/var ($TMPDIR); a deny-read path there
    // must not stay stat-able through that named-operation rule.
    const perms = permissions({
      includePlatformDefaults: true,
      readableRoots: ['/var/folders/zz/T'],
      unreadableRoots: ['/var/folders/zz/T/secret'],
      unreadableGlobs: ['/var/folders/zz/T/**/*.key'],
    });
    const rules = parseSexprs(buildSeatbeltPolicy(perms, macFs).policy).map(printSexpr);
    const metaAllow = rules.findIndex((r) => r.startsWith('(allow file-read-metadata file-test-existence') && r.includes('(subpath "/private/var")'));
    const pathDeny = rules.findIndex((r) => r.startsWith('(deny file-read* file-read-metadata file-test-existence file-write* (literal (param "UNREADABLE_ROOT_0"))'));
    const globDeny = rules.findIndex((r) => r.startsWith('(deny file-read* file-read-metadata file-test-existence file-write* (regex'));
    expect(metaAllow).toBeGreaterThan(0);
    expect(pathDeny).toBeGreaterThan(metaAllow);
    expect(globDeny).toBeGreaterThan(metaAllow);
  });

  it('a malformed deny glob stops the plan with a PlanError naming it (not silently dropped)', () => {
    const perms = permissions({ fullDiskRead: true, unreadableGlobs: ['/Users/dev/proj/{a,b'] });
    expect(() => buildSeatbeltPolicy(perms, macFs)).toThrow(PlanError);
    expect(() => buildSeatbeltPolicy(perms, macFs)).toThrow('invalid glob pattern `/Users/dev/proj/{a,b`');
  });

  it('restricted read lists writable roots as readable and drops nested readable roots', () => {
    const perms = permissions({ readableRoots: ['/Users/dev', '/Users/dev/proj/src'], writableRoots: [root('/tmp')] });
    const params = [...paramMap(buildSeatbeltPolicy(perms, macFs).params).entries()].filter(([k]) => k.startsWith('READABLE_ROOT'));
    expect(params).toEqual([
      ['READABLE_ROOT_0', '/Users/dev'],
      ['READABLE_ROOT_1', '/private/tmp'],
    ]);
  });

  it('restricted read grants metadata (not contents) on the directories above each readable root', () => {
    const perms = permissions({ includePlatformDefaults: true, readableRoots: ['/Users/dev/proj', '/Users/dev/cache'] });
    const { policy, params } = buildSeatbeltPolicy(perms, macFs);
    const ancestors = [...paramMap(params).entries()].filter(([k]) => k.startsWith('READABLE_ANCESTOR'));
    expect(ancestors).toEqual([
      ['READABLE_ANCESTOR_0', '/Users'],
      ['READABLE_ANCESTOR_1', '/Users/dev'],
    ]);
    const rules = parseSexprs(policy).map(printSexpr);
    const rule = rules.find((r) => r.includes('READABLE_ANCESTOR_0'));
    expect(rule).toBe('(allow file-read-metadata (literal (param "READABLE_ANCESTOR_0")) (literal (param "READABLE_ANCESTOR_1")))');
  });

  it('full-disk read needs no ancestor rules', () => {
    const { params } = buildSeatbeltPolicy(permissions({ fullDiskRead: true, writableRoots: [root('/Users/dev/proj')] }), macFs);
    expect(params.some(([k]) => k.startsWith('READABLE'))).toBe(false);
  });

  it('property: path text never changes the policy text outside its any-case regexes, whatever characters it holds', () => {
    const segment = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom('a', '"', '(', ')', '\n', ';', '#', '\\', ' ', '|', '.', 'é') })
      .filter((s) => s !== '.' && s !== '..' && !s.includes('/'));
    const benign = buildSeatbeltPolicy(
      permissions({ fullDiskRead: true, writableRoots: [root('/Users/x/a', ['/Users/x/a/.git'], ['.codex'])], unreadableRoots: ['/Users/x/a/b'] }),
      fakeFs(),
    ).policy;
    // The any-case regexes are the one place path text reaches the policy (as bracket classes).
    const withoutRegexes = (policy: string): string => policy.replace(/#"[^"]*"/g, '#""');
    fc.assert(
      fc.property(segment, segment, (s1, s2) => {
        const r = `/Users/${s1}/${s2}`;
        const { policy, params } = buildSeatbeltPolicy(
          permissions({ fullDiskRead: true, writableRoots: [root(r, [`${r}/.git`], ['.codex'])], unreadableRoots: [`${r}/b`] }),
          fakeFs(),
        );
        expect(withoutRegexes(policy)).toBe(withoutRegexes(benign));
        for (const m of policy.matchAll(/#"([^"]*)"/g)) expect(m[1]).not.toContain('\\');
        expect(params[0]).toEqual(['WRITABLE_ROOT_0', r]);
        parseSexprs(policy);
      }),
    );
  });
});

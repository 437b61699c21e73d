/**
 * Configuration is data the sandbox may have written. Each attack runs the real CLI twice: run 1 is
 * the sandboxed command itself, writing configuration into the project (a subdirectory: the
 * project root's own codex-sandbox.toml is read-only inside); run 2, from that subdirectory, must
 * stay within the workspace-write bound and say which file and line it refused.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Scratch, bin, lineOf, requireBuilt } from './helpers.js';

const onLinux = process.platform === 'linux';
const isRoot = process.getuid?.() === 0;
const USER = 'csbx-test';

let s: Scratch;
/** Outside every writable root of workspace-write (not under /tmp). */
let outside: string;
let pkg: string;

beforeAll(() => requireBuilt());
beforeEach(() => {
  s = new Scratch();
  outside = mkdtempSync('/var/tmp/csbx-outside-');
  pkg = path.join(s.project, 'pkg');
  mkdirSync(pkg);
});
afterEach(() => {
  s.dispose();
  rmSync(outside, { recursive: true, force: true });
});

/** Run 1: the sandboxed command (default profile, cwd = project) writes `files` (paths relative to the project). */
function plant(files: Record<string, string>, extra = ''): void {
  const script = Object.entries(files)
    .map(([rel, text]) => `mkdir -p "$(dirname '${rel}')" && printf '%s' '${text.replace(/'/g, `'\\''`)}' > '${rel}'`)
    .concat(extra === '' ? [] : [extra])
    .join(' && ');
  const r = s.cli(['run', '--', '/bin/sh', '-c', script]);
  expect(r.status, r.report).toBe(0);
  for (const rel of Object.keys(files)) expect(readFileSync(path.join(s.project, rel), 'utf8')).toBe(files[rel]);
}

/** A command that proves whether it could write outside the workspace. */
const WRITE_OUTSIDE = (): string[] => ['/bin/sh', '-c', `echo pwned > ${outside}/marker && echo wrote-outside; true`];

describe.skipIf(!onLinux)('run 1 writes project configuration; run 2 stays within workspace-write (Linux)', () => {
  it('default_profile = "danger-full-access" is refused with a warning naming the line; run 2 is sandboxed', () => {
    const text = '# planted by run 1\ndefault_profile = "danger-full-access"\n';
    plant({ 'pkg/codex-sandbox.toml': text });
    const file = path.join(pkg, 'codex-sandbox.toml');
    const r = s.cli(['run', '--', ...WRITE_OUTSIDE()], { cwd: pkg });
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).not.toContain('wrote-outside');
    expect(existsSync(path.join(outside, 'marker'))).toBe(false);
    expect(r.stderr).toContain(`${file}:${lineOf(text, 'default_profile')}: default_profile: refused: it disables the sandbox`);
    expect(r.stderr).toContain('this run uses workspace-write');
    // The caller can still vouch for the project.
    const trusted = s.cli(['run', '--trust-project-config', '--', ...WRITE_OUTSIDE()], { cwd: pkg });
    expect(trusted.stdout, trusted.report).toContain('wrote-outside');
  });

  it('default_profile naming a planted profile file is bounded like the project file', () => {
    const evil = JSON.stringify({ type: 'disabled' });
    const text = 'default_profile = "evil.json"\n';
    plant({ 'pkg/evil.json': evil, 'pkg/codex-sandbox.toml': text });
    const r = s.cli(['run', '--', ...WRITE_OUTSIDE()], { cwd: pkg });
    expect(r.status, r.report).toBe(0);
    expect(existsSync(path.join(outside, 'marker'))).toBe(false);
    expect(r.stderr).toContain(`${path.join(pkg, 'evil.json')}:1: (document): refused: it disables the sandbox`);
  });

  it('a profile file the caller names inside the project, rewritten by run 1, is refused (exit 2), not obeyed', () => {
    writeFileSync(path.join(pkg, 'ci.json'), JSON.stringify({ type: 'managed', network: 'restricted', file_system: { type: 'restricted', entries: [{ path: { type: 'special', value: { kind: 'root' } }, access: 'read' }] } }));
    plant({ 'pkg/ci.json': JSON.stringify({ type: 'danger-full-access' }) });
    const r = s.cli(['run', '--profile', 'ci.json', '--', ...WRITE_OUTSIDE()], { cwd: pkg });
    expect(r.status, r.report).toBe(2);
    expect(existsSync(path.join(outside, 'marker'))).toBe(false);
    expect(r.stderr).toContain(`${path.join(pkg, 'ci.json')}:1: (document): it disables the sandbox`);
  });

  it('a project profile that makes .git writable is refused; .git stays read-only', () => {
    mkdirSync(path.join(pkg, '.git', 'hooks'), { recursive: true });
    writeFileSync(path.join(pkg, '.git', 'config'), '[core]\n');
    const text = 'default_profile = "p"\n[profiles.p]\nextends = "workspace-write"\n[profiles.p.filesystem]\n":project_roots" = { ".git" = "write" }\n';
    plant({ 'pkg/codex-sandbox.toml': text });
    const r = s.cli(['run', '--', '/bin/sh', '-c', 'echo "#!/bin/sh" > .git/hooks/pre-commit && echo planted-hook; echo evil >> .git/config; true'], { cwd: pkg });
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).not.toContain('planted-hook');
    expect(existsSync(path.join(pkg, '.git', 'hooks', 'pre-commit'))).toBe(false);
    expect(readFileSync(path.join(pkg, '.git', 'config'), 'utf8')).toBe('[core]\n');
    expect(r.stderr).toMatch(new RegExp(`codex-sandbox\\.toml:${lineOf(text, '.git')}: .*refused: it grants write access to \\.git, protected metadata`));
  });

  it('a project profile granting a write through an in-repo symlink (planted by run 1) is refused', () => {
    const text = 'default_profile = "p"\n[profiles.p]\nextends = "workspace-write"\n[profiles.p.filesystem]\n":project_roots" = { "cache" = "write" }\n';
    plant({ 'pkg/codex-sandbox.toml': text }, `ln -s ${outside} pkg/cache`);
    const r = s.cli(['run', '--', '/bin/sh', '-c', 'echo pwned > cache/marker && echo wrote-through-link; true'], { cwd: pkg });
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).not.toContain('wrote-through-link');
    expect(existsSync(path.join(outside, 'marker'))).toBe(false);
    expect(r.stderr).toContain(`refused: it grants write access to cache, which is reached through the symlink ${path.join(pkg, 'cache')} -> ${outside}`);
  });

  it('a project profile granting a write below an in-repo symlink (build/out, build planted by run 1) is refused', () => {
    mkdirSync(path.join(outside, 'out'));
    const text = 'default_profile = "p"\n[profiles.p]\nextends = "workspace-write"\n[profiles.p.filesystem]\n":project_roots" = { "build/out" = "write" }\n';
    plant({ 'pkg/codex-sandbox.toml': text }, `ln -s ${outside} pkg/build`);
    const r = s.cli(['run', '--', '/bin/sh', '-c', 'echo pwned > build/out/marker && echo wrote-through-link; true'], { cwd: pkg });
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).not.toContain('wrote-through-link');
    expect(existsSync(path.join(outside, 'out', 'marker'))).toBe(false);
    expect(r.stderr).toContain(`refused: it grants write access to build/out, which is reached through the symlink ${path.join(pkg, 'build')} -> ${outside}`);
  });

  it('network = "enabled" from a project profile is refused; the plan keeps the network restricted', () => {
    const text = 'default_profile = "net"\n[profiles.net]\nextends = "workspace-write"\nnetwork = "enabled"\n';
    plant({ 'pkg/codex-sandbox.toml': text });
    const r = s.cli(['run', '--dry-run', '--json', '--', 'true'], { cwd: pkg });
    expect(r.status, r.report).toBe(0);
    expect((JSON.parse(r.stdout) as { permissions: { network: string } }).permissions.network).toBe('restricted');
    expect(r.stderr).toContain(`codex-sandbox.toml:${lineOf(text, 'network')}: profiles.net.network: refused: it enables network access`);
    // And for real: only the loopback interface exists inside.
    const live = s.cli(['run', '--', '/bin/cat', '/proc/net/dev'], { cwd: pkg });
    expect(live.status, live.report).toBe(0);
    const ifaces = live.stdout.split('\n').slice(2).map((l) => l.split(':')[0]?.trim()).filter((x) => x !== undefined && x !== '');
    expect(ifaces).toEqual(['lo']);
  });

  it('glob_scan_max_depth from a project profile does not cap the caller\'s deny globs', () => {
    mkdirSync(path.join(pkg, 'a', 'b', 'c'), { recursive: true });
    writeFileSync(path.join(pkg, 'a', 'b', 'c', 'deep.secret'), 'SECRET\n');
    const text = 'default_profile = "shallow"\n[profiles.shallow]\nextends = "workspace-write"\nglob_scan_max_depth = 1\n';
    plant({ 'pkg/codex-sandbox.toml': text });
    const r = s.cli(['run', '--deny-read', '**/*.secret', '--', '/bin/sh', '-c', 'cat a/b/c/deep.secret; true'], { cwd: pkg });
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).not.toContain('SECRET');
    expect(r.stderr).toContain(`codex-sandbox.toml:${lineOf(text, 'glob_scan_max_depth')}: profiles.shallow.glob_scan_max_depth: ignored glob_scan_max_depth = 1`);
  });

  it('glob_scan_max_depth = 0 is an error naming the line (no command runs)', () => {
    const text = 'default_profile = "zero"\n[profiles.zero]\nextends = "workspace-write"\nglob_scan_max_depth = 0\n';
    plant({ 'pkg/codex-sandbox.toml': text });
    const r = s.cli(['run', '--', ...WRITE_OUTSIDE()], { cwd: pkg });
    expect(r.status, r.report).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`codex-sandbox.toml:${lineOf(text, 'glob_scan_max_depth')}: profiles.zero.glob_scan_max_depth`);
  });

  it('a project .codex/config.toml cannot widen `codex` either (default_profile = "codex" falls back with a warning)', () => {
    const codex = 'sandbox_mode = "danger-full-access"\n';
    plant({ 'pkg/.codex/config.toml': codex, 'pkg/codex-sandbox.toml': 'default_profile = "codex"\n' });
    const r = s.cli(['run', '--', ...WRITE_OUTSIDE()], { cwd: pkg });
    expect(r.status, r.report).toBe(0);
    expect(existsSync(path.join(outside, 'marker'))).toBe(false);
    expect(r.stderr).toContain(`${path.join(pkg, '.codex', 'config.toml')}:1: sandbox_mode: refused: it disables the sandbox`);
    const explicit = s.cli(['run', '--profile', 'codex', '--', ...WRITE_OUTSIDE()], { cwd: pkg });
    expect(explicit.status, explicit.report).toBe(2);
    expect(existsSync(path.join(outside, 'marker'))).toBe(false);
  });

  it("an untrusted project file cannot override the user's default_profile or redefine the user's profile", () => {
    s.write('home/.config/codex-sandbox/config.toml', 'default_profile = "mine"\n[profiles.mine]\nextends = "workspace-write"\ndeny_read = ["**/*.secret"]\n');
    writeFileSync(path.join(pkg, 'x.secret'), 'SECRET\n');
    plant({ 'pkg/codex-sandbox.toml': 'default_profile = "workspace-write"\n[profiles.mine]\nextends = "workspace-write"\n' });
    const r = s.cli(['run', '--', '/bin/sh', '-c', 'cat x.secret; true'], { cwd: pkg });
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).not.toContain('SECRET');
  });
});

describe.skipIf(!onLinux)('more ways run 1 could widen run 2 through configuration (Linux)', () => {
  it('a project profile may not turn filesystem isolation off: an external sandbox (default_profile) or an unrestricted filesystem (--profile)', () => {
    const text =
      'default_profile = "ext"\n' +
      '[profiles.ext]\npermission_profile = { type = "external", network = "restricted" }\n' +
      '[profiles.open]\npermission_profile = { type = "managed", network = "restricted", file_system = { type = "unrestricted" } }\n';
    plant({ 'pkg/codex-sandbox.toml': text });
    const file = path.join(pkg, 'codex-sandbox.toml');
    const byDefault = s.cli(['run', '--', ...WRITE_OUTSIDE()], { cwd: pkg });
    expect(byDefault.status, byDefault.report).toBe(0);
    expect(byDefault.stdout).not.toContain('wrote-outside');
    expect(existsSync(path.join(outside, 'marker'))).toBe(false);
    expect(byDefault.stderr).toContain(`${file}:${lineOf(text, '[profiles.ext]')}: profiles.ext: refused: it leaves filesystem isolation to an external sandbox`);
    const named = s.cli(['run', '--profile', 'open', '--', ...WRITE_OUTSIDE()], { cwd: pkg });
    expect(named.status, named.report).toBe(2);
    expect(existsSync(path.join(outside, 'marker'))).toBe(false);
    expect(named.stderr).toContain(`${file}:${lineOf(text, '[profiles.open]')}: profiles.open: it grants unrestricted filesystem access`);
  });

  it('a project .codex/config.toml may not add a workspace root outside the project', () => {
    const codex =
      'default_permissions = "ws"\n[shell_environment_policy]\nignore_default_excludes = false\n' +
      `[permissions.ws.filesystem]\n":root" = "read"\n":workspace_roots" = "write"\n[permissions.ws.workspace_roots]\n"${outside}" = true\n`;
    plant({ 'pkg/.codex/config.toml': codex });
    const r = s.cli(['run', '--profile', 'codex', '--', ...WRITE_OUTSIDE()], { cwd: pkg });
    expect(r.status, r.report).toBe(2);
    expect(r.stdout).not.toContain('wrote-outside');
    expect(existsSync(path.join(outside, 'marker'))).toBe(false);
    expect(r.stderr).toContain('it adds workspace roots outside the project');
  });

  it('a profile file named by default_profile outside the working directory ("../p.json") is bounded: its glob_scan_max_depth does not cap the caller\'s deny globs', () => {
    mkdirSync(path.join(pkg, 'a', 'b', 'c'), { recursive: true });
    writeFileSync(path.join(pkg, 'a', 'b', 'c', 'deep.secret'), 'SECRET\n');
    const special = (kind: string, access: string) => ({ path: { type: 'special', value: { kind } }, access });
    const shallow = { type: 'managed', network: 'restricted', file_system: { type: 'restricted', glob_scan_max_depth: 1, entries: [special('root', 'read'), special('project_roots', 'write')] } };
    plant({ 'p.json': JSON.stringify(shallow), 'pkg/codex-sandbox.toml': 'default_profile = "../p.json"\n' });
    const r = s.cli(['run', '--deny-read', '**/*.secret', '--', '/bin/sh', '-c', 'cat a/b/c/deep.secret; true'], { cwd: pkg });
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).not.toContain('SECRET');
    expect(r.stderr).toContain(`${path.join(s.project, 'p.json')}:1: (document): ignored glob_scan_max_depth = 1`);
  });

  it('a profile file the caller names through a symlink outside the project, pointing into it, is bounded like the file it reads', () => {
    writeFileSync(path.join(pkg, 'ci.json'), JSON.stringify({ type: 'managed', network: 'restricted', file_system: { type: 'restricted', entries: [{ path: { type: 'special', value: { kind: 'root' } }, access: 'read' }] } }));
    const link = path.join(outside, 'ci.json');
    symlinkSync(path.join(pkg, 'ci.json'), link);
    plant({ 'pkg/ci.json': JSON.stringify({ type: 'danger-full-access' }) });
    const r = s.cli(['run', '--profile', link, '--', ...WRITE_OUTSIDE()], { cwd: pkg });
    expect(r.status, r.report).toBe(2);
    expect(existsSync(path.join(outside, 'marker'))).toBe(false);
    expect(r.stderr).toContain(`${link}:1: (document): it disables the sandbox`);
  });

  it('run from $HOME, the user config is inside the working directory: the one run 1 wrote there is bounded', () => {
    const text = '# planted by run 1\ndefault_profile = "danger-full-access"\n';
    const rel = path.relative(s.home, s.userConfig);
    const script = `mkdir -p "$(dirname '${rel}')" && printf '%s' '${text}' > '${rel}'`;
    const run1 = s.cli(['run', '--', '/bin/sh', '-c', script], { cwd: s.home });
    expect(run1.status, run1.report).toBe(0);
    expect(readFileSync(s.userConfig, 'utf8')).toBe(text);
    const r = s.cli(['run', '--', ...WRITE_OUTSIDE()], { cwd: s.home });
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).not.toContain('wrote-outside');
    expect(existsSync(path.join(outside, 'marker'))).toBe(false);
    expect(r.stderr).toContain(`${s.userConfig}:${lineOf(text, 'default_profile')}: default_profile: refused: it disables the sandbox`);
  });

  it('a profile file the caller names in a directory anyone can write is not used (exit 2): another user could have replaced it', () => {
    const open = path.join(outside, 'shared');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const file = path.join(open, 'ci.json');
    writeFileSync(file, JSON.stringify({ type: 'danger-full-access' }));
    const r = s.cli(['run', '--profile', file, '--', ...WRITE_OUTSIDE()], { cwd: pkg });
    expect(r.status, r.report).toBe(2);
    expect(existsSync(path.join(outside, 'marker'))).toBe(false);
    expect(r.stderr).toContain(`profile file ${file} is not used: its directory ${open} is writable by every user and not sticky (mode 0777)`);
  });

  it("a project .codex/config.toml that only adds [shell_environment_policy] to the user's Codex mode cannot pass secrets to run 2", () => {
    s.write('home/.codex/config.toml', 'sandbox_mode = "workspace-write"\n');
    // Codex's default for a written policy is ignore_default_excludes = true: secret-named variables pass.
    const codex = '[shell_environment_policy]\ninherit = "all"\n';
    plant({ 'pkg/.codex/config.toml': codex });
    const r = s.cli(['run', '--profile', 'codex', '--', '/bin/sh', '-c', 'echo "token=$SECRET_TOKEN"'], { cwd: pkg, env: s.env({ SECRET_TOKEN: 'hunter2' }) });
    expect(r.stdout, r.report).not.toContain('hunter2');
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toContain(`${path.join(pkg, '.codex', 'config.toml')}:1: shell_environment_policy: it passes secret-named environment variables`);
  });

  it('a codex-sandbox.toml symlink planted by run 1 is judged where it points: a file in a directory anyone can write is ignored', () => {
    const open = path.join(outside, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    writeFileSync(path.join(open, 'codex-sandbox.toml'), 'default_profile = "read-only"\n');
    // Run 2 starts in pkg/sub, so the link is found upward (one in its own project root cannot be bound read-only: 125).
    plant({}, `ln -s '${path.join(open, 'codex-sandbox.toml')}' pkg/codex-sandbox.toml && mkdir pkg/sub`);
    const r = s.cli(['run', '--', '/bin/sh', '-c', 'echo ok > written && echo wrote-cwd; true'], { cwd: path.join(pkg, 'sub') });
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).toContain('wrote-cwd'); // workspace-write, not the read-only another user could choose
    expect(r.stderr).toContain(`ignored ${path.join(pkg, 'codex-sandbox.toml')}: its directory ${open} is writable by every user and not sticky (mode 0777)`);
  });

  it('a configuration file of more than 1 MiB planted by run 1 is not read: run 2 ignores it, saying why, and runs', () => {
    // 1 MiB of comment lines, then a key that would make run 2 read-only if the file were read.
    plant({}, `mkdir -p pkg/sub && yes '# padding padding padding padding padding padding padding' | head -c 1048576 > pkg/codex-sandbox.toml && printf 'default_profile = "read-only"\n' >> pkg/codex-sandbox.toml`);
    const file = path.join(pkg, 'codex-sandbox.toml');
    const r = s.cli(['run', '--', '/bin/sh', '-c', 'echo ok > written && echo wrote-cwd; true'], { cwd: path.join(pkg, 'sub') });
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).toContain('wrote-cwd');
    expect(r.stderr).toContain(`ignored ${file}: ${file} is larger than 1048576 bytes, the most a configuration file may hold`);
  });
});

/** Runs the built CLI as USER (su), in `cwd`, with a clean HOME. */
function cliAs(user: string, cwd: string, args: string[]): { status: number | null; stdout: string; stderr: string; report: string } {
  const cmd = `cd ${JSON.stringify(cwd)} && exec ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} ${args.map((a) => JSON.stringify(a)).join(' ')}`;
  const r = spawnSync('su', [user, '-s', '/bin/sh', '-c', cmd], { encoding: 'utf8', timeout: 60_000, env: { PATH: '/usr/bin:/bin', HOME: `/home/${user}` } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, report: `status ${String(r.status)}\n${r.stdout}\n${r.stderr}` };
}

function ensureUser(): number {
  if (spawnSync('id', ['-u', USER]).status !== 0) execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', USER]);
  return Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
}

describe.skipIf(!onLinux || !isRoot)('config files another user could have written are ignored (Linux, as root and as csbx-test)', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync('/var/tmp/csbx-owner-');
    chmodSync(base, 0o755);
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  /** `dir/codex-sandbox.toml` saying read-only, and a project below it; returns the project. */
  function layout(dir: string): string {
    writeFileSync(path.join(dir, 'codex-sandbox.toml'), 'default_profile = "read-only"\n');
    const proj = path.join(dir, 'proj');
    mkdirSync(proj);
    return proj;
  }
  const WRITE_CWD = ['/bin/sh', '-c', 'echo ok > written && echo wrote-cwd; true'];

  it('as root: a codex-sandbox.toml owned by another user is ignored with a warning saying why', () => {
    const uid = ensureUser();
    const shared = path.join(base, 'shared');
    mkdirSync(shared);
    const proj = layout(shared);
    chownSync(path.join(shared, 'codex-sandbox.toml'), uid, uid);
    const r = s.cli(['run', '--', ...WRITE_CWD], { cwd: proj });
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).toContain('wrote-cwd'); // workspace-write, not the planted read-only
    expect(r.stderr).toContain(`ignored ${path.join(shared, 'codex-sandbox.toml')}: ${path.join(shared, 'codex-sandbox.toml')} is owned by uid ${uid}, not by you (uid 0) or root`);
  });

  it('as root: a root-owned codex-sandbox.toml in a directory another user owns, or anyone can write, is ignored', () => {
    const uid = ensureUser();
    const theirs = path.join(base, 'theirs');
    mkdirSync(theirs);
    const proj = layout(theirs);
    chownSync(theirs, uid, uid);
    const r = s.cli(['run', '--', ...WRITE_CWD], { cwd: proj });
    expect(r.stdout, r.report).toContain('wrote-cwd');
    expect(r.stderr).toContain(`its directory ${theirs} is owned by uid ${uid}`);
    chownSync(theirs, 0, 0);
    chmodSync(theirs, 0o777);
    const open = s.cli(['run', '--', ...WRITE_CWD], { cwd: proj });
    expect(open.stdout, open.report).toContain('wrote-cwd');
    expect(open.stderr).toContain(`its directory ${theirs} is writable by every user and not sticky (mode 0777)`);
  });

  it('doctor lists each configuration file with its decision and why (text and --json)', () => {
    const uid = ensureUser();
    const shared = path.join(base, 'shared');
    mkdirSync(shared);
    const proj = layout(shared);
    chownSync(path.join(shared, 'codex-sandbox.toml'), uid, uid);
    const pkgFile = path.join(proj, '.codex', 'config.toml');
    mkdirSync(path.dirname(pkgFile));
    writeFileSync(pkgFile, 'sandbox_mode = "workspace-write"\n');
    const json = s.cli(['doctor', '--json'], { cwd: proj });
    const rep = JSON.parse(json.stdout) as { trust: { cwd: string; configFiles: Array<{ file: string; role: string; status: string; reason: string }> } };
    expect(rep.trust.cwd).toBe(proj);
    expect(rep.trust.configFiles).toContainEqual({ file: pkgFile, role: 'codex-project', status: 'bounded', reason: expect.stringContaining('may not grant more than workspace-write') });
    expect(rep.trust.configFiles).toContainEqual({
      file: path.join(shared, 'codex-sandbox.toml'),
      role: 'project',
      status: 'ignored',
      reason: expect.stringContaining(`is owned by uid ${uid}, not by you (uid 0) or root`),
    });
    const text = s.cli(['doctor'], { cwd: proj });
    expect(text.stdout, text.report).toContain(`bounded ${pkgFile} (codex-project):`);
    expect(text.stdout).toContain(`ignored ${path.join(shared, 'codex-sandbox.toml')} (project): ${path.join(shared, 'codex-sandbox.toml')} is owned by uid ${uid}`);
  });

  it('as root: the same file, owned by root in a root-owned directory, is used', () => {
    const proj = layout(base);
    const r = s.cli(['run', '--', ...WRITE_CWD], { cwd: proj });
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).not.toContain('wrote-cwd'); // read-only applied
    expect(r.stderr).not.toContain('ignored');
  });

  it('as csbx-test: a root-owned config in a root-owned directory is used; one owned by another user is ignored', () => {
    const uid = ensureUser();
    const proj = layout(base);
    chownSync(proj, uid, uid);
    const used = cliAs(USER, proj, ['run', '--', ...WRITE_CWD]);
    expect(used.status, used.report).toBe(0);
    expect(used.stdout).not.toContain('wrote-cwd');
    expect(used.stderr).not.toContain('ignored');
    // Another user's (here: a second non-root owner's) file is ignored for csbx-test.
    chownSync(path.join(base, 'codex-sandbox.toml'), 65534, 65534);
    const ignored = cliAs(USER, proj, ['run', '--', ...WRITE_CWD]);
    expect(ignored.stdout, ignored.report).toContain('wrote-cwd');
    expect(ignored.stderr).toContain(`is owned by uid 65534, not by you (uid ${uid}) or root`);
  });
});

/** `codex-sandbox run` through the built binary: exit codes, real enforcement, dry-run. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bwrapTrustProblem } from '../../src/host/bwrap-select.js';
import { Scratch, bin, requireBuilt } from './helpers.js';
import { disposeTrustedFake, trustedFake } from '../integration/bwrap-selection/helpers.js';

let s: Scratch;
beforeAll(() => {
  requireBuilt();
  s = new Scratch();
});
afterAll(() => s.dispose());

describe.runIf(process.platform === 'linux')('codex-sandbox run (Linux: real bwrap + seccomp)', () => {
  it('passes stdout through and exits 0', () => {
    const r = s.cli(['run', '--', '/bin/echo', 'ok']);
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).toBe('ok\n');
  });

  it('nested user namespaces: refused by default, allowed with --allow-nested-userns; explain lists the protection', () => {
    const code = 'import ctypes; print(ctypes.CDLL(None, use_errno=True).unshare(0x10000000) == 0)';
    const denied = s.cli(['run', '--', '/usr/bin/python3', '-c', code]);
    expect(denied.status, denied.report).toBe(0);
    expect(denied.stdout).toBe('False\n');
    const allowed = s.cli(['run', '--allow-nested-userns', '--', '/usr/bin/python3', '-c', code]);
    expect(allowed.status, allowed.report).toBe(0);
    expect(allowed.stdout).toBe('True\n');
    const explained = s.cli(['explain', '--', 'true']);
    expect(explained.stdout).toMatch(/nested user namespaces: denied/);
    expect(explained.stdout).toMatch(/keyring: the command gets a fresh, empty session keyring/);
    expect(explained.stdout).toMatch(/\/proc: \/proc\/sys, .* read-only/);
  });

  it('allow_nested_userns = true in the user configuration allows nested user namespaces; from a project file it is refused (exit 2) unless trusted', () => {
    const code = 'import ctypes; print(ctypes.CDLL(None, use_errno=True).unshare(0x10000000) == 0)';
    const scratch = new Scratch();
    try {
      scratch.write('home/.config/codex-sandbox/config.toml', '[profiles.containers]\nextends = "workspace-write"\nallow_nested_userns = true\n');
      const user = scratch.cli(['run', '-p', 'containers', '--', '/usr/bin/python3', '-c', code]);
      expect(user.status, user.report).toBe(0);
      expect(user.stdout).toBe('True\n');
      const project = scratch.write('home/proj/codex-sandbox.toml', '[profiles.planted]\nextends = "workspace-write"\nallow_nested_userns = true\n');
      const planted = scratch.cli(['run', '-p', 'planted', '--', '/usr/bin/python3', '-c', code]);
      expect(planted.status, planted.report).toBe(2);
      expect(planted.stderr).toContain(`${project}:3`);
      expect(planted.stderr).toMatch(/allows nested user namespaces, but this profile comes from a project-level file/);
      const trusted = scratch.cli(['run', '--trust-project-config', '-p', 'planted', '--', '/usr/bin/python3', '-c', code]);
      expect(trusted.status, trusted.report).toBe(0);
      expect(trusted.stdout).toBe('True\n');
    } finally {
      scratch.dispose();
    }
  });

  it('passes stdin through', () => {
    const r = s.cli(['run', '--profile', 'read-only', '--', '/bin/cat'], { input: 'from stdin\n' });
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).toBe('from stdin\n');
  });

  it("exits with the command's own status", () => {
    const r = s.cli(['run', '--', '/bin/sh', '-c', 'exit 7']);
    expect(r.status, r.report).toBe(7);
  });

  it('exits 128+N when the command dies from signal N (SIGTERM → 143)', () => {
    const r = s.cli(['run', '--', '/bin/sh', '-c', 'kill -TERM $$']);
    expect(r.status, r.report).toBe(143);
  });

  it('exits 127 for a command that does not exist, naming it', () => {
    const r = s.cli(['run', '--', '/nonexistent/cmd']);
    expect(r.status, r.report).toBe(127);
    expect(r.stderr).toContain('/nonexistent/cmd');
  });

  it('exits 2 for a --cwd that does not exist or is not a directory, naming it (nothing runs)', () => {
    const missing = path.join(s.root, 'no-such-dir');
    const r = s.cli(['run', '-C', missing, '--', '/bin/echo', 'ran']);
    expect(r.status, r.report).toBe(2);
    expect(r.stderr).toContain(missing);
    expect(r.stdout).not.toContain('ran');
    const file = s.write('home/proj/a-file', '');
    const f = s.cli(['run', '--cwd', file, '--', '/bin/echo', 'ran']);
    expect(f.status, f.report).toBe(2);
    expect(f.stderr).toContain('is not a directory');
  });

  it('exits 126 for a file that is not executable', () => {
    const file = s.write('home/proj/not-exec.sh', 'echo hi\n');
    const r = s.cli(['run', '--', file]);
    expect(r.status, r.report).toBe(126);
  });

  it("a command's own exit 125 passes through without a set-up message", () => {
    const r = s.cli(['run', '--', '/bin/sh', '-c', 'echo ran; exit 125']);
    expect(r.status, r.report).toBe(125);
    expect(r.stdout).toBe('ran\n');
    expect(r.stderr).toBe('');
  });

  // The fake must pass the bwrap ownership rule (root-owned, in root-only directories) to be used.
  const fakeBwrap = trustedFake('uidmap-fail');
  afterAll(() => disposeTrustedFake(fakeBwrap));
  const fakeUntrusted = bwrapTrustProblem(fakeBwrap);
  it.skipIf(fakeUntrusted !== undefined)(
    `a sandbox that cannot be set up (bwrap fails: the uid-map fake) exits 125 with the launcher's report${fakeUntrusted === undefined ? '' : ` [skipped: ${fakeUntrusted}]`}`,
    () => {
      const r = s.cli(['run', '--', '/bin/echo', 'ran'], { env: s.env({ CODEX_SANDBOX_BWRAP: fakeBwrap }) });
      expect(r.status, r.report).toBe(125);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        'bwrap: setting up uid map: Permission denied\n' +
          'codex-sandbox: could not set up the sandbox: bubblewrap exited with status 1 before the command started (its message is above); run `codex-sandbox doctor` for the cause and the fix\n',
      );
    },
  );

  it('exits 125 when the profile cannot be enforced as asked (writable root on an external profile)', () => {
    // Outside the project: a profile file inside the working directory is project data (bounded).
    const file = s.write('profiles/external.json', '{"type":"external","network":"restricted"}');
    const r = s.cli(['run', '--profile', file, '--writable-root', s.root, '--', 'true']);
    expect(r.status, r.report).toBe(125);
    expect(r.stderr).toContain('writable roots and deny-read rules cannot be added');
  });

  it('read-only refuses a write in the cwd; --writable-root opens exactly that directory', () => {
    const out = path.dirname(s.write('home/out/.keep', ''));
    const r = s.cli(['run', '--profile', 'read-only', '--writable-root', out, '--', '/bin/sh', '-c', `echo a > "${out}/a"; echo b > b`]);
    expect(r.status, r.report).not.toBe(0);
    expect(readFileSync(path.join(out, 'a'), 'utf8')).toBe('a\n');
    expect(existsSync(path.join(s.project, 'b'))).toBe(false);
  });

  it('--deny-read hides a file from the command', () => {
    const secret = s.write('home/proj/secret.txt', 'hunter2\n');
    const r = s.cli(['run', '--deny-read', 'secret.txt', '--', '/bin/cat', secret]);
    expect(r.status, r.report).not.toBe(0);
    expect(r.stdout).not.toContain('hunter2');
  });

  it('after a failure, one line per refused write (with the -w that allows it) and per host, after the command\'s own stderr; none for writable paths', () => {
    const cache = path.join(s.home, '.npm', '_cacache');
    const script = `mkdir -p "${cache}/tmp"; echo "cannot create ${s.project}/x: Read-only file system" >&2; ${process.execPath} -e "require('net').connect(9, '127.0.0.1').on('error', (e) => { console.error(e.message); process.exit(7) })"`;
    const r = s.cli(['run', '--profile', 'read-only', '--writable-root', s.project, '--', '/bin/sh', '-c', script]);
    expect(r.status, r.report).toBe(7);
    expect(existsSync(cache)).toBe(false);
    const ours = r.stderr.split('\n').filter((l) => l.startsWith('codex-sandbox: '));
    expect(ours).toEqual([
      // mkdir -p stops at the first folder it cannot create: ~/.npm does not exist yet.
      `codex-sandbox: blocked write: ${path.dirname(cache)} (read-only; allow with -w ~/.npm)`,
      'codex-sandbox: blocked network: 127.0.0.1:9 (network is off; allow with --network)',
    ]);
    // The command's own error lines come first, untouched.
    expect(r.stderr.indexOf('connect E')).toBeLessThan(r.stderr.indexOf('codex-sandbox: '));
    // A success says nothing, whatever it printed.
    const ok = s.cli(['run', '--profile', 'read-only', '--', '/bin/sh', '-c', `echo "cannot create /usr/x: Read-only file system" >&2`]);
    expect(ok.status, ok.report).toBe(0);
    expect(ok.stderr).not.toContain('codex-sandbox:');
  });

  it('non-UTF-8 bytes in arguments and in the environment reach the command exactly, as through the library', () => {
    // Node alone would hand the command U+FFFD (ef bf bd) for each such byte.
    const script = `X="$(printf 'a\\377b')" exec "${process.execPath}" "${bin}" run -- /bin/sh -c 'printf "%s|%s|" "$1" "$X"' sh "$(printf 'c\\376d')"`;
    const r = spawnSync('/bin/sh', ['-c', script], { cwd: s.project, env: s.env(), encoding: 'buffer' });
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.subarray(0, 8)).toEqual(Buffer.from([0x63, 0xfe, 0x64, 0x7c, 0x61, 0xff, 0x62, 0x7c]));
  });

  it('--env-inherit none leaves only what the sandbox sets', () => {
    const r = s.cli(['run', '--env-inherit', 'none', '--', '/usr/bin/env'], { env: s.env({ CLI_TEST_MARKER: 'visible' }) });
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).not.toContain('CLI_TEST_MARKER');
    const all = s.cli(['run', '--', '/usr/bin/env'], { env: s.env({ CLI_TEST_MARKER: 'visible' }) });
    expect(all.stdout).toContain('CLI_TEST_MARKER=visible');
  });
});

describe('codex-sandbox run --dry-run', () => {
  it('--json prints the LaunchRequest and runs nothing', () => {
    const r = s.cli(['run', '--dry-run', '--json', '--', '/bin/sh', '-c', 'echo x > dry-run-marker']);
    expect(r.status, r.report).toBe(0);
    const req = JSON.parse(r.stdout) as { kind: string; permissions: { network: string } };
    expect(['linux-bwrap', 'macos-seatbelt', 'windows-token']).toContain(req.kind);
    expect(req.permissions.network).toBe('restricted');
    expect(existsSync(path.join(s.project, 'dry-run-marker'))).toBe(false);
  });

  it('--platform darwin plans a Seatbelt launch on any host', () => {
    const r = s.cli(['run', '--dry-run', '--platform', 'darwin', '--', 'true']);
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).toContain('kind:    macos-seatbelt');
    expect(r.stdout).toContain('seatbelt policy:');
  });
});

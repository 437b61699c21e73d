/**
 * Input mistakes are refused before launch with exit 2 and a message naming the flag or file and what
 * to do — never reported as a sandbox that could not be set up (125, "run doctor").
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scratch, requireBuilt } from './helpers.js';
import type { CliResult } from './helpers.js';

let s: Scratch;
beforeAll(() => {
  requireBuilt();
  s = new Scratch();
  mkdirSync(path.join(s.project, 'sub'), { recursive: true });
  writeFileSync(path.join(s.project, 'afile'), 'x');
});
afterAll(() => s.dispose());

function expectUsage(r: CliResult, ...needles: Array<string | RegExp>): void {
  expect(r.status, r.report).toBe(2);
  expect(r.stderr, r.report).not.toMatch(/bwrap:|run `codex-sandbox doctor`/);
  for (const n of needles) expect(r.stderr, r.report).toMatch(typeof n === 'string' ? new RegExp(n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : n);
}

describe.runIf(process.platform === 'linux')('codex-sandbox run: input mistakes exit 2 before launch', () => {
  it('-w naming a missing directory (outside and inside a writable root)', () => {
    expectUsage(s.cli(['run', '-w', '/nonexistent-csbx/dir', '--', 'true']), '--writable-root /nonexistent-csbx/dir', 'does not exist', 'mkdir -p');
    expectUsage(s.cli(['run', '-w', './missing', '--', 'true']), `--writable-root ./missing: ${s.project}/missing does not exist`);
  });

  it('--dry-run and explain refuse the same mistakes as run (exit 2), but show a plan for another OS as is', () => {
    for (const cmd of [['run', '--dry-run'], ['explain']]) {
      expectUsage(s.cli([...cmd, '-w', '/nonexistent-csbx/dir', '--', 'true']), '--writable-root /nonexistent-csbx/dir', 'does not exist');
      expectUsage(s.cli([...cmd, '--deny-read', '.', '--', 'true']), 'hides the working directory');
      expectUsage(s.cli([...cmd, '--cwd', 'afile', '--', 'true']), `--cwd afile: ${s.project}/afile is not a directory`);
    }
    const other = s.cli(['run', '--dry-run', '--platform', 'darwin', '-w', '/nonexistent-csbx/dir', '--', 'true']);
    expect(other.status, other.report).toBe(0);
  });

  it('-w naming a file', () => {
    expectUsage(s.cli(['run', '-w', 'afile', '--', 'true']), `--writable-root afile: ${s.project}/afile is not a directory`);
  });

  it('--deny-read of the cwd, by path and by glob', () => {
    expectUsage(s.cli(['run', '--deny-read', '.', '--', 'true']), `--deny-read ${s.project} hides the working directory ${s.project}`, '--cwd');
    expectUsage(s.cli(['run', '--deny-read', `${path.dirname(s.project)}/pr*`, '--', 'true']), 'hides the working directory');
    expectUsage(s.cli(['run', '--deny-read', `${s.project}/**`, '--', 'true']), 'hides the working directory');
  });

  it('a --deny-read above the cwd that the cwd is granted back under, or beside it, still runs', () => {
    const above = s.cli(['run', '--deny-read', path.dirname(s.project), '--', 'pwd']);
    expect(above.status, above.report).toBe(0);
    expect(above.stdout).toBe(`${s.project}\n`);
    const beside = s.cli(['run', '--deny-read', 'sub', '--', 'true']);
    expect(beside.status, beside.report).toBe(0);
  });

  it('an empty TOML (or JSON) profile file', () => {
    const toml = s.write('home/proj/empty.toml', '');
    expectUsage(s.cli(['run', '-p', toml, '--', 'true']), `${toml}:1`, 'the profile file is empty');
    const json = s.write('home/proj/empty.json', '{}\n');
    expectUsage(s.cli(['run', '-p', json, '--', 'true']), `${json}:1`, 'the profile file is empty');
  });

  it('a profile that cannot read the cwd', () => {
    const file = s.write('home/proj/usr-only.json', JSON.stringify({ file_system: { entries: [{ path: { type: 'path', path: '/usr' }, access: 'read' }] } }));
    expectUsage(s.cli(['run', '-p', file, '--', 'true']), `the profile ${file} gives no read access to the working directory ${s.project}`);
  });

  it('a misspelled special key in a deny rule is refused, not dropped (the secret is not read)', () => {
    const secret = s.write('home/proj/secrets', 'TOP-SECRET\n');
    const config = s.write(
      'home/.config/codex-sandbox/config.toml',
      'default_profile = "mine"\n[profiles.mine]\nextends = "workspace-write"\n[profiles.mine.filesystem]\n":projet_roots" = { "secrets" = "deny" }\n',
    );
    try {
      const r = s.cli(['run', '--', 'cat', secret]);
      expectUsage(r, `${config}:5`, '`:projet_roots` is not a known special path', ':project_roots');
      expect(r.stdout).not.toContain('TOP-SECRET');
      // The spelling Codex knows denies the file.
      s.write('home/.config/codex-sandbox/config.toml', 'default_profile = "mine"\n[profiles.mine]\nextends = "workspace-write"\n[profiles.mine.filesystem]\n":project_roots" = { "secrets" = "deny" }\n');
      const ok = s.cli(['run', '--', 'cat', secret]);
      expect(ok.status, ok.report).not.toBe(0);
      expect(ok.stdout).not.toContain('TOP-SECRET');
    } finally {
      s.write('home/.config/codex-sandbox/config.toml', '');
    }
  });

  it("run shows the profile's warnings (as explain does): an unknown special path in a read rule is ignored, and said", () => {
    s.write('home/.config/codex-sandbox/config.toml', 'default_profile = "mine"\n[profiles.mine]\nextends = "read-only"\n[profiles.mine.filesystem]\n":projet_roots" = "read"\n');
    try {
      const r = s.cli(['run', '--', 'true']);
      expect(r.status, r.report).toBe(0);
      expect(r.stderr).toContain('codex-sandbox: warning: Configured filesystem path `:projet_roots` is not recognized and will be ignored.');
    } finally {
      s.write('home/.config/codex-sandbox/config.toml', '');
    }
  });

  it('-p given twice with different profiles', () => {
    const r = s.cli(['run', '-p', 'read-only', '-p', 'workspace-write', '--', 'touch', 'x']);
    expectUsage(r, 'conflicting flags: --profile read-only and --profile workspace-write', 'give --profile once');
    const same = s.cli(['run', '-p', 'read-only', '-p', 'read-only', '--', 'true']);
    expect(same.status, same.report).toBe(0);
  });

  it('--network with --no-network', () => {
    expectUsage(s.cli(['run', '--network', '--no-network', '--', 'true']), 'conflicting flags: --network and --no-network', 'give only one of them');
  });

  it('every single-valued flag given twice with different values (commander would keep the last, silently)', () => {
    const pairs: Array<[string[], string]> = [
      [['--cwd', '.', '--cwd', 'sub'], 'conflicting flags: --cwd . and --cwd sub'],
      [['--env-inherit', 'all', '--env-inherit', 'none'], 'conflicting flags: --env-inherit all and --env-inherit none'],
      [['--limit-memory', '64M', '--limit-memory', '1G'], 'conflicting flags: --limit-memory 64M and --limit-memory 1G'],
      [['--limit-pids', '10', '--limit-pids', 'unlimited'], 'conflicting flags: --limit-pids 10 and --limit-pids unlimited'],
      [['--limit-cpu-seconds', '5', '--limit-cpu-seconds', '50'], 'conflicting flags: --limit-cpu-seconds 5 and --limit-cpu-seconds 50'],
    ];
    for (const [flags, message] of pairs) expectUsage(s.cli(['run', ...flags, '--', 'true']), message);
  });

  it('a bad resource limit value names the flag, the value and what it takes', () => {
    expectUsage(s.cli(['run', '--limit-memory', '12Q', '--', 'true']), '--limit-memory "12Q": expected a size such as 512M or 2G');
    expectUsage(s.cli(['run', '--limit-memory', '1K', '--', 'true']), '--limit-memory "1K": too small; give at least 4M');
    expectUsage(s.cli(['run', '--limit-pids', '0', '--', 'true']), '--limit-pids "0": expected a positive whole number');
    expectUsage(s.cli(['run', '--limit-pids', 'lots', '--', 'true']), '--limit-pids "lots": expected a positive whole number');
    expectUsage(s.cli(['run', '--limit-cpu-seconds', '1.5', '--', 'true']), '--limit-cpu-seconds "1.5": expected a positive whole number');
    expectUsage(s.cli(['explain', '--limit-cpu-seconds', '-1', '--', 'true']), '--limit-cpu-seconds "-1": expected a positive whole number');
  });

  it('20,000 arguments run (past the 9000 bubblewrap accepts, the command travels outside its argv)', () => {
    const args = Array.from({ length: 20_000 }, (_, i) => String(i + 1));
    const r = s.cli(['run', '--', '/bin/sh', '-c', 'echo $# "$1" "${20000}"', 'sh', ...args]);
    expect(r.status, r.report.slice(0, 2000)).toBe(0);
    expect(r.stdout).toBe('20000 1 20000\n');
  });

  it('a directory as the command: 126 and "Is a directory", as a shell says', () => {
    const r = s.cli(['run', '--', '/tmp']);
    expect(r.status, r.report).toBe(126);
    expect(r.stderr, r.report).toMatch(/\/tmp: Is a directory/);
  });
});

/**
 * `codex-sandbox cleanup` off Windows (nothing to undo, exit 0), and the Windows batch-file plan
 * from any host: a .cmd runs through cmd.exe by its system path; an argument cmd.exe would expand is
 * a usage error (exit 2) naming it. The real cleanup and batch runs are in test/integration/win32.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scratch, requireBuilt } from './helpers.js';

let s: Scratch;
beforeAll(() => {
  requireBuilt();
  s = new Scratch();
});
afterAll(() => s.dispose());

describe('codex-sandbox cleanup; batch files in the Windows plan', () => {
  it.skipIf(process.platform === 'win32')('cleanup off Windows: nothing to undo, exit 0', () => {
    const r = s.cli(['cleanup']);
    expect(r.status, r.report).toBe(0);
    expect(r.stdout).toMatch(/nothing to clean up on \w+/);
  });

  it('explain --platform win32: npm.cmd runs through %SystemRoot%\\System32\\cmd.exe with cmd quoting; %VAR% is exit 2', () => {
    const ok = s.cli(['explain', '--json', '--platform', 'win32', '--profile', 'read-only', '--cwd', 'C:\\work', '--', 'npm.cmd', 'run', 'a&b']);
    expect(ok.status, ok.report).toBe(0);
    const argv = (JSON.parse(ok.stdout) as { launchRequest: { argv: string[] } }).launchRequest.argv;
    expect(argv.slice(-2)).toEqual(['--command-line', 'C:\\Windows\\System32\\cmd.exe /d /v:off /s /c ""npm.cmd" run "a&b""']);
    const bad = s.cli(['explain', '--platform', 'win32', '--profile', 'read-only', '--cwd', 'C:\\work', '--', 'npm.cmd', 'run', '%PATH%']);
    expect(bad.status, bad.report).toBe(2);
    expect(bad.stderr).toContain('"%PATH%"');
  });
});

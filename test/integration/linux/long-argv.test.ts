/**
 * A command longer than bubblewrap accepts (bubblewrap.c MAX_ARGS = 9000 arguments in all, `--args FD`
 * included) still runs: the launcher moves it out of bwrap's argv into the inner stage's environment.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArgvItem } from '../../../src/contracts/index.js';
import { PY, isLinux, run, sandbox, scratch } from './helpers.js';
import type { Scratch } from './helpers.js';

const REPORT = [
  'import os, sys',
  'a = sys.argv[1:]',
  'print(len(a))',
  'print(os.fsencode(a[0]).hex())',
  'print(a[1], a[-1])',
  'print(sorted(k for k in os.environ if k.startswith("CODEX_SANDBOX_COMMAND") or k.startswith("CODEX_SANDBOX_LAUNCHER")))',
].join('\n');

describe.skipIf(!isLinux)('linux sandbox: long command lines (real bwrap)', () => {
  let s: Scratch;
  beforeEach(() => {
    s = scratch();
  });
  afterEach(() => s.cleanup());

  it('20,000 arguments reach the command byte for byte, and the transport variables do not', async () => {
    const args: ArgvItem[] = [{ bytes: Buffer.from([0xff, 0x61, 0x20, 0x62]).toString('base64') }, ...Array.from({ length: 19_999 }, (_, i) => `arg ${i + 1}`)];
    const sb = await sandbox();
    const r = await sb.spawn([PY, '-c', REPORT, ...args], 'workspace-write', { cwd: s.ws, reject: false, stdin: 'ignore', stripFinalNewline: false });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toBe('20000\nff612062\narg 1 arg 19999\n[]\n');
  });

  it('a command just under the switch point and far past it behave the same', async () => {
    for (const n of [8_000, 9_000, 50_000]) {
      const r = await run(['/bin/sh', '-c', 'echo $# "$1" "${'.concat(String(n), '}"'), 'sh', ...Array.from({ length: n }, (_, i) => String(i + 1))], 'read-only', { cwd: s.ws });
      expect(r.exitCode, `${n}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toBe(`${n} 1 ${n}\n`);
    }
  });

  it("one argument past the kernel's per-string limit: 126 and \"Argument list too long\" naming the limit, as a shell says (not a set-up failure)", async () => {
    const r = await run(['/bin/echo', 'a'.repeat(200_000)], 'workspace-write', { cwd: s.ws });
    expect(r.exitCode, r.stderr).toBe(126);
    expect(r.stderr).toMatch(/\/bin\/echo: Argument list too long \(the kernel's execve\(2\) limits: .*MAX_ARG_STRLEN/);
    expect(r.stderr).not.toMatch(/could not be set up|doctor/);
  });

  it('an argument just under that limit still runs', async () => {
    const r = await run(['/bin/sh', '-c', 'echo ${#1}', 'sh', 'b'.repeat(120_000)], 'workspace-write', { cwd: s.ws });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('120000\n');
  });
});

/**
 * The inner stage (`--inner`), run inside bubblewrap as the command's exec wrapper.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { bwrapBase, bwrapWorks, CONFINE_BWRAP, CONFINE_LAUNCHER, launcher, NO_BWRAP_REASON, runLauncher, SYSTEM_BWRAP } from './harness.js';

describe.skipIf(!bwrapWorks)(`inner stage under bubblewrap (skipped when ${NO_BWRAP_REASON})`, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'codex-native-inner-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function inner(innerArgs: string[], extraBwrap: string[] = []): Promise<Awaited<ReturnType<typeof runLauncher>>> {
    return runLauncher([...CONFINE_LAUNCHER, '--bwrap', '--', SYSTEM_BWRAP, ...bwrapBase(), ...CONFINE_BWRAP, ...extraBwrap, '--', launcher(), '--inner', ...innerArgs]);
  }

  it('a missing program exits 127 with "codex-sandbox: PROGRAM: <strerror>"', async () => {
    const result = await inner(['--', 'definitely-not-a-program-xyz']);
    expect(result.code).toBe(127);
    expect(result.stderr).toBe('codex-sandbox: definitely-not-a-program-xyz: No such file or directory\n');
  });

  it('a non-executable file exits 126', async () => {
    const file = join(dir, 'not-executable.sh');
    writeFileSync(file, '#!/bin/sh\necho hi\n');
    chmodSync(file, 0o644);
    const result = await inner(['--', file], ['--ro-bind', dir, dir]);
    expect(result.code).toBe(126);
    expect(result.stderr).toContain('Permission denied');
  });

  it('the command runs with zero effective and permitted capabilities', async () => {
    const result = await inner(['--', 'grep', '-E', '^Cap(Eff|Prm)', '/proc/self/status']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^CapPrm:\s+0{16}\nCapEff:\s+0{16}\n$/);
  });

  it('--argv0 sets the command argv[0]; PATH search finds the program', async () => {
    const code = 'print(open("/proc/self/cmdline").read().split("\\0")[0])';
    const result = await inner(['--argv0', 'custom-name', '--', 'python3', '-c', code], ['--setenv', 'PATH', '/usr/bin:/bin']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('custom-name\n');
  });

  it('refuses (125) to run the command without a seccomp filter, naming the check', async () => {
    const result = await runLauncher(['--bwrap', '--', SYSTEM_BWRAP, ...bwrapBase(), '--', launcher(), '--inner', '--', 'true']);
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(/^codex-sandbox: no seccomp filter is installed in the sandbox \(seccomp mode 0, expected 2\)/);
  });

  it('refuses (125) when a nested user namespace can still be created, unless --allow-userns', async () => {
    // The filter that allows user namespaces, and no bwrap --disable-userns: both layers missing.
    const args = (inner: string[]): string[] => ['--seccomp', 'base+userns:10', '--bwrap', '--', SYSTEM_BWRAP, ...bwrapBase(), '--seccomp', '10', '--', launcher(), '--inner', ...inner, '--', 'true'];
    const refused = await runLauncher(args([]));
    expect(refused.code).toBe(125);
    expect(refused.stderr).toMatch(/^codex-sandbox: the command could create a nested user namespace/);
    const allowed = await runLauncher(args(['--allow-userns']));
    expect(allowed.stderr).toBe('');
    expect(allowed.code).toBe(0);
  });

  it('--session-supervisor accepts CAP_SYS_ADMIN and CAP_SETPCAP alone; any other capability, or these without it, is refused (125)', async () => {
    const caps = (...names: string[]): string[] => ['--cap-drop', 'ALL', ...names.flatMap((n) => ['--cap-add', n])];
    const status = ['--', 'grep', '-E', '^Cap(Eff|Bnd)', '/proc/self/status'];
    const supervisor = await inner(['--session-supervisor', ...status], caps('CAP_SYS_ADMIN', 'CAP_SETPCAP'));
    expect(supervisor.stderr).toBe('');
    expect(supervisor.code).toBe(0);
    expect(supervisor.stdout).toMatch(/CapEff:\s+0{10}200100\n/);
    // One more capability: DAC_OVERRIDE would read and write any file the sandbox can see.
    const more = await inner(['--session-supervisor', '--', 'true'], caps('CAP_SYS_ADMIN', 'CAP_SETPCAP', 'CAP_DAC_OVERRIDE'));
    expect(more.code).toBe(125);
    expect(more.stderr).toMatch(/^codex-sandbox: retained capabilities/);
    // Not a supervisor: CAP_SYS_ADMIN alone is refused as before.
    const plain = await inner(['--', 'true'], caps('CAP_SYS_ADMIN'));
    expect(plain.code).toBe(125);
    expect(plain.stderr).toMatch(/^codex-sandbox: retained capabilities/);
  });

  it('leaves no extra fd open for the command', async () => {
    const result = await inner(['--', 'ls', '-l', '/proc/self/fd']);
    const stray = result.stdout.split('\n').filter((l) => /\s([3-9]|\d{2,}) -> /.test(l) && !/-> \/proc\/\d+\/fd$/.test(l));
    expect(stray).toEqual([]);
  });
});

describe('inner stage outside a sandbox', () => {
  it.skipIf(process.geteuid?.() !== 0)('refuses to run with retained capabilities (root on the host; skipped for non-root)', async () => {
    const result = await runLauncher(['--', launcher(), '--inner', '--', 'true']);
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(/^codex-sandbox: retained capabilities/);
  });
});

/**
 * .bat/.cmd programs (npm, npx, yarn, node_modules\.bin shims) run through cmd.exe with cmd's own
 * quoting, for real: the shim forwards `%*` to node, which prints the argv it received. An
 * argument holding `&`, `|`, `^`, `()` or spaces must arrive unchanged and run nothing (BatBadBut,
 * CVE-2024-24576); `%VAR%` is refused before launch; a cmd.exe planted in the working directory is
 * never what runs the script. Runs only on Windows (the workflow's windows-latest job).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlanError } from '../../../src/contracts/index.js';
import { createSandbox } from '../../../src/sandbox.js';
import type { Sandbox } from '../../../src/sandbox.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const onWindows = process.platform === 'win32';
const SUITE = onWindows
  ? 'windows: batch files through cmd.exe (real)'
  : `windows: batch files through cmd.exe (real) — skipped: needs Windows (cmd.exe, restricted tokens); this host is ${process.platform}`;

describe.skipIf(!onWindows)(SUITE, () => {
  let sb: Sandbox;
  let tmp: string;
  let ws: string;
  let bin: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    tmp = fs.realpathSync.native(fs.mkdtempSync(path.join(os.tmpdir(), 'cxsb-bat-')));
    ws = path.join(tmp, 'ws');
    bin = path.join(tmp, 'bin');
    fs.mkdirSync(ws);
    fs.mkdirSync(bin);
    const printer = path.join(bin, 'print-argv.js');
    fs.writeFileSync(printer, "require('fs').writeFileSync(1, JSON.stringify(process.argv.slice(2)));\n");
    // The shape of npm's own shims: the node binary and the script, then %* forwarded.
    fs.writeFileSync(path.join(bin, 'shim.cmd'), `@"${process.execPath}" "${printer}" %*\r\n`);
    // A cmd.exe planted where the command runs: it must never start the script (it would fail on /d).
    fs.copyFileSync(process.execPath, path.join(ws, 'cmd.exe'));
    env = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k.toUpperCase() !== 'NODE_OPTIONS' && k.toUpperCase() !== 'PATH') env[k] = v;
    env['Path'] = `${bin};${process.env['Path'] ?? process.env['PATH'] ?? ''}`;
    sb = await createSandbox({ env });
  });
  afterAll(() => {
    if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const ARGS = ['plain', 'two words', 'a&echo INJECTED', 'x|y', '^caret', '(paren)', '<in>out', 'C:\\dir\\', '', 'semi;colon,comma=eq'];

  it('a .cmd shim found on PATH gets every argument unchanged and runs nothing else', async () => {
    const r = await sb.spawn(['shim', ...ARGS], 'workspace-write', { cwd: ws, env, reject: false });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(JSON.parse(String(r.stdout))).toEqual(ARGS);
    expect(String(r.stdout)).not.toMatch(/^INJECTED/m);
  });

  it('%VAR% is refused before launch, naming the argument', () => {
    expect(() => sb.spawn(['shim', '%USERPROFILE%'], 'workspace-write', { cwd: ws, env })).toThrow(PlanError);
    expect(() => sb.spawn(['shim', '%USERPROFILE%'], 'workspace-write', { cwd: ws, env })).toThrow(/%USERPROFILE%/);
  });

  it('codex-sandbox run: a shim runs (exit 0); an unsafe argument is a usage error (exit 2)', () => {
    const cli = path.join(ROOT, 'dist', 'cli', 'main.js');
    const ok = spawnSync(process.execPath, [cli, 'run', '-C', ws, '--', 'shim', 'a&b'], { env, encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual(['a&b']);
    const bad = spawnSync(process.execPath, [cli, 'run', '-C', ws, '--', 'shim', '100%'], { env, encoding: 'utf8' });
    expect(bad.status, bad.stderr).toBe(2);
    expect(bad.stderr).toContain('"100%"');
  }, 60_000);
});

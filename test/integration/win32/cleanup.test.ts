/**
 * What a Windows run leaves on the host is recorded and `cleanupWindowsSandboxState` /
 * `codex-sandbox cleanup` undoes it, for real: the root's ACE for the capability SID goes (icacls),
 * the empty .codex/.agents directories the run created go, a .git with content stays; a forged
 * record line cannot make cleanup touch another directory's ACL or remove a directory that is not
 * empty; a junction planted in place of the state directory stops the launch. Runs only on Windows.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupWindowsSandboxState } from '../../../src/launch/windows-cleanup.js';
import { createSandbox } from '../../../src/sandbox.js';
import type { Sandbox } from '../../../src/sandbox.js';
import { writableRootSid } from '../../../src/platforms/win32/sid.js';

const onWindows = process.platform === 'win32';
const SUITE = onWindows
  ? 'windows: host changes recorded and undone by cleanup (real)'
  : `windows: host changes recorded and undone by cleanup (real) — skipped: needs Windows (NTFS ACLs, icacls); this host is ${process.platform}`;

/**
 * Read everything, write only the project root: not the temp directory, whose grant concurrent test
 * files share; network on, so no offline-shim stubs (shared in the home directory) are written.
 */
const WORKSPACE_ONLY = {
  type: 'managed',
  file_system: {
    type: 'restricted',
    entries: [
      { path: { type: 'special', value: { kind: 'root' } }, access: 'read' },
      { path: { type: 'special', value: { kind: 'project_roots' } }, access: 'write' },
    ],
  },
  network: 'enabled',
};

const icacls = (p: string): string => spawnSync('icacls', [p], { encoding: 'utf8' }).stdout;

describe.skipIf(!onWindows)(SUITE, () => {
  let sb: Sandbox;
  let tmp: string;
  let ws: string;
  let outside: string;
  let stateDir: string;
  const savedLocal = process.env['LOCALAPPDATA'];

  beforeAll(async () => {
    tmp = fs.realpathSync.native(fs.mkdtempSync(path.join(os.tmpdir(), 'cxsb-clean-')));
    ws = path.join(tmp, 'ws');
    outside = path.join(tmp, 'outside');
    fs.mkdirSync(path.join(ws, '.git'), { recursive: true });
    fs.writeFileSync(path.join(ws, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    fs.mkdirSync(outside);
    // Host facts read %LOCALAPPDATA% when first computed in this worker: a state directory of our own.
    process.env['LOCALAPPDATA'] = path.join(tmp, 'appdata');
    stateDir = path.join(tmp, 'appdata', 'codex-sandbox');
    sb = await createSandbox({});
  });
  afterAll(() => {
    if (savedLocal === undefined) delete process.env['LOCALAPPDATA'];
    else process.env['LOCALAPPDATA'] = savedLocal;
    if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a run records its changes; cleanup removes the grant and the directories it created, nothing else', async () => {
    const r = await sb.spawn([process.execPath, '-e', "require('fs').writeFileSync('ok.txt', 'x')"], WORKSPACE_ONLY, { cwd: ws, reject: false });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const record = path.join(stateDir, 'host-changes.jsonl');
    expect(fs.readFileSync(record, 'utf8')).toContain('"kind":"grant"');
    expect(fs.existsSync(path.join(ws, '.codex'))).toBe(true);
    // Cleanup finds ACEs by SID; icacls prints an unknown SID as-is.
    const sid = writableRootSid(ws);
    expect(icacls(ws)).toContain(sid);

    // A forged line: "created" a non-empty directory, and a grant on a directory no run used.
    const outsideAclBefore = icacls(outside);
    fs.appendFileSync(record, JSON.stringify({ v: 1, kind: 'created-dir', path: path.join(ws, '.git') }) + '\n');
    fs.appendFileSync(record, JSON.stringify({ v: 1, kind: 'grant', root: outside, sid: 'S-1-1-0' }) + '\n');

    const report = cleanupWindowsSandboxState({ stateDir });
    expect(report.failed).toEqual([]);
    expect(icacls(ws)).not.toContain(sid);
    expect(icacls(outside)).toBe(outsideAclBefore);
    expect(fs.existsSync(path.join(ws, '.codex'))).toBe(false);
    expect(fs.readFileSync(path.join(ws, '.git', 'HEAD'), 'utf8')).toContain('main');
    expect(fs.readFileSync(path.join(ws, 'ok.txt'), 'utf8')).toBe('x');
    expect(report.skipped.join('\n')).toMatch(/\.git: not empty/);
  }, 60_000);

  it('a junction planted in place of the state directory stops the launch before anything changes', () => {
    fs.rmSync(stateDir, { recursive: true, force: true });
    fs.symlinkSync(outside, stateDir, 'junction');
    try {
      expect(() => sb.spawn([process.execPath, '-e', '0'], WORKSPACE_ONLY, { cwd: ws })).toThrow(/state directory .* is a link/);
      expect(fs.readdirSync(outside)).toEqual([]);
    } finally {
      fs.unlinkSync(stateDir); // the junction itself, not its target
    }
  });
});

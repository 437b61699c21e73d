/**
 * A deny-read text means the same from every front door: `--deny-read '/x/{a,b}'` and
 * `deny_read = ["/x/{a,b}"]` are both the glob that hides /x/a and /x/b (src/permissions/glob-syntax.ts).
 * The sandboxed command then tries to read both, and a sibling that stays readable.
 */
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Scratch, requireBuilt } from './helpers.js';

let s: Scratch;
beforeAll(requireBuilt);
beforeEach(() => {
  s = new Scratch();
  for (const d of ['a', 'b', 'c']) s.write(`home/proj/d/${d}/file`, `content-${d}\n`);
});
afterEach(() => s.dispose());

const READ_ALL = ['/bin/sh', '-c', 'for d in a b c; do cat d/$d/file 2>/dev/null || echo "no-$d"; done'];

interface ExplainJson {
  profile: { wire: { file_system?: { entries?: Array<{ path: unknown; access: string }> } } };
}

function lastEntry(stdout: string): unknown {
  const entries = (JSON.parse(stdout) as ExplainJson).profile.wire.file_system?.entries ?? [];
  return entries[entries.length - 1];
}

describe('a deny-read glob means the same as a flag and in a configuration file', () => {
  const pattern = (): string => path.join(s.project, 'd', '{a,b}');

  it('both plan the same glob entry', () => {
    s.write('home/.config/codex-sandbox/config.toml', `[profiles.g]\nextends = "workspace-write"\ndeny_read = [${JSON.stringify(pattern())}]\n`);
    const byFlag = s.cli(['explain', '--json', '--deny-read', pattern(), '--', '/bin/true']);
    const byConfig = s.cli(['explain', '--json', '--profile', 'g', '--', '/bin/true']);
    expect(byFlag.status, byFlag.report).toBe(0);
    expect(byConfig.status, byConfig.report).toBe(0);
    const want = { path: { type: 'glob_pattern', pattern: pattern() }, access: 'deny' };
    expect(lastEntry(byFlag.stdout)).toEqual(want);
    expect(lastEntry(byConfig.stdout)).toEqual(want);
  });

  it.runIf(process.platform === 'linux')('--deny-read: the command cannot read d/a or d/b, and reads d/c', () => {
    const r = s.cli(['run', '--deny-read', pattern(), '--', ...READ_ALL]);
    expect(r.status, r.report).toBe(0);
    expect(r.stdout, r.report).toBe('no-a\nno-b\ncontent-c\n');
  });

  it.runIf(process.platform === 'linux')('deny_read in a profile: the command cannot read d/a or d/b, and reads d/c', () => {
    s.write('home/.config/codex-sandbox/config.toml', `[profiles.g]\nextends = "workspace-write"\ndeny_read = [${JSON.stringify(pattern())}]\n`);
    const r = s.cli(['run', '--profile', 'g', '--', ...READ_ALL]);
    expect(r.status, r.report).toBe(0);
    expect(r.stdout, r.report).toBe('no-a\nno-b\ncontent-c\n');
  });
});

/**
 * Batch files (.bat/.cmd) through cmd.exe: the quoting table (golden), the refusals (BatBadBut,
 * CVE-2024-24576) and a model of how cmd.exe splits the `/s /c` line, so that no accepted argument
 * can reach cmd's command separators or expansion unquoted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlanError } from '../../../src/contracts/index.js';
import { batchCommandLine, cmdExePath, quoteBatchArg } from '../../../src/platforms/win32/batch.js';

const CMD = 'C:\\Windows\\System32\\cmd.exe';

function refusal(f: () => unknown): PlanError {
  try {
    f();
  } catch (e) {
    if (e instanceof PlanError) return e;
    throw e;
  }
  throw new Error('expected a PlanError');
}

/**
 * What cmd.exe's parser (phase 2) sees outside quotes in the text after `/s /c`: cmd strips the
 * first and last quote, then every `"` toggles quoting; characters outside quotes are returned.
 */
function unquotedText(line: string): string {
  const after = line.slice(line.indexOf('/c ') + 3);
  expect(after.startsWith('"') && after.endsWith('"')).toBe(true);
  const inner = after.slice(1, -1);
  let out = '';
  let inQ = false;
  for (const c of inner) {
    if (c === '"') inQ = !inQ;
    else if (!inQ) out += c;
  }
  expect(inQ).toBe(false);
  return out;
}

describe('batch files through cmd.exe', () => {
  it('quoting table (golden)', () => {
    const table: Array<[string, string]> = [
      ['test', 'test'],
      ['--flag=1', '"--flag=1"'],
      ['a b', '"a b"'],
      ['', '""'],
      ['C:\\dir\\file.txt', 'C:\\dir\\file.txt'],
      ['C:\\dir\\', '"C:\\dir\\\\"'],
      ['C:\\my dir\\\\', '"C:\\my dir\\\\\\\\"'],
      ['a&calc', '"a&calc"'],
      ['a|b', '"a|b"'],
      ['<in>out', '"<in>out"'],
      ['x^y', '"x^y"'],
      ['(a)', '"(a)"'],
      ['a,b;c', '"a,b;c"'],
      ['tab\there', '"tab\there"'],
      ['@scope/pkg', '@scope/pkg'],
      ['café', 'café'],
      ['c1\u0085', '"c1\u0085"'],
    ];
    for (const [arg, quoted] of table) expect(quoteBatchArg(arg, 1), JSON.stringify(arg)).toBe(quoted);
  });

  it('the whole line: cmd.exe by path, /d /v:off /s /c, script quoted, outer quotes', () => {
    expect(batchCommandLine(CMD, 'C:\\Program Files\\nodejs\\npm.cmd', ['run', 'build & test'])).toBe(
      'C:\\Windows\\System32\\cmd.exe /d /v:off /s /c ""C:\\Program Files\\nodejs\\npm.cmd" run "build & test""',
    );
    expect(batchCommandLine('C:\\Win Dows\\System32\\cmd.exe', 'C:\\t\\a.bat', [])).toBe('"C:\\Win Dows\\System32\\cmd.exe" /d /v:off /s /c ""C:\\t\\a.bat""');
  });

  it('refuses %VAR%, !VAR!, quotes, line breaks and control characters, naming the argument', () => {
    for (const bad of ['%PATH%', '100%', '!USERNAME!', 'say "hi"', '"', 'a\nb', 'a\rb', 'nul\0', 'bell\u0007', '\uD800']) {
      const e = refusal(() => batchCommandLine(CMD, 'C:\\t\\a.cmd', ['ok', bad]));
      expect(e.code).toBe('BatchArgumentUnsafe');
      expect(e.usage).toBe(true);
      expect(e.message).toContain(`argument 2 ${JSON.stringify(bad)}`);
    }
  });

  it('refuses a script path cmd.exe cannot run safely', () => {
    for (const bad of ['C:\\100%\\a.cmd', 'C:\\x!y\\a.cmd', 'C:\\t\\']) {
      expect(refusal(() => batchCommandLine(CMD, bad, [])).code).toBe('BatchArgumentUnsafe');
    }
  });

  it('no accepted argument leaves a cmd.exe metacharacter outside quotes (property)', () => {
    const chars = fc.constantFrom(...'ab \t&|<>^()%!"\\/=,;@-.:\n'.split(''), 'é');
    fc.assert(
      fc.property(fc.array(fc.array(chars, { maxLength: 8 }).map((a) => a.join('')), { maxLength: 5 }), (args) => {
        let line: string;
        try {
          line = batchCommandLine(CMD, 'C:\\t\\a.cmd', args);
        } catch (e) {
          expect(e).toBeInstanceOf(PlanError);
          expect(args.some((a) => /[%!"\r\n]/.test(a))).toBe(true);
          return;
        }
        expect(line).not.toMatch(/[%!\r\n]/);
        // Outside quotes only separators and harmless characters remain.
        expect(unquotedText(line)).toMatch(/^[A-Za-z0-9#$*+\-./:?@\\_ é]*$/);
      }),
    );
  });

  it('cmd.exe comes from the system root, never from a relative or odd value', () => {
    expect(cmdExePath('C:\\Windows')).toBe(CMD);
    expect(cmdExePath('D:\\WINNT\\')).toBe('D:\\WINNT\\System32\\cmd.exe');
    for (const bad of [undefined, '', 'Windows', '.\\', '%SystemRoot%', '\\\\srv\\share']) expect(cmdExePath(bad)).toBe(CMD);
  });
});
